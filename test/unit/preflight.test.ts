import sodium from 'libsodium-wrappers';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TokenSource } from '../../src/conductorone/auth.js';
import { ConductorOneClient } from '../../src/conductorone/client.js';
import { ActionError } from '../../src/errors.js';
import { repositoryTarget, targetsFor } from '../../src/github/targets.js';
import { type Inputs, parseDeployWorkflows } from '../../src/inputs.js';
import { type LedgerEntry, serializeLedger } from '../../src/ledger.js';
import { type RotationLock, runIdentity } from '../../src/lock.js';
import type { Target } from '../../src/model.js';
import { createLimiter } from '../../src/pool.js';
import { authenticateAndPreflight, type Preflight } from '../../src/preflight.js';
import { type MockApi, mockApi, NOW_MS, occurrences, rejectionOf } from './mock-api.js';
import { parsedInputs } from './parsed-inputs.js';

const C1 = 'https://acme.conductor.one';
const GH = 'https://api.github.com';
const VARIABLE = 'C1_CREDENTIAL_ID';
const SECRET_NAMES = ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET'];
const one = repositoryTarget({ owner: 'acme', repo: 'one' });
const two = repositoryTarget({ owner: 'acme', repo: 'two' });

let publicKey: string;

beforeAll(async () => {
  await sodium.ready;
  publicKey = sodium.to_base64(sodium.crypto_box_keypair().publicKey, sodium.base64_variants.ORIGINAL);
});

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

function inputs(overrides: Partial<Inputs> = {}): Inputs {
  return parsedInputs({ credentialIdVariable: VARIABLE, ...overrides });
}

const workingToken: TokenSource = { description: 'access-token', getToken: () => Promise.resolve('c1-access-token') };

function preflight(
  options: {
    inputs?: Inputs;
    targets?: Target[];
    tokenSource?: TokenSource;
    holdLock?: (lock: RotationLock) => void;
  } = {},
): Promise<Preflight> {
  const tokenSource = options.tokenSource ?? workingToken;
  return authenticateAndPreflight({
    inputs: options.inputs ?? inputs(),
    tokenSource,
    conductorOne: new ConductorOneClient({ serverUrl: new URL(C1), http: api.http(), tokenSource, mask: () => {} }),
    octokit: api.octokit(),
    targets: options.targets ?? [one, two],
    secretNames: SECRET_NAMES,
    readLimit: createLimiter(20),
    identity: runIdentity((name) => RUN_ENV[name] ?? ''),
    ...(options.holdLock ? { holdLock: options.holdLock } : {}),
    now: () => NOW_MS,
  });
}

const RUN_ENV: Record<string, string> = {
  GITHUB_REPOSITORY: 'acme/rotation',
  GITHUB_RUN_ID: '123',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_SERVER_URL: 'https://github.com',
};

/** A ledger value as the action writes it. */
function ledgerValue(entries: LedgerEntry[], revision = 1): string {
  return serializeLedger({ connector: 'app-1/conn-1', revision, entries });
}

/** The lock beside the ledger in acme/one: free (created 201), or held by another run (409, then its value). */
function serveLock(holder?: string): void {
  const pool = api.agent.get(GH);
  if (holder === undefined) {
    pool.intercept({ path: '/repos/acme/one/actions/variables', method: 'POST' }).reply(api.answer(201, {})).persist();
  } else {
    pool
      .intercept({ path: '/repos/acme/one/actions/variables', method: 'POST' })
      .reply(api.answer(409, { message: 'Already exists - Variable already exists' }))
      .persist();
    pool
      .intercept({ path: `/repos/acme/one/actions/variables/${VARIABLE}_LOCK`, method: 'GET' })
      .reply(api.answer(200, { name: `${VARIABLE}_LOCK`, value: holder, updated_at: '2026-03-01T11:59:00Z' }))
      .persist();
  }
  pool
    .intercept({ path: `/repos/acme/one/actions/variables/${VARIABLE}_LOCK`, method: 'DELETE' })
    .reply(api.answer(204))
    .persist();
}

