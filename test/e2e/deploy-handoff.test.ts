// The deploy hand-off on every GitHub, as the runner runs the bundled action: the run a dispatch
// started found without run details (GitHub Enterprise Server 3.19, a 204, a 200 without them, a
// dispatch whose answer never came), never a run of another workflow taken for it, nothing revoked
// when the action cannot tell which run is its own; and a hand-off that cannot work found before
// anything rotates (a ref that does not exist, a deploy repository that receives none of the
// secrets, the rotation workflow itself, too many inputs for GHES).
import { describe, it, type TestContext } from 'vitest';
import { githubErrorBody, orgScope, repoScope } from '../fakes/github.js';
import type { Platform } from '../fakes/github-workflows.js';
import type { Fault } from '../fakes/log.js';
import {
  deployRuns,
  type E2EScenario,
  holdingRecorded,
  leaks,
  ledgerStates,
  onlyError,
  onlyIssued,
  scenarioFor,
  storedCredential,
} from './helpers.js';

const REPO = 'acme/connectors';
const DEPLOY = `${REPO}/.github/workflows/deploy.yml@main`;
const VARIABLE = 'BATON_CREDENTIAL_ID';
const DISPATCHES = /\/actions\/workflows\/deploy\.yml\/dispatches$/;

async function handOff(context: TestContext, platform: Platform = 'github.com') {
  const scenario = await scenarioFor(context, {
    repositories: { [REPO]: 'write' },
    workflows: { [REPO]: { 'deploy.yml': { readsInProgress: 1 }, 'ci.yml': {} } },
    githubPlatform: platform,
  });
  const previous = await holdingRecorded(scenario, REPO, VARIABLE);
  const inputs = {
    'credential-id-variable': VARIABLE,
    'revoke-previous': 'true',
    'deploy-workflows': DEPLOY,
    'deploy-inputs': '{"environment":"production"}',
  };
  return { scenario, previous, inputs };
}

const dispatchBodies = (scenario: E2EScenario) =>
  scenario.github.requests
    .filter((r) => DISPATCHES.test(r.path))
    .map((r) => JSON.parse(scenario.github.exchange(r)!.requestBody.toString('utf8')) as Record<string, unknown>);

describe.concurrent('the deploy run, found on every GitHub', () => {
  it('finds the run on GitHub Enterprise Server 3.19, which takes no return_run_details, and revokes only after it succeeded', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await handOff(context, 'ghes-3.19');

    const result = await scenario.run(inputs);

    expect(result.code, result.stdout).toBe(0);
    expect(previous.revoked).toBe(true);
    const [run] = [...scenario.github.runs.values()];
    expect(deployRuns(result.outputs)).toEqual([
      {
        workflow: DEPLOY,
        run_id: run!.id,
        url: expect.stringContaining(`/actions/runs/${run!.id}`),
        conclusion: 'success',
      },
    ]);
    expect(dispatchBodies(scenario)).toEqual([{ ref: 'main', inputs: { environment: 'production' } }]);
    expect(scenario.github.requests.filter((r) => r.path.includes('/deploy.yml/runs?'))).toHaveLength(2);
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('dispatches again without the key when a GitHub refuses return_run_details (422 "not a permitted key")', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await handOff(context);
    scenario.github.inject({
      method: 'POST',
      path: DISPATCHES,
      status: 422,
      body: githubErrorBody(422, 'Invalid request.\n\nreturn_run_details is not a permitted key.'),
    });

    const result = await scenario.run(inputs);

    expect(result.code, result.stdout).toBe(0);
    expect(previous.revoked).toBe(true);
    expect(dispatchBodies(scenario)).toEqual([
      { ref: 'main', inputs: { environment: 'production' }, return_run_details: true },
      { ref: 'main', inputs: { environment: 'production' } },
    ]);
    expect(leaks(scenario, result)).toEqual([]);
  });

  for (const [what, fault] of [
    ['answers 204 without run details', { status: 204 }],
    ['answers 200 without run details', { status: 200, body: {} }],
    ['never answers (the connection drops after GitHub started the run)', { destroy: true }],
  ] as const) {
    it(`finds the run by listing the workflow's runs when the dispatch ${what}`, async (context) => {
      const { expect } = context;
      const { scenario, previous, inputs } = await handOff(context);
      const started = () => void scenario.github.startRun(REPO, 'deploy.yml');
      scenario.github.inject({ method: 'POST', path: DISPATCHES, effect: started, ...fault } as Fault);

      const result = await scenario.run(inputs);

      expect(result.code, result.stdout).toBe(0);
      expect(previous.revoked).toBe(true);
      const [run] = [...scenario.github.runs.values()];
      expect(deployRuns(result.outputs).map((r) => [r.run_id, r.conclusion])).toEqual([[run!.id, 'success']]);
      // A dispatch that got no answer is never sent again: it may have started a run.
      expect(dispatchBodies(scenario)).toHaveLength(1);
      expect(leaks(scenario, result)).toEqual([]);
    });
  }
});

