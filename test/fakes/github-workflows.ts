// The fake GitHub's Actions workflows: read a workflow, dispatch it (workflow_dispatch), list its
// runs, read a run, and read the git refs a workflow can run on, answering with the fields GitHub's
// OpenAPI descriptions require (test/fakes/openapi.test.ts checks them), as github.com answers and
// as GitHub Enterprise Server 3.19 answers:
// - github.com and GHEC (since 2026-02-19) take `return_run_details` and answer 200 with the run;
//   without it, 204. At most 25 inputs.
// - GHES up to 3.20 refuse the key (422 "return_run_details is not a permitted key.") and answer
//   every dispatch 204 with no body; at most 10 inputs. Every answer carries
//   x-github-enterprise-version.
// https://docs.github.com/en/rest/actions/workflows#create-a-workflow-dispatch-event
// https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow
// https://docs.github.com/en/rest/git/refs#get-a-reference
import { createHash } from 'node:crypto';
import { minimalRepository, type Origins, type RepositoryFacts } from './github-repository.js';
import { type FakeRequest, type HttpError, isPlainObject, type Reply } from './log.js';

export type WorkflowState = 'active' | 'deleted' | 'disabled_fork' | 'disabled_inactivity' | 'disabled_manually';

/** Which GitHub the fake answers as. */
export type Platform = 'github.com' | 'ghes-3.19';

/** What GHES 3.19 reports in x-github-enterprise-version. */
export const GHES_VERSION = '3.19.2';

/** How one workflow of a repository behaves. */
export interface FakeWorkflow {
  state?: WorkflowState;
  /** How its runs end. */
  conclusion?: 'success' | 'failure' | 'cancelled' | 'timed_out' | 'skipped';
  /** Reads of a run that still find it in progress before it completes; default 0 (done at the first read). */
  readsInProgress?: number;
  /** Whether the file has an `on: workflow_dispatch` trigger; default true. */
  dispatchable?: boolean;
  /** Branches it can run on (they exist in its repository); default ['main']. */
  refs?: string[];
  /** Tags it can run on (they exist in its repository); default none. */
  tags?: string[];
}

/** A run the fake started. */
export interface FakeRun {
  id: number;
  repository: string;
  file: string;
  ref: string;
  event: string;
  inputs?: Record<string, unknown>;
  reads: number;
  workflow: FakeWorkflow;
  /** Epoch ms, as GitHub records it (whole seconds). */
  createdAt: number;
}

export interface WorkflowContext {
  origins(): Origins;
  /** The configured repository, or undefined when the token cannot see it. */
  repository(ownerRepo: string): (RepositoryFacts & { writable: boolean }) | undefined;
  error(status: number, message: string): HttpError;
  platform: Platform;
}

const CREATED = '2026-01-05T10:00:00Z';
const WORKFLOW_STATES = new Set<string>([
  'active',
  'deleted',
  'disabled_fork',
  'disabled_inactivity',
  'disabled_manually',
]);
const MAX_INPUTS: Record<Platform, number> = { 'github.com': 25, 'ghes-3.19': 10 };

/** Numeric IDs GitHub would give: stable per name, so answers repeat. */
function idOf(text: string): number {
  return Number.parseInt(createHash('sha256').update(text).digest('hex').slice(0, 8), 16) + 1;
}

