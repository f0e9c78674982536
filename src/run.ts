/**
 * The pipeline: inputs -> authenticate + preflight -> (dry run, or not due:
 * report and stop) -> rotate -> check + prove -> seal + write -> hand over
 * (deploy runs) -> record + revoke -> report. Nothing is written before the
 * new credential works; one no target may or can hold is revoked again.
 * Everything comes in through RunContext, so tests pass a fake core and an
 * undici MockAgent.
 */
import { type ActionCore, guardCore } from './action-core.js';
import { MalformedCredentialError } from './conductorone/client.js';
import { proveCredential } from './conductorone/proof.js';
import { DiscardedError, discardCredential } from './discard.js';
import { reportIfNotRotating } from './dry-run.js';
import { ActionError, errorMessage } from './errors.js';
import { finishRotation } from './finish.js';
import { warmSealing } from './github/seal.js';
import { type Http, whenSent } from './http.js';
import { readInputs } from './inputs.js';
import * as say from './messages.js';
import type { RotatedCredential } from './model.js';
import { RunProgress } from './progress.js';
import type { Redactor } from './redact.js';
import * as report from './report.js';
import { type DeployOutcome, handOver } from './rollout.js';
import { openSession, type Session } from './session.js';
import { type SealedWrite, sealEverywhere, type WriteOutcome, writeEverywhere } from './store.js';

export type { ActionCore } from './action-core.js';
export { READ_CONCURRENCY, WRITE_CONCURRENCY } from './session.js';

export interface RunContext {
  core: ActionCore;
  http: Http;
  /** Writes in flight at once; the benchmark varies it. Default WRITE_CONCURRENCY. */
  writeConcurrency?: number;
  now?: () => number;
  /** Filled in as the run goes, so the entry point can report a cancelled run. */
  progress?: RunProgress;
  /** Remembers the run's secrets; the entry point redacts the final error with it. */
  redactor?: Redactor;
  /** Waits between the proof's attempts; tests shorten them. */
  proofRetryDelaysMs?: readonly number[];
}

export async function runPipeline(context: RunContext): Promise<void> {
  const core = guardCore(context.core, context.redactor);
  const progress = context.progress ?? new RunProgress();
  try {
    const inputs = readInputs(core);
    for (const { title, message } of say.inputWarnings(inputs)) core.warning(message, title);
    const session = await openSession({ ...context, core, progress }, inputs);
    if (await reportIfNotRotating(session, context.now ?? Date.now)) return;

    const credential = await issueCredential(session);
    const writes = await proveAndSeal(session, credential);
    report.setCredentialOutputs(core, credential);
    const outcomes = await store(session, credential, writes);
    await finish(session, credential, { outcomes, deploys: await handOver(session, credential, outcomes) });
  } catch (err) {
    // Before a usable credential existed, a failure changed nothing: say so.
    if (!progress.credentialId || progress.discarded) {
      core.setOutput('rotated', 'false');
      if (!(err instanceof DiscardedError)) await core.writeSummary(report.renderNotRotatedSummary(errorMessage(err)));
    }
    throw err;
  }
}

/** RotateCredential, and the check that its answer is a credential the action can store. */
async function issueCredential(session: Session): Promise<RotatedCredential> {
  const { core, inputs, conductorOne, progress } = session;
  const { result: rotation, sent } = whenSent(() => conductorOne.rotateCredential(inputs.appId, inputs.connectorId));
  // Load the sealing library and seal once while RotateCredential is in flight, so it costs no wall time.
  const [key] = session.preflight.publicKeys.values();
  void sent.then(() => key && warmSealing(key.key)).catch(() => {});
  try {
    const credential = await rotation;
    progress.issued(credential.id);
    core.info(say.issuedLine(credential));
    return credential;
  } catch (err) {
    if (!(err instanceof MalformedCredentialError)) throw err;
    if (err.credentialId) progress.issued(err.credentialId);
    return discardCredential(session, err.credentialId ?? '', err.message);
  }
}

