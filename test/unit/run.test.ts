import { exportJWK, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';
import sodium from 'libsodium-wrappers';
import { MockAgent } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ActionError, InputError } from '../../src/errors.js';
import { DEFAULT_RETRY_POLICY, Http } from '../../src/http.js';
import { run, type ActionCore } from '../../src/run.js';
import { fakeClock } from './fake-clock.js';

const C1 = 'https://acme.conductor.one';
const GH = 'https://api.github.com';
const CLIENT_ID = 'rotator@acme.conductor.one/spc';
const GITHUB_TOKEN = 'ghs_githubTokenForTheRun';
const ACCESS_TOKEN = 'c1AccessToken.eyJmYWtlIjp0cnVlfQ';
const NEW_CLIENT_SECRET = 'secret-token:conductorone.com:v1:eyJrdHkiOiJPS1AiLCJuZXciOnRydWV9';
const ROTATE = '/api/v1/apps/connectors/credentials';
const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0);

const issued = {
  id: 'cred-new',
  appId: 'app-1',
  connectorId: 'conn-1',
  clientId: 'connector-new@acme.conductor.one/pcc',
  clientSecret: NEW_CLIENT_SECRET,
  displayName: 'rotated by GitHub Actions',
  createdAt: '2026-03-01T12:00:00Z',
  updatedAt: '2026-03-01T12:00:00Z',
  expiresTime: '2026-06-01T12:00:00Z',
  lastUsedAt: null,
  deletedAt: null,
};

let clientSecret: string;
let verifyKey: CryptoKey;
/** A credential whose client secret holds a real Ed25519 key, so the proof can sign with it. */
let provable: typeof issued;
let provableVerifyKey: CryptoKey;
const repoKeys = new Map<string, { keyId: string; publicKey: Uint8Array; privateKey: Uint8Array }>();

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  verifyKey = pair.publicKey;
  const jwk = await exportJWK(pair.privateKey);
  clientSecret =
    'secret-token:conductorone.com:v1:' + Buffer.from(JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d })).toString('base64url');
  const fresh = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  provableVerifyKey = fresh.publicKey;
  const freshJwk = await exportJWK(fresh.privateKey);
  provable = {
    ...issued,
    clientSecret:
      'secret-token:conductorone.com:v1:' + Buffer.from(JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: freshJwk.x, d: freshJwk.d })).toString('base64url'),
  };
  await sodium.ready;
  for (const [repo, keyId] of [
    ['acme/one', 'key-one'],
    ['acme/two', 'key-two'],
    ['acme/missing', 'key-missing'],
  ] as const) {
    const keys = sodium.crypto_box_keypair();
    repoKeys.set(repo, { keyId, publicKey: keys.publicKey, privateKey: keys.privateKey });
  }
});

type Event = { kind: 'mask' | 'info' | 'output' | 'summary'; value: string };

interface FakeCore extends ActionCore {
  events: Event[];
  outputs: Record<string, string>;
  outputHistory: [string, string][];
  infos: string[];
  summaries: string[];
  masked: string[];
}

function fakeCore(overrides: Record<string, string> = {}): FakeCore {
  const inputs: Record<string, string> = {
    'app-id': 'app-1',
    'connector-id': 'conn-1',
    'client-id': CLIENT_ID,
    'client-secret': clientSecret,
    'server-url': '',
    'github-token': GITHUB_TOKEN,
    'github-api-url': GH,
    repositories: 'acme/one\nacme/two',
    'client-id-secret-name': 'BATON_CLIENT_ID',
    'client-secret-secret-name': 'BATON_CLIENT_SECRET',
    // The proof of the new credential has its own tests (proof.test.ts, e2e lifecycle).
    verify: 'false',
    ...overrides,
  };
  const core: FakeCore = {
    events: [],
    outputs: {},
    outputHistory: [],
    infos: [],
    summaries: [],
    masked: [],
    getInput: (name) => inputs[name] ?? '',
    oidcAvailable: () => false,
    getIdToken: () => Promise.reject(new Error('no OIDC in these tests')),
    setSecret(value) {
      core.events.push({ kind: 'mask', value });
      core.masked.push(value);
    },
    setOutput(name, value) {
      core.events.push({ kind: 'output', value: `${name}=${value}` });
      core.outputs[name] = value;
      core.outputHistory.push([name, value]);
    },
    info(message) {
      core.events.push({ kind: 'info', value: message });
      core.infos.push(message);
    },
    async writeSummary(markdown) {
      core.events.push({ kind: 'summary', value: markdown });
      core.summaries.push(markdown);
    },
  };
  return core;
}


