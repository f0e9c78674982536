/**
 * A new credential that was stored nowhere and must not be (it failed its
 * check or proof, could not be sealed, or every target refused it) is revoked
 * again, so that no unusable or orphaned credential stays valid, and the run
 * fails with every target unchanged.
 */
import { ActionError, errorMessage } from './errors.js';
import { discard, recordIssued } from './ledger.js';
import { discardMessage, discardOutcome, ledgerPlace } from './messages.js';
import { renderDiscardedSummary } from './report.js';
import type { Session } from './session.js';

/** The run failed after the new credential was revoked again; its summary is written. */
export class DiscardedError extends ActionError {
  override readonly name = 'DiscardedError';
}

/** Revokes the new credential (when its ID is usable), writes the summary and throws. */
export async function discardCredential(
  session: Session,
  credentialId: string,
  reason: string,
  cause?: unknown,
): Promise<never> {
  const { core, inputs, conductorOne, progress } = session;
  progress.discarded = true;
  progress.revokeUnrecorded = undefined;
  let revoke: Parameters<typeof discardOutcome>[2] = 'no id';
  if (credentialId) {
    try {
      revoke = await conductorOne.revokeCredential(inputs.appId, inputs.connectorId, credentialId);
    } catch (err) {
      revoke = { error: errorMessage(err) };
    }
  }
  const recordedIn = await forget(session, credentialId, typeof revoke === 'string' && revoke !== 'no id');
  const outcome = discardOutcome(inputs.connectorId, credentialId, revoke, recordedIn);
  const { appId, connectorId } = inputs;
  await core.writeSummary(renderDiscardedSummary({ appId, connectorId, credentialId, reason, revoke: outcome }));
  throw new DiscardedError(discardMessage(reason, outcome), { cause });
}

/**
 * The ledger after a discard: a revoked credential leaves it; one that could
 * not be revoked stays (or is recorded now, if the record had not been made),
 * marked as stored nowhere, so the next successful run revokes it at once.
 * Resolves with where it is recorded, or '' when it is not (or need not be).
 */
async function forget(session: Session, credentialId: string, revoked: boolean): Promise<string> {
  const { preflight, progress, identity } = session;
  const { ledger } = preflight;
  if (!credentialId || !ledger.remembers || (revoked && !progress.recordedIn)) return '';
  const now = session.now();
  ledger.apply((l) =>
    discard(recordIssued(l, credentialId, now, identity.label), credentialId, revoked, now, 'stored nowhere'),
  );
  try {
    await ledger.save();
    return revoked ? '' : ledgerPlace(ledger);
  } catch {
    return revoked ? '' : progress.recordedIn;
  }
}
