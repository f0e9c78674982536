import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionError } from '../../src/errors.js';
import { resolveOrgSecretAccess } from '../../src/github/organization.js';
import { targetsFor } from '../../src/github/targets.js';
import type { OrganizationTarget, Visibility } from '../../src/model.js';
import { createLimiter } from '../../src/pool.js';
import { type MockApi, mockApi, rejectionOf } from './mock-api.js';

const GH = 'https://api.github.com';
const SECRET = '/orgs/acme/actions/secrets/BATON_CLIENT_SECRET';
const REPOSITORIES = `${SECRET}/repositories?per_page=100`;

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

function orgTarget(visibility?: Visibility, repositories = ['acme/one', 'acme/two']): OrganizationTarget {
  const repos = repositories.map((r) => {
    const [owner = '', repo = ''] = r.split('/');
    return { owner, repo };
  });
  return targetsFor(
    { kind: 'organization', organization: 'acme', ...(visibility ? { visibility } : {}) },
    repos,
  )[0] as OrganizationTarget;
}

function existingSecret(visibility: Visibility): void {
  api.agent
    .get(GH)
    .intercept({ path: SECRET })
    .reply(
      api.answer(200, {
        name: 'BATON_CLIENT_SECRET',
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
        visibility,
      }),
    );
}

function noSecret(): void {
  api.agent
    .get(GH)
    .intercept({ path: SECRET })
    .reply(api.answer(404, { message: 'Not Found' }));
}

function repo(id: number, name: string) {
  return { id, node_id: `R_${id}`, name, full_name: `acme/${name}`, private: true };
}

/** The selected repositories of the existing secret, in two pages linked the way GitHub links them. */
function selectedRepositories(): void {
  const pool = api.agent.get(GH);
  const page2 = `${GH}/organizations/1001/actions/secrets/BATON_CLIENT_SECRET/repositories?per_page=100&page=2`;
  pool
    .intercept({ path: REPOSITORIES })
    .reply(
      api.answer(
        200,
        { total_count: 3, repositories: [repo(11, 'one'), repo(12, 'two')] },
        { link: `<${page2}>; rel="next", <${page2}>; rel="last"` },
      ),
    );
  pool
    .intercept({ path: '/organizations/1001/actions/secrets/BATON_CLIENT_SECRET/repositories?per_page=100&page=2' })
    .reply(api.answer(200, { total_count: 3, repositories: [repo(13, 'three')] }));
}

function repositoryLookups(ids: Record<string, number | { status: number; message: string }>): void {
  const pool = api.agent.get(GH);
  for (const [fullName, answer] of Object.entries(ids)) {
    pool
      .intercept({ path: `/repos/${fullName}` })
      .reply(
        typeof answer === 'number'
          ? api.answer(200, repo(answer, fullName.split('/')[1]!))
          : api.answer(answer.status, { message: answer.message }),
      );
  }
}

describe('resolveOrgSecretAccess with visibility empty: keep what exists', () => {
  it('keeps a selected secret and every one of its repositories, across pages', async () => {
    existingSecret('selected');
    selectedRepositories();
    const access = await resolveOrgSecretAccess(api.octokit(), orgTarget(), 'BATON_CLIENT_SECRET', createLimiter(20));
    expect(access).toEqual({ visibility: 'selected', selectedRepositoryIds: [11, 12, 13], origin: 'kept' });
    expect(api.log()).toEqual([
      `GET ${SECRET} 200`,
      `GET ${REPOSITORIES} 200`,
      'GET /organizations/1001/actions/secrets/BATON_CLIENT_SECRET/repositories?per_page=100&page=2 200',
    ]);
    api.agent.assertNoPendingInterceptors();
  });

  it('keeps a private secret private, reading nothing more', async () => {
    existingSecret('private');
    expect(await resolveOrgSecretAccess(api.octokit(), orgTarget(), 'BATON_CLIENT_SECRET', createLimiter(20))).toEqual({
      visibility: 'private',
      origin: 'kept',
    });
    expect(api.log()).toEqual([`GET ${SECRET} 200`]);
  });

  it('keeps a secret visible to all repositories visible to all', async () => {
    existingSecret('all');
    expect(await resolveOrgSecretAccess(api.octokit(), orgTarget(), 'BATON_CLIENT_SECRET', createLimiter(20))).toEqual({
      visibility: 'all',
      origin: 'kept',
    });
  });

  it('makes a new secret private', async () => {
    noSecret();
    expect(await resolveOrgSecretAccess(api.octokit(), orgTarget(), 'BATON_CLIENT_SECRET', createLimiter(20))).toEqual({
      visibility: 'private',
      origin: 'new',
    });
    expect(api.log()).toEqual([`GET ${SECRET} 404`]);
  });

  it('reads the secret by the name it is given', async () => {
    api.agent
      .get(GH)
      .intercept({ path: '/orgs/acme/actions/secrets/BATON_CLIENT_ID' })
      .reply(api.answer(200, { name: 'BATON_CLIENT_ID', visibility: 'all' }));
    expect(await resolveOrgSecretAccess(api.octokit(), orgTarget(), 'BATON_CLIENT_ID', createLimiter(20))).toEqual({
      visibility: 'all',
      origin: 'kept',
    });
  });
});

