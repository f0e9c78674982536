// The fake GitHub's Actions workflows: read a workflow, dispatch it (workflow_dispatch, with
// return_run_details), and read the run it started, answering with the fields GitHub's OpenAPI
// description requires (test/fakes/openapi.test.ts checks them).
// https://docs.github.com/en/rest/actions/workflows
// https://docs.github.com/en/rest/actions/workflow-runs#get-a-workflow-run
import { createHash } from 'node:crypto';
import { minimalRepository, type Origins, type RepositoryFacts } from './github-repository.js';
import { type FakeRequest, type HttpError, isPlainObject, type Reply } from './log.js';

export type WorkflowState = 'active' | 'deleted' | 'disabled_fork' | 'disabled_inactivity' | 'disabled_manually';

/** How one workflow of a repository behaves. */
export interface FakeWorkflow {
  state?: WorkflowState;
  /** How its runs end. */
  conclusion?: 'success' | 'failure' | 'cancelled' | 'timed_out' | 'skipped';
  /** Reads of a run that still find it in progress before it completes; default 0 (done at the first read). */
  readsInProgress?: number;
  /** Whether the file has an `on: workflow_dispatch` trigger; default true. */
  dispatchable?: boolean;
  /** Refs it can run on; default ['main']. */
  refs?: string[];
}

/** A run the fake started. */
export interface FakeRun {
  id: number;
  repository: string;
  file: string;
  ref: string;
  inputs?: Record<string, unknown>;
  reads: number;
  workflow: FakeWorkflow;
}

export interface WorkflowContext {
  origins(): Origins;
  /** The configured repository, or undefined when the token cannot see it. */
  repository(ownerRepo: string): (RepositoryFacts & { writable: boolean }) | undefined;
  error(status: number, message: string): HttpError;
}

const CREATED = '2026-01-05T10:00:00Z';
const WORKFLOW_STATES = new Set<string>([
  'active',
  'deleted',
  'disabled_fork',
  'disabled_inactivity',
  'disabled_manually',
]);

/** Numeric IDs GitHub would give: stable per name, so answers repeat. */
function idOf(text: string): number {
  return Number.parseInt(createHash('sha256').update(text).digest('hex').slice(0, 8), 16) + 1;
}

