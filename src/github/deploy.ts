/**
 * Rolling the new credential out: the deploy workflows that hand it to its
 * consumers (a connector running as a service reads the secret only when it
 * is deployed). Each is checked before anything rotates, dispatched once the
 * secrets hold the new credential, and waited for until its run completes.
 * https://docs.github.com/en/rest/actions/workflows#create-a-workflow-dispatch-event
 * https://docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run
 */
import { ActionError } from '../errors.js';
import type { Clock } from '../http.js';
import type { DeployInputs, DeployWorkflow, RepositoryTarget } from '../model.js';
import { oneLine, serverText } from '../redact.js';
import type { Octokit } from './client.js';
import { deadlineRanOut, describeGitHubError, expectStatus, isGitHubNotFound, isRequestError } from './errors.js';

/** A dispatched run of a deploy workflow. */
export interface DispatchedRun {
  workflow: DeployWorkflow;
  runId: number;
  /** The run's page on GitHub, for people. */
  url: string;
}

/** How a run ended: a run's `conclusion`, or that the wait for it ran out first. */
export type RunConclusion = string | 'timed out';

/** One deploy workflow, and what became of its run. */
export interface DeployOutcome {
  workflow: DeployWorkflow;
  /** Undefined when the dispatch failed. */
  run?: DispatchedRun;
  /**
   * The run's conclusion ('success', 'failure', ...), 'timed out' (deploy-timeout passed first),
   * 'unknown' (its state could not be read), 'not dispatched', or 'not waited for' (another dispatch failed).
   */
  conclusion: RunConclusion | 'unknown' | 'not dispatched' | 'not waited for';
  /** Why the dispatch or the read of the run failed. */
  error?: string;
}

/** The first wait between two reads of a run, and the longest; each wait doubles the one before. */
export const FIRST_POLL_WAIT_MS = 2_000;
export const MAX_POLL_WAIT_MS = 30_000;

const CONCLUSIONS = new Set([
  'success',
  'failure',
  'neutral',
  'cancelled',
  'skipped',
  'timed_out',
  'action_required',
  'stale',
  'startup_failure',
]);

const ACTIONS = { permission: 'Actions' } as const;

/** The workflow exists, the token can see it, and it is active (a disabled workflow cannot be dispatched). */
export async function checkWorkflow(octokit: Octokit, workflow: DeployWorkflow): Promise<void> {
  let state: unknown;
  try {
    const route = 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}';
    const params = { owner: workflow.owner, repo: workflow.repo, workflow_id: workflow.file };
    state = (expectStatus(await octokit.request(route, params), [200]).data as { state?: unknown } | null)?.state;
  } catch (err) {
    throw describeWorkflowError(err, workflow, `read the deploy workflow ${workflow.file} (@${workflow.ref}) in`);
  }
  if (state !== 'active') {
    const shown = typeof state === 'string' ? oneLine(state, 40) : 'unknown';
    const fix = 'enable it in the repository\'s Actions tab (or with "gh workflow enable"), or fix deploy-workflows';
    throw new ActionError(`The deploy workflow ${workflow.label} is not active (state: ${shown}): ${fix}.`);
  }
}

/** Dispatches the workflow on its ref; GitHub answers with the run it started. */
export async function dispatchWorkflow(
  octokit: Octokit,
  workflow: DeployWorkflow,
  inputs: DeployInputs | undefined,
): Promise<DispatchedRun> {
  // Typed as GitHub documents it, read as if it might be anything (`null`, say).
  let data: { workflow_run_id?: unknown; html_url?: unknown } | null;
  try {
    const route = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
    const params = { owner: workflow.owner, repo: workflow.repo, workflow_id: workflow.file, ref: workflow.ref };
    const body = { ...params, ...(inputs ? { inputs } : {}), return_run_details: true };
    data = expectStatus(await octokit.request(route, body), [200]).data as typeof data;
  } catch (err) {
    throw describeWorkflowError(err, workflow, `dispatch the deploy workflow ${workflow.file} (@${workflow.ref}) in`);
  }
  const runId = data?.workflow_run_id;
  const url = typeof data?.html_url === 'string' ? webUrl(data.html_url) : undefined;
  if (typeof runId !== 'number' || !Number.isSafeInteger(runId) || runId <= 0 || !url) {
    const fix = 'check github-api-url (GitHub Enterprise Server may not return run details yet)';
    throw new ActionError(`GitHub dispatched ${workflow.label} but did not say which run it started: ${fix}.`);
  }
  return { workflow, runId, url };
}

