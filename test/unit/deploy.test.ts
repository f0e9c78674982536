import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionError } from '../../src/errors.js';
import {
  checkRef,
  checkWorkflow,
  dispatchWorkflow,
  ForeignRunError,
  MAX_POLL_WAIT_MS,
  type WorkflowFacts,
  waitForRun,
  webUrl,
} from '../../src/github/deploy.js';
import { FIND_RUN_MS } from '../../src/github/workflow-run.js';
import { parseDeployWorkflows } from '../../src/inputs.js';
import type { DeployWorkflow } from '../../src/model.js';
import { type MockApi, mockApi, NOW_MS, rejectionOf } from './mock-api.js';

const GH = 'https://api.github.com';
const [workflow] = parseDeployWorkflows('acme/baton-okta/.github/workflows/deploy.yml@main') as [DeployWorkflow];
const WORKFLOW = '/repos/acme/baton-okta/actions/workflows/deploy.yml';
const DISPATCHES = `${WORKFLOW}/dispatches`;
const RUNS = `${WORKFLOW}/runs`;
const RUN = '/repos/acme/baton-okta/actions/runs/42';
const run = { workflow, runId: 42, url: 'https://github.com/acme/baton-okta/actions/runs/42' };
const WORKFLOW_ID = 161335;
const GITHUB_COM: WorkflowFacts = { id: WORKFLOW_ID, skewMs: 0 };
const GHES_319: WorkflowFacts = { id: WORKFLOW_ID, enterpriseVersion: '3.19.2', skewMs: 0 };

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

/** A run of the deploy workflow as GitHub lists and reads it. */
function runOf(id: number, overrides: Record<string, unknown> = {}) {
  return {
    id,
    workflow_id: WORKFLOW_ID,
    path: '.github/workflows/deploy.yml',
    event: 'workflow_dispatch',
    head_branch: 'main',
    html_url: `https://github.com/acme/baton-okta/actions/runs/${id}`,
    status: 'in_progress',
    conclusion: null,
    ...overrides,
  };
}

/** Answers every listing of the workflow's runs with `runs` (after `emptyFirst` empty listings). */
function listRuns(runs: unknown[], emptyFirst = 0) {
  const pool = api.agent.get(GH);
  const runsPath = (path: string) => path.startsWith(`${RUNS}?`);
  if (emptyFirst > 0)
    pool
      .intercept({ path: runsPath })
      .reply(api.answer(200, { total_count: 0, workflow_runs: [] }))
      .times(emptyFirst);
  pool
    .intercept({ path: runsPath })
    .reply(api.answer(200, { total_count: runs.length, workflow_runs: runs }))
    .persist();
}

const dispatchTo = (facts: WorkflowFacts, inputs?: Record<string, string>) =>
  dispatchWorkflow(api.octokit(), workflow, inputs, { facts, clock: api.clock });
const bodies = () => api.requests.filter((r) => r.method === 'POST').map((r) => JSON.parse(r.body) as unknown);

describe('checkWorkflow', () => {
  it('passes an active workflow, read by its file name, and says what it learned: its ID, the server, the clock', async () => {
    api.agent
      .get(GH)
      .intercept({ path: WORKFLOW })
      .reply(api.answer(200, { id: 9, state: 'active' }, { 'x-github-enterprise-version': '3.19.2' }));
    const facts = await checkWorkflow(api.octokit(), workflow);
    expect(facts).toMatchObject({ id: 9, enterpriseVersion: '3.19.2', skewMs: 0 });
    expect(api.log()).toEqual([`GET ${WORKFLOW} 200`]);
  });

  it('refuses a workflow that is not active, saying how to enable it', async () => {
    api.agent
      .get(GH)
      .intercept({ path: WORKFLOW })
      .reply(api.answer(200, { id: 1, state: 'disabled_inactivity' }));
    const err = await rejectionOf(checkWorkflow(api.octokit(), workflow));
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toBe(
      'The deploy workflow acme/baton-okta/.github/workflows/deploy.yml@main is not active (state: disabled_inactivity): enable it in the repository\'s Actions tab (or with "gh workflow enable"), or fix deploy-workflows.',
    );
  });

  it('refuses an answer that is not an object as a workflow of unknown state', async () => {
    api.agent.get(GH).intercept({ path: WORKFLOW }).reply(api.answer(200, null));
    const err = await rejectionOf(checkWorkflow(api.octokit(), workflow));
    expect(err.message).toContain('is not active (state: unknown)');
  });

  it('says a missing workflow was not found, and a refused read which permission to give', async () => {
    const pool = api.agent.get(GH);
    pool.intercept({ path: WORKFLOW }).reply(api.answer(404, { message: 'Not Found' }));
    expect((await rejectionOf(checkWorkflow(api.octokit(), workflow))).message).toMatch(
      /^The deploy workflow acme\/baton-okta\/\.github\/workflows\/deploy\.yml@main was not found, or github-token cannot see acme\/baton-okta \(404\): check the path in deploy-workflows/,
    );
    pool.intercept({ path: WORKFLOW }).reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    expect((await rejectionOf(checkWorkflow(api.octokit(), workflow))).message).toBe(
      'github-token cannot read the deploy workflow deploy.yml (@main) in acme/baton-okta (403 Resource not accessible by integration): give the token the Actions read and write permission on acme/baton-okta.',
    );
  });
});