export function createWorkflows(
  context: WorkflowContext,
  configured: Record<string, Record<string, FakeWorkflow>> = {},
) {
  const workflows = new Map<string, FakeWorkflow>(
    Object.entries(configured).flatMap(([repo, files]) =>
      Object.entries(files).map(([file, w]) => [`${repo.toLowerCase()}/${file}`, w]),
    ),
  );
  const runs = new Map<number, FakeRun>();
  let nextRunId = 7_100_000;

  function workflowOf(
    ownerRepo: string,
    file: string,
  ): { facts: RepositoryFacts & { writable: boolean }; workflow: FakeWorkflow } {
    const facts = context.repository(ownerRepo);
    const workflow = workflows.get(`${ownerRepo.toLowerCase()}/${file}`);
    if (!facts || !workflow) throw context.error(404, 'Not Found');
    return { facts, workflow };
  }

  function workflowView(facts: RepositoryFacts, file: string, workflow: FakeWorkflow): Record<string, unknown> {
    const { api, web } = context.origins();
    const id = idOf(`${facts.owner}/${facts.name}/${file}`);
    const repo = `${facts.owner}/${facts.name}`;
    return {
      id,
      node_id: Buffer.from(`W_${id}`).toString('base64'),
      name: file.replace(/\.ya?ml$/, ''),
      path: `.github/workflows/${file}`,
      state: workflow.state ?? 'active',
      created_at: CREATED,
      updated_at: CREATED,
      url: `${api}/repos/${repo}/actions/workflows/${id}`,
      html_url: `${web}/${repo}/blob/main/.github/workflows/${file}`,
      badge_url: `${web}/${repo}/workflows/${encodeURIComponent(file)}/badge.svg`,
    };
  }

  /** POST .../dispatches: `ref` required, `inputs` at most 25, nothing else but `return_run_details`. */
  function readDispatch(req: FakeRequest): { ref: string; inputs?: Record<string, unknown>; details: boolean } {
    const body = jsonBody(req);
    const unexpected = Object.keys(body).filter((k) => !['ref', 'inputs', 'return_run_details'].includes(k));
    if (unexpected.length > 0) throw invalid(`${unexpected.join(', ')} is not a permitted key.`);
    if (typeof body.ref !== 'string' || body.ref === '') throw invalid('ref is required.');
    const inputs = body.inputs;
    if (inputs !== undefined && (!isPlainObject(inputs) || Object.keys(inputs).length > 25)) {
      throw invalid('inputs must be an object of at most 25 properties.');
    }
    if (!['boolean', 'undefined'].includes(typeof body.return_run_details)) {
      throw invalid('return_run_details must be a boolean.');
    }
    return { ref: body.ref, ...(inputs ? { inputs } : {}), details: body.return_run_details === true };
  }

  function invalid(message: string): HttpError {
    return context.error(422, `Invalid request.\n\n${message}`);
  }

  function jsonBody(req: FakeRequest): Record<string, unknown> {
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      throw context.error(400, 'Problems parsing JSON');
    }
    if (!isPlainObject(body)) throw context.error(400, 'Problems parsing JSON');
    return body;
  }

  function dispatch(ownerRepo: string, file: string, req: FakeRequest): Reply {
    const { facts, workflow } = workflowOf(ownerRepo, file);
    if (!facts.writable) throw context.error(403, 'Resource not accessible by integration');
    const { ref, inputs, details } = readDispatch(req);
    if (workflow.dispatchable === false) throw context.error(422, "Workflow does not have 'workflow_dispatch' trigger");
    if ((workflow.state ?? 'active') !== 'active') throw context.error(422, 'Cannot trigger a disabled workflow');
    if (!(workflow.refs ?? ['main']).includes(ref)) throw context.error(422, `No ref found for: ${ref}`);
    const id = nextRunId++;
    const repository = `${facts.owner}/${facts.name}`;
    runs.set(id, { id, repository, file, ref, ...(inputs ? { inputs } : {}), reads: 0, workflow });
    if (!details) return { status: 204 };
    const { api, web } = context.origins();
    const body = {
      workflow_run_id: id,
      run_url: `${api}/repos/${repository}/actions/runs/${id}`,
      html_url: `${web}/${repository}/actions/runs/${id}`,
    };
    return { status: 200, body };
  }

  function runView(run: FakeRun, facts: RepositoryFacts): Record<string, unknown> {
    const { api, web } = context.origins();
    const done = run.reads > (run.workflow.readsInProgress ?? 0);
    const url = `${api}/repos/${run.repository}/actions/runs/${run.id}`;
    const workflowId = idOf(`${run.repository}/${run.file}`);
    const sha = createHash('sha1').update(`${run.repository}@${run.ref}`).digest('hex');
    const person = { name: 'Mona Lisa', email: 'mona@example.com' };
    return {
      id: run.id,
      node_id: Buffer.from(`WFR_${run.id}`).toString('base64'),
      name: run.file.replace(/\.ya?ml$/, ''),
      head_branch: run.ref,
      head_sha: sha,
      path: `.github/workflows/${run.file}`,
      display_title: run.file.replace(/\.ya?ml$/, ''),
      run_number: run.id - 7_099_999,
      event: 'workflow_dispatch',
      status: done ? 'completed' : 'in_progress',
      conclusion: done ? (run.workflow.conclusion ?? 'success') : null,
      workflow_id: workflowId,
      url,
      html_url: `${web}/${run.repository}/actions/runs/${run.id}`,
      pull_requests: [],
      created_at: CREATED,
      updated_at: CREATED,
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      check_suite_url: `${api}/repos/${run.repository}/check-suites/${run.id}`,
      artifacts_url: `${url}/artifacts`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      workflow_url: `${api}/repos/${run.repository}/actions/workflows/${workflowId}`,
      head_commit: { id: sha, tree_id: sha, message: 'Deploy', timestamp: CREATED, author: person, committer: person },
      repository: minimalRepository(context.origins(), facts),
      head_repository: minimalRepository(context.origins(), facts),
    };
  }

  function getRun(ownerRepo: string, id: string): Reply {
    const facts = context.repository(ownerRepo);
    const run = runs.get(Number(id));
    if (!facts || !run || run.repository.toLowerCase() !== ownerRepo.toLowerCase())
      throw context.error(404, 'Not Found');
    run.reads += 1;
    return { status: 200, body: runView(run, facts) };
  }

  /** Answers a workflow request, or undefined for any other path. */
  function handle(req: FakeRequest, path: string): Reply | undefined {
    const workflow = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)(\/dispatches)?$/.exec(path);
    if (workflow) {
      const [, owner, repo, file = '', dispatches] = workflow;
      const ownerRepo = `${owner}/${repo}`;
      if (dispatches && req.method === 'POST') return dispatch(ownerRepo, decodeURIComponent(file), req);
      if (!dispatches && req.method === 'GET') {
        const { facts, workflow: w } = workflowOf(ownerRepo, decodeURIComponent(file));
        return { status: 200, body: workflowView(facts, decodeURIComponent(file), w) };
      }
      throw context.error(404, 'Not Found');
    }
    const run = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)$/.exec(path);
    if (run && req.method === 'GET') return getRun(`${run[1]}/${run[2]}`, run[3] as string);
    return undefined;
  }

  return {
    handle,
    /** Every run started, by ID. */
    runs,
    /** Changes how a workflow behaves from now on (an existing one, or a new one). */
    setWorkflow(ownerRepo: string, file: string, workflow: FakeWorkflow): void {
      if (workflow.state && !WORKFLOW_STATES.has(workflow.state))
        throw new Error(`unknown workflow state ${workflow.state}`);
      workflows.set(`${ownerRepo.toLowerCase()}/${file}`, workflow);
    },
  };
}
