/**
 * Rolling the new credential out: the deploy workflows that hand it to its
 * consumers (a connector running as a service reads the secret only when it
 * is deployed). Each is checked before anything rotates, dispatched once the
 * secrets hold the new credential, and waited for until its run completes.
 *
 * Dispatch works on every GitHub: github.com and GHEC answer with the run
 * (return_run_details, since 2026-02-19); GitHub Enterprise Server up to 3.20
 * refuses that key and answers a plain dispatch 204, so there the run is
 * found by listing the workflow's runs (workflow-run.ts). GitHub CLI, too,
 * asks for run details from GHES 3.21 only.
 * https://docs.github.com/en/rest/actions/workflows#create-a-workflow-dispatch-event
 * https://docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run
 */
import { ActionError, errorMessage, TransportError } from '../errors.js';
import type { Clock } from '../http.js';
import type { DeployInputs, DeployWorkflow, RepositoryTarget } from '../model.js';
import { oneLine, serverText } from '../redact.js';
import type { Octokit } from './client.js';
import { deadlineRanOut, describeGitHubError, expectStatus, isGitHubNotFound, isRequestError } from './errors.js';
import {
  type DispatchedRun,
  existingRuns,
  type Found,
  findDispatchedRun,
  foreignRun,
  type RunFields,
  type WorkflowFacts,
} from './workflow-run.js';

export type { DispatchedRun, WorkflowFacts } from './workflow-run.js';

/** How a run ended: a run's `conclusion`, or that the wait for it ran out first. */
export type RunConclusion = string | 'timed out';

/** One deploy workflow, and what became of its run. */
export interface DeployOutcome {
  workflow: DeployWorkflow;
  /** Undefined when the dispatch failed, or its run could not be identified. */
  run?: DispatchedRun;
  /**
   * The run's conclusion ('success', 'failure', ...), 'timed out' (deploy-timeout passed first),
   * 'unknown' (its state could not be read), 'not dispatched', 'not identified' (it was, or may have
   * been, dispatched, but which run is its own cannot be told), or 'not waited for' (another failed).
   */
  conclusion: RunConclusion | 'unknown' | 'not dispatched' | 'not identified' | 'not waited for';
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

/**
 * The workflow exists, the token can see it, and it is active (a disabled
 * workflow cannot be dispatched); what its answer says of it and of GitHub.
 */
export async function checkWorkflow(octokit: Octokit, workflow: DeployWorkflow): Promise<WorkflowFacts> {
  let data: { state?: unknown; id?: unknown } | null;
  let headers: Record<string, unknown>;
  try {
    const route = 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}';
    const params = { owner: workflow.owner, repo: workflow.repo, workflow_id: workflow.file };
    const response = expectStatus(await octokit.request(route, params), [200]);
    data = response.data as typeof data;
    headers = response.headers as Record<string, unknown>;
  } catch (err) {
    throw describeWorkflowError(err, workflow, `read the deploy workflow ${workflow.file} (@${workflow.ref}) in`);
  }
  const state = data?.state;
  if (state !== 'active') {
    const shown = typeof state === 'string' ? oneLine(state, 40) : 'unknown';
    const fix = 'enable it in the repository\'s Actions tab (or with "gh workflow enable"), or fix deploy-workflows';
    throw new ActionError(`The deploy workflow ${workflow.label} is not active (state: ${shown}): ${fix}.`);
  }
  return factsOf(data?.id, headers);
}

/**
 * The workflow's ref exists in its repository, as a branch or a tag: GitHub
 * would refuse a dispatch on another only after the rotation (422 "No ref
 * found"). Reading refs takes the Contents read permission.
 * https://docs.github.com/en/rest/git/refs#get-a-reference
 */
