import sodium from 'libsodium-wrappers';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TokenSource } from '../../src/conductorone/auth.js';
import { ConductorOneClient } from '../../src/conductorone/client.js';
import { ActionError } from '../../src/errors.js';
import { repositoryTarget, targetsFor } from '../../src/github/targets.js';
import { type Inputs, parseDeployWorkflows } from '../../src/inputs.js';
import type { Target } from '../../src/model.js';
import { createLimiter } from '../../src/pool.js';
import { authenticateAndPreflight, type Preflight } from '../../src/preflight.js';
import { type MockApi, mockApi, occurrences, rejectionOf } from './mock-api.js';
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
  options: { inputs?: Inputs; targets?: Target[]; tokenSource?: TokenSource } = {},
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
  });
}

/** GitHub: each repository's public key (or a failing status), and its variable (a value, or a status). */
function serveRepos(repos: Record<string, { key?: number; variable?: string | number }>): void {
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
      .intercept({ path: `/repos/${repo}/actions/variables/${VARIABLE}` })
      .reply(
        typeof variable === 'string'
          ? api.answer(200, { name: VARIABLE, value: variable })
          : api.answer(variable, {
              message: variable === 404 ? 'Not Found' : 'Resource not accessible by integration',
            }),
      )
      .persist();
  }
}

describe('authenticateAndPreflight: the previous credential from credential-id-variable', () => {
  it('takes the value every target agrees on', async () => {
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-1' } });
    const result = await preflight();
    expect(result.previous).toEqual({ id: 'cred-1', source: 'credential-id-variable' });
    expect([...result.variableValues]).toEqual([
      [one, 'cred-1'],
      [two, 'cred-1'],
    ]);
    expect(result.publicKeys.get(one)).toEqual({ keyId: 'key-acme/one', key: publicKey });
    expect(result.publicKeys.get(two)).toEqual({ keyId: 'key-acme/two', key: publicKey });
    expect('current' in result).toBe(false);
  });

  it('takes the value of the one target that has the variable when another lacks it', async () => {
    serveRepos({ 'acme/one': { variable: 404 }, 'acme/two': { variable: 'cred-1' } });
    const result = await preflight();
    expect(result.previous).toEqual({ id: 'cred-1', source: 'credential-id-variable' });
    expect(result.variableValues.get(one)).toBeUndefined();
    expect(result.variableValues.has(one)).toBe(true);
    expect(result.variableValues.get(two)).toBe('cred-1');
  });

  it('knows no previous credential when no target has the variable', async () => {
    serveRepos({ 'acme/one': {}, 'acme/two': {} });
    expect((await preflight()).previous).toEqual({ id: '', source: 'none' });
  });

  it('refuses variables that disagree across targets, naming both targets and both values', async () => {
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-2' } });
    const err = await rejectionOf(preflight());
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toMatch(/^Nothing was rotated\. /);
    expect(err.message).toContain(`The variable ${VARIABLE} does not agree across targets`);
    expect(err.message).toContain('acme/one has cred-1');
    expect(err.message).toContain('acme/two has cred-2');
    expect(err.message).toContain('set previous-credential-id');
    expect(occurrences(err.message, 'does not agree')).toBe(1);
  });

  it('groups the targets that share a value when saying which disagree', async () => {
    const three = repositoryTarget({ owner: 'acme', repo: 'three' });
    serveRepos({
      'acme/one': { variable: 'cred-1' },
      'acme/two': { variable: 'cred-2' },
      'acme/three': { variable: 'cred-1' },
    });
    const err = await rejectionOf(preflight({ targets: [one, two, three] }));
    expect(err.message).toContain('acme/one, acme/three have cred-1; acme/two has cred-2');
  });

  it('refuses a variable value that is not a credential ID, quoting it', async () => {
    serveRepos({ 'acme/one': { variable: 'see https://wiki/x' }, 'acme/two': { variable: 'cred-1' } });
    const err = await rejectionOf(preflight());
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain(
      `The variable ${VARIABLE} in acme/one holds "see https://wiki/x", which is not a ConductorOne credential ID`,
    );
  });

  it('lets previous-credential-id win over the variable, even variables that disagree', async () => {
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-2' } });
    const result = await preflight({ inputs: inputs({ previousCredentialId: 'cred-9' }) });
    expect(result.previous).toEqual({ id: 'cred-9', source: 'previous-credential-id' });
    // The variables are still read: the finish step needs to know where each exists.
    expect(result.variableValues.get(one)).toBe('cred-1');
    expect(result.variableValues.get(two)).toBe('cred-2');
  });

  it('takes previous-credential-id without reading any variable when credential-id-variable is empty', async () => {
    const pool = api.agent.get(GH);
    for (const repo of ['acme/one', 'acme/two']) {
      pool
        .intercept({ path: `/repos/${repo}/actions/secrets/public-key` })
        .reply(api.answer(200, { key_id: `key-${repo}`, key: publicKey }));
    }
    const result = await preflight({ inputs: inputs({ credentialIdVariable: '', previousCredentialId: 'cred-9' }) });
    expect(result.previous).toEqual({ id: 'cred-9', source: 'previous-credential-id' });
    expect(result.variableValues.size).toBe(0);
    expect(api.log().sort()).toEqual([
      'GET /repos/acme/one/actions/secrets/public-key 200',
      'GET /repos/acme/two/actions/secrets/public-key 200',
    ]);
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

  it('reports a failing public key read and variables that disagree together', async () => {
    serveRepos({ 'acme/one': { key: 403, variable: 'cred-1' }, 'acme/two': { variable: 'cred-2' } });
    const err = await rejectionOf(preflight());
    expect(occurrences(err.message, 'cannot read the secrets public key of acme/one')).toBe(1);
    expect(occurrences(err.message, 'does not agree across targets')).toBe(1);
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
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-1' } });
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
    const result = await preflight({ targets: [org] });
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
  it('reads every deploy workflow and the variable that keeps the credential before, with the rest', async () => {
    serveRepos({ 'acme/one': { variable: 'cred-1' }, 'acme/two': { variable: 'cred-1' } });
    const pool = api.agent.get(GH);
    for (const repo of ['acme/one', 'acme/two']) {
      pool
        .intercept({ path: `/repos/${repo}/actions/variables/${VARIABLE}_PREVIOUS` })
        .reply(api.answer(200, { name: `${VARIABLE}_PREVIOUS`, value: 'cred-0' }));
    }
    pool
      .intercept({ path: '/repos/acme/ops/actions/workflows/deploy.yml' })
      .reply(api.answer(200, { id: 9, state: 'active' }, { 'x-github-enterprise-version': '3.19.2' }));
    pool
      .intercept({ path: '/repos/acme/ops/git/ref/heads%2Fmain' })
      .reply(api.answer(200, { ref: 'refs/heads/main', object: { sha: 'a'.repeat(40) } }));
    const deployWorkflows = parseDeployWorkflows('acme/ops/.github/workflows/deploy.yml@main');

    const result = await preflight({ inputs: inputs({ revokePrevious: 'next-run', deployWorkflows }) });

    expect(result.previous).toEqual({ id: 'cred-1', source: 'credential-id-variable' });
    expect(result.kept).toEqual({ id: 'cred-0', source: 'credential-id-variable' });
    expect([...result.keptValues.values()]).toEqual(['cred-0', 'cred-0']);
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
