// Rolling the new credential out before the old one dies: deploy workflows dispatched after the
// writes and waited for, the previous credential revoked only after every run succeeded; and the
// overlap mode (revoke-previous: next-run), in which exactly two credentials are valid at a time.
import { describe, it } from 'vitest';
import { requestClientToken } from '../fakes/conductorone.js';
import { githubErrorBody, repoScope } from '../fakes/github.js';
import type { FakeWorkflow } from '../fakes/github-workflows.js';
import {
  deployRuns,
  type E2EScenario,
  holdCredential,
  leaks,
  ledgerStates,
  letTimePass,
  onlyError,
  onlyIssued,
  requestLog,
  scenarioFor,
  storedCredential,
  validCredentials,
} from './helpers.js';

const REPO = 'acme/connectors';
const OPS = 'acme/ops';
const VARIABLE = 'BATON_CREDENTIAL_ID';
const DEPLOY = `${REPO}/.github/workflows/deploy.yml@main`;
const ROLL = `${OPS}/.github/workflows/roll.yml@main`;
const credentialPath = (scenario: E2EScenario, id: string) =>
  `/api/v1/apps/${scenario.inputs['app-id']}/connectors/${scenario.inputs['connector-id']}/credentials/${id}`;

async function deployScenario(
  context: Parameters<typeof scenarioFor>[0],
  deploy: FakeWorkflow = {},
  roll: FakeWorkflow = {},
) {
  const scenario = await scenarioFor(context, {
    repositories: { [REPO]: 'write', [OPS]: 'write' },
    workflows: { [REPO]: { 'deploy.yml': deploy }, [OPS]: { 'roll.yml': roll } },
  });
  const previous = await scenario.conductorOne.addCredential();
  for (const repo of [REPO, OPS]) {
    holdCredential(scenario, repo, previous);
    scenario.github.presetVariable(repoScope(repo), VARIABLE, previous.id);
  }
  const inputs = {
    'credential-id-variable': VARIABLE,
    'revoke-previous': 'true',
    'deploy-workflows': `${DEPLOY}\n${ROLL}`,
    'deploy-inputs': '{"environment":"production"}',
  };
  return { scenario, previous, inputs };
}

