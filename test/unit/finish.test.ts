import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TokenSource } from '../../src/conductorone/auth.js';
import { ConductorOneClient } from '../../src/conductorone/client.js';
import { type FinishContext, finishRotation } from '../../src/finish.js';
import type { OrgSecretAccess } from '../../src/github/organization.js';
import { repositoryTarget, targetBasePath, targetsFor } from '../../src/github/targets.js';
import type { Inputs } from '../../src/inputs.js';
import type { OrganizationTarget, PreviousCredential, RotatedCredential, Target } from '../../src/model.js';
import { createLimiter } from '../../src/pool.js';
import { type MockApi, mockApi } from './mock-api.js';
import { parsedInputs } from './parsed-inputs.js';

const C1 = 'https://acme.conductor.one';
const GH = 'https://api.github.com';
const VARIABLE = 'C1_CREDENTIAL_ID';
const one = repositoryTarget({ owner: 'acme', repo: 'one' });
const two = repositoryTarget({ owner: 'acme', repo: 'two' });
const org = targetsFor({ kind: 'organization', organization: 'acme' }, [
  { owner: 'acme', repo: 'one' },
])[0] as OrganizationTarget;
const revokePath = (id: string) => `/api/v1/apps/app-1/connectors/conn-1/credentials/${id}`;

const credential: RotatedCredential = {
  id: 'cred-new',
  clientId: 'connector-new@acme.conductor.one/pcc',
  clientSecret: 'secret-token:conductorone.com:v1:NEW',
  expiresTime: '2026-06-01T12:00:00Z',
};

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

function inputs(overrides: Partial<Inputs> = {}): Inputs {
  return parsedInputs({ credentialIdVariable: VARIABLE, revokePrevious: 'now', ...overrides });
}

const tokenSource: TokenSource = { description: 'access-token', getToken: () => Promise.resolve('c1-access-token') };

interface Finish {
  inputs?: Inputs;
  targets?: Target[];
  /** The variable's value per target; undefined: the target has no such variable. */
  variableValues?: Map<Target, string | undefined>;
  orgAccess?: Map<Target, Map<string, OrgSecretAccess>>;
  previous?: PreviousCredential;
  /** next-run: the `<variable>_PREVIOUS` value per target, and the credential it names. */
  keptValues?: Map<Target, string | undefined>;
  kept?: PreviousCredential;
  /** What reading the variable again finds per target; default what variableValues says (nobody else changed it). */
  reread?: Map<Target, string | undefined>;
}

function finish(options: Finish = {}) {
  const targets = options.targets ?? [one, two];
  const variableValues = options.variableValues ?? new Map(targets.map((t) => [t, 'cred-old']));
  const finishInputs = options.inputs ?? inputs();
  if (finishInputs.credentialIdVariable) {
    for (const target of targets) {
      const value = (options.reread ?? variableValues).get(target);
      api.agent
        .get(GH)
        .intercept({ path: `${targetBasePath(target)}/variables/${finishInputs.credentialIdVariable}`, method: 'GET' })
        .reply(
          value === undefined
            ? api.answer(404, { message: 'Not Found' })
            : api.answer(200, { name: finishInputs.credentialIdVariable, value }),
        );
    }
  }
  const context: FinishContext = {
    inputs: finishInputs,
    octokit: api.octokit(),
    conductorOne: new ConductorOneClient({ serverUrl: new URL(C1), http: api.http(), tokenSource, mask: () => {} }),
    targets,
    preflight: {
      variableValues,
      orgAccess: options.orgAccess ?? new Map(),
      previous: options.previous ?? { id: 'cred-old', source: 'credential-id-variable' },
      keptValues: options.keptValues ?? new Map(),
      kept: options.kept ?? { id: '', source: 'none' },
    },
    concurrency: 4,
    readLimit: createLimiter(20),
  };
  return finishRotation(context, credential);
}

