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
const repoKeys = new Map<string, { keyId: string; publicKey: Uint8Array; privateKey: Uint8Array }>();

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  verifyKey = pair.publicKey;
  const jwk = await exportJWK(pair.privateKey);
  clientSecret =
    'secret-token:conductorone.com:v1:' + Buffer.from(JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d })).toString('base64url');
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

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  clock = fakeClock(NOW_MS);
  requests = [];
});

afterEach(async () => {
  await agent.close();
});

function reply(service: 'c1' | 'gh', status: number, data: unknown = '') {
  return (opts: { method: string; path: string; headers?: unknown; body?: unknown }) => {
    const headers: Record<string, string> = {};
    if (opts.headers && typeof opts.headers === 'object') {
      for (const [k, v] of Object.entries(opts.headers as Record<string, string>)) headers[k.toLowerCase()] = String(v);
    }
    requests.push({
      line: `${opts.method} ${service} ${opts.path} ${status}`,
      method: opts.method,
      path: opts.path,
      headers,
      body: typeof opts.body === 'string' ? opts.body : '',
    });
    const json = typeof data !== 'string';
    return {
      statusCode: status,
      data: json ? JSON.stringify(data) : data,
      responseOptions: { headers: json ? { 'content-type': 'application/json' } : {} },
    };
  };
}

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
}

/** Serves ConductorOne and GitHub; every route answers as many times as asked. */
function serve(scenario: Scenario = {}): void {
  const c1 = agent.get(C1);
  const tokenStatus = scenario.tokenStatus ?? 200;
  c1.intercept({ path: '/auth/v1/token', method: 'POST' })
    .reply(reply('c1', tokenStatus, tokenStatus === 200 ? { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 } : { code: 16, message: 'invalid client' }))
    .persist();
  c1.intercept({ path: ROTATE, method: 'POST' }).reply(reply('c1', 200, { credential: issued })).persist();

  const gh = agent.get(GH);
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
