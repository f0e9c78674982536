/**
 * A new credential that was stored nowhere and must not be (it failed its
 * check or proof, could not be sealed, or every target refused it) is revoked
 * again, so that no unusable or orphaned credential stays valid, and the run
 * fails with every target unchanged.
 */
import { ActionError, errorMessage } from './errors.js';
import { discardMessage, discardOutcome } from './messages.js';
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
  let revoke: Parameters<typeof discardOutcome>[2] = 'no id';
  if (credentialId) {
    try {
      revoke = await conductorOne.revokeCredential(inputs.appId, inputs.connectorId, credentialId);
    } catch (err) {
      revoke = { error: errorMessage(err) };
    }
  }
  const outcome = discardOutcome(inputs.connectorId, credentialId, revoke);
  const { appId, connectorId } = inputs;
  await core.writeSummary(renderDiscardedSummary({ appId, connectorId, credentialId, reason, revoke: outcome }));
  throw new DiscardedError(discardMessage(reason, outcome), { cause });
}