interface Recorded {
  /** e.g. "POST c1 /auth/v1/token 200" */
  line: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

let agent: MockAgent;
let clock: ReturnType<typeof fakeClock>;
let requests: Recorded[];
/** Each request's arrival ("> line") and answer ("< line"), in order: what waits for what. */
let timeline: string[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  clock = fakeClock(NOW_MS);
  requests = [];
  timeline = [];
});

afterEach(async () => {
  await agent.close();
});

type Intercepted = { method: string; path: string; headers?: unknown; body?: unknown };

/** Records an arriving request; `note` tells apart requests to one path (the proof's token request). */
function record(service: 'c1' | 'gh', status: number, opts: Intercepted, note?: string): string {
  const headers: Record<string, string> = {};
  if (opts.headers && typeof opts.headers === 'object') {
    for (const [k, v] of Object.entries(opts.headers as Record<string, string>)) headers[k.toLowerCase()] = String(v);
  }
  const line = `${opts.method} ${service} ${opts.path} ${status}${note ? ` (${note})` : ''}`;
  requests.push({ line, method: opts.method, path: opts.path, headers, body: typeof opts.body === 'string' ? opts.body : '' });
  timeline.push(`> ${line}`);
  return line;
}

function reply(service: 'c1' | 'gh', status: number, data: unknown = '', note?: string) {
  return (opts: Intercepted) => {
    const line = record(service, status, opts, note);
    timeline.push(`< ${line}`);
    const json = typeof data !== 'string';
    return {
      statusCode: status,
      data: json ? JSON.stringify(data) : data,
      responseOptions: { headers: json ? { 'content-type': 'application/json' } : {} },
    };
  };
}

/** One event-loop turn: lets the action run on, without waiting on any clock. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Holds an answer until `ready()` (or, so that a run that never gets there
 * cannot hang the test, a thousand turns), then twenty turns more, so the
 * action has every chance to send what it should not send yet.
 */
async function hold(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ready(); i++) await turn();
  for (let i = 0; i < 20; i++) await turn();
}

const formOf = (body: unknown) => new URLSearchParams(typeof body === 'string' ? body : '');

function publicKeyOf(repo: string) {
  const keys = repoKeys.get(repo)!;
  return { key_id: keys.keyId, key: sodium.to_base64(keys.publicKey, sodium.base64_variants.ORIGINAL) };
}

function open(repo: string, encrypted: string): string {
  const keys = repoKeys.get(repo)!;
  return sodium.to_string(sodium.crypto_box_seal_open(sodium.from_base64(encrypted, sodium.base64_variants.ORIGINAL), keys.publicKey, keys.privateKey));
}

interface Scenario {
  tokenStatus?: number;
  /** repo -> status of its public key read (default 200) */
  publicKeyStatus?: Record<string, number>;
  /** "repo NAME" -> status of that PUT (default 201) */
  putStatus?: Record<string, number>;
  repositories?: string[];
  /** What RotateCredential issues; default `issued`, whose secret holds no key (verify: false only). */
  issued?: typeof issued;
  /** Status of the proof: the token request made with the issued client ID (default 200). */
  proofStatus?: number;
  /** id -> expiresTime of a credential ConductorOne shows on GET. */
  credentials?: Record<string, string>;
  /** id -> status of its revoke. */
  revokeStatus?: Record<string, number>;
  /** Answers GET of the connector (the dry run's check). */
  connector?: boolean;
  /** Answer this one last: the proof only once every write was answered, or the last write only once the proof was. */
  answerLast?: 'proof' | 'last write';
}

const credentialPath = (id: string) => `/api/v1/apps/app-1/connectors/conn-1/credentials/${id}`;
const answered = (fragment: string) => timeline.filter((event) => event.startsWith('< ') && event.includes(fragment)).length;

