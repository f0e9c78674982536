import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionError } from '../../src/errors.js';
import { readPublicKey } from '../../src/github/secrets.js';
import { environmentTarget, repositoryTarget, targetBasePath, targetsFor } from '../../src/github/targets.js';
import { readVariable, writeVariable } from '../../src/github/variables.js';
import type { OrganizationTarget } from '../../src/model.js';
import { type MockApi, mockApi, rejectionOf } from './mock-api.js';

const GH = 'https://api.github.com';
const NAME = 'C1_CREDENTIAL_ID';
const repoTarget = repositoryTarget({ owner: 'acme', repo: 'one' });
const envTarget = environmentTarget({ owner: 'acme', repo: 'one' }, 'Production EU');
const orgTarget = targetsFor({ kind: 'organization', organization: 'acme' }, [
  { owner: 'acme', repo: 'one' },
])[0] as OrganizationTarget;
const REPO_VARIABLES = '/repos/acme/one/actions/variables';
const ENV_VARIABLES = '/repos/acme/one/environments/Production%20EU/variables';
const ORG_VARIABLES = '/orgs/acme/actions/variables';

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

const bodyOf = (index: number) => JSON.parse(api.requests[index]!.body) as Record<string, unknown>;

describe('targetBasePath', () => {
  it('is the Actions base of a repository, an environment and an organization', () => {
    expect(targetBasePath(repoTarget)).toBe('/repos/acme/one/actions');
    expect(targetBasePath(environmentTarget({ owner: 'acme', repo: 'one' }, 'production'))).toBe(
      '/repos/acme/one/environments/production',
    );
    expect(targetBasePath(orgTarget)).toBe('/orgs/acme/actions');
  });

  it('URL-encodes environment names with spaces, slashes and other reserved characters', () => {
    expect(targetBasePath(envTarget)).toBe('/repos/acme/one/environments/Production%20EU');
    expect(targetBasePath(environmentTarget({ owner: 'acme', repo: 'one' }, 'prod/blue?#%'))).toBe(
      '/repos/acme/one/environments/prod%2Fblue%3F%23%25',
    );
  });
});

