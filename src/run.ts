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
import { type FinishOutcome, finishRotation, retireAndRecord } from './finish.js';
import { warmSealing } from './github/seal.js';
import { type Http, whenSent } from './http.js';
import { readInputs } from './inputs.js';
import { isLedgerProblem, ledgerFromVariables, rebase, recordIssued } from './ledger.js';
import { LedgerUnreadableError, ledgerFullMessage, ledgerProblemMessage } from './ledger-store.js';
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
  const now = context.now ?? Date.now;
  let session: Session | undefined;
  let failed = true;
  try {
    const inputs = readInputs(core);
    for (const { title, message } of say.inputWarnings(inputs, now())) core.warning(message, title);
    session = await openSession({ ...context, core, progress, now }, inputs);
    const notRotating = await reportIfNotRotating(session, now);
    if (notRotating === 'dry run') return;
    if (notRotating) {
      await retireWithoutRotating(session, notRotating);
      failed = false;
      return;
    }
    await makeRoom(session);

    const credential = await issueCredential(session);
    const writes = await proveAndSeal(session, credential);
    report.setCredentialOutputs(core, credential);
    const outcomes = await store(session, credential, writes);
    await finish(session, credential, { outcomes, deploys: await handOver(session, credential, outcomes) });
    failed = false;
  } catch (err) {
    // Before a usable credential existed, a failure changed nothing: say so.
    if (!progress.credentialId || progress.discarded) {
      core.setOutput('rotated', 'false');
      if (!(err instanceof DiscardedError)) await core.writeSummary(report.renderNotRotatedSummary(errorMessage(err)));
    }
    throw err;
  } finally {
    await releaseLock(core, progress, failed);
  }
}

/**
 * How long a failed run waits to give the lock back: GitHub may have asked it
 * to wait longer (a rate limit) before its next request, and a failed run does
 * not wait that out for the lock alone; the lock then expires, and a re-run of
 * the workflow run takes it over at once.
 */
const FAILED_RUN_RELEASE_MS = 5_000;

/** The lock is given back however the run ends; a lock that cannot be, expires. */
async function releaseLock(core: ActionCore, progress: RunProgress, failed: boolean): Promise<void> {
  const { lock } = progress;
  if (!lock) return;
  progress.holdLock(undefined);
  const expiresAt = lock.expiresAt;
  if (expiresAt === undefined) return void (await lock.release().catch(() => {}));
  const release = lock.release();
  const bound = failed
    ? new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), FAILED_RUN_RELEASE_MS).unref())
    : undefined;
  try {
    if ((await (bound ? Promise.race([release, bound]) : release)) === 'late') {
      release.catch(() => {});
      throw new Error(
        `it could not be sent within ${FAILED_RUN_RELEASE_MS / 1000} s (GitHub asked the action to wait)`,
      );
    }
  } catch (err) {
    core.warning(say.lockNotReleased(lock.name, errorMessage(err), expiresAt), 'The rotation lock was not released');
  }
}

/**
 * RotateCredential, and the check that its answer is a credential the action
 * can store. Beside it, now that this run holds the lock, the ledger is read
 * once more: another run may have written it between the preflight's read and
 * the lock.
 */
async function issueCredential(session: Session): Promise<RotatedCredential> {
  const { core, inputs, conductorOne, progress } = session;
  const { result: rotation, sent } = whenSent(() => conductorOne.rotateCredential(inputs.appId, inputs.connectorId));
  // Load the sealing library and seal once while RotateCredential is in flight, so it costs no wall time.
  const [key] = session.preflight.publicKeys.values();
  void sent.then(() => key && warmSealing(key.key)).catch(() => {});
  const fresh = confirmLedger(session);
  let credential: RotatedCredential;
  try {
    credential = await rotation;
  } catch (err) {
    await fresh.catch(() => {});
    if (!(err instanceof MalformedCredentialError)) throw err;
    if (err.credentialId) progress.issued(err.credentialId);
    return discardCredential(session, err.credentialId ?? '', err.message);
  }
  progress.issued(credential.id);
  progress.revokeUnrecorded = () => conductorOne.revokeCredential(inputs.appId, inputs.connectorId, credential.id);
  core.info(say.issuedLine(credential));
  try {
    await fresh;
  } catch (err) {
    return discardCredential(session, credential.id, errorMessage(err), err);
  }
  return credential;
}