function serveVariable(path: string, method: 'PATCH' | 'POST', status: number): void {
  api.agent
    .get(GH)
    .intercept({ path, method })
    .reply(
      api.answer(
        status,
        status === 403 ? { message: 'Resource not accessible by integration' } : status === 201 ? {} : '',
      ),
    );
}

function serveRevoke(
  id: string,
  status: number,
  body: unknown = status === 200 ? {} : { code: 7, message: 'permission denied' },
): void {
  api.agent
    .get(C1)
    .intercept({ path: revokePath(id), method: 'POST' })
    .reply(api.answer(status, body));
}

const bodyOf = (method: string, path: string) =>
  JSON.parse(api.requests.find((r) => r.method === method && r.path === path)!.body) as Record<string, unknown>;

describe('finishRotation: the credential-id variable', () => {
  it('updates the variable in a target that has it (PATCH) and creates it in one that lacks it (POST), with the new credential ID', async () => {
    serveVariable(`/repos/acme/one/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveVariable('/repos/acme/two/actions/variables', 'POST', 201);
    serveRevoke('cred-old', 200);

    const outcome = await finish({
      variableValues: new Map<Target, string | undefined>([
        [one, 'cred-old'],
        [two, undefined],
      ]),
    });

    expect(outcome.variables).toEqual([
      { target: one, result: 'updated' },
      { target: two, result: 'created' },
    ]);
    expect(bodyOf('PATCH', `/repos/acme/one/actions/variables/${VARIABLE}`).value).toBe('cred-new');
    expect(bodyOf('POST', '/repos/acme/two/actions/variables')).toEqual({ name: VARIABLE, value: 'cred-new' });
    expect(
      api
        .log()
        .filter((l) => l.includes('/variables') && !l.startsWith('GET'))
        .sort(),
    ).toEqual([
      `PATCH /repos/acme/one/actions/variables/${VARIABLE} 204`,
      'POST /repos/acme/two/actions/variables 201',
    ]);
  });

  it('creates a new organization variable with the access of the client secret, not that of the client ID', async () => {
    serveVariable('/orgs/acme/actions/variables', 'POST', 201);
    serveRevoke('cred-old', 200);
    const access = new Map<string, OrgSecretAccess>([
      ['BATON_CLIENT_ID', { visibility: 'all', origin: 'kept' }],
      ['BATON_CLIENT_SECRET', { visibility: 'selected', selectedRepositoryIds: [11, 12], origin: 'kept' }],
    ]);

    const outcome = await finish({
      targets: [org],
      variableValues: new Map([[org, undefined]]),
      orgAccess: new Map([[org, access]]),
    });

    expect(outcome.variables).toEqual([{ target: org, result: 'created' }]);
    expect(bodyOf('POST', '/orgs/acme/actions/variables')).toEqual({
      name: VARIABLE,
      value: 'cred-new',
      visibility: 'selected',
      selected_repository_ids: [11, 12],
    });
  });

  it('updates an existing organization variable with its value only', async () => {
    serveVariable(`/orgs/acme/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveRevoke('cred-old', 200);
    const access = new Map<string, OrgSecretAccess>([
      ['BATON_CLIENT_SECRET', { visibility: 'private', origin: 'kept' }],
    ]);

    const outcome = await finish({
      targets: [org],
      variableValues: new Map([[org, 'cred-old']]),
      orgAccess: new Map([[org, access]]),
    });

    expect(outcome.variables).toEqual([{ target: org, result: 'updated' }]);
    expect(bodyOf('PATCH', `/orgs/acme/actions/variables/${VARIABLE}`)).toEqual({ value: 'cred-new' });
  });

  it('writes no variable, and reports none, without credential-id-variable', async () => {
    serveRevoke('cred-old', 200);
    const outcome = await finish({
      inputs: inputs({ credentialIdVariable: '' }),
      previous: { id: 'cred-old', source: 'previous-credential-id' },
    });
    expect(outcome).not.toHaveProperty('variables');
    expect(api.log()).toEqual([`POST ${revokePath('cred-old')} 200`]);
  });
});

describe('finishRotation: revoking the previous credential', () => {
  beforeEach(() => {
    serveVariable(`/repos/acme/one/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveVariable(`/repos/acme/two/actions/variables/${VARIABLE}`, 'PATCH', 204);
  });

  const revokeRequests = () => api.requests.filter((r) => r.path.startsWith('/api/v1/apps/'));

  it('revokes the previous credential with POST {} to its path, and says revoked', async () => {
    serveRevoke('cred-old', 200);
    const outcome = await finish();
    expect(outcome.revoke).toEqual({ state: 'revoked', id: 'cred-old' });
    expect(revokeRequests()).toHaveLength(1);
    expect(revokeRequests()[0]).toMatchObject({ method: 'POST', path: revokePath('cred-old'), body: '{}' });
    expect(revokeRequests()[0]!.headers.authorization).toBe('Bearer c1-access-token');
  });

  it('reports a previous credential ConductorOne no longer has (404) as already revoked', async () => {
    serveRevoke('cred-old', 404, { code: 5, message: 'credential not found' });
    const outcome = await finish();
    expect(outcome.revoke).toEqual({ state: 'already revoked', id: 'cred-old' });
  });

  it('skips the revoke when revoke-previous is off, even with a previous credential known', async () => {
    const outcome = await finish({ inputs: inputs({ revokePrevious: false }) });
    expect(outcome.revoke).toEqual({ state: 'skipped', id: 'cred-old', why: 'revoke-previous is off' });
    expect(revokeRequests()).toEqual([]);
    expect(outcome.variables?.map((v) => v.result)).toEqual(['updated', 'updated']);
  });

  it('skips the revoke when no previous credential is known, naming the variable that held none', async () => {
    const outcome = await finish({ previous: { id: '', source: 'none' } });
    expect(outcome.revoke).toEqual({
      state: 'skipped',
      id: '',
      why: `no previous credential is known yet (${VARIABLE} held no credential ID)`,
    });
    expect(revokeRequests()).toEqual([]);
  });

  it('skips the revoke when the previous credential is the new one', async () => {
    const outcome = await finish({ previous: { id: 'cred-new', source: 'previous-credential-id' } });
    expect(outcome.revoke).toEqual({
      state: 'skipped',
      id: 'cred-new',
      why: 'the previous credential ID is the new credential',
    });
    expect(revokeRequests()).toEqual([]);
  });
});

describe('finishRotation: failures are outcomes, and one does not stop the other', () => {
  it('reports a refused revoke as failed, with the reason, and still records the variable everywhere', async () => {
    serveVariable(`/repos/acme/one/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveVariable(`/repos/acme/two/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveRevoke('cred-old', 403);

    const outcome = await finish();

    expect(outcome.revoke).toMatchObject({ state: 'failed', id: 'cred-old' });
    const error = (outcome.revoke as { error: string }).error;
    expect(error).toContain('may not revoke credential cred-old of connector conn-1');
    expect(error).toContain('403');
    expect(error).toContain('permission denied');
    expect(outcome.variables).toEqual([
      { target: one, result: 'updated' },
      { target: two, result: 'updated' },
    ]);
  });

  it('reports a refused variable write as failed for that target only, and still revokes', async () => {
    serveVariable(`/repos/acme/one/actions/variables/${VARIABLE}`, 'PATCH', 403);
    serveVariable(`/repos/acme/two/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveRevoke('cred-old', 200);

    const outcome = await finish();

    expect(outcome.revoke).toEqual({ state: 'revoked', id: 'cred-old' });
    expect(outcome.variables).toHaveLength(2);
    expect(outcome.variables![0]).toMatchObject({ target: one, result: 'failed' });
    expect(outcome.variables![0]!.error).toContain(`cannot write the variable ${VARIABLE} in acme/one`);
    expect(outcome.variables![0]!.error).toContain('Variables read and write permission');
    expect(outcome.variables![1]).toEqual({ target: two, result: 'updated' });
  });

  it('resolves with both failures when the variable write and the revoke both fail', async () => {
    serveVariable(`/repos/acme/one/actions/variables/${VARIABLE}`, 'PATCH', 403);
    serveVariable(`/repos/acme/two/actions/variables/${VARIABLE}`, 'PATCH', 403);
    serveRevoke('cred-old', 403);

    const outcome = await finish();

    expect(outcome.revoke.state).toBe('failed');
    expect(outcome.variables?.map((v) => v.result)).toEqual(['failed', 'failed']);
    expect(api.requests.filter((r) => r.method !== 'GET')).toHaveLength(3);
  });
});

describe('finishRotation: another rotation at the same time', () => {
  const writes = () => api.requests.filter((r) => r.method !== 'GET');

  it('reads the variable again before recording or revoking anything', async () => {
    serveVariable(`/repos/acme/one/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveVariable(`/repos/acme/two/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveRevoke('cred-old', 200);
    await finish();
    const log = api.log();
    const lastRead = Math.max(...log.map((l, i) => (l.startsWith('GET') ? i : -1)));
    const firstWrite = log.findIndex((l) => !l.startsWith('GET'));
    expect(lastRead).toBeLessThan(firstWrite);
    expect(log.filter((l) => l.startsWith('GET')).sort()).toEqual([
      `GET /repos/acme/one/actions/variables/${VARIABLE} 200`,
      `GET /repos/acme/two/actions/variables/${VARIABLE} 200`,
    ]);
  });

  it('records nothing and revokes nothing when another run recorded a different credential meanwhile', async () => {
    const outcome = await finish({
      reread: new Map<Target, string | undefined>([
        [one, 'cred-old'],
        [two, 'cred-other'],
      ]),
    });
    expect(outcome.interference).toEqual({ changes: [{ target: two, before: 'cred-old', now: 'cred-other' }] });
    expect(outcome.revoke).toEqual({
      state: 'skipped',
      id: 'cred-old',
      why: 'another rotation changed the credential-id variable while this one ran',
    });
    expect(outcome).not.toHaveProperty('variables');
    expect(writes()).toEqual([]);
  });

  it('takes a variable created meanwhile where there was none as interference too', async () => {
    const outcome = await finish({
      variableValues: new Map<Target, string | undefined>([
        [one, undefined],
        [two, undefined],
      ]),
      reread: new Map<Target, string | undefined>([
        [one, 'cred-other'],
        [two, undefined],
      ]),
      previous: { id: '', source: 'none' },
    });
    expect(outcome.interference?.changes).toEqual([{ target: one, before: '', now: 'cred-other' }]);
    expect(writes()).toEqual([]);
  });

  it('quotes a value that is not a credential ID on one line, cut short, rather than passing it on', async () => {
    const hostile = `cred-other\n::stop-commands::x <img src=y> ${'z'.repeat(100)}`;
    const outcome = await finish({
      reread: new Map<Target, string | undefined>([
        [one, 'cred-old'],
        [two, hostile],
      ]),
    });
    const now = outcome.interference?.changes[0]?.now ?? '';
    expect(now).toMatch(/^"cred-other ::stop-commands::x <img src=y> z+…"$/);
    expect(now).toHaveLength(62);
    expect(writes()).toEqual([]);
  });

  it('is not fooled by its own credential, recorded by an earlier attempt of this very run', async () => {
    serveVariable(`/repos/acme/one/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveVariable(`/repos/acme/two/actions/variables/${VARIABLE}`, 'PATCH', 204);
    serveRevoke('cred-old', 200);
    const outcome = await finish({
      reread: new Map<Target, string | undefined>([
        [one, 'cred-new'],
        [two, 'cred-old'],
      ]),
    });
    expect(outcome.interference).toBeUndefined();
    expect(outcome.revoke.state).toBe('revoked');
  });

  it('records nothing and revokes nothing when the variable cannot be read again', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `/repos/acme/one/actions/variables/${VARIABLE}`, method: 'GET' })
      .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    const outcome = await finish({ targets: [one], inputs: inputs(), reread: new Map() });
    expect(outcome.recheckError).toContain(`cannot read the variable ${VARIABLE} of acme/one`);
    expect(outcome.revoke.state).toBe('skipped');
    expect(writes()).toEqual([]);
  });
});

describe('finishRotation: revoke-previous: next-run', () => {
  const KEPT = `${VARIABLE}_PREVIOUS`;

  it('revokes the credential kept from the rotation before, keeps the replaced one in _PREVIOUS, and records the new one', async () => {
    for (const repo of ['one', 'two']) {
      serveVariable(`/repos/acme/${repo}/actions/variables/${VARIABLE}`, 'PATCH', 204);
      serveVariable(`/repos/acme/${repo}/actions/variables/${KEPT}`, 'PATCH', 204);
    }
    serveRevoke('cred-older', 200);

    const outcome = await finish({
      inputs: inputs({ revokePrevious: 'next-run' }),
      keptValues: new Map<Target, string | undefined>([
        [one, 'cred-older'],
        [two, 'cred-older'],
      ]),
      kept: { id: 'cred-older', source: 'credential-id-variable' },
    });

    expect(outcome.revoke).toEqual({ state: 'revoked', id: 'cred-older' });
    expect(outcome.variables?.map((v) => v.result)).toEqual(['updated', 'updated']);
    expect(outcome.keptVariables?.map((v) => v.result)).toEqual(['updated', 'updated']);
    expect(bodyOf('PATCH', `/repos/acme/one/actions/variables/${VARIABLE}`).value).toBe('cred-new');
    expect(bodyOf('PATCH', `/repos/acme/one/actions/variables/${KEPT}`).value).toBe('cred-old');
    expect(api.requests.filter((r) => r.path.startsWith('/api/v1/apps/')).map((r) => r.path)).toEqual([
      revokePath('cred-older'),
    ]);
  });

  it('revokes nothing on the first run, when nothing was kept, and creates _PREVIOUS for the replaced credential', async () => {
    for (const repo of ['one', 'two']) {
      serveVariable(`/repos/acme/${repo}/actions/variables/${VARIABLE}`, 'PATCH', 204);
      serveVariable(`/repos/acme/${repo}/actions/variables`, 'POST', 201);
    }

    const outcome = await finish({ inputs: inputs({ revokePrevious: 'next-run' }) });

    expect(outcome.revoke).toEqual({
      state: 'skipped',
      id: '',
      why: `no credential was kept from the rotation before (${KEPT} held none)`,
    });
    expect(outcome.keptVariables?.map((v) => v.result)).toEqual(['created', 'created']);
    expect(api.requests.filter((r) => r.path.startsWith('/api/v1/apps/'))).toEqual([]);
  });

  it('never revokes the credential this run replaced, even if _PREVIOUS names it', async () => {
    for (const repo of ['one', 'two']) {
      serveVariable(`/repos/acme/${repo}/actions/variables/${VARIABLE}`, 'PATCH', 204);
      serveVariable(`/repos/acme/${repo}/actions/variables/${KEPT}`, 'PATCH', 204);
    }
    const keptValues = new Map<Target, string | undefined>([
      [one, 'cred-old'],
      [two, 'cred-old'],
    ]);
    const outcome = await finish({
      inputs: inputs({ revokePrevious: 'next-run' }),
      keptValues,
      kept: { id: 'cred-old', source: 'credential-id-variable' },
    });
    expect(outcome.revoke.state).toBe('skipped');
    expect(api.requests.filter((r) => r.path.startsWith('/api/v1/apps/'))).toEqual([]);
  });
});