describe('readVariable', () => {
  it('reads a repository variable and trims its value', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${REPO_VARIABLES}/${NAME}` })
      .reply(api.answer(200, { name: NAME, value: ' cred-1\n', created_at: '2026-01-01T00:00:00Z' }));
    expect(await readVariable(api.octokit(), repoTarget, NAME)).toBe('cred-1');
    expect(api.log()).toEqual([`GET ${REPO_VARIABLES}/${NAME} 200`]);
  });

  it('reads an environment variable under the URL-encoded environment name', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${ENV_VARIABLES}/${NAME}` })
      .reply(api.answer(200, { name: NAME, value: 'cred-env' }));
    expect(await readVariable(api.octokit(), envTarget, NAME)).toBe('cred-env');
    expect(api.requests[0]!.path).toBe(`${ENV_VARIABLES}/${NAME}`);
  });

  it('keeps an environment name with reserved characters in one path segment, through Octokit', async () => {
    const path = `/repos/acme/one/environments/prod%2Fblue%3F%23%25/variables/${NAME}`;
    api.agent
      .get(GH)
      .intercept({ path })
      .reply(api.answer(200, { name: NAME, value: 'cred-odd' }));
    expect(
      await readVariable(api.octokit(), environmentTarget({ owner: 'acme', repo: 'one' }, 'prod/blue?#%'), NAME),
    ).toBe('cred-odd');
    expect(api.requests[0]!.path).toBe(path);
  });

  it('reads an organization variable', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${ORG_VARIABLES}/${NAME}` })
      .reply(api.answer(200, { name: NAME, value: 'cred-org', visibility: 'private' }));
    expect(await readVariable(api.octokit(), orgTarget, NAME)).toBe('cred-org');
  });

  it('answers undefined when the target has no such variable (404)', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${REPO_VARIABLES}/${NAME}` })
      .reply(api.answer(404, { message: 'Not Found' }));
    expect(await readVariable(api.octokit(), repoTarget, NAME)).toBeUndefined();
    expect(api.requests).toHaveLength(1);
  });

  it('names the Variables permission when the token may not read the variable (403)', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${REPO_VARIABLES}/${NAME}` })
      .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    const err = await rejectionOf(readVariable(api.octokit(), repoTarget, NAME));
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain(`cannot read the variable ${NAME} of acme/one`);
    expect(err.message).toContain('403 Resource not accessible by integration');
    expect(err.message).toContain('Variables read and write permission');
    expect(err.message).not.toContain('Secrets read and write');
    expect(api.requests).toHaveLength(1);
  });

  it('names the organization Variables permission and admin:org for an organization variable (403)', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${ORG_VARIABLES}/${NAME}` })
      .reply(api.answer(403, { message: 'Must have admin rights' }));
    const err = await rejectionOf(readVariable(api.octokit(), orgTarget, NAME));
    expect(err.message).toContain('organization Variables read and write permission');
    expect(err.message).toContain('admin:org');
  });

  it('names the Environments permission on the repository for an environment variable (403)', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${ENV_VARIABLES}/${NAME}` })
      .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    const err = await rejectionOf(readVariable(api.octokit(), envTarget, NAME));
    expect(err.message).toContain(`cannot read the variable ${NAME} of acme/one environment Production EU`);
    expect(err.message).toContain('Environments read and write permission on acme/one');
  });
});

describe('writeVariable', () => {
  it('updates an existing variable with PATCH', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${REPO_VARIABLES}/${NAME}`, method: 'PATCH' })
      .reply(api.answer(204));
    expect(await writeVariable(api.octokit(), repoTarget, NAME, 'cred-2', true)).toBe('updated');
    expect(api.log()).toEqual([`PATCH ${REPO_VARIABLES}/${NAME} 204`]);
    expect(bodyOf(0).value).toBe('cred-2');
  });

  it('creates a missing variable with POST {name, value}', async () => {
    api.agent.get(GH).intercept({ path: REPO_VARIABLES, method: 'POST' }).reply(api.answer(201, {}));
    expect(await writeVariable(api.octokit(), repoTarget, NAME, 'cred-2', false)).toBe('created');
    expect(api.log()).toEqual([`POST ${REPO_VARIABLES} 201`]);
    expect(bodyOf(0)).toEqual({ name: NAME, value: 'cred-2' });
  });

  it('updates instead when the create finds the variable exists already (409)', async () => {
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: REPO_VARIABLES, method: 'POST' })
      .reply(api.answer(409, { message: 'Already exists - Variable already exists' }));
    pool.intercept({ path: `${REPO_VARIABLES}/${NAME}`, method: 'PATCH' }).reply(api.answer(204));
    expect(await writeVariable(api.octokit(), repoTarget, NAME, 'cred-2', false)).toBe('updated');
    expect(api.log()).toEqual([`POST ${REPO_VARIABLES} 409`, `PATCH ${REPO_VARIABLES}/${NAME} 204`]);
    expect(bodyOf(1).value).toBe('cred-2');
  });

  it('creates instead when the update finds no variable (404)', async () => {
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: `${REPO_VARIABLES}/${NAME}`, method: 'PATCH' })
      .reply(api.answer(404, { message: 'Not Found' }));
    pool.intercept({ path: REPO_VARIABLES, method: 'POST' }).reply(api.answer(201, {}));
    expect(await writeVariable(api.octokit(), repoTarget, NAME, 'cred-2', true)).toBe('created');
    expect(api.log()).toEqual([`PATCH ${REPO_VARIABLES}/${NAME} 404`, `POST ${REPO_VARIABLES} 201`]);
    expect(bodyOf(1)).toEqual({ name: NAME, value: 'cred-2' });
  });

  it('falls back only once: a create that then also fails reports that failure', async () => {
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: `${REPO_VARIABLES}/${NAME}`, method: 'PATCH' })
      .reply(api.answer(404, { message: 'Not Found' }));
    pool.intercept({ path: REPO_VARIABLES, method: 'POST' }).reply(api.answer(409, { message: 'Already exists' }));
    const err = await rejectionOf(writeVariable(api.octokit(), repoTarget, NAME, 'cred-2', true));
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain('409 Already exists');
    expect(api.requests).toHaveLength(2);
  });

  it('names the Variables permission when the token may not write the variable (403), without trying the other request', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${REPO_VARIABLES}/${NAME}`, method: 'PATCH' })
      .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    const err = await rejectionOf(writeVariable(api.octokit(), repoTarget, NAME, 'cred-2', true));
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain(`cannot write the variable ${NAME} in acme/one`);
    expect(err.message).toContain('Variables read and write permission');
    expect(api.requests).toHaveLength(1);
  });

  it('creates a new organization variable with the visibility and repositories of the secrets', async () => {
    api.agent.get(GH).intercept({ path: ORG_VARIABLES, method: 'POST' }).reply(api.answer(201, {}));
    const access = { visibility: 'selected', selectedRepositoryIds: [11, 12], origin: 'kept' } as const;
    expect(
      await writeVariable(api.octokit(), orgTarget, NAME, 'cred-2', false, {
        ...access,
        selectedRepositoryIds: [...access.selectedRepositoryIds],
      }),
    ).toBe('created');
    expect(api.log()).toEqual([`POST ${ORG_VARIABLES} 201`]);
    expect(bodyOf(0)).toEqual({
      name: NAME,
      value: 'cred-2',
      visibility: 'selected',
      selected_repository_ids: [11, 12],
    });
  });

  it('creates a private organization variable without selected_repository_ids', async () => {
    api.agent.get(GH).intercept({ path: ORG_VARIABLES, method: 'POST' }).reply(api.answer(201, {}));
    await writeVariable(api.octokit(), orgTarget, NAME, 'cred-2', false, { visibility: 'private', origin: 'new' });
    expect(bodyOf(0)).toEqual({ name: NAME, value: 'cred-2', visibility: 'private' });
  });

  it('updates an existing organization variable with its value only, leaving its access as it is', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${ORG_VARIABLES}/${NAME}`, method: 'PATCH' })
      .reply(api.answer(204));
    await writeVariable(api.octokit(), orgTarget, NAME, 'cred-2', true, {
      visibility: 'selected',
      selectedRepositoryIds: [11],
      origin: 'kept',
    });
    const body = bodyOf(0);
    expect(body.value).toBe('cred-2');
    expect(body).not.toHaveProperty('visibility');
    expect(body).not.toHaveProperty('selected_repository_ids');
  });

  it('writes an environment variable under the URL-encoded environment name, by PATCH and by POST', async () => {
    const pool = api.agent.get(GH);
    pool.intercept({ path: `${ENV_VARIABLES}/${NAME}`, method: 'PATCH' }).reply(api.answer(204));
    pool.intercept({ path: ENV_VARIABLES, method: 'POST' }).reply(api.answer(201, {}));
    expect(await writeVariable(api.octokit(), envTarget, NAME, 'cred-2', true)).toBe('updated');
    expect(await writeVariable(api.octokit(), envTarget, NAME, 'cred-3', false)).toBe('created');
    expect(api.log()).toEqual([`PATCH ${ENV_VARIABLES}/${NAME} 204`, `POST ${ENV_VARIABLES} 201`]);
  });
});

describe('environment secrets paths', () => {
  it('reads the public key of an environment whose name has a space under its URL-encoded name', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    api.agent
      .get(GH)
      .intercept({ path: '/repos/acme/one/environments/Production%20EU/secrets/public-key' })
      .reply(api.answer(200, { key_id: 'env-key', key }));
    expect(await readPublicKey(api.octokit(), envTarget)).toEqual({ keyId: 'env-key', key });
  });
});