/**
 * The ledger as it is now that this run holds the lock, and the lock still
 * this run's. A read that fails changes nothing (the preflight's ledger
 * stands); a ledger that cannot be read, or a lock another run holds, fails.
 */
async function confirmLedger(session: Session): Promise<void> {
  const { core, inputs, preflight } = session;
  const { ledger, lock } = preflight;
  if (!ledger.remembers || !lock) return;
  const connector = `${inputs.appId}/${inputs.connectorId}`;
  const home = ledger.home?.label ?? '';
  const [changed, held] = await Promise.all([
    ledger
      .reread((value) => {
        const found = ledgerFromVariables(connector, [{ target: home, value }]);
        if (isLedgerProblem(found)) throw new LedgerUnreadableError(ledgerProblemMessage(ledger.variable, found));
        return rebase(found.ledger, ledger.ledger);
      })
      .catch((err: unknown) => {
        if (err instanceof LedgerUnreadableError) throw err;
        return false;
      }),
    lock.stillHeld().catch(() => true),
  ]);
  if (!held) throw new ActionError(say.lockLostBeforeStore(lock.name, home));
  if (changed)
    core.info(`${say.ledgerPlace(ledger)} changed since the preflight read it; this run goes on from the new one.`);
}

/**
 * Before any write: prove the new credential (with verify), seal every value,
 * and record it in the ledger, all at once; any of them failing revokes it.
 */
async function proveAndSeal(session: Session, credential: RotatedCredential): Promise<SealedWrite[]> {
  const { core, http, inputs, preflight } = session;
  const retries = session.proofRetryDelaysMs ? { retryDelaysMs: session.proofRetryDelaysMs } : {};
  const proofOptions = { serverUrl: inputs.serverUrl, http, mask: core.setSecret, log: core.info, ...retries };
  const proof = whenSent(() => (inputs.verify ? proveCredential(credential, proofOptions) : Promise.resolve()));
  // Seal once the proof's token request is on its way, so that sealing takes its round trip, not its start.
  const sealing = proof.sent.then(() => sealEverywhere({ ...session, ...preflight }, credential));
  const recording = record(session, credential);
  const [proved, sealed, recorded] = await Promise.allSettled([proof.result, sealing, recording]);
  const failed = [proved, sealed, recorded].find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed || sealed.status === 'rejected') {
    // Even a failure nobody expected leaves a credential that nothing holds: revoke it all the same.
    const failure: unknown = failed?.reason;
    const reason = failure instanceof ActionError ? failure.message : `Unexpected error: ${errorMessage(failure)}.`;
    return discardCredential(session, credential.id, reason, failure);
  }
  if (inputs.verify) core.info(`The new credential ${credential.id} authenticates to ConductorOne.`);
  if (session.progress.recordedIn) core.info(`Recorded ${credential.id} in ${session.progress.recordedIn}.`);
  return sealed.value;
}

/**
 * The new credential goes into the ledger as pending before any target may
 * hold it, beside the proof (no round trip of its own). Without a variable it
 * is remembered for this run only.
 */
async function record(session: Session, credential: RotatedCredential): Promise<void> {
  const { ledger } = session.preflight;
  ledger.apply((l) => recordIssued(l, credential.id, session.now(), session.identity.label));
  if (!ledger.remembers) return;
  try {
    await ledger.save();
  } catch (err) {
    throw new ActionError(say.recordFailed(ledger, credential, errorMessage(err)), { cause: err });
  }
  session.progress.recordedIn = say.ledgerPlace(ledger);
  session.progress.revokeUnrecorded = undefined;
}

