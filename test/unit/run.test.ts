// The pipeline in one process, with a fake core and the shared MockAgent harness: the order of the
// steps, what a failure at each step leaves behind, what reaches the outputs, the log and the summary.
// What crosses the process boundary (exit codes, masking in the runner's log, retries against real
// sockets, the revoke order against the fakes) is proved end to end in test/e2e.
import { type CryptoKey, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import sodium from 'libsodium-wrappers';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ActionError, InputError } from '../../src/errors.js';
import { type LedgerEntry, serializeLedger } from '../../src/ledger.js';
import { type ActionCore, runPipeline } from '../../src/run.js';
import { GITHUB_TOKEN, type MockApi, mockApi, NOW_MS, rejectionOf } from './mock-api.js';

const C1 = 'https://acme.conductor.one';
const GH = 'https://api.github.com';
const CLIENT_ID = 'rotator@acme.conductor.one/spc';
const ACCESS_TOKEN = 'c1AccessTokenForTheRun0123456789';
const PROOF_TOKEN = 'c1AccessTokenOfTheProof987654321';
const ROTATE = '/api/v1/apps/connectors/credentials';
const TOKEN = '/auth/v1/token';
const credentialPath = (id: string) => `/api/v1/apps/app-1/connectors/conn-1/credentials/${id}`;

/** The auth client's secret, and the credential RotateCredential issues (its secret holds a real key, so the proof can sign). */
let clientSecret: string;
let issued: Record<string, unknown> & { id: string; clientId: string; clientSecret: string };
let issuedKey: CryptoKey;
const repoKeys = new Map<string, { keyId: string; publicKey: Uint8Array; privateKey: Uint8Array }>();

async function ed25519Secret(): Promise<{ secret: string; publicKey: CryptoKey }> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(pair.privateKey);
  const secret = `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d })).toString('base64url')}`;
  return { secret, publicKey: pair.publicKey };
}

beforeAll(async () => {
  clientSecret = (await ed25519Secret()).secret;
  const fresh = await ed25519Secret();
  issuedKey = fresh.publicKey;
  issued = {
    id: 'cred-new',
    appId: 'app-1',
    connectorId: 'conn-1',
    clientId: 'connector-new@acme.conductor.one/ccc',
    clientSecret: fresh.secret,
    displayName: 'rotated by GitHub Actions',
    expiresTime: '2026-06-01T12:00:00Z',
    deletedAt: null,
  };
  await sodium.ready;
  for (const [repo, keyId] of [
    ['acme/one', 'key-one'],
    ['acme/two', 'key-two'],
  ] as const) {
    const keys = sodium.crypto_box_keypair();
    repoKeys.set(repo, { keyId, publicKey: keys.publicKey, privateKey: keys.privateKey });
  }
});

type Event = { kind: 'mask' | 'info' | 'warning' | 'output' | 'summary'; value: string };

interface FakeCore extends ActionCore {
  events: Event[];
  outputs: Record<string, string>;
  infos: string[];
  warnings: Array<{ title: string; message: string }>;
  summaries: string[];
  masked: string[];
}

function fakeCore(overrides: Record<string, string> = {}, env: Record<string, string> = {}): FakeCore {
  const inputs: Record<string, string> = {
    'app-id': 'app-1',
    'connector-id': 'conn-1',
    'client-id': CLIENT_ID,
    'client-secret': clientSecret,
    'github-token': GITHUB_TOKEN,
    'github-api-url': GH,
    repositories: 'acme/one\nacme/two',
    'client-id-secret-name': 'BATON_CLIENT_ID',
    'client-secret-secret-name': 'BATON_CLIENT_SECRET',
    ...overrides,
  };
  const core: FakeCore = {
    events: [],
    outputs: {},
    infos: [],
    warnings: [],
    summaries: [],
    masked: [],
    getInput: (name) => inputs[name] ?? '',
    oidcAvailable: () => false,
    getEnv: (name) => env[name] ?? '',
    getIdToken: () => Promise.reject(new Error('no OIDC in these tests')),
    setSecret(value) {
      core.events.push({ kind: 'mask', value });
      core.masked.push(value);
    },
    setOutput(name, value) {
      core.events.push({ kind: 'output', value: `${name}=${value}` });
      core.outputs[name] = value;
    },
    info(message) {
      core.events.push({ kind: 'info', value: message });
      core.infos.push(message);
    },
    warning(message, title) {
      core.events.push({ kind: 'warning', value: message });
      core.warnings.push({ title, message });
    },
    async writeSummary(markdown) {
      core.events.push({ kind: 'summary', value: markdown });
      core.summaries.push(markdown);
    },
  };
  return core;
}

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