export async function checkRef(octokit: Octokit, workflow: DeployWorkflow): Promise<void> {
  const { owner, repo, ref, file } = workflow;
  const target: RepositoryTarget = { kind: 'repository', owner, repo, label: `${owner}/${repo}` };
  for (const kind of ['heads', 'tags']) {
    try {
      const route = 'GET /repos/{owner}/{repo}/git/ref/{ref}';
      expectStatus(await octokit.request(route, { owner, repo, ref: `${kind}/${ref}` }), [200]);
      return;
    } catch (err) {
      // 404: no such ref; 409: a repository with no commits has none.
      if (isGitHubNotFound(err) || (isRequestError(err) && err.status === 409)) continue;
      const doing = `read the ref ${ref} of the deploy workflow ${file} in`;
      throw describeGitHubError(err, target, { doing, permission: 'Contents', input: 'deploy-workflows' });
    }
  }
  const fix = 'fix the @REF in deploy-workflows, or push that branch or tag';
  throw new ActionError(
    `The deploy workflow ${workflow.label} names ${ref}, which is no branch or tag of ${owner}/${repo}: ${fix}.`,
  );
}

/** The workflow's ID, GHES's version and GitHub's clock, as an answer shows them. */
function factsOf(id: unknown, headers: Record<string, unknown>): WorkflowFacts {
  const version = headers['x-github-enterprise-version'];
  const date = typeof headers.date === 'string' ? Date.parse(headers.date) : Number.NaN;
  return {
    ...(typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? { id } : {}),
    ...(typeof version === 'string' && /^\d+\.\d+/.test(version) ? { enterpriseVersion: version } : {}),
    skewMs: Number.isNaN(date) ? 0 : date - Date.now(),
  };
}

/** GHES answers with run details from 3.21 on; github.com and GHEC (no version header) do. */
function offersRunDetails(facts: WorkflowFacts): boolean {
  const match = /^(\d+)\.(\d+)/.exec(facts.enterpriseVersion ?? '');
  if (!match) return true;
  return Number(match[1]) * 1000 + Number(match[2]) >= 3021;
}

export interface DispatchOptions {
  facts: WorkflowFacts;
  clock: Pick<Clock, 'now' | 'sleep'>;
  /** When the hand-over ends (deploy-timeout): the search for the run stops there too. */
  deadline?: number;
}

/** The run a dispatch started, or why it cannot be told (then it may still run: nothing is revoked). */
export type Dispatched = Found;

/**
 * Dispatches the workflow on its ref and finds the run it started. Throws an
 * ActionError only when GitHub refused the dispatch: then nothing started.
 */
export function dispatchWorkflow(
  octokit: Octokit,
  workflow: DeployWorkflow,
  inputs: DeployInputs | undefined,
  options: DispatchOptions,
): Promise<Dispatched> {
  return dispatch({ octokit, workflow, inputs, options }, offersRunDetails(options.facts));
}

interface DispatchRequest {
  octokit: Octokit;
  workflow: DeployWorkflow;
  inputs: DeployInputs | undefined;
  options: DispatchOptions;
}

async function dispatch(request: DispatchRequest, details: boolean): Promise<Dispatched> {
  const { octokit, workflow, options } = request;
  // Without run details, the runs that exist now are listed first: none of them can be this dispatch's.
  const before = details
    ? undefined
    : await lookUp(workflow, 'list the runs of', () => existingRuns(octokit, workflow));
  const sentAt = options.clock.now();
  const sent = await send(request, details);
  if (sent === 'refused run details') return dispatch(request, false);
  if (typeof sent === 'object') return { run: sent };
  const { facts, clock, deadline } = options;
  const search = { octokit, workflow, facts, clock, sentAt, link: webUrl, ...(deadline ? { deadline } : {}) };
  let found: Found;
  try {
    found = await findDispatchedRun(before ? { ...search, before } : search);
  } catch (err) {
    const why = deadlineRanOut(err)
      ? 'the deploy-timeout ran out before its run showed'
      : `its run could not be looked up (${errorMessage(describeWorkflowError(err, workflow, 'list the runs of')).replace(/\.$/, '')})`;
    found = { notIdentified: why, candidates: [] };
  }
  if ('run' in found || sent === 'dispatched') return found;
  return { ...found, notIdentified: `the dispatch got no answer, and ${found.notIdentified}` };
}

/** A read the dispatch needs; its failure is explained as any other of the workflow's. */
async function lookUp<T>(workflow: DeployWorkflow, doing: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw describeWorkflowError(err, workflow, `${doing} ${workflow.file} (@${workflow.ref}) in`);
  }
}