const shaOf = (text: string) => createHash('sha1').update(text).digest('hex');
/** GitHub's timestamps have whole seconds. */
const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

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
  ): { facts: RepositoryFacts & { writable: boolean }; workflow: FakeWorkflow; file: string } {
    const facts = context.repository(ownerRepo);
    const name = fileOf(ownerRepo, file);
    const workflow = name === undefined ? undefined : workflows.get(`${ownerRepo.toLowerCase()}/${name}`);
    if (!facts || !workflow || name === undefined) throw context.error(404, 'Not Found');
    return { facts, workflow, file: name };
  }

  /** A workflow's file name from the path segment GitHub takes: the file name or the workflow's numeric ID. */
  function fileOf(ownerRepo: string, segment: string): string | undefined {
    if (!/^\d+$/.test(segment)) return segment;
    const prefix = `${ownerRepo.toLowerCase()}/`;
    const key = [...workflows.keys()].find((k) => k.startsWith(prefix) && idOf(k) === Number(segment));
    return key?.slice(prefix.length);
  }

  function workflowId(repository: string, file: string): number {
    return idOf(`${repository.toLowerCase()}/${file}`);
  }

  function workflowView(facts: RepositoryFacts, file: string, workflow: FakeWorkflow): Record<string, unknown> {
    const { api, web } = context.origins();
    const repo = `${facts.owner}/${facts.name}`;
    const id = workflowId(repo, file);
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

  /** POST .../dispatches: `ref` required, `inputs` within the platform's limit; github.com also takes `return_run_details`. */
  function readDispatch(req: FakeRequest): { ref: string; inputs?: Record<string, unknown>; details: boolean } {
    const body = jsonBody(req);
    const permitted = context.platform === 'github.com' ? ['ref', 'inputs', 'return_run_details'] : ['ref', 'inputs'];
    const unexpected = Object.keys(body).filter((k) => !permitted.includes(k));
    if (unexpected.length > 0) throw invalid(`${unexpected.join(', ')} is not a permitted key.`);
    if (typeof body.ref !== 'string' || body.ref === '') throw invalid('ref is required.');
    const inputs = body.inputs;
    const most = MAX_INPUTS[context.platform];
    if (inputs !== undefined && (!isPlainObject(inputs) || Object.keys(inputs).length > most)) {
      throw invalid(`inputs must be an object of at most ${most} properties.`);
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

  /** Starts a run of a workflow now, as a dispatch (or another event) would. */
  function startRun(repository: string, file: string, workflow: FakeWorkflow, ref: string, event: string): FakeRun {
    const id = nextRunId++;
    const run: FakeRun = { id, repository, file, ref, event, reads: 0, workflow, createdAt: Date.now() };
    runs.set(id, run);
    return run;
  }

  function dispatch(ownerRepo: string, segment: string, req: FakeRequest): Reply {
    const { facts, workflow, file } = workflowOf(ownerRepo, segment);
    if (!facts.writable) throw context.error(403, 'Resource not accessible by integration');
    const { ref, inputs, details } = readDispatch(req);
    if (workflow.dispatchable === false) throw context.error(422, "Workflow does not have 'workflow_dispatch' trigger");
    if ((workflow.state ?? 'active') !== 'active') throw context.error(422, 'Cannot trigger a disabled workflow');
    if (!refsOf(workflow).includes(ref)) throw context.error(422, `No ref found for: ${ref}`);
    const repository = `${facts.owner}/${facts.name}`;
    const run = startRun(repository, file, workflow, ref, 'workflow_dispatch');
    if (inputs) run.inputs = inputs;
    if (!details) return { status: 204 };
    const { api, web } = context.origins();
    const body = {
      workflow_run_id: run.id,
      run_url: `${api}/repos/${repository}/actions/runs/${run.id}`,
      html_url: `${web}/${repository}/actions/runs/${run.id}`,
    };
    return { status: 200, body };
  }

  function refsOf(workflow: FakeWorkflow): string[] {
    return [...(workflow.refs ?? ['main']), ...(workflow.tags ?? [])];
  }

  function runView(run: FakeRun, facts: RepositoryFacts): Record<string, unknown> {
    const { api, web } = context.origins();
    const done = run.reads > (run.workflow.readsInProgress ?? 0);
    const url = `${api}/repos/${run.repository}/actions/runs/${run.id}`;
    const workflowIdOfRun = workflowId(run.repository, run.file);
    const sha = shaOf(`${run.repository}@${run.ref}`);
    const person = { name: 'Mona Lisa', email: 'mona@example.com' };
    const created = isoSeconds(run.createdAt);
    return {
      id: run.id,
      node_id: Buffer.from(`WFR_${run.id}`).toString('base64'),
      name: run.file.replace(/\.ya?ml$/, ''),
      head_branch: run.ref,
      head_sha: sha,
      path: `.github/workflows/${run.file}`,
      display_title: run.file.replace(/\.ya?ml$/, ''),
      run_number: run.id - 7_099_999,
      event: run.event,
      status: done ? 'completed' : 'in_progress',
      conclusion: done ? (run.workflow.conclusion ?? 'success') : null,
      workflow_id: workflowIdOfRun,
      url,
      html_url: `${web}/${run.repository}/actions/runs/${run.id}`,
      pull_requests: [],
      created_at: created,
      updated_at: created,
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      check_suite_url: `${api}/repos/${run.repository}/check-suites/${run.id}`,
      artifacts_url: `${url}/artifacts`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      workflow_url: `${api}/repos/${run.repository}/actions/workflows/${workflowIdOfRun}`,
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

  /**
   * GET .../workflows/{workflow_id}/runs, newest first, filtered by event, branch and created
   * (`>=DATE`, `<=DATE`, `DATE..DATE` or a date, GitHub's search syntax for dates), in pages.
   * Listing does not count as reading a run: its status stays where reads left it.
   */
  function listRuns(ownerRepo: string, segment: string, req: FakeRequest): Reply {
    const { facts, file } = workflowOf(ownerRepo, segment);
    const repository = `${facts.owner}/${facts.name}`;
    const event = req.query.get('event');
    const branch = req.query.get('branch');
    const created = createdFilter(req.query.get('created'));
    const matching = [...runs.values()]
      .filter((r) => r.repository === repository && r.file === file)
      .filter((r) => (!event || r.event === event) && (!branch || r.ref === branch) && created(r.createdAt))
      .sort((a, b) => b.id - a.id);
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page')) || 30));
    const page = Math.max(1, Number(req.query.get('page')) || 1);
    const listed = matching.slice((page - 1) * perPage, page * perPage).map((r) => runView(r, facts));
    return { status: 200, body: { total_count: matching.length, workflow_runs: listed } };
  }

  /** A `created` filter in GitHub's search syntax for dates; anything else matches nothing, as GitHub finds nothing. */
  function createdFilter(value: string | null): (createdAt: number) => boolean {
    if (!value) return () => true;
    const seconds = (at: number) => Math.floor(at / 1000) * 1000;
    const match = /^(>=|<=|>|<)?([^.]+?)(?:\.\.(.+))?$/.exec(value);
    const from = Date.parse(match?.[2] ?? '');
    const to = match?.[3] === undefined ? undefined : Date.parse(match[3]);
    if (!match || Number.isNaN(from) || (to !== undefined && Number.isNaN(to))) return () => false;
    if (to !== undefined) return (at) => seconds(at) >= from && seconds(at) <= to;
    const compare = { '>=': (a: number) => a >= from, '<=': (a: number) => a <= from, '>': (a: number) => a > from };
    return (at) => (compare[match[1] as keyof typeof compare] ?? ((a: number) => a === from))(seconds(at));
  }

  /** GET .../git/ref/heads/{branch} or tags/{tag}: a ref some configured workflow of the repository runs on. */
  function getRef(ownerRepo: string, kind: string, name: string): Reply {
    const facts = context.repository(ownerRepo);
    const prefix = `${ownerRepo.toLowerCase()}/`;
    const repositoryWorkflows = [...workflows].filter(([key]) => key.startsWith(prefix)).map(([, w]) => w);
    const names = repositoryWorkflows.flatMap((w) => (kind === 'heads' ? (w.refs ?? ['main']) : (w.tags ?? [])));
    if (!facts || !names.includes(name)) throw context.error(404, 'Not Found');
    const { api } = context.origins();
    const sha = shaOf(`${ownerRepo}@${name}`);
    return {
      status: 200,
      body: {
        ref: `refs/${kind}/${name}`,
        node_id: Buffer.from(`REF_${ownerRepo}/${kind}/${name}`).toString('base64'),
        url: `${api}/repos/${ownerRepo}/git/refs/${kind}/${name}`,
        object: { type: 'commit', sha, url: `${api}/repos/${ownerRepo}/git/commits/${sha}` },
      },
    };
  }

  /** Answers a workflow, run or ref request, or undefined for any other path. */
  function handle(req: FakeRequest, path: string): Reply | undefined {
    if (req.method !== 'GET' && req.method !== 'POST') return undefined;
    return workflowRoute(req, path) ?? runRoute(req, path) ?? refRoute(req, path);
  }

  /** .../actions/workflows/{workflow_id}, its dispatches and its runs. */
  function workflowRoute(req: FakeRequest, path: string): Reply | undefined {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)(\/dispatches|\/runs)?$/.exec(path);
    if (!match) return undefined;
    const [, owner, repo, file = '', sub] = match;
    const ownerRepo = `${owner}/${repo}`;
    const segment = decodeURIComponent(file);
    if (sub === '/dispatches' && req.method === 'POST') return dispatch(ownerRepo, segment, req);
    if (sub === '/runs' && req.method === 'GET') return listRuns(ownerRepo, segment, req);
    if (sub || req.method !== 'GET') throw context.error(404, 'Not Found');
    const { facts, workflow, file: name } = workflowOf(ownerRepo, segment);
    return { status: 200, body: workflowView(facts, name, workflow) };
  }

  function runRoute(req: FakeRequest, path: string): Reply | undefined {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)$/.exec(path);
    return match && req.method === 'GET' ? getRun(`${match[1]}/${match[2]}`, match[3] as string) : undefined;
  }

  /** Octokit sends the ref as one segment (heads%2Fmain); GitHub takes it either way. */
  function refRoute(req: FakeRequest, path: string): Reply | undefined {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/git\/ref\/(.+)$/.exec(path);
    if (!match || req.method !== 'GET') return undefined;
    const name = /^(heads|tags)\/(.+)$/.exec(decodeURIComponent(match[3] as string));
    if (!name) throw context.error(404, 'Not Found');
    return getRef(`${match[1]}/${match[2]}`, name[1] as string, name[2] as string);
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
    /**
     * Starts a run now that no dispatch of the action made: another person's dispatch of the
     * same workflow, or a run of another workflow (`event` push, say).
     */
    startRun(ownerRepo: string, file: string, options: { ref?: string; event?: string } = {}): FakeRun {
      const workflow = workflows.get(`${ownerRepo.toLowerCase()}/${file}`);
      if (!workflow) throw new Error(`fake GitHub: no workflow ${file} in ${ownerRepo}`);
      const facts = context.repository(ownerRepo);
      const repository = facts ? `${facts.owner}/${facts.name}` : ownerRepo;
      return startRun(repository, file, workflow, options.ref ?? 'main', options.event ?? 'workflow_dispatch');
    },
  };
}