const isProof = (body: unknown) =>
  new URLSearchParams(typeof body === 'string' ? body : '').get('client_id') === issued.clientId;

interface Serve {
  /** What RotateCredential answers; default `{credential: issued}`. */
  rotation?: unknown;
  /** Status of the proof's token request (default 200; a refusal is answered to every attempt). */
  proofStatus?: number;
  /** Hold the proof's answer until every other request so far was answered, and then some. */
  holdProof?: boolean;
  /** "repo NAME" -> status of that PUT (default 201). */
  putStatus?: Record<string, number>;
  /** Status of revoking a credential, by ID. */
  revokeStatus?: Record<string, number>;
  /** id -> expiresTime of a credential ConductorOne shows on GET. */
  credentials?: Record<string, string>;
  connector?: boolean;
  /** Variable values per repository: the first read, and what reading it again finds. */
  variable?: { name: string; first: string; again: string };
}

/** ConductorOne and GitHub for a rotation into acme/one and acme/two; each route answers as often as asked. */
function serve(options: Serve = {}): void {
  serveConductorOne(options);
  for (const repo of ['acme/one', 'acme/two']) serveRepository(repo, options);
}

/**
 * Tokens, RotateCredential and, as asked, the connector, credentials and revokes. The first
 * interceptor registered that matches answers, so the proof's token routes come before the run's.
 */
function serveConductorOne(options: Serve): void {
  const c1 = api.agent.get(C1);
  const proofStatus = options.proofStatus ?? 200;
  const proofBody =
    proofStatus === 200
      ? { access_token: PROOF_TOKEN, token_type: 'Bearer', expires_in: 3600 }
      : { code: 16, message: 'invalid client' };
  if (options.holdProof) {
    c1.intercept({ path: TOKEN, method: 'POST', body: isProof }).reply(
      ...api.answerWhen(() => false, proofStatus, proofBody),
    );
  }
  c1.intercept({ path: TOKEN, method: 'POST', body: isProof }).reply(api.answer(proofStatus, proofBody)).persist();
  c1.intercept({ path: TOKEN, method: 'POST' })
    .reply(api.answer(200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 }))
    .persist();
  c1.intercept({ path: ROTATE, method: 'POST' })
    .reply(api.answer(200, options.rotation ?? { credential: issued }))
    .persist();
  if (options.connector)
    c1.intercept({ path: '/api/v1/apps/app-1/connectors/conn-1', method: 'GET' })
      .reply(api.answer(200, { connectorView: {} }))
      .persist();
  for (const [id, expiresTime] of Object.entries(options.credentials ?? {})) {
    c1.intercept({ path: credentialPath(id), method: 'GET' })
      .reply(api.answer(200, { credential: { id, expiresTime } }))
      .persist();
  }
  for (const [id, status] of Object.entries(options.revokeStatus ?? {})) {
    c1.intercept({ path: credentialPath(id), method: 'POST' })
      .reply(api.answer(status, status === 200 ? {} : { code: 7, message: 'permission denied' }))
      .persist();
  }
}