describe('checkRef', () => {
  const ref = (kind: string, name = 'main') => `/repos/acme/baton-okta/git/ref/${kind}%2F${name}`;

  it('passes a branch, and a tag when there is no branch of that name', async () => {
    const pool = api.agent.get(GH);
    pool.intercept({ path: ref('heads') }).reply(api.answer(200, { ref: 'refs/heads/main' }));
    await checkRef(api.octokit(), workflow);
    pool.intercept({ path: ref('heads') }).reply(api.answer(404, { message: 'Not Found' }));
    pool.intercept({ path: ref('tags') }).reply(api.answer(200, { ref: 'refs/tags/main' }));
    await checkRef(api.octokit(), workflow);
    expect(api.log()).toEqual([`GET ${ref('heads')} 200`, `GET ${ref('heads')} 404`, `GET ${ref('tags')} 200`]);
  });

  it('refuses a ref that is no branch or tag, before anything rotates', async () => {
    const [nope] = parseDeployWorkflows('acme/baton-okta/.github/workflows/deploy.yml@nope') as [DeployWorkflow];
    const pool = api.agent.get(GH);
    pool.intercept({ path: ref('heads', 'nope') }).reply(api.answer(404, { message: 'Not Found' }));
    pool.intercept({ path: ref('tags', 'nope') }).reply(api.answer(404, { message: 'Not Found' }));
    const err = await rejectionOf(checkRef(api.octokit(), nope));
    expect(err.message).toBe(
      'The deploy workflow acme/baton-okta/.github/workflows/deploy.yml@nope names nope, which is no branch or tag of acme/baton-okta: fix the @REF in deploy-workflows, or push that branch or tag.',
    );
  });

  it('asks for the Contents read permission when the token cannot read refs', async () => {
    api.agent
      .get(GH)
      .intercept({ path: ref('heads') })
      .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    expect((await rejectionOf(checkRef(api.octokit(), workflow))).message).toBe(
      'github-token cannot read the ref main of the deploy workflow deploy.yml in acme/baton-okta (403 Resource not accessible by integration): give the token the Contents read permission on acme/baton-okta.',
    );
  });
});