/** GitHub: each repository's public key (or a failing status), and its variable (a value, or a status); the lock is free. */
function serveRepos(repos: Record<string, { key?: number; variable?: string | number }>, lock = true): void {
  if (lock) serveLock();
  const pool = api.agent.get(GH);
  for (const [repo, { key = 200, variable = 404 }] of Object.entries(repos)) {
    pool
      .intercept({ path: `/repos/${repo}/actions/secrets/public-key` })
      .reply(
        api.answer(
          key,
          key === 200
            ? { key_id: `key-${repo}`, key: publicKey }
            : { message: key === 404 ? 'Not Found' : 'Resource not accessible by integration' },
        ),
      )
      .persist();
    pool
      .intercept({ path: `/repos/${repo}/actions/variables/${VARIABLE}`, method: 'GET' })
      .reply(
        typeof variable === 'string'
          ? api.answer(200, { name: VARIABLE, value: variable, updated_at: '2026-02-01T00:00:00Z' })
          : api.answer(variable, {
              message: variable === 404 ? 'Not Found' : 'Resource not accessible by integration',
            }),
      )
      .persist();
    pool
      .intercept({ path: `/repos/${repo}/actions/variables/${VARIABLE}_PREVIOUS`, method: 'GET' })
      .reply(api.answer(404, { message: 'Not Found' }))
      .persist();
  }
}

describe('authenticateAndPreflight: the ledger in credential-id-variable', () => {
  it("takes the ledger's current credential, from the first target", async () => {
    serveRepos({
      'acme/one': { variable: ledgerValue([{ id: 'cred-1', state: 'current', source: 'issued' }]) },
      'acme/two': {},
    });
    const result = await preflight();
    expect(result.previous).toEqual({ id: 'cred-1', source: 'credential-id-variable' });
    expect(result.ledger.remembers).toBe(true);
    expect(result.ledger.home).toBe(one);
    expect(result.ledger.ledger.entries).toEqual([{ id: 'cred-1', state: 'current', source: 'issued' }]);
    expect(result.ledger.strays).toEqual([]);
    expect(result.publicKeys.get(one)).toEqual({ keyId: 'key-acme/one', key: publicKey });
    expect(result.publicKeys.get(two)).toEqual({ keyId: 'key-acme/two', key: publicKey });
    expect('current' in result).toBe(false);
  });

  it('takes in the bare credential ID an earlier version wrote in every target, and reads _PREVIOUS for it', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `/repos/acme/one/actions/variables/${VARIABLE}_PREVIOUS` })
      .reply(api.answer(200, { name: `${VARIABLE}_PREVIOUS`, value: 'cred-0', updated_at: '2026-02-20T00:00:00Z' }));
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-1' } });
    const result = await preflight();
    expect(result.previous).toEqual({ id: 'cred-1', source: 'credential-id-variable' });
    expect(result.ledger.ledger.entries).toEqual([
      { id: 'cred-1', state: 'current', source: 'adopted' },
      { id: 'cred-0', state: 'previous', source: 'adopted', replacedAt: Date.parse('2026-02-20T00:00:00Z') },
    ]);
    // Once the ledger is home: _PREVIOUS in acme/one goes; acme/two, the mirror, gets the ledger.
    expect(result.ledger.strays.map((s) => `${s.target.label} ${s.name}`)).toEqual([`acme/one ${VARIABLE}_PREVIOUS`]);
  });

  it('knows no previous credential when no target has the variable', async () => {
    serveRepos({ 'acme/one': {}, 'acme/two': {} });
    const result = await preflight();
    expect(result.previous).toEqual({ id: '', source: 'none', why: 'no current credential is known' });
    expect(result.ledger.ledger.entries).toEqual([]);
  });

  it('takes in bare IDs that disagree as credentials the targets may hold, and knows no single current one', async () => {
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-2' } });
    const result = await preflight();
    expect(result.previous).toEqual({ id: '', source: 'none', why: 'the targets may hold any of cred-1, cred-2' });
    expect(result.ledger.ledger.entries.map((e) => `${e.id} ${e.state}`)).toEqual(['cred-1 current', 'cred-2 current']);
  });

  it('refuses a value it cannot read as a ledger, without quoting it, having handed the lock to whoever ends the run', async () => {
    serveRepos({ 'acme/one': { variable: 'see https://wiki/x' }, 'acme/two': {} });
    const held: RotationLock[] = [];
    const err = await rejectionOf(preflight({ holdLock: (lock) => held.push(lock) }));
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain(
      `The variable ${VARIABLE} in acme/one holds neither a credential ID nor a ledger, which the action cannot read as its ledger`,
    );
    expect(err.message).not.toContain('wiki');
    // The preflight gives nothing back itself (its phase's bound may have run out): the run's end does.
    expect(held).toHaveLength(1);
    expect(held[0]?.isHeld).toBe(true);
    await held[0]?.release();
    expect(api.log()).toContain(`DELETE /repos/acme/one/actions/variables/${VARIABLE}_LOCK 204`);
  });

  it("refuses another connector's ledger: one variable per connector", async () => {
    const other = serializeLedger({ connector: 'app-1/conn-2', revision: 4, entries: [] });
    serveRepos({ 'acme/one': { variable: other }, 'acme/two': {} });
    const err = await rejectionOf(preflight());
    expect(err.message).toContain('holds the ledger of connector app-1/conn-2, not of this one');
  });

  it('lets previous-credential-id name the current credential, and keeps it in the ledger as one the targets may hold', async () => {
    serveRepos({ 'acme/one': {}, 'acme/two': {} });
    const result = await preflight({ inputs: inputs({ previousCredentialId: 'cred-9' }) });
    expect(result.previous).toEqual({ id: 'cred-9', source: 'previous-credential-id' });
    expect(result.ledger.ledger.entries).toEqual([{ id: 'cred-9', state: 'current', source: 'given' }]);
  });

  it('ignores a previous-credential-id the ledger records as replaced, and says so', async () => {
    const replacedAt = Date.parse('2026-02-01T00:00:00Z');
    serveRepos({
      'acme/one': {
        variable: ledgerValue([
          { id: 'cred-0', state: 'previous', source: 'given', replacedAt },
          { id: 'cred-1', state: 'current', source: 'issued' },
        ]),
      },
      'acme/two': {},
    });
    const result = await preflight({ inputs: inputs({ previousCredentialId: 'cred-0' }) });
    expect(result.previous).toEqual({ id: 'cred-1', source: 'credential-id-variable' });
    expect(result.staleGiven).toEqual({ id: 'cred-0', replacedAt });
  });

  it('takes previous-credential-id without reading any variable or taking a lock when credential-id-variable is empty', async () => {
    const pool = api.agent.get(GH);
    for (const repo of ['acme/one', 'acme/two']) {
      pool
        .intercept({ path: `/repos/${repo}/actions/secrets/public-key` })
        .reply(api.answer(200, { key_id: `key-${repo}`, key: publicKey }));
    }
    const result = await preflight({ inputs: inputs({ credentialIdVariable: '', previousCredentialId: 'cred-9' }) });
    expect(result.previous).toEqual({ id: 'cred-9', source: 'previous-credential-id' });
    expect(result.ledger.remembers).toBe(false);
    expect(result.lock).toBeUndefined();
    expect(api.log().sort()).toEqual([
      'GET /repos/acme/one/actions/secrets/public-key 200',
      'GET /repos/acme/two/actions/secrets/public-key 200',
    ]);
  });
});