describe.concurrent('deploy-workflows', () => {
  it('dispatches every deploy workflow after the writes, waits for its run, and only then revokes the previous credential', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await deployScenario(context, { readsInProgress: 1 });

    const result = await scenario.run(inputs);

    expect(result.code, result.stdout).toBe(0);
    const issued = onlyIssued(scenario);
    expect(previous.revoked).toBe(true);
    const timeline = scenario.timeline();
    const lastPut = timeline.map((l) => l.startsWith('github PUT')).lastIndexOf(true);
    const dispatches = timeline.flatMap((l, i) => (l.includes('/dispatches') ? [i] : []));
    const runReads = timeline.flatMap((l, i) => (/actions\/runs\/\d+ 200/.test(l) ? [i] : []));
    const revokeAt = timeline.indexOf(`conductorone POST ${credentialPath(scenario, previous.id)} 200`);
    expect(dispatches).toHaveLength(2);
    expect(Math.min(...dispatches)).toBeGreaterThan(lastPut);
    // acme/connectors' run is read twice (in progress, then completed), acme/ops' once.
    expect(runReads).toHaveLength(3);
    expect(revokeAt).toBeGreaterThan(Math.max(...runReads));
    // The ledger records the new credential before the writes, and its hand-over once the deploys succeeded.
    const home = `github PATCH /repos/${REPO}/actions/variables/${VARIABLE} 204`;
    const patches = timeline.flatMap((l, i) => (l === home ? [i] : []));
    expect(patches).toHaveLength(2);
    expect(patches[0]).toBeLessThan(timeline.findIndex((l) => l.startsWith('github PUT')));
    expect(patches[1]).toBeGreaterThan(Math.max(...runReads));
    // The mirror's copy is written beside each: the record, then the hand-over.
    const mirror = `github PATCH /repos/${OPS}/actions/variables/${VARIABLE} 204`;
    expect(timeline.lastIndexOf(mirror)).toBeGreaterThan(Math.max(...runReads));

    const runs = [...scenario.github.runs.values()];
    expect(runs.map((r) => [r.repository, r.file, r.ref, r.inputs])).toEqual(
      expect.arrayContaining([
        [REPO, 'deploy.yml', 'main', { environment: 'production' }],
        [OPS, 'roll.yml', 'main', { environment: 'production' }],
      ]),
    );
    const reported = deployRuns(result.outputs);
    expect(reported.map((r) => [r.workflow, r.conclusion])).toEqual([
      [DEPLOY, 'success'],
      [ROLL, 'success'],
    ]);
    for (const run of reported) {
      expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/acme\/(connectors|ops)\/actions\/runs\/\d+$/);
      expect(result.stdout).toContain(`dispatched run ${run.url}`);
      expect(result.summary).toContain(`| ${run.workflow} | [run ${run.run_id}](${run.url}) | success |`);
    }
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${issued.id} current`]);
    // The bare ID an earlier version left in the other target is now the ledger's mirror: a copy of the ledger.
    expect(ledgerStates(scenario, repoScope(OPS))).toEqual([`${issued.id} current`]);
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('revokes nothing when a deploy run fails, naming the run, and leaves the new credential pending for the next run', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await deployScenario(context, {}, { conclusion: 'failure' });

    const result = await scenario.run(inputs);

    expect(result.code).toBe(1);
    const issued = onlyIssued(scenario);
    expect(previous.revoked).toBe(false);
    expect(requestLog(scenario.conductorOne).filter((l) => l.includes(`/credentials/${previous.id}`))).toEqual([]);
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${previous.id} current`, `${issued.id} pending`]);
    // The secrets already hold the new, proved credential: re-running the deploy is safe.
    expect((await storedCredential(scenario, REPO)).clientId).toBe(issued.clientId);
    const failed = deployRuns(result.outputs).find((r) => r.workflow === ROLL);
    expect(failed?.conclusion).toBe('failure');
    const error = onlyError(result);
    expect(error).toContain(`${ROLL} run ${failed?.url} concluded failure`);
    expect(error).toContain(`Nothing was revoked, so the previous credential ${previous.id} stays valid`);
    expect(error).toContain(
      `Fix the deploy and run this workflow again: credential ${issued.id} is recorded in the ledger in ${VARIABLE} of ${REPO}`,
    );
    expect(result.summary).toContain(`| ${ROLL} | [run ${failed?.run_id}](${failed?.url}) | **failure** |`);
    expect(result.summary).toContain('not done: not every deploy run succeeded');
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('gives up after deploy-timeout, revoking nothing', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await deployScenario(context, { readsInProgress: 1000 });

    const result = await scenario.run({ ...inputs, 'deploy-timeout': '3s' });

    expect(result.code).toBe(1);
    expect(previous.revoked).toBe(false);
    const stuck = deployRuns(result.outputs).find((r) => r.workflow === DEPLOY);
    expect(stuck?.conclusion).toBe('timed out');
    expect(onlyError(result)).toContain(`${DEPLOY} run ${stuck?.url} did not complete within deploy-timeout (3s)`);
    // Read at once, then after 2 s, then at the deadline: no busy polling.
    const reads = requestLog(scenario.github).filter((l) => l.includes(`/runs/${stuck?.run_id} `));
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(reads.length).toBeLessThanOrEqual(4);
  });

  it('does not rotate when a deploy workflow is missing, disabled or unreadable, naming each and the fix', async (context) => {
    const { expect } = context;
    const { scenario, inputs } = await deployScenario(context, { state: 'disabled_manually' });
    scenario.github.inject({
      method: 'GET',
      path: `/repos/${OPS}/actions/workflows/roll.yml`,
      status: 403,
      body: githubErrorBody(403, 'Resource not accessible by integration'),
    });

    const result = await scenario.run({
      ...inputs,
      'deploy-workflows': `${DEPLOY}\n${ROLL}\n${REPO}/.github/workflows/nope.yml@main`,
    });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error).toMatch(/^Nothing was rotated\./);
    expect(error).toContain(`The deploy workflow ${DEPLOY} is not active (state: disabled_manually)`);
    expect(error).toContain(
      `github-token cannot read the deploy workflow roll.yml (@main) in ${OPS} (403 Resource not accessible by integration): give the token the Actions read and write permission on ${OPS}.`,
    );
    expect(error).toContain(`The deploy workflow ${REPO}/.github/workflows/nope.yml@main was not found`);
  });

  it('fails after the writes, revoking nothing, when GitHub refuses the dispatch (no workflow_dispatch trigger)', async (context) => {
    const { expect } = context;
    const { scenario, previous, inputs } = await deployScenario(context, { dispatchable: false });

    const result = await scenario.run(inputs);

    expect(result.code).toBe(1);
    expect(previous.revoked).toBe(false);
    const error = onlyError(result);
    expect(error).toContain(
      `GitHub refused to dispatch ${DEPLOY} (422 Workflow does not have 'workflow_dispatch' trigger)`,
    );
    expect(error).toContain('"on: workflow_dispatch"');
    expect(deployRuns(result.outputs).map((r) => r.conclusion)).toEqual(['not dispatched', 'not waited for']);
  });
});