describe('resolveOrgSecretAccess with a visibility input: the input decides', () => {
  it('makes a selected secret visible to all when visibility is all, dropping its repositories', async () => {
    existingSecret('selected');
    selectedRepositories();
    expect(
      await resolveOrgSecretAccess(api.octokit(), orgTarget('all'), 'BATON_CLIENT_SECRET', createLimiter(20)),
    ).toEqual({ visibility: 'all', origin: 'input' });
  });

  it('makes a secret visible to all private when visibility is private', async () => {
    existingSecret('all');
    expect(
      await resolveOrgSecretAccess(api.octokit(), orgTarget('private'), 'BATON_CLIENT_SECRET', createLimiter(20)),
    ).toEqual({ visibility: 'private', origin: 'input' });
  });

  it('gives a new secret the visibility of the input rather than private', async () => {
    noSecret();
    expect(
      await resolveOrgSecretAccess(api.octokit(), orgTarget('all'), 'BATON_CLIENT_SECRET', createLimiter(20)),
    ).toEqual({ visibility: 'all', origin: 'input' });
  });

  it('selects the repositories input for a private secret that becomes selected', async () => {
    existingSecret('private');
    repositoryLookups({ 'acme/one': 101, 'acme/two': 102 });
    const access = await resolveOrgSecretAccess(
      api.octokit(),
      orgTarget('selected'),
      'BATON_CLIENT_SECRET',
      createLimiter(20),
    );
    expect(access).toEqual({ visibility: 'selected', selectedRepositoryIds: [101, 102], origin: 'input' });
    expect(api.log().sort()).toEqual([`GET ${SECRET} 200`, 'GET /repos/acme/one 200', 'GET /repos/acme/two 200']);
  });

  it('selects the repositories input for a new selected secret, in the order of the input', async () => {
    noSecret();
    repositoryLookups({ 'acme/two': 102, 'acme/one': 101 });
    const access = await resolveOrgSecretAccess(
      api.octokit(),
      orgTarget('selected', ['acme/two', 'acme/one']),
      'BATON_CLIENT_SECRET',
      createLimiter(20),
    );
    expect(access).toEqual({ visibility: 'selected', selectedRepositoryIds: [102, 101], origin: 'input' });
  });

  it('looks each listed repository up once for both secrets of one target', async () => {
    noSecret();
    api.agent
      .get(GH)
      .intercept({ path: '/orgs/acme/actions/secrets/BATON_CLIENT_ID' })
      .reply(api.answer(404, { message: 'Not Found' }));
    repositoryLookups({ 'acme/one': 101, 'acme/two': 102 });
    const target = orgTarget('selected');
    const octokit = api.octokit();
    const [secret, id] = await Promise.all([
      resolveOrgSecretAccess(octokit, target, 'BATON_CLIENT_SECRET', createLimiter(20)),
      resolveOrgSecretAccess(octokit, target, 'BATON_CLIENT_ID', createLimiter(20)),
    ]);
    expect(secret.selectedRepositoryIds).toEqual([101, 102]);
    expect(id.selectedRepositoryIds).toEqual([101, 102]);
    expect(
      api
        .log()
        .filter((line) => line.startsWith('GET /repos/'))
        .sort(),
    ).toEqual(['GET /repos/acme/one 200', 'GET /repos/acme/two 200']);
  });

  it('keeps the repositories of a secret that is selected already, looking up none', async () => {
    existingSecret('selected');
    selectedRepositories();
    const access = await resolveOrgSecretAccess(
      api.octokit(),
      orgTarget('selected'),
      'BATON_CLIENT_SECRET',
      createLimiter(20),
    );
    expect(access).toEqual({ visibility: 'selected', selectedRepositoryIds: [11, 12, 13], origin: 'kept' });
    expect(api.log().filter((line) => line.startsWith('GET /repos/'))).toEqual([]);
  });
});