describe('authenticateAndPreflight: the rotation lock', () => {
  it('takes the lock beside the reads, as a new variable naming this run', async () => {
    serveRepos({ 'acme/one': {}, 'acme/two': {} });
    const result = await preflight();
    expect(result.lock?.isHeld).toBe(true);
    const create = api.requests.find((r) => r.method === 'POST')!;
    expect(create.path).toBe('/repos/acme/one/actions/variables');
    const body = JSON.parse(create.body) as { name: string; value: string };
    expect(body.name).toBe(`${VARIABLE}_LOCK`);
    expect(JSON.parse(body.value)).toMatchObject({
      run: 'acme/rotation run 123 attempt 1',
      url: 'https://github.com/acme/rotation/actions/runs/123/attempts/1',
      since: '2026-03-01T12:00:00.000Z',
      until: '2026-03-01T13:00:00.000Z',
    });
  });

  it('changes nothing when another run holds the lock, naming that run', async () => {
    const holder = JSON.stringify({
      run: 'acme/rotation run 122 attempt 1',
      url: 'https://github.com/acme/rotation/actions/runs/122/attempts/1',
      repository: 'acme/rotation',
      runId: '122',
      attempt: 1,
      since: '2026-03-01T11:59:00.000Z',
      until: '2026-03-01T12:59:00.000Z',
      nonce: 'theirs',
    });
    serveLock(holder);
    serveRepos({ 'acme/one': {}, 'acme/two': {} }, false);
    const err = await rejectionOf(preflight());
    expect(err.message).toContain(
      'Another rotation of this connector, acme/rotation run 122 attempt 1 (https://github.com/acme/rotation/actions/runs/122/attempts/1), holds the lock',
    );
    expect(err.message).toContain('so this run changed nothing');
    expect(api.log().filter((l) => l.startsWith('DELETE'))).toEqual([]);
  });

  it('takes over a lock an earlier attempt of this same run left', async () => {
    const holder = JSON.stringify({
      run: 'acme/rotation run 123 attempt 0',
      repository: 'acme/rotation',
      runId: '123',
      attempt: 0,
      since: '2026-03-01T11:59:00.000Z',
      until: '2026-03-01T12:59:00.000Z',
      nonce: 'earlier',
    });
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: '/repos/acme/one/actions/variables', method: 'POST' })
      .reply(api.answer(409, { message: 'Already exists - Variable already exists' }));
    pool
      .intercept({ path: `/repos/acme/one/actions/variables/${VARIABLE}_LOCK`, method: 'GET' })
      .reply(api.answer(200, { name: `${VARIABLE}_LOCK`, value: holder }));
    serveRepos({ 'acme/one': {}, 'acme/two': {} });
    const result = await preflight();
    expect(result.lock?.isHeld).toBe(true);
    expect(api.log().filter((l) => /POST|DELETE/.test(l))).toEqual([
      'POST /repos/acme/one/actions/variables 409',
      `DELETE /repos/acme/one/actions/variables/${VARIABLE}_LOCK 204`,
      'POST /repos/acme/one/actions/variables 201',
    ]);
  });

  it('takes no lock in a dry run', async () => {
    serveRepos({ 'acme/one': {}, 'acme/two': {} }, false);
    api.agent
      .get(C1)
      .intercept({ path: '/api/v1/apps/app-1/connectors/conn-1' })
      .reply(api.answer(200, { connector: { id: 'conn-1' } }));
    const result = await preflight({ inputs: inputs({ dryRun: true }) });
    expect(result.lock).toBeUndefined();
  });
});