/** Serves ConductorOne and GitHub; every route answers as many times as asked. */
function serve(scenario: Scenario = {}): void {
  const c1 = agent.get(C1);
  const tokenStatus = scenario.tokenStatus ?? 200;
  const credential = scenario.issued ?? issued;
  const proofStatus = scenario.proofStatus ?? 200;
  const proofBody = proofStatus === 200 ? { access_token: 'proofAccessToken', token_type: 'Bearer', expires_in: 3600 } : { code: 16, message: 'invalid client' };
  const isProof = (body: unknown) => formOf(body).get('client_id') === credential.clientId;
  if (scenario.answerLast === 'proof') {
    c1.intercept({ path: '/auth/v1/token', method: 'POST', body: isProof }).reply(proofStatus, async (opts: Intercepted) => {
      const line = record('c1', proofStatus, opts, 'proof');
      await hold(() => answered('PUT gh') === 4);
      timeline.push(`< ${line}`);
      return JSON.stringify(proofBody);
    }, { headers: { 'content-type': 'application/json' } });
  }
  c1.intercept({ path: '/auth/v1/token', method: 'POST', body: isProof }).reply(reply('c1', proofStatus, proofBody, 'proof')).persist();
  c1.intercept({ path: '/auth/v1/token', method: 'POST' })
    .reply(reply('c1', tokenStatus, tokenStatus === 200 ? { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 } : { code: 16, message: 'invalid client' }))
    .persist();
  c1.intercept({ path: ROTATE, method: 'POST' }).reply(reply('c1', 200, { credential })).persist();
  if (scenario.connector) {
    c1.intercept({ path: '/api/v1/apps/app-1/connectors/conn-1', method: 'GET' }).reply(reply('c1', 200, { connector: { id: 'conn-1', appId: 'app-1' } })).persist();
  }
  for (const [id, expiresTime] of Object.entries(scenario.credentials ?? {})) {
    c1.intercept({ path: credentialPath(id), method: 'GET' }).reply(reply('c1', 200, { credential: { id, appId: 'app-1', connectorId: 'conn-1', clientId: `old-${id}@acme.conductor.one/pcc`, expiresTime } })).persist();
  }
  for (const [id, status] of Object.entries(scenario.revokeStatus ?? {})) {
    c1.intercept({ path: credentialPath(id), method: 'POST' }).reply(reply('c1', status, status === 200 ? {} : { code: 7, message: 'permission denied' })).persist();
  }

  const gh = agent.get(GH);
  if (scenario.answerLast === 'last write') {
    gh.intercept({ path: '/repos/acme/two/actions/secrets/BATON_CLIENT_SECRET', method: 'PUT' }).reply(201, async (opts: Intercepted) => {
      const line = record('gh', 201, opts);
      await hold(() => answered('(proof)') === 1);
      timeline.push(`< ${line}`);
      return '{}';
    }, { headers: { 'content-type': 'application/json' } });
  }
  for (const repo of scenario.repositories ?? ['acme/one', 'acme/two']) {
    const keyStatus = scenario.publicKeyStatus?.[repo] ?? 200;
    gh.intercept({ path: `/repos/${repo}/actions/secrets/public-key` })
      .reply(reply('gh', keyStatus, keyStatus === 200 ? publicKeyOf(repo) : { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }))
      .persist();
    for (const name of ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET']) {
      const status = scenario.putStatus?.[`${repo} ${name}`] ?? 201;
      gh.intercept({ path: `/repos/${repo}/actions/secrets/${name}`, method: 'PUT' })
        .reply(reply('gh', status, status === 403 ? { message: 'Resource not accessible by integration' } : status === 201 ? {} : ''))
        .persist();
    }
  }
}

function http(core: FakeCore): Http {
  return new Http({ dispatcher: agent, clock, policy: DEFAULT_RETRY_POLICY, log: (m) => core.info(m) });
}

