/**
 * The deploy hand-off, checked before anything rotates (deploy-workflows):
 * each workflow exists and is active, its ref exists, deploy-inputs fits what
 * its GitHub takes, and, for organization secrets, its repository can use the
 * secrets as they will be written. The checks the inputs alone can make come
 * first (deploy-inputs.ts). What the reads learn (each workflow's ID, the
 * server's version and clock) is what the dispatch later works with.
 */
import { ActionError } from './errors.js';
import type { Octokit } from './github/client.js';
import { checkRef, checkWorkflow, type WorkflowFacts } from './github/deploy.js';
import { describeGitHubError, expectStatus } from './github/errors.js';
import type { OrgSecretAccess } from './github/organization.js';
import type { DeployInputs, DeployWorkflow, Target } from './model.js';
import type { Limiter } from './pool.js';

export interface DeployPreflightContext {
  workflows: readonly DeployWorkflow[];
  deployInputs: DeployInputs | undefined;
  octokit: Octokit;
  readLimit: Limiter;
  /** Organization secrets only: the access each secret's write will give it (from the preflight's reads). */
  orgAccess: Promise<Array<{ target: Target; name: string; access: OrgSecretAccess }>>;
}

/** What the preflight learned of each deploy workflow. */
export type DeployFacts = Map<DeployWorkflow, WorkflowFacts>;

/** GitHub Enterprise Server 3.17 to 3.19 take at most 10 dispatch inputs (their REST descriptions say so). */
const GHES_MAX_INPUTS = 10;

/** Every check, started at once; `facts` settles once each workflow's checks passed. */
export function startDeployChecks(context: DeployPreflightContext): {
  checks: Promise<unknown>[];
  facts: Promise<DeployFacts>;
} {
  const { workflows, octokit, readLimit } = context;
  const read = workflows.map((workflow) => readLimit(() => checkWorkflow(octokit, workflow)));
  const refs = workflows.map((workflow) => readLimit(() => checkRef(octokit, workflow)));
  const inputs = read.map(async (facts, index) =>
    checkInputCount(workflows[index] as DeployWorkflow, await facts, context),
  );
  const coverage = [...new Set(workflows.map((w) => `${w.owner}/${w.repo}`.toLowerCase()))].map((key) =>
    checkOrgCoverage(
      workflows.filter((w) => `${w.owner}/${w.repo}`.toLowerCase() === key),
      context,
    ),
  );
  const facts = Promise.all(read).then(
    (all) => new Map(all.map((f, index) => [workflows[index] as DeployWorkflow, f])),
  );
  return { checks: [...read, ...refs, ...inputs, ...coverage], facts };
}

/** deploy-inputs within what the workflow's GitHub takes: 10 inputs on GHES 3.17 to 3.19, 25 elsewhere (inputs.ts). */
function checkInputCount(workflow: DeployWorkflow, facts: WorkflowFacts, context: DeployPreflightContext): void {
  const count = Object.keys(context.deployInputs ?? {}).length;
  const version = /^(\d+)\.(\d+)/.exec(facts.enterpriseVersion ?? '');
  if (!version || count <= GHES_MAX_INPUTS) return;
  if (Number(version[1]) * 1000 + Number(version[2]) >= 3020) return;
  const server = `GitHub Enterprise Server ${facts.enterpriseVersion}, which runs ${workflow.label}`;
  const fix = `pass at most ${GHES_MAX_INPUTS} (give the others defaults in the workflow)`;
  throw new ActionError(
    `deploy-inputs has ${count} inputs, but ${server}, takes at most ${GHES_MAX_INPUTS} in a dispatch: ${fix}.`,
  );
}

/**
 * Organization secrets: the deploy workflow's repository must be able to use
 * every secret as it will be written (visibility all; private, and the
 * repository is private or internal; selected, and it is selected), or the
 * deploy runs with the previous credential.
 * https://docs.github.com/en/rest/actions/secrets#create-or-update-an-organization-secret
 */
async function checkOrgCoverage(workflows: readonly DeployWorkflow[], context: DeployPreflightContext): Promise<void> {
  const accesses = await context.orgAccess;
  const [workflow] = workflows;
  if (accesses.length === 0 || !workflow) return;
  const repository = await context.readLimit(() => readRepository(context.octokit, workflow));
  for (const { name, access } of accesses) {
    const reason = unusable(access, repository);
    if (!reason) continue;
    const lockout = 'it would deploy the previous credential, which revoke-previous would then revoke';
    const runs = `The deploy workflow ${workflow.label} runs in ${repository.label}, which cannot use the organization secret ${name}`;
    throw new ActionError(`${runs} (${reason}): ${lockout}. ${fixFor(access, repository.label)}`);
  }
}

interface RepositoryFacts {
  label: string;
  id: number;
  /** public, private or internal. */
  visibility: string;
}

async function readRepository(octokit: Octokit, workflow: DeployWorkflow): Promise<RepositoryFacts> {
  const { owner, repo } = workflow;
  const label = `${owner}/${repo}`;
  try {
    const { data } = expectStatus(await octokit.request('GET /repos/{owner}/{repo}', { owner, repo }), [200]);
    const { id, visibility, private: isPrivate } = data as { id?: unknown; visibility?: unknown; private?: unknown };
    if (typeof id !== 'number')
      throw new ActionError(`GitHub answered the read of ${label} without its ID: check github-api-url.`);
    const shown = typeof visibility === 'string' ? visibility : isPrivate === true ? 'private' : 'public';
    return { label, id, visibility: shown };
  } catch (err) {
    if (err instanceof ActionError) throw err;
    const target = { kind: 'repository', owner, repo, label } as const;
    throw describeGitHubError(err, target, { doing: 'read', permission: 'Metadata', input: 'deploy-workflows' });
  }
}

function unusable(access: OrgSecretAccess, repository: RepositoryFacts): string | undefined {
  if (access.visibility === 'all') return undefined;
  if (access.visibility === 'private') {
    return repository.visibility === 'public' ? 'visibility private, and the repository is public' : undefined;
  }
  if (access.selectedRepositoryIds?.includes(repository.id)) return undefined;
  return `visibility selected, and ${repository.label} is not among its repositories`;
}

function fixFor(access: OrgSecretAccess, repository: string): string {
  if (access.visibility === 'private') return 'Set visibility: all, or deploy from a private repository.';
  return `Add ${repository} to repositories with visibility: selected, or select it for the secret in the organization's settings.`;
}