/** Writes every secret; a credential no target stored is revoked, a partial failure fails naming each target. */
async function store(session: Session, credential: RotatedCredential, writes: SealedWrite[]): Promise<WriteOutcome[]> {
  const { core, inputs } = session;
  const { ledger } = session.preflight;
  const outcomes = await writeEverywhere(session, writes);
  core.setOutput('targets', report.targetsOutput(outcomes));
  for (const o of outcomes) if (o.result !== 'failed') core.info(`${o.target.label}: ${o.secret} ${o.result}.`);
  const failures = outcomes.filter((o) => o.result === 'failed');
  if (failures.length === 0) return outcomes;
  if (failures.length === outcomes.length && failures.every((f) => f.mayBeStored === false)) {
    return discardCredential(session, credential.id, say.storedNowhereReason(credential, failures));
  }
  const because = 'not every target holds the new credential';
  const steps = [say.proofStep(inputs), ...say.recordStep(ledger), ...say.stepsNotRun(inputs, ledger, because)];
  const credentials = say.ledgerRows(inputs, ledger, [], credential.id);
  await core.writeSummary(
    report.renderRotationSummary({ ...rotationReport(session, credential, outcomes), steps, credentials }),
  );
  throw new ActionError(say.partialFailureMessage(ledger, credential, outcomes, failures));
}

/** Every target holds the new credential: hand it over in the ledger, retire what is due, record, report. */
async function finish(session: Session, credential: RotatedCredential, done: Done): Promise<void> {
  const { core, inputs } = session;
  const { ledger } = session.preflight;
  const outcome = await finishRotation(session, credential.id);
  reportFinish(session, outcome, true);
  const problems = say.finishProblems(ledger, outcome);
  const steps = [say.proofStep(inputs), ...say.recordStep(ledger), ...say.finishSteps(ledger, outcome)];
  const unfinished = problems.length > 0;
  const credentials = say.ledgerRows(inputs, ledger, outcome.retired, credential.id);
  await core.writeSummary(
    report.renderRotationSummary({
      ...rotationReport(session, credential, done.outcomes),
      ...done,
      unfinished,
      steps,
      credentials,
    }),
  );
  if (unfinished) throw new ActionError(say.onlyThisIsLeft(credential, problems));
}

/**
 * A ledger too full for one more credential (revoke-previous was off a long
 * time) first retires what is due, then rotates if that made room.
 */
async function makeRoom(session: Session): Promise<void> {
  const { core, inputs } = session;
  const { ledger } = session.preflight;
  if (!ledger.remembers || ledger.fits()) return;
  core.info(`${say.ledgerPlace(ledger)} is full: retiring what is due before rotating.`);
  reportFinish(session, await retireAndRecord(session), false);
  if (!ledger.fits())
    throw new ActionError(ledgerFullMessage(inputs.credentialIdVariable, ledger.home?.label ?? '', ledger.ledger));
}

/** A run that did not rotate (not due) still retires what is due, so next-run's kept credentials go on time. */
async function retireWithoutRotating(session: Session, notDue: { reason: string }): Promise<void> {
  const { core, inputs } = session;
  const { ledger } = session.preflight;
  const outcome = await retireAndRecord(session);
  reportFinish(session, outcome, false);
  const problems = say.finishProblems(ledger, outcome);
  const { appId, connectorId } = inputs;
  const credentials = say.ledgerRows(inputs, ledger, outcome.retired, '');
  await core.writeSummary(
    report.renderSkippedSummary({ appId, connectorId, reason: `${notDue.reason}.`, credentials, problems }),
  );
  if (problems.length > 0) throw new ActionError(say.notRotatedButLeft(problems));
}

/** Outputs, log lines and warnings of the last steps. */
function reportFinish(session: Session, outcome: FinishOutcome, rotated: boolean): void {
  const { core, inputs } = session;
  const { ledger, previous } = session.preflight;
  const revoked = outcome.retired.filter((r) => r.outcome === 'revoked').map((r) => r.entry.id);
  core.setOutput('revoked-credential-id', revoked.join(','));
  for (const line of say.finishLog(ledger, outcome)) core.info(line);
  const { firstRotation } = session.preflight;
  for (const { title, message } of say.finishWarnings(inputs, ledger, previous.id, outcome, rotated, firstRotation))
    core.warning(message, title);
}

/** What the writes and the hand-over did. */
type Done = { outcomes: WriteOutcome[]; deploys: DeployOutcome[] };

function rotationReport(session: Session, credential: RotatedCredential, outcomes: WriteOutcome[]) {
  const { appId, connectorId } = session.inputs;
  return { appId, connectorId, credential, previousId: session.preflight.previous.id, outcomes };
}
