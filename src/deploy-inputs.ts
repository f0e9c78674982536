/**
 * What the inputs alone tell about a deploy hand-off that cannot work, found
 * before any request: a deploy workflow that is the running workflow itself
 * (dispatching it starts another rotation, and that one another), and a deploy
 * workflow in a repository that receives none of this run's secrets (it would
 * redeploy the previous credential, which revoke-previous then revokes: a
 * lockout). An organization secret's visibility is read in the preflight
 * (deploy-preflight.ts).
 * https://docs.github.com/en/actions/reference/workflows-and-actions/variables#default-environment-variables
 */
import { InputError } from './errors.js';
import type { DeployWorkflow, Repository, SecretScope } from './model.js';

const INPUT = 'deploy-workflows';

export function checkDeployWorkflows(
  workflows: readonly DeployWorkflow[],
  scope: SecretScope,
  repositories: readonly Repository[],
  /** GITHUB_WORKFLOW_REF: OWNER/REPO/.github/workflows/FILE@REF of the workflow that runs this step. */
  runningWorkflow: string,
): void {
  for (const workflow of workflows) {
    if (isRunningWorkflow(workflow, runningWorkflow)) {
      const why = 'dispatching it would start another rotation, and that one another';
      const fix = 'list the workflow that deploys the connector instead';
      throw new InputError(INPUT, `${workflow.label} is the workflow running this action (${why}): ${fix}.`);
    }
    const problem = receivesNothing(workflow, scope, repositories);
    if (problem) throw new InputError(INPUT, problem);
  }
}

/** The same workflow file of the same repository, on whichever ref: that is still a rotation dispatching itself. */
function isRunningWorkflow(workflow: DeployWorkflow, runningWorkflow: string): boolean {
  const running = /^([^/]+)\/([^/]+)\/\.github\/workflows\/([^@]+)@/.exec(runningWorkflow);
  if (!running) return false;
  const [, owner = '', repo = '', file = ''] = running;
  return sameName(owner, workflow.owner) && sameName(repo, workflow.repo) && file === workflow.file;
}

/** Why the workflow's repository gets none of the secrets, by the inputs; undefined when it does, or may. */
function receivesNothing(
  workflow: DeployWorkflow,
  scope: SecretScope,
  repositories: readonly Repository[],
): string | undefined {
  const repository = `${workflow.owner}/${workflow.repo}`;
  const lockout = 'it would deploy the previous credential, which revoke-previous would then revoke';
  if (scope.kind === 'organization') {
    if (sameName(workflow.owner, scope.organization)) return undefined;
    const where = `${repository}, outside the organization ${scope.organization} whose secrets this run writes`;
    return `${workflow.label} runs in ${where}: ${lockout}. List a deploy workflow of ${scope.organization}.`;
  }
  if (repositories.some((r) => sameName(r.owner, workflow.owner) && sameName(r.repo, workflow.repo))) return undefined;
  const listed = repositories.map((r) => `${r.owner}/${r.repo}`).join(', ');
  const where = `${repository}, which receives none of this run's secrets (repositories: ${listed})`;
  return `${workflow.label} runs in ${where}: ${lockout}. Add ${repository} to repositories, or list the deploy workflow of a repository there.`;
}

/** GitHub owner and repository names are case-insensitive. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