export interface WaitOptions {
  clock: Pick<Clock, 'now' | 'sleep'>;
  /** When to stop waiting (clock time, ms). */
  deadline: number;
}

/**
 * Reads the run at once, then again after 2 s, 4 s, ... up to 30 s between
 * reads, until it completes or the deadline passes. Rate limits are waited
 * out by the HTTP policy under every read.
 */
export async function waitForRun(octokit: Octokit, run: DispatchedRun, options: WaitOptions): Promise<RunConclusion> {
  const { clock, deadline } = options;
  for (let waitMs = FIRST_POLL_WAIT_MS; ; waitMs = Math.min(waitMs * 2, MAX_POLL_WAIT_MS)) {
    const conclusion = await readConclusion(octokit, run);
    if (conclusion !== undefined) return conclusion;
    const left = deadline - clock.now();
    if (left <= 0) return 'timed out';
    await clock.sleep(Math.min(waitMs, left));
  }
}

/** The run's conclusion once its status is `completed`; undefined while it runs. */
async function readConclusion(octokit: Octokit, run: DispatchedRun): Promise<string | undefined> {
  const { workflow } = run;
  let data: { status?: unknown; conclusion?: unknown } | null;
  try {
    const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';
    const response = await octokit.request(route, { owner: workflow.owner, repo: workflow.repo, run_id: run.runId });
    data = expectStatus(response, [200]).data as typeof data;
  } catch (err) {
    // deploy-timeout ran out during the read (or its retries): the run did not complete in time.
    if (deadlineRanOut(err)) return 'timed out';
    throw describeWorkflowError(err, workflow, `read the run ${run.url} of ${workflow.file} in`);
  }
  // Not an object at all (`null`, say): no state this action can read.
  if (typeof data !== 'object' || data === null) return 'unknown';
  if (data.status !== 'completed') return undefined;
  return typeof data.conclusion === 'string' && CONCLUSIONS.has(data.conclusion) ? data.conclusion : 'unknown';
}

/**
 * A link GitHub gave for people: only http(s), and never with anything that
 * could break out of Markdown. URL.href already percent-encodes spaces, quotes
 * and angle brackets; parentheses would end the link, `|` the table cell it
 * sits in (a fake "success" cell), and brackets, backslashes and backticks
 * start Markdown of their own, so they are percent-encoded too.
 */
export function webUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return url.href.replace(/[()|[\]\\`'"<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    return undefined;
  }
}

function describeWorkflowError(err: unknown, workflow: DeployWorkflow, doing: string): unknown {
  const repository = `${workflow.owner}/${workflow.repo}`;
  const target: RepositoryTarget = {
    kind: 'repository',
    owner: workflow.owner,
    repo: workflow.repo,
    label: repository,
  };
  if (isGitHubNotFound(err)) {
    return new ActionError(
      [
        `The deploy workflow ${workflow.label} was not found, or github-token cannot see ${repository} (404):`,
        'check the path in deploy-workflows,',
        'and give the token the Actions read and write permission on that repository.',
      ].join(' '),
    );
  }
  if (isRequestError(err) && err.status === 422) {
    const message = (err.response?.data as { message?: unknown } | undefined)?.message;
    const detail = typeof message === 'string' ? `422 ${serverText(message, 200)}` : '422';
    return new ActionError(
      [
        `GitHub refused to dispatch ${workflow.label} (${detail}):`,
        `check that the workflow has an "on: workflow_dispatch" trigger, that ${workflow.ref} exists,`,
        'and that deploy-inputs gives only the inputs it declares.',
      ].join(' '),
    );
  }
  return describeGitHubError(err, target, { doing, ...ACTIONS, input: 'deploy-workflows' });
}