/**
 * POSTs the dispatch: the run GitHub names, 'dispatched' (it answered without
 * naming one), 'may have dispatched' (no answer, or a server error: the run
 * may have started), or 'refused run details' (GHES up to 3.20).
 */
async function send(
  request: DispatchRequest,
  details: boolean,
): Promise<DispatchedRun | 'dispatched' | 'may have dispatched' | 'refused run details'> {
  const { octokit, workflow, inputs } = request;
  const route = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
  const params = { owner: workflow.owner, repo: workflow.repo, workflow_id: workflow.file, ref: workflow.ref };
  const body = { ...params, ...(inputs ? { inputs } : {}), ...(details ? { return_run_details: true } : {}) };
  let response: { status: number; data: unknown };
  try {
    response = expectStatus(await octokit.request(route, body), [200, 204]);
  } catch (err) {
    if (details && refusesRunDetails(err)) return 'refused run details';
    if (mayHaveDispatched(err)) return 'may have dispatched';
    throw describeWorkflowError(err, workflow, `dispatch the deploy workflow ${workflow.file} (@${workflow.ref}) in`);
  }
  // Typed as GitHub documents it, read as if it might be anything (`null`, say).
  const data = response.data as { workflow_run_id?: unknown; html_url?: unknown } | null;
  const runId = data?.workflow_run_id;
  const url = typeof data?.html_url === 'string' ? webUrl(data.html_url) : undefined;
  if (typeof runId !== 'number' || !Number.isSafeInteger(runId) || runId <= 0 || !url) return 'dispatched';
  return { workflow, runId, url };
}

/** GHES up to 3.20 refuses return_run_details: 400 or 422, "return_run_details is not a permitted key". */
function refusesRunDetails(err: unknown): boolean {
  if (!isRequestError(err) || (err.status !== 400 && err.status !== 422)) return false;
  const message = (err.response?.data as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && /return_run_details|not a permitted key/i.test(message);
}

/** No answer, or a server's error: GitHub may have started the run before it failed to say so. */
function mayHaveDispatched(err: unknown): boolean {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  for (const e of [err, cause]) if (e instanceof TransportError) return e.mayHaveBeenProcessed;
  return isRequestError(err) && err.status >= 500;
}

export interface WaitOptions {
  clock: Pick<Clock, 'now' | 'sleep'>;
  /** When to stop waiting (clock time, ms). */
  deadline: number;
  facts: WorkflowFacts;
}

/** A run that is not the dispatched workflow's: its conclusion must not count. */
export class ForeignRunError extends ActionError {
  override readonly name = 'ForeignRunError';
}

/**
 * Reads the run at once, then again after 2 s, 4 s, ... up to 30 s between
 * reads, until it completes or the deadline passes. Rate limits are waited
 * out by the HTTP policy under every read; every read checks that the run is
 * the dispatched workflow's (ForeignRunError when it is not).
 */
export async function waitForRun(octokit: Octokit, run: DispatchedRun, options: WaitOptions): Promise<RunConclusion> {
  const { clock, deadline } = options;
  for (let waitMs = FIRST_POLL_WAIT_MS; ; waitMs = Math.min(waitMs * 2, MAX_POLL_WAIT_MS)) {
    const conclusion = await readConclusion(octokit, run, options.facts);
    if (conclusion !== undefined) return conclusion;
    const left = deadline - clock.now();
    if (left <= 0) return 'timed out';
    await clock.sleep(Math.min(waitMs, left));
  }
}

/** The run's conclusion once its status is `completed`; undefined while it runs. */
async function readConclusion(octokit: Octokit, run: DispatchedRun, facts: WorkflowFacts): Promise<string | undefined> {
  const { workflow } = run;
  let data: (RunFields & { status?: unknown; conclusion?: unknown }) | null;
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
  const foreign = foreignRun(data, workflow, facts);
  if (foreign !== undefined) {
    const named = `GitHub gave run ${run.url} as the run of ${workflow.label}, but it belongs to ${foreign}`;
    throw new ForeignRunError(`${named}, so its conclusion does not count`);
  }
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
export function webUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return url.href.replace(/[()|[\]\\`'"<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    return undefined;
  }
}

export function describeWorkflowError(err: unknown, workflow: DeployWorkflow, doing: string): unknown {
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