describe('authenticateAndPreflight: every problem at once', () => {
  const tokenRefused = new ActionError(
    'ConductorOne refused client-id rotator@acme.conductor.one/spc (401: invalid client).',
  );
  const refusingToken: TokenSource = {
    description: 'client-id rotator@acme.conductor.one/spc',
    getToken: () => Promise.reject(tokenRefused),
  };

  it('reports a refused token, a missing repository and an unreadable variable together, each once', async () => {
    serveRepos({ 'acme/one': { variable: 403 }, 'acme/two': { key: 404, variable: 'cred-1' } });
    // rotate-if-expires-within makes the current credential wait on the token and the variables too.
    const err = await rejectionOf(
      preflight({
        tokenSource: refusingToken,
        inputs: inputs({ rotateIfExpiresWithin: { text: '30d', ms: 30 * 86_400_000 } }),
      }),
    );
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toMatch(/^Nothing was rotated\. /);
    expect(occurrences(err.message, 'Nothing was rotated')).toBe(1);
    expect(occurrences(err.message, tokenRefused.message)).toBe(1);
    expect(occurrences(err.message, 'Repository acme/two was not found')).toBe(1);
    expect(occurrences(err.message, `cannot read the variable ${VARIABLE} of acme/one`)).toBe(1);
    expect(err.message).not.toContain('acme/one was not found');
    // The credential was never read: nothing could say which one is current.
    expect(api.log().filter((line) => line.includes('/credentials/'))).toEqual([]);
  });

  it('reports a failing public key read and a ledger it cannot read together', async () => {
    serveRepos({ 'acme/one': { key: 403, variable: '{"version":1' }, 'acme/two': {} });
    const err = await rejectionOf(preflight());
    expect(occurrences(err.message, 'cannot read the secrets public key of acme/one')).toBe(1);
    expect(occurrences(err.message, 'holds a ledger that is not valid JSON')).toBe(1);
  });

  it('passes an error that is not an ActionError through unchanged, as a bug', async () => {
    serveRepos({ 'acme/one': {}, 'acme/two': {} });
    const bug = new TypeError('boom');
    const err = await rejectionOf(
      preflight({ tokenSource: { description: 'x', getToken: () => Promise.reject(bug) } }),
    );
    expect(err).toBe(bug);
  });
});