describe('revoke-previous: next-run', () => {
  it('keeps the replaced credential for keep-previous-for, so exactly two credentials are valid after each run', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const handMade = await scenario.conductorOne.addCredential();
    holdCredential(scenario, REPO, handMade);
    const authenticates = async (c: { clientId: string; clientSecret: string }) =>
      (await requestClientToken(scenario.conductorOne, c.clientId, c.clientSecret)).status === 200;
    const inputs = { 'credential-id-variable': VARIABLE, 'revoke-previous': 'next-run' };
    const SIX_HOURS = 6 * 3_600_000;

    // First run: the hand-made credential is named once; it is replaced now, so it is kept.
    const first = await scenario.run({ ...inputs, 'previous-credential-id': handMade.id });
    expect(first.code, first.stdout).toBe(0);
    const [a] = scenario.conductorOne.issued;
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${handMade.id} previous`, `${a!.id} current`]);
    expect(handMade.revoked).toBe(false);
    expect(first.outputs['revoked-credential-id']).toBe('');

    // A re-run soon after revokes nothing the first run kept.
    letTimePass(scenario, 60_000);
    const rerun = await scenario.run(inputs);
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(handMade.revoked).toBe(false);
    expect(a!.revoked).toBe(false);
    expect(rerun.summary).toContain('valid until at least');

    // Six hours later: everything replaced that long ago goes; the one replaced last stays valid.
    letTimePass(scenario, SIX_HOURS);
    const second = await scenario.run(inputs);
    expect(second.code, second.stdout).toBe(0);
    const [, b, c] = scenario.conductorOne.issued;
    expect([handMade.revoked, a!.revoked, b!.revoked, c!.revoked]).toEqual([true, true, false, false]);
    expect(second.outputs['revoked-credential-id']?.split(',').sort()).toEqual([handMade.id, a!.id].sort());
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${b!.id} previous`, `${c!.id} current`]);
    expect(await authenticates(b!)).toBe(true);
    expect(validCredentials(scenario, [handMade])).toEqual([b!.id, c!.id]);
    expect((await storedCredential(scenario, REPO)).clientId).toBe(c!.clientId);
    expect(second.summary).toMatch(
      new RegExp(`\\| \`${a!.id}\` \\| previous, replaced \\S+ \\| \\*\\*revoked\\*\\* \\|`),
    );
    expect(second.summary).toMatch(
      new RegExp(
        `\\| \`${b!.id}\` \\| previous, replaced \\S+ \\| valid until at least \\S+ \\(keep-previous-for 6h\\) \\|`,
      ),
    );
  });
});