describe('resolveOrgSecretAccess failures', () => {
  it('refuses a listing of selected repositories with an entry that is not a repository', async () => {
    existingSecret('selected');
    api.agent
      .get(GH)
      .intercept({ path: REPOSITORIES })
      .reply(api.answer(200, { total_count: 2, repositories: [repo(11, 'one'), null] }));
    const err = await rejectionOf(
      resolveOrgSecretAccess(api.octokit(), orgTarget(), 'BATON_CLIENT_SECRET', createLimiter(20)),
    );
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toBe(
      'GitHub answered a repository lookup for organization acme without a numeric repository ID: check github-api-url.',
    );
  });

  it('names the organization Secrets permission and admin:org when the secret cannot be read (403)', async () => {
    api.agent
      .get(GH)
      .intercept({ path: SECRET })
      .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    const err = await rejectionOf(
      resolveOrgSecretAccess(api.octokit(), orgTarget(), 'BATON_CLIENT_SECRET', createLimiter(20)),
    );
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain('cannot read the secret BATON_CLIENT_SECRET of organization acme');
    expect(err.message).toContain('403 Resource not accessible by integration');
    expect(err.message).toContain('organization Secrets read and write permission');
    expect(err.message).toContain('admin:org');
    expect(api.requests).toHaveLength(1);
  });

  it('names the organization Secrets permission when the selected repositories cannot be listed (403)', async () => {
    existingSecret('selected');
    api.agent
      .get(GH)
      .intercept({ path: REPOSITORIES })
      .reply(api.answer(403, { message: 'Must have admin rights' }));
    const err = await rejectionOf(
      resolveOrgSecretAccess(api.octokit(), orgTarget(), 'BATON_CLIENT_SECRET', createLimiter(20)),
    );
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain(
      'read the repositories selected for the secret BATON_CLIENT_SECRET of organization acme',
    );
    expect(err.message).toContain('organization Secrets read and write permission');
    expect(err.message).toContain('admin:org');
  });

  it('says which repository of the input does not exist when selecting repositories', async () => {
    noSecret();
    repositoryLookups({ 'acme/one': 101, 'acme/gone': { status: 404, message: 'Not Found' } });
    const err = await rejectionOf(
      resolveOrgSecretAccess(
        api.octokit(),
        orgTarget('selected', ['acme/one', 'acme/gone']),
        'BATON_CLIENT_SECRET',
        createLimiter(20),
      ),
    );
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain('Repository acme/gone was not found');
    expect(err.message).toContain('404 Not Found');
    expect(err.message).not.toContain('acme/one');
  });

  it('asks for read access to a repository the token may not look up', async () => {
    noSecret();
    repositoryLookups({ 'acme/one': { status: 403, message: 'Resource not accessible by integration' } });
    const err = await rejectionOf(
      resolveOrgSecretAccess(
        api.octokit(),
        orgTarget('selected', ['acme/one']),
        'BATON_CLIENT_SECRET',
        createLimiter(20),
      ),
    );
    expect(err.message).toContain('look up repository acme/one to select it for organization acme');
    expect(err.message).toContain('Metadata read');
  });

  it('treats a 404 on the secret as a new secret, leaving a missing organization to the public key read', async () => {
    api.agent
      .get(GH)
      .intercept({ path: '/orgs/nowhere/actions/secrets/BATON_CLIENT_SECRET' })
      .reply(api.answer(404, { message: 'Not Found' }));
    const target = targetsFor({ kind: 'organization', organization: 'nowhere' }, [
      { owner: 'acme', repo: 'one' },
    ])[0] as OrganizationTarget;
    expect(await resolveOrgSecretAccess(api.octokit(), target, 'BATON_CLIENT_SECRET', createLimiter(20))).toEqual({
      visibility: 'private',
      origin: 'new',
    });
  });
});