describe('authenticateAndPreflight: the current credential', () => {
  const window = { text: '30d', ms: 30 * 86_400_000 };
  const CREDENTIAL = '/api/v1/apps/app-1/connectors/conn-1/credentials/cred-1';

  it('reads the previous credential from ConductorOne when rotate-if-expires-within is set', async () => {
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-1' } });
    api.agent
      .get(C1)
      .intercept({ path: CREDENTIAL })
      .reply(api.answer(200, { credential: { id: 'cred-1', expiresTime: '2026-04-01T00:00:00Z' } }));
    const result = await preflight({ inputs: inputs({ rotateIfExpiresWithin: window }) });
    expect(result.current).toEqual({ id: 'cred-1', expiresTime: '2026-04-01T00:00:00Z' });
    expect(api.requests.find((r) => r.path === CREDENTIAL)!.headers.authorization).toBe('Bearer c1-access-token');
  });

  it("says 'gone' when ConductorOne no longer has the previous credential", async () => {
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': {} });
    api.agent
      .get(C1)
      .intercept({ path: CREDENTIAL })
      .reply(api.answer(404, { code: 5, message: 'not found' }));
    expect((await preflight({ inputs: inputs({ rotateIfExpiresWithin: window }) })).current).toBe('gone');
  });

  it('reads no credential when none is known', async () => {
    serveRepos({ 'acme/one': {}, 'acme/two': {} });
    const result = await preflight({ inputs: inputs({ rotateIfExpiresWithin: window }) });
    expect('current' in result).toBe(false);
    expect(api.log().filter((line) => line.includes('/api/v1/'))).toEqual([]);
  });

  it('checks the connector and reads the previous credential in a dry run', async () => {
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-1' } }, false);
    const pool = api.agent.get(C1);
    pool
      .intercept({ path: '/api/v1/apps/app-1/connectors/conn-1' })
      .reply(api.answer(200, { connector: { id: 'conn-1' } }));
    pool.intercept({ path: CREDENTIAL }).reply(api.answer(200, { credential: { id: 'cred-1', expiresTime: '' } }));
    const result = await preflight({ inputs: inputs({ dryRun: true }) });
    expect(result.current).toEqual({ id: 'cred-1', expiresTime: '' });
    api.agent.assertNoPendingInterceptors();
  });

  it('stops a dry run whose connector does not exist, with the rest of the problems', async () => {
    serveRepos({ 'acme/one': { key: 404 }, 'acme/two': {} });
    api.agent
      .get(C1)
      .intercept({ path: '/api/v1/apps/app-1/connectors/conn-1' })
      .reply(api.answer(404, { code: 5, message: 'connector not found' }));
    const err = await rejectionOf(preflight({ inputs: inputs({ dryRun: true }) }));
    expect(err.message).toContain('found no connector conn-1 of app app-1');
    expect(err.message).toContain('Repository acme/one was not found');
  });
});

