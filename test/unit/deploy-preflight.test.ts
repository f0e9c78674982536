import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDeployChecks } from '../../src/deploy-preflight.js';
import type { OrgSecretAccess } from '../../src/github/organization.js';
import { parseDeployWorkflows } from '../../src/inputs.js';
import type { DeployInputs, Target } from '../../src/model.js';
import { createLimiter } from '../../src/pool.js';
import { type MockApi, mockApi } from './mock-api.js';

const GH = 'https://api.github.com';
const workflows = parseDeployWorkflows('acme/deployer/.github/workflows/deploy.yml@main');
const org: Target = { kind: 'organization', org: 'acme', repositories: [], label: 'organization acme' };

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

/** The deploy workflow's reads, answered as a healthy GitHub (`version`: GHES's) would. */
function serveWorkflow(version?: string) {
  const pool = api.agent.get(GH);
  pool
    .intercept({ path: '/repos/acme/deployer/actions/workflows/deploy.yml' })
    .reply(api.answer(200, { id: 5, state: 'active' }, version ? { 'x-github-enterprise-version': version } : {}));
  pool
    .intercept({ path: '/repos/acme/deployer/git/ref/heads%2Fmain' })
    .reply(api.answer(200, { ref: 'refs/heads/main' }));
}

async function check(options: { accesses?: OrgSecretAccess[]; deployInputs?: DeployInputs } = {}): Promise<unknown[]> {
  const orgAccess = Promise.resolve(
    (options.accesses ?? []).map((access, index) => ({ target: org, name: `SECRET_${index}`, access })),
  );
  const { checks, facts } = startDeployChecks({
    workflows,
    deployInputs: options.deployInputs,
    octokit: api.octokit(),
    readLimit: createLimiter(20),
    orgAccess,
  });
  const settled = await Promise.allSettled([...checks, facts]);
  return settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
}

const inputs = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`in${i}`, 'x']));

describe('startDeployChecks: deploy-inputs on each GitHub', () => {
  it('takes up to 25 inputs on github.com, and from GHES 3.20', async () => {
    serveWorkflow();
    expect(await check({ deployInputs: inputs(25) })).toEqual([]);
    serveWorkflow('3.20.0');
    expect(await check({ deployInputs: inputs(25) })).toEqual([]);
  });

  it('refuses more than 10 on GHES 3.17 to 3.19, naming the server', async () => {
    serveWorkflow('3.17.5');
    expect(await check({ deployInputs: inputs(11) })).toEqual([
      'deploy-inputs has 11 inputs, but GitHub Enterprise Server 3.17.5, which runs acme/deployer/.github/workflows/deploy.yml@main, takes at most 10 in a dispatch: pass at most 10 (give the others defaults in the workflow).',
    ]);
    serveWorkflow('3.19.2');
    expect(await check({ deployInputs: inputs(10) })).toEqual([]);
  });
});

describe('startDeployChecks: an organization secret the deploy repository must be able to use', () => {
  function serveRepository(fields: Record<string, unknown>) {
    api.agent
      .get(GH)
      .intercept({ path: '/repos/acme/deployer' })
      .reply(api.answer(200, { id: 77, ...fields }));
  }

  it('passes visibility all, private for a private or internal repository, and selected with the repository among them', async () => {
    for (const [access, repository] of [
      [{ visibility: 'all', origin: 'kept' }, { visibility: 'public' }],
      [{ visibility: 'private', origin: 'kept' }, { visibility: 'internal' }],
      [{ visibility: 'private', origin: 'kept' }, { private: true }],
      [{ visibility: 'selected', selectedRepositoryIds: [3, 77], origin: 'kept' }, { visibility: 'private' }],
    ] as Array<[OrgSecretAccess, Record<string, unknown>]>) {
      serveWorkflow();
      serveRepository(repository);
      expect(await check({ accesses: [access] })).toEqual([]);
    }
  });

  it('refuses private for a public repository, and selected without it, saying what to change', async () => {
    serveWorkflow();
    serveRepository({ visibility: 'public' });
    expect(await check({ accesses: [{ visibility: 'private', origin: 'input' }] })).toEqual([
      'The deploy workflow acme/deployer/.github/workflows/deploy.yml@main runs in acme/deployer, which cannot use the organization secret SECRET_0 (visibility private, and the repository is public): it would deploy the previous credential, which revoke-previous would then revoke. Set visibility: all, or deploy from a private repository.',
    ]);
    serveWorkflow();
    serveRepository({ visibility: 'private' });
    const [message] = await check({
      accesses: [{ visibility: 'selected', selectedRepositoryIds: [3], origin: 'kept' }],
    });
    expect(message).toContain('(visibility selected, and acme/deployer is not among its repositories)');
    expect(message).toContain(
      "Add acme/deployer to repositories with visibility: selected, or select it for the secret in the organization's settings.",
    );
  });

  it('reads no repository for repository or environment secrets', async () => {
    serveWorkflow();
    expect(await check()).toEqual([]);
    expect(api.log()).toEqual([
      'GET /repos/acme/deployer/actions/workflows/deploy.yml 200',
      'GET /repos/acme/deployer/git/ref/heads%2Fmain 200',
    ]);
  });
});
