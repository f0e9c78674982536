/**
 * Hand-over: once the secrets hold the new, proved credential, dispatch each
 * deploy workflow (deploy-workflows) and wait for its run to complete, so
 * that a connector running as a service picks the new credential up before
 * the previous one is revoked. Any run that does not conclude `success`
 * (or does not complete within deploy-timeout) stops the run here: nothing is
 * revoked, and re-running the deploy is safe.
 */
import { ActionError, errorMessage } from './errors.js';
import {
  type DeployOutcome,
  type Dispatched,
  type DispatchedRun,
  dispatchWorkflow,
  ForeignRunError,
  waitForRun,
} from './github/deploy.js';
import * as say from './messages.js';
import type { DeployWorkflow, RotatedCredential } from './model.js';
import { createLimiter } from './pool.js';
import * as report from './report.js';
import type { Session } from './session.js';
import type { WriteOutcome } from './store.js';

export type { DeployOutcome } from './github/deploy.js';

/**
 * The hand-over step of the pipeline: roll out, set `deploy-runs`, and fail
 * (summary written, nothing revoked) unless every run concluded `success`.
 */
export async function handOver(
  session: Session,
  credential: RotatedCredential,
  writes: WriteOutcome[],
): Promise<DeployOutcome[]> {
  const { core, inputs } = session;
  const deploys = inputs.deployWorkflows.length > 0 ? await rollOut(session) : [];
  core.setOutput('deploy-runs', deployRunsOutput(deploys));
  if (deploys.every((d) => d.conclusion === 'success')) return deploys;
  const { ledger } = session.preflight;
  const steps = [
    say.proofStep(inputs),
    ...say.recordStep(ledger),
    ...say.stepsNotRun(inputs, ledger, 'not every deploy run succeeded'),
  ];
  const { appId, connectorId } = inputs;
  const previousId = session.preflight.previous.id;
  const credentials = say.ledgerRows(inputs, ledger, [], credential.id);
  const rotation = {
    appId,
    connectorId,
    credential,
    previousId,
    outcomes: writes,
    deploys,
    steps,
    credentials,
    unfinished: true,
  };
  await core.writeSummary(report.renderRotationSummary(rotation));
  throw new ActionError(say.deployFailureMessage(inputs, ledger, credential, deploys, previousId));
}

/** Dispatches every deploy workflow, then waits for every run; resolves with each outcome. */
export function rollOut(session: Session): Promise<DeployOutcome[]> {
  const { http, inputs } = session;
  // deploy-timeout bounds the whole hand-over: every request in it, each retry and each wait a server asks for.
  const deadline = {
    at: http.clock.now() + inputs.deployTimeout.ms,
    what: `deploy-timeout (${inputs.deployTimeout.text})`,
  };
  return http.withinDeadline(deadline, () => dispatchAndWait(session, deadline.at));
}

async function dispatchAndWait(session: Session, deadline: number): Promise<DeployOutcome[]> {
  const { core, inputs } = session;
  // Dispatches create runs: a few at a time, as GitHub asks of content-creating requests.
  const dispatchLimit = createLimiter(session.concurrency);
  const dispatched = await Promise.allSettled(
    inputs.deployWorkflows.map((workflow) => dispatchLimit(() => dispatchOne(session, workflow))),
  );
  const runs = dispatched.flatMap((d) => (d.status === 'fulfilled' && 'run' in d.value ? [d.value.run] : []));
  if (runs.length < dispatched.length) {
    // Something went wrong before any run could be waited for: nothing will be revoked, so stop here.
    return inputs.deployWorkflows.map((workflow, index) => {
      const result = dispatched[index] as PromiseSettledResult<Dispatched>;
      if (result.status === 'rejected')
        return { workflow, conclusion: 'not dispatched', error: errorMessage(result.reason) };
      if ('run' in result.value) return { workflow, run: result.value.run, conclusion: 'not waited for' };
      return { workflow, conclusion: 'not identified', error: result.value.notIdentified };
    });
  }
  const what = runs.length === 1 ? 'the deploy run' : `${runs.length} deploy runs`;
  core.info(`Waiting for ${what} (deploy-timeout ${inputs.deployTimeout.text}).`);
  return Promise.all(runs.map((run) => waitFor(session, run, deadline)));
}

/** Dispatches one workflow and finds its run, saying so in the log. */
async function dispatchOne(session: Session, workflow: DeployWorkflow): Promise<Dispatched> {
  const { core, http, inputs, octokit } = session;
  const facts = session.preflight.deployFacts.get(workflow) ?? { skewMs: 0 };
  const deadline = http.deadline?.at;
  const options = { facts, clock: http.clock, ...(deadline === undefined ? {} : { deadline }) };
  const found = await dispatchWorkflow(octokit, workflow, inputs.deployInputs, options);
  if ('run' in found) core.info(`${workflow.label}: dispatched run ${found.run.url}`);
  else core.info(`${workflow.label}: dispatched, but ${found.notIdentified}.`);
  return found;
}

/** Waits for one run; a run that turns out to be another workflow's is not identified, and its conclusion ignored. */
async function waitFor(session: Session, run: DispatchedRun, deadline: number): Promise<DeployOutcome> {
  const { core, http, octokit } = session;
  const facts = session.preflight.deployFacts.get(run.workflow) ?? { skewMs: 0 };
  try {
    const conclusion = await waitForRun(octokit, run, { clock: http.clock, deadline, facts });
    core.info(`${run.workflow.label}: run ${run.url} ${say.describeConclusion(conclusion)}.`);
    return { workflow: run.workflow, run, conclusion };
  } catch (err) {
    const conclusion = err instanceof ForeignRunError ? 'not identified' : 'unknown';
    return { workflow: run.workflow, run, conclusion, error: errorMessage(err) };
  }
}

/** `deploy-runs`: one object per deploy workflow. */
export function deployRunsOutput(outcomes: readonly DeployOutcome[]): string {
  return JSON.stringify(
    outcomes.map((o) => ({
      workflow: o.workflow.label,
      run_id: o.run?.runId ?? null,
      url: o.run?.url ?? '',
      conclusion: o.conclusion,
    })),
  );
}
