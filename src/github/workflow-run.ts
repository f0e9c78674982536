/**
 * Which run a dispatch started, and whether a run is one of the dispatched
 * workflow's. Without run details (GitHub Enterprise Server up to 3.20, a 204
 * or a 200 without them, a dispatch whose answer never came), the run is found
 * by listing the workflow's runs: event workflow_dispatch, the branch, created
 * at or after the dispatch, and not among the runs that existed before it.
 * Every run ID, one from run details included, counts only once its run shows
 * the dispatched workflow (its workflow_id and path), the event and the branch.
 * https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow
 */
import type { DeployWorkflow } from '../model.js';
import type { Octokit } from './client.js';
import { expectStatus } from './errors.js';

/** A dispatched run of a deploy workflow. */
export interface DispatchedRun {
  workflow: DeployWorkflow;
  runId: number;
  /** The run's page on GitHub, for people. */
  url: string;
}

/** What the preflight learned of a deploy workflow and the GitHub that runs it. */
export interface WorkflowFacts {
  /** GitHub's numeric ID of the workflow. */
  id?: number;
  /** GitHub Enterprise Server's version (x-github-enterprise-version); undefined on github.com and GHEC. */
  enterpriseVersion?: string;
  /** GitHub's clock minus the runner's, from an answer's Date header (0 when unknown). */
  skewMs: number;
}

/** The fields of a run that say which workflow it belongs to. */
export interface RunFields {
  id?: unknown;
  workflow_id?: unknown;
  path?: unknown;
  event?: unknown;
  head_branch?: unknown;
  html_url?: unknown;
}

/** Why a run is not one of the dispatched workflow's (undefined: it is). */
export function foreignRun(run: RunFields, workflow: DeployWorkflow, facts: WorkflowFacts): string | undefined {
  const path = `.github/workflows/${workflow.file}`;
  const samePath = run.path === path || (typeof run.path === 'string' && run.path.startsWith(`${path}@`));
  const sameWorkflow = facts.id === undefined || run.workflow_id === facts.id;
  if (samePath && sameWorkflow && run.event === 'workflow_dispatch' && run.head_branch === workflow.ref)
    return undefined;
  const shown = (value: unknown) => (typeof value === 'string' ? value.replace(/[^\w./@-]/g, '').slice(0, 120) : '?');
  return `workflow ${shown(run.path)} (ID ${typeof run.workflow_id === 'number' ? run.workflow_id : '?'}), event ${shown(run.event)}, branch ${shown(run.head_branch)}`;
}

/** How long to look for the run a dispatch started before saying it cannot be told. */
export const FIND_RUN_MS = 60_000;
/** GitHub's timestamps have whole seconds, and the Date header may lag the run's creation by one. */
const CREATED_SLACK_MS = 2_000;

export interface RunSearch {
  octokit: Octokit;
  workflow: DeployWorkflow;
  facts: WorkflowFacts;
  clock: { now(): number; sleep(ms: number): Promise<void> };
  /** Runner time at which the dispatch was sent. */
  sentAt: number;
  /** When to stop looking at the latest (the hand-over's deadline). */
  deadline?: number;
  /** Runs of the workflow that existed before the dispatch, when they were listed. */
  before?: ReadonlySet<number>;
  /** A run link GitHub gives, made safe for Markdown (deploy.ts's webUrl). */
  link(value: unknown): string | undefined;
}

/** The run found, or why it cannot be told, with the runs that might be it. */
export type Found = { run: DispatchedRun } | { notIdentified: string; candidates: DispatchedRun[] };

/**
 * Lists the workflow's runs since the dispatch, at once and then 1, 2, 4 ...
 * up to 8 s apart, until exactly one new run of it shows, or more than one
 * (which one is this dispatch's cannot be told), or FIND_RUN_MS passes (or the
 * phase's deadline comes first).
 */
export async function findDispatchedRun(search: RunSearch): Promise<Found> {
  const { clock, workflow } = search;
  const started = clock.now();
  for (let waitMs = 1_000; ; waitMs = Math.min(waitMs * 2, 8_000)) {
    const candidates = await listCandidates(search);
    if (candidates.length === 1) return { run: candidates[0] as DispatchedRun };
    if (candidates.length > 1) {
      const runs = candidates.map((c) => c.url).join(', ');
      const which = `${candidates.length} runs of ${workflow.label} started since the dispatch (${runs})`;
      return { notIdentified: `${which}, so the action cannot tell which is its own`, candidates };
    }
    const deadline = search.deadline ?? Number.POSITIVE_INFINITY;
    const left = Math.min(started + FIND_RUN_MS, deadline) - clock.now();
    if (left <= 0) {
      const within = `within ${Math.round((clock.now() - started) / 1000)} s of the dispatch`;
      return { notIdentified: `no run of ${workflow.label} appeared ${within}`, candidates: [] };
    }
    await clock.sleep(Math.min(waitMs, left));
  }
}

/** The runs of the workflow on its branch, started by workflow_dispatch since it was dispatched, that are new. */
async function listCandidates(search: RunSearch): Promise<DispatchedRun[]> {
  const { octokit, workflow, facts, sentAt, before } = search;
  const since = new Date(sentAt + facts.skewMs - CREATED_SLACK_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const runs = await dispatchedRuns(octokit, workflow, { created: `>=${since}` });
  return runs.flatMap((run) => {
    const id = run?.id;
    const url = search.link(run?.html_url);
    if (!run || typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0 || !url) return [];
    if (before?.has(id) || foreignRun(run, workflow, facts) !== undefined) return [];
    return [{ workflow, runId: id, url }];
  });
}

/** The IDs of the workflow's latest dispatched runs on its branch: what a later listing must not take for new. */
export async function existingRuns(octokit: Octokit, workflow: DeployWorkflow): Promise<Set<number>> {
  const runs = await dispatchedRuns(octokit, workflow, {});
  return new Set(runs.flatMap((run) => (typeof run?.id === 'number' ? [run.id] : [])));
}

/**
 * The workflow's latest runs started by workflow_dispatch on its branch (20, newest first), with any further filter.
 * https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow
 */
async function dispatchedRuns(
  octokit: Octokit,
  workflow: DeployWorkflow,
  filter: { created?: string },
): Promise<Array<RunFields | null>> {
  const route = 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs';
  const params = {
    owner: workflow.owner,
    repo: workflow.repo,
    workflow_id: workflow.file,
    event: 'workflow_dispatch',
    branch: workflow.ref,
    ...filter,
    per_page: 20,
  };
  const data = expectStatus(await octokit.request(route, params), [200]).data as { workflow_runs?: unknown } | null;
  return Array.isArray(data?.workflow_runs) ? (data.workflow_runs as Array<RunFields | null>) : [];
}