/** Before any write: prove the new credential (with verify) and seal every value; either failing revokes it. */
async function proveAndSeal(session: Session, credential: RotatedCredential): Promise<SealedWrite[]> {
  const { core, http, inputs, preflight } = session;
  const retries = session.proofRetryDelaysMs ? { retryDelaysMs: session.proofRetryDelaysMs } : {};
  const proofOptions = { serverUrl: inputs.serverUrl, http, mask: core.setSecret, log: core.info, ...retries };
  const proof = whenSent(() => (inputs.verify ? proveCredential(credential, proofOptions) : Promise.resolve()));
  // Seal once the proof's token request is on its way, so that sealing takes its round trip, not its start.
  const sealing = proof.sent.then(() => sealEverywhere({ ...session, ...preflight }, credential));
  const [proved, sealed] = await Promise.allSettled([proof.result, sealing]);
  if (proved.status === 'rejected' || sealed.status === 'rejected') {
    // Even a failure nobody expected leaves a credential that nothing holds: revoke it all the same.
    const failure: unknown = proved.status === 'rejected' ? proved.reason : (sealed as PromiseRejectedResult).reason;
    const reason = failure instanceof ActionError ? failure.message : `Unexpected error: ${errorMessage(failure)}.`;
    return discardCredential(session, credential.id, reason, failure);
  }
  if (inputs.verify) core.info(`The new credential ${credential.id} authenticates to ConductorOne.`);
  return sealed.value;
}

/** Writes every secret; a credential no target stored is revoked, a partial failure fails naming each target. */
async function store(session: Session, credential: RotatedCredential, writes: SealedWrite[]): Promise<WriteOutcome[]> {
  const { core, inputs } = session;
  const outcomes = await writeEverywhere(session, writes);
  core.setOutput('targets', report.targetsOutput(outcomes));
  for (const o of outcomes) if (o.result !== 'failed') core.info(`${o.target.label}: ${o.secret} ${o.result}.`);
  const failures = outcomes.filter((o) => o.result === 'failed');
  if (failures.length === 0) return outcomes;
  if (failures.length === outcomes.length && failures.every((f) => f.mayBeStored === false)) {
    return discardCredential(session, credential.id, say.storedNowhereReason(credential, failures));
  }
  const steps = [say.proofStep(inputs), ...say.stepsNotRun(inputs, 'not every target holds the new credential')];
  await core.writeSummary(report.renderRotationSummary({ ...rotationReport(session, credential, outcomes), steps }));
  throw new ActionError(say.partialFailureMessage(inputs, credential, outcomes, failures));
}

/** Record the new credential ID and revoke the previous credential, then report. */
async function finish(session: Session, credential: RotatedCredential, done: Done): Promise<void> {
  const { core, inputs, progress } = session;
  if (inputs.revokePrevious) progress.previousRevoke = 'in flight';
  const outcome = await finishRotation(session, credential);
  const revoked = outcome.revoke.state === 'revoked' ? outcome.revoke.id : '';
  progress.previousRevoke = revoked ? 'revoked' : '';
  core.setOutput('revoked-credential-id', revoked);
  for (const line of say.finishLog(inputs, outcome)) core.info(line);
  const previousId = session.preflight.previous.id;
  for (const { title, message } of say.finishWarnings(inputs, credential, previousId, outcome))
    core.warning(message, title);
  const problems = say.finishProblems(inputs, outcome);
  const steps = [say.proofStep(inputs), ...say.finishSteps(inputs, outcome)];
  const unfinished = problems.length > 0;
  await core.writeSummary(
    report.renderRotationSummary({ ...rotationReport(session, credential, done.outcomes), ...done, unfinished, steps }),
  );
  if (unfinished) throw new ActionError(say.onlyThisIsLeft(credential, problems));
}

/** What the writes and the hand-over did. */
type Done = { outcomes: WriteOutcome[]; deploys: DeployOutcome[] };

function rotationReport(session: Session, credential: RotatedCredential, outcomes: WriteOutcome[]) {
  const { appId, connectorId } = session.inputs;
  return { appId, connectorId, credential, previousId: session.preflight.previous.id, outcomes };
}