describe.concurrent('nothing is revoked when the action cannot tell which run is its own', () => {
  it('says the dispatch may have started a run, never that it was not dispatched, when its answer never came and no run shows', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await handOff(context);
    scenario.github.inject({ method: 'POST', path: DISPATCHES, destroy: true });

    const result = await scenario.run({ ...inputs, 'deploy-timeout': '4s' });

    expect(result.code).toBe(1);
    expect(previous.revoked).toBe(false);
    expect(deployRuns(result.outputs).map((r) => r.conclusion)).toEqual(['not identified']);
    const error = onlyError(result);
    expect(error).toContain(
      `${DEPLOY} was dispatched, but its run could not be identified (the dispatch got no answer`,
    );
    expect(error).not.toContain('not dispatched');
    expect(error).toContain(`Nothing was revoked, so the previous credential ${previous.id} stays valid`);
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('does not count a run ID that belongs to another workflow, even a successful one', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await handOff(context);
    const ci = scenario.github.startRun(REPO, 'ci.yml', { event: 'push' });
    scenario.github.inject({
      method: 'POST',
      path: DISPATCHES,
      status: 200,
      body: {
        workflow_run_id: ci.id,
        run_url: `${scenario.github.url}/repos/${REPO}/actions/runs/${ci.id}`,
        html_url: `${new URL(scenario.github.url).origin}/${REPO}/actions/runs/${ci.id}`,
      },
    });

    const result = await scenario.run(inputs);

    expect(result.code).toBe(1);
    expect(previous.revoked).toBe(false);
    // The ledger still names the previous credential as current; the new one stays pending for the next run.
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([
      `${previous.id} current`,
      `${onlyIssued(scenario).id} pending`,
    ]);
    expect(deployRuns(result.outputs).map((r) => [r.run_id, r.conclusion])).toEqual([[ci.id, 'not identified']]);
    const error = onlyError(result);
    expect(error).toContain(`but it belongs to workflow .github/workflows/ci.yml`);
    expect(error).toContain('event push');
    expect(error).toContain('so its conclusion does not count');
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('names every candidate when another dispatch of the same workflow started a run at the same time (GHES)', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await handOff(context, 'ghes-3.19');
    scenario.github.inject({
      method: 'POST',
      path: DISPATCHES,
      effect: () => void scenario.github.startRun(REPO, 'deploy.yml'),
    });

    const result = await scenario.run(inputs);

    expect(result.code).toBe(1);
    expect(previous.revoked).toBe(false);
    const runs = [...scenario.github.runs.values()];
    expect(runs).toHaveLength(2);
    const error = onlyError(result);
    expect(error).toContain('2 runs of');
    for (const run of runs) expect(error).toContain(`/actions/runs/${run.id}`);
    expect(error).toContain('so the action cannot tell which is its own');
    expect(deployRuns(result.outputs).map((r) => r.conclusion)).toEqual(['not identified']);
    // The secrets already hold the new, proved credential.
    expect((await storedCredential(scenario, REPO)).clientId).toBe(onlyIssued(scenario).clientId);
    expect(leaks(scenario, result)).toEqual([]);
  });

  it("keeps the summary table whole when a run's html_url holds a | and a fake cell", async (context) => {
    const { expect } = context;
    const { scenario, inputs } = await handOff(context);
    scenario.github.inject({
      method: 'POST',
      path: DISPATCHES,
      reply: () => {
        const run = scenario.github.startRun(REPO, 'deploy.yml');
        const web = new URL(scenario.github.url).origin;
        const html_url = `${web}/${REPO}/actions/runs/${run.id}?x=|%20success%20|%20[ok](https://evil.example)`;
        return { status: 200, body: { workflow_run_id: run.id, run_url: `${scenario.github.url}/x`, html_url } };
      },
    });

    const result = await scenario.run(inputs);

    expect(result.code, result.stdout).toBe(0);
    const row = result.summary.split('\n').find((line) => line.startsWith(`| ${DEPLOY} |`))!;
    // Three cells, however the link reads: | workflow | run | conclusion |
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(3);
    expect(row).toMatch(/\| success \|$/);
    expect(row).not.toContain('](https://evil');
    expect(leaks(scenario, result)).toEqual([]);
  });
});

describe.concurrent('a deploy hand-off that cannot work is found before anything rotates', () => {
  it('refuses a ref that does not exist (@nope), with one error and nothing rotated', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await handOff(context);

    const result = await scenario.run({ ...inputs, 'deploy-workflows': `${REPO}/.github/workflows/deploy.yml@nope` });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(previous.revoked).toBe(false);
    expect(onlyError(result)).toContain(
      `The deploy workflow ${REPO}/.github/workflows/deploy.yml@nope names nope, which is no branch or tag of ${REPO}`,
    );
    expect(result.outputs.rotated).toBe('false');
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('refuses a deploy workflow in a repository that receives none of the secrets, before any request', async (context) => {
    const { expect } = context;
    const { scenario, inputs } = await handOff(context);

    const result = await scenario.run({
      ...inputs,
      'deploy-workflows': 'acme/baton-okta/.github/workflows/deploy.yml@main',
    });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.requests).toEqual([]);
    expect(scenario.github.requests).toEqual([]);
    expect(onlyError(result)).toBe(
      `Input deploy-workflows: acme/baton-okta/.github/workflows/deploy.yml@main runs in acme/baton-okta, which receives none of this run's secrets (repositories: ${REPO}): it would deploy the previous credential, which revoke-previous would then revoke. Add acme/baton-okta to repositories, or list the deploy workflow of a repository there.`,
    );
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('refuses the workflow that runs the rotation as a deploy workflow, before any request', async (context) => {
    const { expect } = context;
    const { scenario, inputs } = await handOff(context);
    const rotation = `${REPO}/.github/workflows/rotate.yml`;

    const result = await scenario.run(
      { ...inputs, 'deploy-workflows': `${rotation}@main` },
      { env: { GITHUB_WORKFLOW_REF: `${rotation}@refs/heads/main` } },
    );

    expect(result.code).toBe(1);
    expect(scenario.github.requests).toEqual([]);
    expect(onlyError(result)).toMatch(
      /^Input deploy-workflows: acme\/connectors\/\.github\/workflows\/rotate\.yml@main is the workflow running this action \(dispatching it would start another rotation, and that one another\)/,
    );
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('refuses an organization secret that the deploy repository cannot use (visibility selected, not selected)', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context, {
      repositories: { 'acme/baton-okta': 'write', 'acme/deployer': 'write' },
      organizations: { acme: 'write' },
      workflows: { 'acme/deployer': { 'deploy.yml': {} } },
    });
    const okta = scenario.github.repositoryId('acme/baton-okta');
    for (const name of ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET'])
      scenario.github.presetSecret(orgScope('acme'), name, { visibility: 'selected', selected_repository_ids: [okta] });

    const result = await scenario.run({
      organization: 'acme',
      repositories: 'acme/baton-okta',
      'deploy-workflows': 'acme/deployer/.github/workflows/deploy.yml@main',
    });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error).toMatch(/^Nothing was rotated\./);
    expect(error).toContain(
      'The deploy workflow acme/deployer/.github/workflows/deploy.yml@main runs in acme/deployer, which cannot use the organization secret BATON_CLIENT_ID (visibility selected, and acme/deployer is not among its repositories)',
    );
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('refuses more than 10 deploy-inputs for GitHub Enterprise Server 3.19, and more than 25 anywhere before any request', async (context) => {
    const { expect } = context;
    const { scenario, inputs } = await handOff(context, 'ghes-3.19');
    const many = (count: number) =>
      JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`in${i}`, 'x'])));

    const ghes = await scenario.run({ ...inputs, 'deploy-inputs': many(11) });

    expect(ghes.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(onlyError(ghes)).toContain(
      `deploy-inputs has 11 inputs, but GitHub Enterprise Server 3.19.2, which runs ${DEPLOY}, takes at most 10 in a dispatch`,
    );
    const requestsBefore = scenario.github.requests.length;
    const anywhere = await scenario.run({ ...inputs, 'deploy-inputs': many(26) });
    expect(onlyError(anywhere)).toBe(
      'Input deploy-inputs: has 26 inputs; a workflow dispatch takes at most 25 (10 on GitHub Enterprise Server 3.17 to 3.19).',
    );
    expect(scenario.github.requests.length).toBe(requestsBefore);
    expect(leaks(scenario, ghes)).toEqual([]);
    expect(leaks(scenario, anywhere)).toEqual([]);
  });
});