describe('dispatchWorkflow on github.com: run details', () => {
  it('dispatches on the ref with the inputs, asks for the run details, and takes the run GitHub names', async () => {
    api.agent
      .get(GH)
      .intercept({ path: DISPATCHES, method: 'POST' })
      .reply(api.answer(200, { workflow_run_id: 42, run_url: `${GH}${RUN}`, html_url: run.url }));
    expect(await dispatchTo(GITHUB_COM, { environment: 'production' })).toEqual({ run });
    expect(bodies()).toEqual([{ ref: 'main', inputs: { environment: 'production' }, return_run_details: true }]);
  });

  for (const [what, status, data] of [
    ['a 204', 204, ''],
    ['a 200 without run details', 200, {}],
    ['a 200 with run details it cannot use', 200, { workflow_run_id: -1, html_url: 'javascript:alert(1)' }],
  ] as const) {
    it(`finds the run by listing the workflow's runs after ${what}`, async () => {
      api.agent.get(GH).intercept({ path: DISPATCHES, method: 'POST' }).reply(api.answer(status, data));
      listRuns([runOf(43)], 1);
      expect(await dispatchTo(GITHUB_COM)).toEqual({ run: { ...run, runId: 43, url: run.url.replace('42', '43') } });
      const listing = new URL(api.requests.find((r) => r.path.startsWith(RUNS))!.path, GH).searchParams;
      expect(Object.fromEntries(listing)).toEqual({
        event: 'workflow_dispatch',
        branch: 'main',
        created: `>=${new Date(NOW_MS - 2_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
        per_page: '20',
      });
      expect(api.clock.waits).toEqual([1_000]);
    });
  }

  it('explains a 422 by the workflow_dispatch trigger, the ref and the inputs', async () => {
    api.agent
      .get(GH)
      .intercept({ path: DISPATCHES, method: 'POST' })
      .reply(api.answer(422, { message: 'Unexpected inputs provided: ["nope"]' }));
    const err = await rejectionOf(dispatchTo(GITHUB_COM, { nope: 'x' }));
    expect(err.message).toBe(
      'GitHub refused to dispatch acme/baton-okta/.github/workflows/deploy.yml@main (422 Unexpected inputs provided: ["nope"]): check that the workflow has an "on: workflow_dispatch" trigger, that main exists, and that deploy-inputs gives only the inputs it declares.',
    );
  });

  it('keeps a link GitHub gives free of anything that would break out of Markdown', async () => {
    api.agent
      .get(GH)
      .intercept({ path: DISPATCHES, method: 'POST' })
      .reply(api.answer(200, { workflow_run_id: 42, html_url: 'https://github.com/a/b/actions/runs/42)|x|[y](z)' }));
    const dispatched = await dispatchTo(GITHUB_COM);
    expect('run' in dispatched && dispatched.run.url).toBe(
      'https://github.com/a/b/actions/runs/42%29%7Cx%7C%5By%5D%28z%29',
    );
  });
});

describe('dispatchWorkflow on GitHub Enterprise Server up to 3.20: no run details', () => {
  it('lists the runs there are, dispatches without return_run_details, and takes the one new run', async () => {
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: (p) => p.startsWith(`${RUNS}?`) })
      .reply(api.answer(200, { total_count: 1, workflow_runs: [runOf(40)] }));
    pool.intercept({ path: DISPATCHES, method: 'POST' }).reply(api.answer(204));
    listRuns([runOf(44), runOf(40)]);
    const found = await dispatchTo(GHES_319, { environment: 'production' });
    expect(found).toEqual({ run: { ...run, runId: 44, url: run.url.replace('42', '44') } });
    expect(bodies()).toEqual([{ ref: 'main', inputs: { environment: 'production' } }]);
  });

  it('dispatches again without the key when a server that names no version refuses it (422 "not a permitted key")', async () => {
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: DISPATCHES, method: 'POST' })
      .reply(api.answer(422, { message: 'Invalid request.\n\nreturn_run_details is not a permitted key.' }));
    pool
      .intercept({ path: (p) => p.startsWith(`${RUNS}?`) })
      .reply(api.answer(200, { total_count: 0, workflow_runs: [] }));
    pool.intercept({ path: DISPATCHES, method: 'POST' }).reply(api.answer(204));
    listRuns([runOf(45)]);
    expect(await dispatchTo({ skewMs: 0 })).toMatchObject({ run: { runId: 45 } });
    expect(bodies()).toEqual([{ ref: 'main', return_run_details: true }, { ref: 'main' }]);
  });

  it('refuses to pick when more than one new run shows, naming every one', async () => {
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: (p) => p.startsWith(`${RUNS}?`) })
      .reply(api.answer(200, { total_count: 0, workflow_runs: [] }));
    pool.intercept({ path: DISPATCHES, method: 'POST' }).reply(api.answer(204));
    listRuns([runOf(47), runOf(46)]);
    const found = await dispatchTo(GHES_319);
    expect(found).toEqual({
      notIdentified: `2 runs of ${workflow.label} started since the dispatch (https://github.com/acme/baton-okta/actions/runs/47, https://github.com/acme/baton-okta/actions/runs/46), so the action cannot tell which is its own`,
      candidates: [expect.objectContaining({ runId: 47 }), expect.objectContaining({ runId: 46 })],
    });
  });

  it("does not take another workflow's run, nor one of another event or branch, for its own", async () => {
    const pool = api.agent.get(GH);
    pool
      .intercept({ path: (p) => p.startsWith(`${RUNS}?`) })
      .reply(api.answer(200, { total_count: 0, workflow_runs: [] }));
    pool.intercept({ path: DISPATCHES, method: 'POST' }).reply(api.answer(204));
    listRuns([
      runOf(50, { workflow_id: 1, path: '.github/workflows/ci.yml' }),
      runOf(51, { event: 'push' }),
      runOf(52, { head_branch: 'other' }),
      runOf(53),
    ]);
    expect(await dispatchTo(GHES_319)).toMatchObject({ run: { runId: 53 } });
  });

  it(`says it cannot tell when no run shows within ${FIND_RUN_MS / 1000} s, looking 1, 2, 4, 8 s apart`, async () => {
    const pool = api.agent.get(GH);
    pool.intercept({ path: DISPATCHES, method: 'POST' }).reply(api.answer(204));
    listRuns([]);
    const found = await dispatchTo(GHES_319);
    expect(found).toEqual({
      notIdentified: `no run of ${workflow.label} appeared within 60 s of the dispatch`,
      candidates: [],
    });
    expect(api.clock.waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000, 8_000, 8_000, 5_000]);
  });
});

describe('dispatchWorkflow when the dispatch gets no answer', () => {
  it('looks for the run all the same: the dispatch may have started it', async () => {
    const pool = api.agent.get(GH);
    pool.intercept({ path: DISPATCHES, method: 'POST' }).replyWithError(new Error('socket hang up'));
    listRuns([runOf(60)]);
    expect(await dispatchTo(GITHUB_COM)).toMatchObject({ run: { runId: 60 } });
  });

  it('says it may have started, never that it was not dispatched, when no run shows', async () => {
    const pool = api.agent.get(GH);
    pool.intercept({ path: DISPATCHES, method: 'POST' }).reply(api.answer(502, 'Bad Gateway'));
    listRuns([]);
    const found = await dispatchTo(GITHUB_COM);
    expect('notIdentified' in found && found.notIdentified).toBe(
      `the dispatch got no answer, and no run of ${workflow.label} appeared within 60 s of the dispatch`,
    );
  });
});

describe('webUrl', () => {
  it('percent-encodes everything that could end a link or a table cell, or start Markdown', () => {
    expect(webUrl('https://github.com/a/b/actions/runs/42)|success|[x](https://evil)`\\')).toBe(
      'https://github.com/a/b/actions/runs/42%29%7Csuccess%7C%5Bx%5D%28https://evil%29%60/',
    );
    expect(webUrl('https://github.com/a/b/actions/runs/42')).toBe('https://github.com/a/b/actions/runs/42');
  });

  it('refuses anything but http(s)', () => {
    expect(webUrl('javascript:alert(1)')).toBeUndefined();
    expect(webUrl('not a url')).toBeUndefined();
    expect(webUrl(42)).toBeUndefined();
  });
});

describe('waitForRun', () => {
  const wait = (deadline: number, facts = GITHUB_COM) =>
    waitForRun(api.octokit(), run, { clock: api.clock, deadline, facts });

  function serveRun(statuses: Array<Record<string, unknown>>) {
    const pool = api.agent.get(GH);
    for (const answer of statuses) pool.intercept({ path: RUN }).reply(api.answer(200, runOf(42, answer)));
  }

  it('reads the run at once, then backs off from 2 s, doubling up to 30 s, until it completes', async () => {
    serveRun([...Array(7).fill({ status: 'in_progress' }), { status: 'completed', conclusion: 'success' }]);
    expect(await wait(NOW_MS + 3_600_000)).toBe('success');
    expect(api.requests).toHaveLength(8);
    expect(api.clock.waits).toEqual([
      2_000,
      4_000,
      8_000,
      16_000,
      MAX_POLL_WAIT_MS,
      MAX_POLL_WAIT_MS,
      MAX_POLL_WAIT_MS,
    ]);
  });

  it('gives up at the deadline, reading once more there, and says it timed out', async () => {
    serveRun(Array(4).fill({ status: 'queued' }));
    expect(await wait(NOW_MS + 5_000)).toBe('timed out');
    expect(api.clock.waits).toEqual([2_000, 3_000]);
    expect(api.requests).toHaveLength(3);
  });

  it('reports any conclusion GitHub documents, and "unknown" for anything else', async () => {
    serveRun([
      { status: 'completed', conclusion: 'cancelled' },
      { status: 'completed', conclusion: 'pwned\n::warning::x' },
    ]);
    expect(await wait(NOW_MS)).toBe('cancelled');
    expect(await wait(NOW_MS)).toBe('unknown');
  });

  it('reports "unknown" at once for a run answered with something that is not an object', async () => {
    api.agent.get(GH).intercept({ path: RUN }).reply(api.answer(200, null));
    expect(await wait(NOW_MS + 60_000)).toBe('unknown');
    expect(api.requests).toHaveLength(1);
  });

  for (const [what, fields] of [
    ['another workflow (its ID)', { workflow_id: 7, conclusion: 'success', status: 'completed' }],
    ['another workflow (its path)', { path: '.github/workflows/ci.yml', conclusion: 'success', status: 'completed' }],
    ['another event', { event: 'push', conclusion: 'success', status: 'completed' }],
    ['another branch', { head_branch: 'release', conclusion: 'success', status: 'completed' }],
  ] as const) {
    it(`does not count the conclusion of a run of ${what}, even a success`, async () => {
      serveRun([fields]);
      const err = await rejectionOf(wait(NOW_MS + 60_000));
      expect(err).toBeInstanceOf(ForeignRunError);
      expect(err.message).toMatch(
        /^GitHub gave run https:\/\/github\.com\/acme\/baton-okta\/actions\/runs\/42 as the run of acme\/baton-okta\/\.github\/workflows\/deploy\.yml@main, but it belongs to workflow .*, so its conclusion does not count$/,
      );
    });
  }

  it('checks the path alone when the workflow ID is not known', async () => {
    serveRun([{ workflow_id: 7, status: 'completed', conclusion: 'success' }]);
    expect(await wait(NOW_MS, { skewMs: 0 })).toBe('success');
  });
});