async function runAndCatch(core: FakeCore): Promise<Error | undefined> {
  try {
    await run({ core, http: http(core) });
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

const lines = () => requests.map((r) => r.line);
const indexOf = (fragment: string) => requests.findIndex((r) => r.line.includes(fragment));
const indicesOf = (fragment: string) => requests.flatMap((r, i) => (r.line.includes(fragment) ? [i] : []));

/** Every secret was masked, and masked before any info line, output or summary that carries it. */
function expectMaskedBeforeShown(core: FakeCore, secrets: readonly string[]): void {
  for (const secret of secrets) {
    const maskedAt = core.events.findIndex((e) => e.kind === 'mask' && e.value === secret);
    expect(maskedAt, `${secret.slice(0, 12)}… was never masked`).toBeGreaterThanOrEqual(0);
    core.events.forEach((event, index) => {
      if (event.kind !== 'mask' && event.value.includes(secret)) expect(index).toBeGreaterThan(maskedAt);
    });
  }
}

function expectNeverShown(core: FakeCore, secrets: readonly string[], error?: Error): void {
  const shown = core.events.filter((e) => e.kind !== 'mask').map((e) => e.value);
  if (error) shown.push(error.message);
  for (const secret of secrets) {
    for (const text of shown) expect(text).not.toContain(secret);
  }
}

describe('run', () => {
  it('authenticates and reads every public key before rotating, and rotates before writing', async () => {
    serve();
    const core = fakeCore();
    await run({ core, http: http(core) });

    const preflight = [indexOf('/auth/v1/token'), indexOf('acme/one/actions/secrets/public-key'), indexOf('acme/two/actions/secrets/public-key')];
    const rotate = indicesOf(ROTATE);
    const puts = indicesOf('PUT gh');
    expect(preflight.every((i) => i >= 0)).toBe(true);
    expect(rotate).toHaveLength(1);
    expect(puts).toHaveLength(4);
    expect(Math.max(...preflight)).toBeLessThan(rotate[0]!);
    expect(rotate[0]!).toBeLessThan(Math.min(...puts));
    expect(lines().slice(0, 3).sort()).toEqual([
      'GET gh /repos/acme/one/actions/secrets/public-key 200',
      'GET gh /repos/acme/two/actions/secrets/public-key 200',
      'POST c1 /auth/v1/token 200',
    ]);
    expect(lines()[3]).toBe(`POST c1 ${ROTATE} 200`);
    expect(lines().slice(4).sort()).toEqual([
      'PUT gh /repos/acme/one/actions/secrets/BATON_CLIENT_ID 201',
      'PUT gh /repos/acme/one/actions/secrets/BATON_CLIENT_SECRET 201',
      'PUT gh /repos/acme/two/actions/secrets/BATON_CLIENT_ID 201',
      'PUT gh /repos/acme/two/actions/secrets/BATON_CLIENT_SECRET 201',
    ]);
    expect(requests).toHaveLength(8);
  });

  it('authenticates with a signed assertion and rotates with the access token it got', async () => {
    serve();
    const core = fakeCore();
    await run({ core, http: http(core) });

    const token = requests[indexOf('/auth/v1/token')]!;
    const form = new URLSearchParams(token.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_id')).toBe(CLIENT_ID);
    await jwtVerify(form.get('client_assertion')!, verifyKey, { issuer: CLIENT_ID, audience: 'acme.conductor.one' });
    expect(token.body).not.toContain(clientSecret);

    const rotate = requests[indexOf(ROTATE)]!;
    expect(rotate.headers['authorization']).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(JSON.parse(rotate.body)).toEqual({ appId: 'app-1', connectorId: 'conn-1' });
  });

  it('writes the new client ID and secret to every repository, sealed with that repository key', async () => {
    serve();
    const core = fakeCore();
    await run({ core, http: http(core) });

    for (const repo of ['acme/one', 'acme/two']) {
      for (const [name, expected] of [
        ['BATON_CLIENT_ID', issued.clientId],
        ['BATON_CLIENT_SECRET', NEW_CLIENT_SECRET],
      ] as const) {
        const put = requests.find((r) => r.method === 'PUT' && r.path === `/repos/${repo}/actions/secrets/${name}`)!;
        const body = JSON.parse(put.body) as { encrypted_value: string; key_id: string };
        expect(body.key_id).toBe(repoKeys.get(repo)!.keyId);
        expect(open(repo, body.encrypted_value)).toBe(expected);
        expect(put.headers['authorization']).toMatch(new RegExp(`${GITHUB_TOKEN}$`));
      }
    }
  });

  it('sets the outputs and writes a summary of the rotation', async () => {
    serve();
    const core = fakeCore();
    await run({ core, http: http(core) });

    // Each output is written once: a runner reading GITHUB_OUTPUT sees no contradicting values.
    expect(core.outputHistory.filter(([name]) => name === 'rotated')).toEqual([['rotated', 'true']]);
    expect(core.outputs).toEqual({
      rotated: 'true',
      'credential-id': 'cred-new',
      'client-id': issued.clientId,
      'expires-at': '2026-06-01T12:00:00Z',
      'previous-credential-id': '',
      'revoked-credential-id': '',
      targets: expect.any(String),
    });
    expect(JSON.parse(core.outputs['targets']!)).toEqual([
      { target: 'acme/one', secret: 'BATON_CLIENT_ID', result: 'created' },
      { target: 'acme/one', secret: 'BATON_CLIENT_SECRET', result: 'created' },
      { target: 'acme/two', secret: 'BATON_CLIENT_ID', result: 'created' },
      { target: 'acme/two', secret: 'BATON_CLIENT_SECRET', result: 'created' },
    ]);
    expect(core.summaries).toHaveLength(1);
    expect(core.summaries[0]).toContain('## ConductorOne credential rotated\n');
    expect(core.summaries[0]).toContain('| Credential ID | `cred-new` |');
    expect(core.summaries[0]).not.toContain('Now holds');
    expect(core.infos).toContain('acme/two: BATON_CLIENT_SECRET created.');
  });

  it('masks every secret before anything could print it, and prints none of them', async () => {
    serve();
    const core = fakeCore();
    await run({ core, http: http(core) });
    const secrets = [clientSecret, GITHUB_TOKEN, ACCESS_TOKEN, NEW_CLIENT_SECRET];
    expect(core.masked).toEqual(expect.arrayContaining(secrets));
    expectMaskedBeforeShown(core, secrets);
    expectNeverShown(core, secrets);
  });

  it('stores only the client secret when client-id-secret-name is empty', async () => {
    serve();
    const core = fakeCore({ 'client-id-secret-name': '' });
    await run({ core, http: http(core) });
    expect(indicesOf('PUT gh').map((i) => requests[i]!.path)).toEqual(
      expect.arrayContaining(['/repos/acme/one/actions/secrets/BATON_CLIENT_SECRET', '/repos/acme/two/actions/secrets/BATON_CLIENT_SECRET']),
    );
    expect(indicesOf('BATON_CLIENT_ID')).toEqual([]);
  });

  it('does not rotate when a repository public key cannot be read, and names that repository', async () => {
    serve({ repositories: ['acme/one', 'acme/missing'], publicKeyStatus: { 'acme/missing': 404 } });
    const core = fakeCore({ repositories: 'acme/one, acme/missing' });
    const error = await runAndCatch(core);

    expect(error).toBeInstanceOf(ActionError);
    expect(error!.message).toMatch(/^Nothing was rotated\. /);
    expect(error!.message).toContain('acme/missing');
    expect(error!.message).toContain('404 Not Found');
    expect(error!.message).not.toContain('acme/one');
    expect(indexOf(ROTATE)).toBe(-1);
    expect(indicesOf('PUT')).toEqual([]);
    expect(core.outputs).toEqual({ rotated: 'false' });
    expect(core.summaries).toHaveLength(1);
    expect(core.summaries[0]).toContain('## ConductorOne credential not rotated');
    expect(core.summaries[0]).toContain('acme/missing');
    expectNeverShown(core, [clientSecret, GITHUB_TOKEN, ACCESS_TOKEN], error);
  });

  it('does not rotate when ConductorOne refuses the client credentials, and names the client-id', async () => {
    serve({ tokenStatus: 401 });
    const core = fakeCore();
    const error = await runAndCatch(core);

    expect(error).toBeInstanceOf(ActionError);
    expect(error!.message).toMatch(/^Nothing was rotated\. ConductorOne refused client-id rotator@acme\.conductor\.one\/spc \(401/);
    expect(error!.message).not.toContain(clientSecret);
    expect(indexOf(ROTATE)).toBe(-1);
    expect(indicesOf('PUT')).toEqual([]);
    expect(requests.filter((r) => r.path === '/auth/v1/token')).toHaveLength(1);
    expect(core.outputs).toEqual({ rotated: 'false' });
    expect(core.summaries[0]).toContain('## ConductorOne credential not rotated');
  });

  it('reports a refused token and an unreadable repository together', async () => {
    serve({ tokenStatus: 401, repositories: ['acme/one', 'acme/missing'], publicKeyStatus: { 'acme/missing': 404 } });
    const core = fakeCore({ repositories: 'acme/one\nacme/missing' });
    const error = await runAndCatch(core);
    expect(error!.message).toContain(`client-id ${CLIENT_ID}`);
    expect(error!.message).toContain('acme/missing');
    expect(indexOf(ROTATE)).toBe(-1);
  });

  it('fails naming the repository whose writes were refused, yet sets credential-id and shows what each repository holds', async () => {
    serve({ putStatus: { 'acme/two BATON_CLIENT_ID': 403, 'acme/two BATON_CLIENT_SECRET': 403 } });
    const core = fakeCore();
    const error = await runAndCatch(core);

    expect(error).toBeInstanceOf(ActionError);
    expect(error!.message).toMatch(/^Credential cred-new was issued but could not be stored in acme\/two\./);
    expect(error!.message).toContain('Secrets read and write permission');
    expect(error!.message).toContain('GITHUB_TOKEN');
    expect(error!.message).toContain('The new credential is stored in acme/one.');
    expect(error!.message).toContain('acme/two still holds the previous credential, which was not revoked and stays valid.');
    expect(indicesOf(ROTATE)).toHaveLength(1);

    expect(core.outputs['credential-id']).toBe('cred-new');
    expect(core.outputs['rotated']).toBe('true');
    expect(JSON.parse(core.outputs['targets']!)).toEqual([
      { target: 'acme/one', secret: 'BATON_CLIENT_ID', result: 'created' },
      { target: 'acme/one', secret: 'BATON_CLIENT_SECRET', result: 'created' },
    ]);

    const summary = core.summaries.at(-1)!;
    expect(summary).toContain('## ConductorOne credential rotated, but not stored everywhere');
    expect(summary).toContain('| Target | Now holds |');
    expect(summary).toContain('| acme/one | the new credential |');
    expect(summary).toContain('| acme/two | the previous credential (still valid, nothing was revoked) |');

    const secrets = [clientSecret, GITHUB_TOKEN, ACCESS_TOKEN, NEW_CLIENT_SECRET];
    expectMaskedBeforeShown(core, secrets);
    expectNeverShown(core, secrets, error);
  });

  it('reports a repository with one secret written and one refused as mixed', async () => {
    serve({ putStatus: { 'acme/two BATON_CLIENT_SECRET': 403 } });
    const core = fakeCore();
    const error = await runAndCatch(core);
    expect(error!.message).toContain('acme/two holds a new and an old secret that do not match');
    expect(core.summaries.at(-1)).toMatch(/\| acme\/two \| \*\*mixed\*\*/);
  });

  it('retries a write that GitHub answered 502, through the shared policy, without really sleeping', async () => {
    const gh = agent.get(GH);
    gh.intercept({ path: '/repos/acme/one/actions/secrets/BATON_CLIENT_SECRET', method: 'PUT' }).reply(reply('gh', 502, 'bad gateway'));
    serve({ repositories: ['acme/one'] });
    const core = fakeCore({ repositories: 'acme/one' });
    await run({ core, http: http(core) });
    expect(lines()).toContain('PUT gh /repos/acme/one/actions/secrets/BATON_CLIENT_SECRET 502');
    expect(clock.waits).toEqual([750]);
    expect(core.infos.some((line) => line.includes('server error (502); retrying'))).toBe(true);
    expect(core.outputs['rotated']).toBe('true');
  });

  it('makes no request at all when an input is invalid', async () => {
    const core = fakeCore({ 'connector-id': 'conn/1' });
    const error = await runAndCatch(core);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('connector-id');
    expect(requests).toEqual([]);
    expect(core.masked).toEqual([clientSecret, GITHUB_TOKEN]);
  });
});

const revokeLines = () => lines().filter((line) => line.startsWith('POST c1 /api/v1/apps/app-1/connectors/conn-1/credentials/'));

describe('run: dry run', () => {
  it('checks the connector, the previous credential and every target, rotates and writes nothing, and summarizes the plan', async () => {
    serve({ connector: true, credentials: { 'cred-old': '2026-09-01T00:00:00Z' }, revokeStatus: { 'cred-old': 200 } });
    const core = fakeCore({ 'dry-run': 'true', verify: 'true', 'revoke-previous': 'true', 'previous-credential-id': 'cred-old' });
    await run({ core, http: http(core), now: () => NOW_MS });

    expect(lines().sort()).toEqual([
      'GET c1 /api/v1/apps/app-1/connectors/conn-1 200',
      `GET c1 ${credentialPath('cred-old')} 200`,
      'GET gh /repos/acme/one/actions/secrets/public-key 200',
      'GET gh /repos/acme/two/actions/secrets/public-key 200',
      'POST c1 /auth/v1/token 200',
    ]);
    expect(core.outputs).toEqual({ rotated: 'false', 'previous-credential-id': 'cred-old' });
    expect(core.outputHistory.filter(([name]) => name === 'rotated')).toEqual([['rotated', 'false']]);
    expect(core.summaries).toHaveLength(1);
    const summary = core.summaries[0]!;
    expect(summary).toContain('## ConductorOne credential rotation: dry run');
    expect(summary).toContain('| acme/two | `BATON_CLIENT_SECRET` | yes |');
    expect(summary).toContain('Prove the new credential by getting a ConductorOne token with it.');
    expect(summary).toContain('Revoke the previous credential `cred-old` (from previous-credential-id), which expires 2026-09-01T00:00:00Z, after every write succeeded and the proof passed.');
    expect(core.infos).toContain('Dry run: the connector, the token and every target check out; nothing was changed.');
  });

  it('plans the skip, still without rotating, when the credential is not due', async () => {
    serve({ connector: true, credentials: { 'cred-old': '2026-09-01T00:00:00Z' } });
    const core = fakeCore({ 'dry-run': 'true', 'rotate-if-expires-within': '30d', 'previous-credential-id': 'cred-old' });
    await run({ core, http: http(core), now: () => NOW_MS });

    expect(indexOf(ROTATE)).toBe(-1);
    expect(core.outputs['rotated']).toBe('false');
    expect(core.summaries).toHaveLength(1);
    expect(core.summaries[0]).toContain('## ConductorOne credential rotation: dry run');
    expect(core.summaries[0]).toContain('1. Skip rotation: the current credential cred-old expires 2026-09-01T00:00:00Z, later than 30d from now');
  });
});

describe('run: rotate-if-expires-within', () => {
  it('does not rotate while the current credential expires later than the window, and ends without error', async () => {
    serve({ credentials: { 'cred-old': '2026-12-01T00:00:00Z' }, revokeStatus: { 'cred-old': 200 } });
    const core = fakeCore({ 'rotate-if-expires-within': '30d', 'previous-credential-id': 'cred-old' });
    await run({ core, http: http(core), now: () => NOW_MS });

    expect(lines()).toContain(`GET c1 ${credentialPath('cred-old')} 200`);
    expect(indexOf(ROTATE)).toBe(-1);
    expect(indicesOf('PUT')).toEqual([]);
    expect(revokeLines()).toEqual([]);
    expect(core.outputs).toEqual({ rotated: 'false', 'previous-credential-id': 'cred-old' });
    const reason = 'the current credential cred-old expires 2026-12-01T00:00:00Z, later than 30d from now (2026-03-31T12:00:00Z)';
    expect(core.infos).toContain(`Not rotating: ${reason}.`);
    expect(core.summaries).toHaveLength(1);
    expect(core.summaries[0]).toContain('## ConductorOne credential not due for rotation');
    expect(core.summaries[0]).toContain(`Connector \`conn-1\` (app \`app-1\`): ${reason}.`);
  });

  it('rotates, after reading the expiry, when the current credential expires within the window', async () => {
    serve({ credentials: { 'cred-old': '2026-03-20T00:00:00Z' } });
    const core = fakeCore({ 'rotate-if-expires-within': '30d', 'previous-credential-id': 'cred-old' });
    await run({ core, http: http(core), now: () => NOW_MS });

    expect(indexOf(`GET c1 ${credentialPath('cred-old')}`)).toBeLessThan(indexOf(ROTATE));
    expect(indicesOf(ROTATE)).toHaveLength(1);
    expect(indicesOf('PUT gh')).toHaveLength(4);
    expect(core.outputs['rotated']).toBe('true');
    expect(core.infos).toContain('Rotating: the current credential cred-old expires 2026-03-20T00:00:00Z, within 30d.');
  });
});

describe('run: proof, record and revoke', () => {
  const revoking = { verify: 'true', 'revoke-previous': 'true', 'previous-credential-id': 'cred-old' };

  it('proves the new credential with a token request signed by its own key', async () => {
    serve({ issued: provable, revokeStatus: { 'cred-old': 200 } });
    const core = fakeCore(revoking);
    await run({ core, http: http(core) });

    const proofs = requests.filter((r) => r.line.endsWith('(proof)'));
    expect(proofs).toHaveLength(1);
    const form = new URLSearchParams(proofs[0]!.body);
    expect(form.get('client_id')).toBe(issued.clientId);
    await jwtVerify(form.get('client_assertion')!, provableVerifyKey, { issuer: issued.clientId, audience: 'acme.conductor.one' });
    expect(proofs[0]!.body).not.toContain(provable.clientSecret);
    expect(core.outputs['revoked-credential-id']).toBe('cred-old');
  });

  it('fails without revoking anything when the new credential cannot get a token, and says the previous one stays valid', async () => {
    serve({ issued: provable, proofStatus: 401, revokeStatus: { 'cred-old': 200 } });
    const core = fakeCore(revoking);
    const error = await runAndCatch(core);

    expect(error).toBeInstanceOf(ActionError);
    expect(error!.message).toMatch(/^The new credential cred-new \(client ID connector-new@acme\.conductor\.one\/pcc\) could not authenticate to ConductorOne: .*401/);
    expect(error!.message).toContain('It is already stored in acme/one, acme/two');
    expect(error!.message).toContain('Nothing was revoked, so the previous credential stays valid.');
    expect(lines()).toContain('POST c1 /auth/v1/token 401 (proof)');
    expect(revokeLines()).toEqual([]);
    expect(indicesOf('PUT gh')).toHaveLength(4);

    expect(core.outputs['rotated']).toBe('true');
    expect(core.outputs['credential-id']).toBe('cred-new');
    expect(core.outputs['revoked-credential-id'] ?? '').toBe('');
    expect(core.summaries).toHaveLength(1);
    const summary = core.summaries[0]!;
    expect(summary).toContain('## ConductorOne credential rotated and stored, but not finished');
    expect(summary).toMatch(/\| Prove the new credential \| \*\*failed\*\*: The new credential cred-new .*401/);
    expect(summary).toContain('| Revoke the previous credential | not done: the proof failed; the previous credential stays valid |');
    expectNeverShown(core, [clientSecret, GITHUB_TOKEN, ACCESS_TOKEN, provable.clientSecret], error);
  });

  it('fails saying the secrets are up to date and only the revoke is left when ConductorOne refuses the revoke', async () => {
    serve({ issued: provable, revokeStatus: { 'cred-old': 403 } });
    const core = fakeCore(revoking);
    const error = await runAndCatch(core);

    expect(error).toBeInstanceOf(ActionError);
    expect(error!.message).toMatch(
      /^Credential cred-new is stored in every target and proved it works, so the secrets are up to date; only this is left: revoking the previous credential cred-old failed \(.*403.*permission denied.*\); revoke it in ConductorOne, or re-run with previous-credential-id: cred-old\.$/,
    );
    expect(revokeLines()).toEqual([`POST c1 ${credentialPath('cred-old')} 403`]);
    expect(core.outputs['revoked-credential-id']).toBe('');
    expect(core.outputs['rotated']).toBe('true');
    expect(core.outputs['credential-id']).toBe('cred-new');
    const summary = core.summaries.at(-1)!;
    expect(core.summaries).toHaveLength(1);
    expect(summary).toContain('## ConductorOne credential rotated and stored, but not finished');
    expect(summary).toContain('| Prove the new credential | passed: it got a ConductorOne token |');
    expect(summary).toMatch(/\| Revoke the previous credential `cred-old` \| \*\*failed\*\*: .*403/);
  });

  it.each(['proof', 'last write'] as const)('sends the revoke only after every write and the proof were answered, even when the %s is answered last', async (answerLast) => {
    serve({ issued: provable, revokeStatus: { 'cred-old': 200 }, answerLast });
    const core = fakeCore(revoking);
    await run({ core, http: http(core) });

    const revokeAt = timeline.indexOf(`> POST c1 ${credentialPath('cred-old')} 200`);
    expect(revokeAt).toBeGreaterThan(0);
    const answers = timeline.flatMap((event, index) => (event.startsWith('< ') && (event.includes('PUT gh') || event.endsWith('(proof)')) ? [index] : []));
    expect(answers).toHaveLength(5);
    for (const index of answers) expect(index, `${timeline[index]} came after the revoke`).toBeLessThan(revokeAt);
    // The held answer really came last of the five.
    const last = timeline[Math.max(...answers)]!;
    expect(last).toContain(answerLast === 'proof' ? '(proof)' : 'PUT gh /repos/acme/two/actions/secrets/BATON_CLIENT_SECRET');
    expect(core.outputs['revoked-credential-id']).toBe('cred-old');
  });
});