describe('authenticateAndPreflight: organization secrets', () => {
  it("reads each secret's current access in the organization", async () => {
    const [org] = targetsFor({ kind: 'organization', organization: 'acme' }, [{ owner: 'acme', repo: 'one' }]) as [
      Target,
    ];
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: '/orgs/acme/actions/secrets/public-key' })
      .reply(api.answer(200, { key_id: 'org-key', key: publicKey }));
    pool
      .intercept({ path: '/orgs/acme/actions/secrets/BATON_CLIENT_ID' })
      .reply(api.answer(200, { name: 'BATON_CLIENT_ID', visibility: 'all' }));
    pool
      .intercept({ path: '/orgs/acme/actions/secrets/BATON_CLIENT_SECRET' })
      .reply(api.answer(404, { message: 'Not Found' }));
    pool
      .intercept({ path: `/orgs/acme/actions/variables/${VARIABLE}` })
      .reply(api.answer(200, { name: VARIABLE, value: 'cred-1' }));
    pool
      .intercept({ path: `/orgs/acme/actions/variables/${VARIABLE}_PREVIOUS` })
      .reply(api.answer(404, { message: 'Not Found' }));
    pool.intercept({ path: '/orgs/acme/actions/variables', method: 'POST' }).reply(api.answer(201, {}));
    const result = await preflight({ targets: [org] });
    const lock = JSON.parse(api.requests.find((r) => r.method === 'POST')!.body) as Record<string, unknown>;
    expect(lock).toMatchObject({ name: `${VARIABLE}_LOCK`, visibility: 'private' });
    expect(result.publicKeys.get(org)).toEqual({ keyId: 'org-key', key: publicKey });
    expect(result.orgAccess.get(org)).toEqual(
      new Map([
        ['BATON_CLIENT_ID', { visibility: 'all', origin: 'kept' }],
        ['BATON_CLIENT_SECRET', { visibility: 'private', origin: 'new' }],
      ]),
    );
    expect(result.previous).toEqual({ id: 'cred-1', source: 'credential-id-variable' });
  });

  it('reads no organization access for repository targets', async () => {
    serveRepos({ 'acme/one': {}, 'acme/two': {} });
    expect((await preflight()).orgAccess.size).toBe(0);
  });
});

describe('authenticateAndPreflight: what deploy-workflows and revoke-previous: next-run need', () => {
  it('reads every deploy workflow and the ledger, with the rest', async () => {
    serveRepos({
      'acme/one': {
        variable: ledgerValue([
          { id: 'cred-0', state: 'previous', source: 'issued', replacedAt: NOW_MS - 86_400_000 },
          { id: 'cred-1', state: 'current', source: 'issued' },
        ]),
      },
      'acme/two': {},
    });
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: '/repos/acme/ops/actions/workflows/deploy.yml' })
      .reply(api.answer(200, { id: 9, state: 'active' }, { 'x-github-enterprise-version': '3.19.2' }));
    pool
      .intercept({ path: '/repos/acme/ops/git/ref/heads%2Fmain' })
      .reply(api.answer(200, { ref: 'refs/heads/main', object: { sha: 'a'.repeat(40) } }));
    const deployWorkflows = parseDeployWorkflows('acme/ops/.github/workflows/deploy.yml@main');

    const result = await preflight({ inputs: inputs({ revokePrevious: 'next-run', deployWorkflows }) });

    expect(result.previous).toEqual({ id: 'cred-1', source: 'credential-id-variable' });
    expect(result.ledger.ledger.entries.map((e) => e.id)).toEqual(['cred-0', 'cred-1']);
    expect(api.log()).toContain('GET /repos/acme/ops/actions/workflows/deploy.yml 200');
    expect(api.log()).toContain('GET /repos/acme/ops/git/ref/heads%2Fmain 200');
    expect(result.deployFacts.get(deployWorkflows[0]!)).toMatchObject({ id: 9, enterpriseVersion: '3.19.2' });
  });

  it('stops before rotating when a deploy workflow is disabled, with the other problems', async () => {
    serveRepos({ 'acme/one': { key: 404 }, 'acme/two': {} });
    api.agent
      .get(GH)
      .intercept({ path: '/repos/acme/ops/actions/workflows/deploy.yml' })
      .reply(api.answer(200, { id: 9, state: 'disabled_manually' }));
    const pool = api.agent.get(GH);
    for (const kind of ['heads', 'tags']) {
      pool
        .intercept({ path: `/repos/acme/ops/git/ref/${kind}%2Fnope` })
        .reply(api.answer(404, { message: 'Not Found' }));
    }
    const deployWorkflows = parseDeployWorkflows('acme/ops/.github/workflows/deploy.yml@nope');

    const err = await rejectionOf(preflight({ inputs: inputs({ deployWorkflows }) }));

    expect(err.message).toMatch(/^Nothing was rotated\. /);
    expect(err.message).toContain('acme/one');
    expect(err.message).toContain('is not active (state: disabled_manually)');
    expect(err.message).toContain(
      'The deploy workflow acme/ops/.github/workflows/deploy.yml@nope names nope, which is no branch or tag of acme/ops: fix the @REF in deploy-workflows, or push that branch or tag.',
    );
  });
});