/** One repository's public key, its two secret PUTs and, with `variable`, the credential-ID variable. */
function serveRepository(repo: string, options: Serve): void {
  const gh = api.agent.get(GH);
  const keys = repoKeys.get(repo)!;
  gh.intercept({ path: `/repos/${repo}/actions/secrets/public-key` })
    .reply(
      api.answer(200, { key_id: keys.keyId, key: sodium.to_base64(keys.publicKey, sodium.base64_variants.ORIGINAL) }),
    )
    .persist();
  for (const name of ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET']) {
    const status = options.putStatus?.[`${repo} ${name}`] ?? 201;
    gh.intercept({ path: `/repos/${repo}/actions/secrets/${name}`, method: 'PUT' })
      .reply(api.answer(status, putAnswer(status)))
      .persist();
  }
  if (options.variable && repo === 'acme/one') {
    // The ledger's home, and the lock beside it.
    const { name } = options.variable;
    const path = `/repos/${repo}/actions/variables/${name}`;
    gh.intercept({ path, method: 'GET' }).reply(api.answer(200, { name, value: options.variable.first }));
    gh.intercept({ path, method: 'GET' }).reply(api.answer(200, { name, value: options.variable.again }));
    gh.intercept({ path, method: 'PATCH' }).reply(api.answer(204)).persist();
    gh.intercept({ path: `/repos/${repo}/actions/variables`, method: 'POST' })
      .reply((request) => {
        lockValue = (JSON.parse(String(request.body)) as { value: string }).value;
        return { statusCode: 201, data: '{}', responseOptions: { headers: { 'content-type': 'application/json' } } };
      })
      .persist();
    gh.intercept({ path: `${path}_LOCK`, method: 'GET' })
      .reply(() => ({
        statusCode: 200,
        data: JSON.stringify({ name: `${name}_LOCK`, value: lockValue }),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      }))
      .persist();
    gh.intercept({ path: `${path}_LOCK`, method: 'DELETE' })
      .reply(api.answer(204))
      .persist();
  } else if (options.variable) {
    const path = `/repos/${repo}/actions/variables/${options.variable.name}`;
    gh.intercept({ path, method: 'GET' })
      .reply(api.answer(404, { message: 'Not Found' }))
      .persist();
  }
}

/** What the lock variable holds, once the run created it. */
let lockValue = '';

/** GitHub's body for a secret PUT answered with `status`: {} when created, none when updated, else an error. */
function putAnswer(status: number): unknown {
  if (status === 201) return {};
  if (status === 204) return '';
  return { message: status === 403 ? 'Resource not accessible by integration' : 'Server Error' };
}

