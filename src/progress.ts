/**
 * How far a run got, kept as it happens, so that a run cancelled at any moment
 * (SIGINT, SIGTERM: the runner's cancel) can still say which targets already
 * hold the new credential. The pipeline records into it; the entry point
 * reads it when a signal arrives.
 */
import type { RotationLock } from './lock.js';

export type WriteState = 'pending' | 'in flight' | 'stored' | 'failed';

export class RunProgress {
  /** The credential ConductorOne issued to this run, once it exists. */
  credentialId = '';
  /** Whether that credential was revoked again (it was unusable, or stored nowhere). */
  discarded = false;
  /** The ledger variable that records the new credential, once it does (see ledger.ts); empty until then. */
  recordedIn = '';
  /** Revoking replaced credentials: not started, under way, or done. */
  previousRevoke: '' | 'in flight' | 'revoked' = '';
  /** The rotation lock this run holds: a cancelled run gives it back. */
  lock: RotationLock | undefined;
  /**
   * Revokes the new credential while nothing records or holds it: from the
   * moment it is issued until it is recorded or its first write starts. A run
   * cancelled then revokes it, rather than leave a credential nothing records.
   */
  revokeUnrecorded: (() => Promise<unknown>) | undefined;
  /** A cancelled run revoked its new credential (see revokeUnrecorded). */
  revokedOnCancel = false;
  private readonly writes = new Map<string, Map<string, WriteState>>();

  issued(id: string): void {
    this.credentialId = id;
  }

  holdLock(lock: RotationLock | undefined): void {
    this.lock = lock;
  }

  /** Every write the run is about to make, in order. */
  planWrites(writes: ReadonlyArray<{ target: string; secret: string }>): void {
    this.revokeUnrecorded = undefined;
    for (const { target, secret } of writes) {
      const secrets = this.writes.get(target) ?? new Map<string, WriteState>();
      secrets.set(secret, 'pending');
      this.writes.set(target, secrets);
    }
  }

  write(target: string, secret: string, state: WriteState): void {
    this.writes.get(target)?.set(secret, state);
  }

  /** Per target: 'new' (every secret stored), 'previous' (none started), or 'unknown' (some in flight or mixed). */
  holdings(): Array<{ target: string; holds: 'new' | 'previous' | 'unknown' }> {
    return [...this.writes].map(([target, secrets]) => {
      const states = [...secrets.values()];
      if (states.every((s) => s === 'stored')) return { target, holds: 'new' as const };
      if (states.every((s) => s === 'pending' || s === 'failed')) return { target, holds: 'previous' as const };
      return { target, holds: 'unknown' as const };
    });
  }
}
