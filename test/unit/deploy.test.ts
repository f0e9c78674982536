import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionError } from '../../src/errors.js';
import { checkWorkflow, dispatchWorkflow, MAX_POLL_WAIT_MS, waitForRun, webUrl } from '../../src/github/deploy.js';
import { parseDeployWorkflows } from '../../src/inputs.js';
import type { DeployWorkflow } from '../../src/model.js';
import { type MockApi, mockApi, NOW_MS, rejectionOf } from './mock-api.js';

const GH = 'https://api.github.com';
const [workflow] = parseDeployWorkflows('acme/baton-okta/.github/workflows/deploy.yml@main') as [DeployWorkflow];
const WORKFLOW = '/repos/acme/baton-okta/actions/workflows/deploy.yml';
const RUN = '/repos/acme/baton-okta/actions/runs/42';
const run = { workflow, runId: 42, url: 'https://github.com/acme/baton-okta/actions/runs/42' };

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

describe('checkWorkflow', () => {
  it('passes an active workflow, read by its file name', async () => {
    api.agent
      .get(GH)
      .intercept({ path: WORKFLOW })
      .reply(api.answer(200, { id: 1, state: 'active' }));
    await checkWorkflow(api.octokit(), workflow);
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
    expect(err).toBeInstanceOf(ActionError);
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

describe('dispatchWorkflow', () => {
  it('dispatches on the ref with the inputs and asks for the run details', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${WORKFLOW}/dispatches`, method: 'POST' })
      .reply(api.answer(200, { workflow_run_id: 42, run_url: `${GH}${RUN}`, html_url: run.url }));
    expect(await dispatchWorkflow(api.octokit(), workflow, { environment: 'production' })).toEqual(run);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({
      ref: 'main',
      inputs: { environment: 'production' },
      return_run_details: true,
    });
  });

  it('refuses an answer without a run ID or a web URL it can link to', async () => {
    for (const data of [
      { html_url: run.url },
      { workflow_run_id: 42, html_url: 'javascript:alert(1)' },
      { workflow_run_id: -1, html_url: run.url },
      null,
    ]) {
      api.agent
        .get(GH)
        .intercept({ path: `${WORKFLOW}/dispatches`, method: 'POST' })
        .reply(api.answer(200, data));
      const err = await rejectionOf(dispatchWorkflow(api.octokit(), workflow, undefined));
      expect(err.message).toContain('but did not say which run it started');
    }
  });

  it('counts a 204 (no run details, as without return_run_details) as not documented for this request', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${WORKFLOW}/dispatches`, method: 'POST' })
      .reply(api.answer(204));
    const err = await rejectionOf(dispatchWorkflow(api.octokit(), workflow, undefined));
    expect(err.message).toContain('with status 204, not the documented 200');
  });

  it('explains a 422 by the workflow_dispatch trigger, the ref and the inputs', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${WORKFLOW}/dispatches`, method: 'POST' })
      .reply(api.answer(422, { message: 'Unexpected inputs provided: ["nope"]' }));
    const err = await rejectionOf(dispatchWorkflow(api.octokit(), workflow, { nope: 'x' }));
    expect(err.message).toBe(
      'GitHub refused to dispatch acme/baton-okta/.github/workflows/deploy.yml@main (422 Unexpected inputs provided: ["nope"]): check that the workflow has an "on: workflow_dispatch" trigger, that main exists, and that deploy-inputs gives only the inputs it declares.',
    );
  });

  it('keeps a link GitHub gives free of anything that would break out of Markdown', async () => {
    api.agent
      .get(GH)
      .intercept({ path: `${WORKFLOW}/dispatches`, method: 'POST' })
      .reply(
        api.answer(200, { workflow_run_id: 42, html_url: 'https://github.com/a/b/actions/runs/42)[x](https://evil)' }),
      );
    const dispatched = await dispatchWorkflow(api.octokit(), workflow, undefined);
    expect(dispatched.url).not.toMatch(/[()]/);
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
  });
});

describe('waitForRun', () => {
  function serveRun(statuses: Array<{ status: string; conclusion?: string | null }>) {
    const pool = api.agent.get(GH);
    for (const answer of statuses) pool.intercept({ path: RUN }).reply(api.answer(200, { id: 42, ...answer }));
  }

  it('reads the run at once, then backs off from 2 s, doubling up to 30 s, until it completes', async () => {
    serveRun([
      ...Array(7).fill({ status: 'in_progress', conclusion: null }),
      { status: 'completed', conclusion: 'success' },
    ]);
    const conclusion = await waitForRun(api.octokit(), run, { clock: api.clock, deadline: NOW_MS + 3_600_000 });
    expect(conclusion).toBe('success');
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
    serveRun(Array(4).fill({ status: 'queued', conclusion: null }));
    const conclusion = await waitForRun(api.octokit(), run, { clock: api.clock, deadline: NOW_MS + 5_000 });
    expect(conclusion).toBe('timed out');
    expect(api.clock.waits).toEqual([2_000, 3_000]);
    expect(api.requests).toHaveLength(3);
  });

  it('reports any conclusion GitHub documents, and "unknown" for anything else', async () => {
    serveRun([
      { status: 'completed', conclusion: 'cancelled' },
      { status: 'completed', conclusion: 'pwned\n::warning::x' },
    ]);
    expect(await waitForRun(api.octokit(), run, { clock: api.clock, deadline: NOW_MS })).toBe('cancelled');
    expect(await waitForRun(api.octokit(), run, { clock: api.clock, deadline: NOW_MS })).toBe('unknown');
  });

  it('reports "unknown" at once for a run answered with something that is not an object', async () => {
    api.agent.get(GH).intercept({ path: RUN }).reply(api.answer(200, null));
    expect(await waitForRun(api.octokit(), run, { clock: api.clock, deadline: NOW_MS + 60_000 })).toBe('unknown');
    expect(api.requests).toHaveLength(1);
  });
});
