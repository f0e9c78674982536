/**
 * The last steps, run only once every target holds the new, proved credential
 * and every deploy run succeeded (or, in a run that does not rotate, with the
 * targets as they are): the ledger marks the hand-over, every replaced
 * credential that is due is retired (retire.ts), and the ledger is written
 * home, which is what the next run starts from. The steps only ever move
 * forward from a state in which every consumer can have the new credential,
 * so a failure here leaves nothing a later run cannot finish.
 */
import type { ConductorOneClient } from './conductorone/client.js';
import { errorMessage } from './errors.js';
import type { Inputs } from './inputs.js';
import { handOver, type RetirePolicy, settle } from './ledger.js';
import type { Target } from './model.js';
import { type Preflight, runLockLifetimeMs } from './preflight.js';
import type { RunProgress } from './progress.js';
import { type RetireOutcome, retireReplaced, retireResults } from './retire.js';

/** What the last steps need; a Session has it all. */
export interface FinishContext {
  inputs: Pick<
    Inputs,
    'appId' | 'connectorId' | 'revokePrevious' | 'keepPreviousFor' | 'deployWorkflows' | 'deployTimeout'
  >;
  conductorOne: ConductorOneClient;
  preflight: Pick<Preflight, 'ledger' | 'lock'>;
  progress: RunProgress;
  /** Deletes at once when the ledger removes the copies it replaced. */
  concurrency: number;
  now: () => number;
}

export interface FinishOutcome {
  /** Every replaced credential the ledger records, and what became of it. */
  retired: RetireOutcome[];
  /** Writing the ledger home; undefined without credential-id-variable. */
  saved?: { result: 'created' | 'updated' } | { error: string } | { lockLost: true };
  /** Copies of the variable (or `_PREVIOUS`) the ledger replaced that could not be removed. */
  untidy: Array<{ target: Target; error: string }>;
}

export function retirePolicy(session: Pick<FinishContext, 'inputs'>): RetirePolicy {
  const { inputs } = session;
  return { mode: inputs.revokePrevious, keepMs: inputs.keepPreviousFor.ms, writerMs: runLockLifetimeMs(inputs) };
}

/** Every target holds `credentialId` now: hand it over in the ledger, then retire and record. */
export async function finishRotation(session: FinishContext, credentialId: string): Promise<FinishOutcome> {
  session.preflight.ledger.apply((ledger) => handOver(ledger, credentialId, session.now()));
  return retireAndRecord(session);
}

/**
 * Retires what is due and writes the ledger home. A run that did not rotate
 * (not due yet under rotate-if-expires-within) does this too, so a credential
 * kept by next-run is retired on time whatever the schedule of rotations.
 */
export async function retireAndRecord(session: FinishContext): Promise<FinishOutcome> {
  const { inputs, conductorOne, preflight, progress } = session;
  const { ledger, lock } = preflight;
  const context = {
    conductorOne,
    appId: inputs.appId,
    connectorId: inputs.connectorId,
    policy: retirePolicy(session),
    now: session.now,
  };
  progress.previousRevoke = 'in flight';
  // Whether the lock is still this run's is asked beside the reads before the revokes: past its
  // expiry, or deleted by hand, another run may be rotating and this run must not overwrite its ledger.
  const [retired, stillHeld] = await Promise.all([
    retireReplaced(context, ledger.ledger),
    lock ? lock.stillHeld().catch(() => true) : Promise.resolve(true),
  ]);
  progress.previousRevoke = retired.some((r) => r.outcome === 'revoked') ? 'revoked' : '';
  ledger.apply((l) => settle(l, retireResults(retired)));
  if (!ledger.remembers) return { retired, untidy: [] };
  if (!stillHeld) return { retired, saved: { lockLost: true }, untidy: [] };
  try {
    const result = await ledger.save();
    if (result === 'not remembered') return { retired, untidy: [] };
    return { retired, saved: { result }, untidy: await ledger.tidy(session.concurrency) };
  } catch (err) {
    return { retired, saved: { error: errorMessage(err) }, untidy: [] };
  }
}