async function runWith(core: FakeCore): Promise<Error | undefined> {
  try {
    await runPipeline({ core, http: api.http(), now: () => NOW_MS, proofRetryDelaysMs: [] });
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

const log = () => api.log();
const first = (pattern: RegExp) => log().findIndex((line) => pattern.test(line));
const puts = () => log().filter((line) => line.startsWith('PUT '));
const revokes = () => log().filter((line) => line.startsWith('POST /api/v1/apps/app-1/connectors/conn-1/credentials/'));

function open(repo: string, encrypted: string): string {
  const keys = repoKeys.get(repo)!;
  return sodium.to_string(
    sodium.crypto_box_seal_open(
      sodium.from_base64(encrypted, sodium.base64_variants.ORIGINAL),
      keys.publicKey,
      keys.privateKey,
    ),
  );
}

/** Every secret was masked before any line, output or summary that carries it; none is ever shown. */
function expectMaskedAndNeverShown(core: FakeCore, secrets: readonly string[], error?: Error): void {
  for (const secret of secrets) {
    const maskedAt = core.events.findIndex((e) => e.kind === 'mask' && e.value === secret);
    expect(maskedAt, `${secret.slice(0, 12)}… was never masked`).toBeGreaterThanOrEqual(0);
    for (const event of core.events) if (event.kind !== 'mask') expect(event.value).not.toContain(secret);
    if (error) expect(error.message).not.toContain(secret);
  }
}

describe('runPipeline: the order of a rotation', () => {
  it('authenticates and reads every public key, rotates once, proves the new credential, and only then writes', async () => {
    serve();
    expect(await runWith(fakeCore())).toBeUndefined();

    const lines = log();
    expect(lines.slice(0, 3).sort()).toEqual([
      'GET /repos/acme/one/actions/secrets/public-key 200',
      'GET /repos/acme/two/actions/secrets/public-key 200',
      `POST ${TOKEN} 200`,
    ]);
    expect(lines.slice(3, 5)).toEqual([`POST ${ROTATE} 200`, `POST ${TOKEN} 200`]);
    expect(lines.slice(5).sort()).toEqual([
      'PUT /repos/acme/one/actions/secrets/BATON_CLIENT_ID 201',
      'PUT /repos/acme/one/actions/secrets/BATON_CLIENT_SECRET 201',
      'PUT /repos/acme/two/actions/secrets/BATON_CLIENT_ID 201',
      'PUT /repos/acme/two/actions/secrets/BATON_CLIENT_SECRET 201',
    ]);
  });

  it('sends no write while the proof is unanswered', async () => {
    serve({ holdProof: true });
    expect(await runWith(fakeCore())).toBeUndefined();
    const proofAnswered = api.events.indexOf(`< POST ${TOKEN} 200`, api.events.indexOf(`< POST ${ROTATE} 200`));
    const firstPut = api.events.findIndex((event) => event.startsWith('> PUT'));
    expect(proofAnswered).toBeGreaterThan(0);
    expect(firstPut).toBeGreaterThan(proofAnswered);
  });

  it('authenticates with a signed assertion, rotates with the token it got, and proves with an assertion the new key signed', async () => {
    serve();
    await runWith(fakeCore());
    const [auth, proof] = api.requests.filter((r) => r.path === TOKEN);
    expect(new URLSearchParams(auth!.body).get('client_id')).toBe(CLIENT_ID);
    const rotate = api.requests.find((r) => r.path === ROTATE)!;
    expect(rotate.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(JSON.parse(rotate.body)).toEqual({ appId: 'app-1', connectorId: 'conn-1' });
    const form = new URLSearchParams(proof!.body);
    expect(form.get('client_id')).toBe(issued.clientId);
    await jwtVerify(form.get('client_assertion')!, issuedKey, {
      issuer: issued.clientId,
      audience: 'acme.conductor.one',
    });
  });

  it('writes the new client ID and secret to every repository, sealed with that repository key', async () => {
    serve();
    await runWith(fakeCore());
    for (const repo of ['acme/one', 'acme/two']) {
      for (const [name, expected] of [
        ['BATON_CLIENT_ID', issued.clientId],
        ['BATON_CLIENT_SECRET', issued.clientSecret],
      ] as const) {
        const put = api.requests.find(
          (r) => r.method === 'PUT' && r.path === `/repos/${repo}/actions/secrets/${name}`,
        )!;
        const body = JSON.parse(put.body) as { encrypted_value: string; key_id: string };
        expect(body.key_id).toBe(repoKeys.get(repo)!.keyId);
        expect(open(repo, body.encrypted_value)).toBe(expected);
      }
    }
  });

  it('stores only the client secret when client-id-secret-name is empty', async () => {
    serve();
    await runWith(fakeCore({ 'client-id-secret-name': '' }));
    expect(puts().sort()).toEqual([
      'PUT /repos/acme/one/actions/secrets/BATON_CLIENT_SECRET 201',
      'PUT /repos/acme/two/actions/secrets/BATON_CLIENT_SECRET 201',
    ]);
  });

  it('makes no request at all when an input is invalid, having masked the secrets it read', async () => {
    const core = fakeCore({ 'connector-id': '..' });
    const error = await runWith(core);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('connector-id');
    expect(api.requests).toEqual([]);
    expect(core.masked).toEqual([clientSecret, GITHUB_TOKEN]);
    expect(core.outputs).toEqual({ rotated: 'false' });
  });
});

describe('runPipeline: outputs, log and summary', () => {
  it('sets each output once and summarizes the rotation', async () => {
    serve();
    const core = fakeCore();
    await runWith(core);
    const outputs = core.events.filter((e) => e.kind === 'output').map((e) => e.value.split('=')[0]);
    expect(outputs.sort()).toEqual([
      'client-id',
      'credential-id',
      'deploy-runs',
      'expires-at',
      'previous-credential-id',
      'revoked-credential-id',
      'rotated',
      'targets',
    ]);
    expect(core.outputs).toMatchObject({
      rotated: 'true',
      'credential-id': 'cred-new',
      'client-id': issued.clientId,
      'expires-at': '2026-06-01T12:00:00Z',
      'revoked-credential-id': '',
    });
    expect(JSON.parse(core.outputs.targets!)).toHaveLength(4);
    expect(core.summaries).toHaveLength(1);
    expect(core.summaries[0]).toContain('## ConductorOne credential rotated\n');
    expect(core.summaries[0]).toContain(
      '| Check and prove the new credential | passed: well formed, and it got a ConductorOne token |',
    );
    expect(core.infos).toContain('The new credential cred-new authenticates to ConductorOne.');
  });

  it('masks every secret before anything could print it, and prints none of them', async () => {
    serve();
    const core = fakeCore();
    const error = await runWith(core);
    expect(error).toBeUndefined();
    expectMaskedAndNeverShown(core, [clientSecret, GITHUB_TOKEN, ACCESS_TOKEN, issued.clientSecret, PROOF_TOKEN]);
  });

  it('warns, before any request, that consumers keep the previous client ID when client-id-secret-name is empty and revoke-previous is on', async () => {
    serve({ revokeStatus: { 'cred-old': 200 } });
    const core = fakeCore({
      'client-id-secret-name': '',
      'revoke-previous': 'true',
      'previous-credential-id': 'cred-old',
    });
    await runWith(core);
    expect(core.warnings.map((w) => w.title)).toEqual(['Consumers keep the previous client ID']);
    const warnedAt = core.events.findIndex((e) => e.kind === 'warning');
    expect(core.events.findIndex((e) => e.kind === 'info')).toBeGreaterThan(warnedAt);
  });
});

describe('runPipeline: a new credential that no target may or can hold is revoked again', () => {
  it('revokes a malformed credential from RotateCredential, writes nothing, and says every target is unchanged', async () => {
    serve({ rotation: { credential: { ...issued, clientSecret: 'garbage' } }, revokeStatus: { 'cred-new': 200 } });
    const core = fakeCore();
    const error = await runWith(core);

    expect(error).toBeInstanceOf(ActionError);
    expect(error!.message).toBe(
      "ConductorOne answered RotateCredential with a malformed credential (a client secret that is not a ConductorOne client secret with an Ed25519 key (not a ConductorOne client secret)). It was stored nowhere: every target still holds the previous credential, which stays valid. The unusable credential cred-new was revoked. Re-run the workflow; if it fails again, check the connector's credentials in ConductorOne.",
    );
    expect(puts()).toEqual([]);
    expect(revokes()).toEqual([`POST ${credentialPath('cred-new')} 200`]);
    expect(log().filter((l) => l.startsWith(`POST ${TOKEN}`))).toHaveLength(1);
    expect(core.outputs).toEqual({ 'previous-credential-id': '', rotated: 'false' });
    expect(core.summaries).toHaveLength(1);
    expect(core.summaries[0]).toContain('## ConductorOne credential rotated, but not stored');
    expect(core.summaries[0]).toContain(
      '| Revoke the unusable new credential `cred-new` | The unusable credential cred-new was revoked. |',
    );
  });

  it('revokes a new credential that fails its proof, without writing', async () => {
    serve({ proofStatus: 401, revokeStatus: { 'cred-new': 200 } });
    const core = fakeCore();
    const error = await runWith(core);
    expect(error!.message).toMatch(
      /^The new credential cred-new \(client ID connector-new@acme\.conductor\.one\/ccc\) could not authenticate to ConductorOne: the token request was refused \(401/,
    );
    expect(error!.message).toContain('It was stored nowhere');
    expect(puts()).toEqual([]);
    expect(revokes()).toEqual([`POST ${credentialPath('cred-new')} 200`]);
    expectMaskedAndNeverShown(core, [clientSecret, GITHUB_TOKEN, ACCESS_TOKEN, issued.clientSecret], error);
  });

  it('revokes a new credential whose value GitHub would refuse (over 48 KB), before any write', async () => {
    const jwk = JSON.parse(Buffer.from(issued.clientSecret.split(':')[3]!, 'base64url').toString('utf8')) as Record<
      string,
      string
    >;
    const huge = `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify({ ...jwk, padding: 'x'.repeat(50_000) })).toString('base64url')}`;
    serve({ rotation: { credential: { ...issued, clientSecret: huge } }, revokeStatus: { 'cred-new': 200 } });
    const error = await runWith(fakeCore());
    expect(error!.message).toMatch(
      /^The value to store is larger than the 48 KB GitHub allows for a secret\. It was stored nowhere/,
    );
    expect(puts()).toEqual([]);
    expect(revokes()).toEqual([`POST ${credentialPath('cred-new')} 200`]);
  });

  it('says to revoke the credential by hand when revoking it fails', async () => {
    serve({ rotation: { credential: { ...issued, clientId: '' } }, revokeStatus: { 'cred-new': 403 } });
    const error = await runWith(fakeCore());
    expect(error!.message).toContain('Revoking the unusable credential cred-new failed (');
    expect(error!.message).toContain('403 Forbidden: permission denied');
    expect(error!.message).toContain('): revoke it in ConductorOne.');
  });

  it('revokes a new credential that every write refused with a 4xx, and keeps the previous one', async () => {
    const refused = Object.fromEntries(
      ['acme/one', 'acme/two'].flatMap((r) =>
        ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET'].map((n) => [`${r} ${n}`, 403]),
      ),
    );
    serve({ putStatus: refused, revokeStatus: { 'cred-new': 200, 'cred-old': 200 } });
    const core = fakeCore({ 'revoke-previous': 'true', 'previous-credential-id': 'cred-old' });
    const error = await runWith(core);
    expect(error!.message).toMatch(
      /^Credential cred-new could not be stored in acme\/one, acme\/two\. github-token cannot write the secret/,
    );
    expect(revokes()).toEqual([`POST ${credentialPath('cred-new')} 200`]);
    expect(core.outputs.rotated).toBe('false');
  });

  it('keeps a new credential that a failed write may still have stored (500), and revokes nothing', async () => {
    const failing = Object.fromEntries(
      ['acme/one', 'acme/two'].flatMap((r) =>
        ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET'].map((n) => [`${r} ${n}`, 500]),
      ),
    );
    serve({ putStatus: failing, revokeStatus: { 'cred-new': 200, 'cred-old': 200 } });
    const core = fakeCore({ 'revoke-previous': 'true', 'previous-credential-id': 'cred-old' });
    const error = await runWith(core);
    expect(error!.message).toMatch(/^Credential cred-new was issued but could not be stored in acme\/one, acme\/two\./);
    expect(revokes()).toEqual([]);
    expect(core.outputs['credential-id']).toBe('cred-new');
  });
});

describe('runPipeline: a write that fails in some targets', () => {
  it('fails naming the repository, sets credential-id, shows what each repository holds, and revokes nothing', async () => {
    serve({
      putStatus: { 'acme/two BATON_CLIENT_ID': 403, 'acme/two BATON_CLIENT_SECRET': 403 },
      revokeStatus: { 'cred-old': 200 },
    });
    const core = fakeCore({ 'revoke-previous': 'true', 'previous-credential-id': 'cred-old' });
    const error = await runWith(core);

    expect(error!.message).toMatch(/^Credential cred-new was issued but could not be stored in acme\/two\./);
    expect(error!.message).toContain('The new credential is stored in acme/one.');
    expect(error!.message).toContain(
      'acme/two still holds the previous credential, which was not revoked and stays valid.',
    );
    expect(revokes()).toEqual([]);
    expect(core.outputs).toMatchObject({ rotated: 'true', 'credential-id': 'cred-new' });
    expect(JSON.parse(core.outputs.targets!)).toEqual([
      { target: 'acme/one', secret: 'BATON_CLIENT_ID', result: 'created' },
      { target: 'acme/one', secret: 'BATON_CLIENT_SECRET', result: 'created' },
    ]);
    const summary = core.summaries.at(-1)!;
    expect(summary).toContain('## ConductorOne credential rotated, but not stored everywhere');
    expect(summary).toContain('| acme/two | the previous credential (still valid, nothing was revoked) |');
    expect(summary).toContain(
      '| Retire replaced credentials | not done: not every target holds the new credential; the previous credential stays valid |',
    );
  });

  it('reports a repository with one secret written and one refused as mixed', async () => {
    serve({ putStatus: { 'acme/two BATON_CLIENT_SECRET': 403 } });
    const core = fakeCore();
    const error = await runWith(core);
    expect(error!.message).toContain('acme/two holds a new and an old secret that do not match');
    expect(core.summaries.at(-1)).toMatch(/\| acme\/two \| \*\*mixed\*\*/);
  });
});

describe('runPipeline: dry run and rotate-if-expires-within', () => {
  it('checks the connector, the previous credential and every target, changes nothing, and summarizes the plan', async () => {
    serve({ connector: true, credentials: { 'cred-old': '2026-09-01T00:00:00Z' } });
    const core = fakeCore({ 'dry-run': 'true', 'revoke-previous': 'true', 'previous-credential-id': 'cred-old' });
    expect(await runWith(core)).toBeUndefined();
    expect(log().sort()).toEqual([
      'GET /api/v1/apps/app-1/connectors/conn-1 200',
      `GET ${credentialPath('cred-old')} 200`,
      'GET /repos/acme/one/actions/secrets/public-key 200',
      'GET /repos/acme/two/actions/secrets/public-key 200',
      `POST ${TOKEN} 200`,
    ]);
    expect(core.outputs).toEqual({ rotated: 'false', 'previous-credential-id': 'cred-old' });
    expect(core.summaries).toEqual([expect.stringContaining('## ConductorOne credential rotation: dry run')]);
  });

  it('does not rotate while the current credential expires later than the window, and ends without error', async () => {
    serve({ credentials: { 'cred-old': '2026-12-01T00:00:00Z' } });
    const core = fakeCore({ 'rotate-if-expires-within': '30d', 'previous-credential-id': 'cred-old' });
    expect(await runWith(core)).toBeUndefined();
    expect(first(new RegExp(ROTATE))).toBe(-1);
    expect(core.outputs).toEqual({
      rotated: 'false',
      'previous-credential-id': 'cred-old',
      'revoked-credential-id': '',
    });
    expect(core.infos).toContain(
      'Not rotating: the current credential cred-old expires 2026-12-01T00:00:00Z, later than 30d from now (2026-03-31T12:00:00Z).',
    );
    expect(core.summaries[0]).toContain('## ConductorOne credential not due for rotation');
  });

  it('rotates, after reading the expiry, when the current credential expires within the window', async () => {
    serve({ credentials: { 'cred-old': '2026-03-20T00:00:00Z' } });
    const core = fakeCore({ 'rotate-if-expires-within': '30d', 'previous-credential-id': 'cred-old' });
    expect(await runWith(core)).toBeUndefined();
    expect(first(new RegExp(`GET ${credentialPath('cred-old')}`))).toBeLessThan(first(new RegExp(ROTATE)));
    expect(puts()).toHaveLength(4);
    expect(core.infos).toContain('Rotating: the current credential cred-old expires 2026-03-20T00:00:00Z, within 30d.');
  });
});

describe('runPipeline: the ledger, when another run wrote it between the preflight and the lock', () => {
  it('records the new credential in the ledger as it is now, and retires what both runs replaced', async () => {
    const at = (iso: string) => Date.parse(iso);
    const ledger = (revision: number, entries: LedgerEntry[]) =>
      serializeLedger({ connector: 'app-1/conn-1', revision, entries });
    serve({
      variable: {
        name: 'BATON_CREDENTIAL_ID',
        first: ledger(4, [{ id: 'cred-old', state: 'current', source: 'issued' }]),
        again: ledger(6, [
          { id: 'cred-old', state: 'previous', source: 'issued', replacedAt: at('2026-03-01T11:59:00Z') },
          { id: 'cred-other', state: 'current', source: 'issued' },
        ]),
      },
      credentials: { 'cred-old': '', 'cred-other': '' },
      revokeStatus: { 'cred-old': 200, 'cred-other': 200 },
    });
    const core = fakeCore({ 'credential-id-variable': 'BATON_CREDENTIAL_ID', 'revoke-previous': 'true' });
    expect(await runWith(core)).toBeUndefined();
    expect(core.infos).toContain(
      'the ledger in BATON_CREDENTIAL_ID of acme/one changed since the preflight read it; this run goes on from the new one.',
    );
    expect(revokes().sort()).toEqual([
      `POST ${credentialPath('cred-old')} 200`,
      `POST ${credentialPath('cred-other')} 200`,
    ]);
    const writes = api.requests.filter((r) => r.method === 'PATCH').map((r) => JSON.parse(r.body) as { value: string });
    const written = writes.map(
      (w) => JSON.parse(w.value) as { revision: number; credentials: Array<{ id: string; state: string }> },
    );
    expect(written.map((w) => [w.revision, w.credentials.map((c) => `${c.id} ${c.state}`)])).toEqual([
      [7, ['cred-old previous', 'cred-other current', 'cred-new pending']],
      [8, ['cred-new current']],
    ]);
    expect(core.outputs['revoked-credential-id']?.split(',').sort()).toEqual(['cred-old', 'cred-other']);
  });
});

describe('runPipeline: what reaches the log, the outputs and the summary', () => {
  it('redacts a secret it knows from the summary and keeps every log line on one line', async () => {
    // ConductorOne echoes the new secret and a line break in the revoke error.
    serve({ revokeStatus: {}, credentials: { 'cred-old': '' } });
    api.agent
      .get(C1)
      .intercept({ path: credentialPath('cred-old'), method: 'POST' })
      .reply(() => ({
        statusCode: 400,
        data: JSON.stringify({ code: 3, message: `no\n::warning::x ${issued.clientSecret} ${ACCESS_TOKEN}` }),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      }));
    const core = fakeCore({ 'revoke-previous': 'true', 'previous-credential-id': 'cred-old' });
    const error = await rejectionOf(runPipeline({ core, http: api.http(), now: () => NOW_MS }));
    expect(error.message).toContain('revoking cred-old, which no target holds any more, failed');
    for (const event of core.events) expect(event.kind === 'mask' || !/[\r\n]::/.test(event.value)).toBe(true);
    for (const info of core.infos) expect(info).not.toMatch(/[\r\n]/);
    expect(core.summaries.at(-1)).toContain('no ::warning::x (redacted) (redacted)');
    expectMaskedAndNeverShown(core, [issued.clientSecret, ACCESS_TOKEN]);
  });
});
