/**
 * rotate-if-expires-within: a scheduled workflow can run daily and rotate
 * only when the current credential is about to expire.
 */
import type { Duration } from './inputs.js';
import type { CredentialInfo, PreviousCredential } from './model.js';

export type Due =
  | { due: true; reason: string }
  /** `neverExpires`: the current credential has no expiry, so this window will never make it due. */
  | { due: false; reason: string; neverExpires?: boolean };

export function rotationDue(
  window: Duration | undefined,
  previous: PreviousCredential,
  current: CredentialInfo | 'gone' | undefined,
  nowMs: number,
): Due {
  if (!window) return { due: true, reason: 'rotate-if-expires-within is not set' };
  if (!previous.id) return { due: true, reason: previous.why ?? 'no current credential is known' };
  if (current === undefined || current === 'gone')
    return { due: true, reason: `the current credential ${previous.id} no longer exists in ConductorOne` };
  // An expiry that cannot be read is treated as due: rotating early never locks anyone out.
  if (current.expiryUnreadable)
    return { due: true, reason: `ConductorOne gave an expiry for ${current.id} that is not an RFC 3339 time` };
  if (!current.expiresTime) {
    const never = `so it is never within rotate-if-expires-within (${window.text})`;
    const fix = 'remove rotate-if-expires-within to rotate on every run';
    return {
      due: false,
      reason: `the current credential ${current.id} does not expire, ${never}; ${fix}`,
      neverExpires: true,
    };
  }
  const expires = Date.parse(current.expiresTime);
  const deadline = nowMs + window.ms;
  if (expires > deadline) {
    const later = `later than ${window.text} from now (${isoSeconds(deadline)})`;
    return { due: false, reason: `the current credential ${current.id} expires ${current.expiresTime}, ${later}` };
  }
  return {
    due: true,
    reason: `the current credential ${current.id} expires ${current.expiresTime}, within ${window.text}`,
  };
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
