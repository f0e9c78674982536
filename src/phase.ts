/**
 * Bounds on the phases of a run, so that nothing (a stalled proxy, a server
 * that accepts a connection and never answers) keeps a run going past what it
 * states. Every request of a phase is bounded by its deadline (see
 * Http.withinDeadline: each attempt, each retry, each wait a server
 * asks for); a backstop a moment later ends the phase even when what it waits
 * for is no request of the action's (the GitHub OIDC token, which
 * @actions/core fetches).
 */
import { ActionError } from './errors.js';
import type { Http } from './http.js';

export interface Phase {
  /** How people read it in messages: "the checks before rotating (60 s)". */
  what: string;
  ms: number;
}

/**
 * Authentication and every read before RotateCredential. A minute holds a
 * transient failure and its retry (an attempt may take 30 s), while a proxy
 * or server that never answers ends the run with nothing rotated in about a
 * minute, not after undici's five-minute headers timeout (measured: 302 s).
 */
export const BEFORE_ROTATING: Phase = { what: 'the checks before rotating (60 s)', ms: 60_000 };

/** How much later than the deadline the backstop ends a phase: the requests' own errors say more, and come first. */
const BACKSTOP_GRACE_MS = 2_000;

/** Runs `work` within `phase`: its requests by the deadline, and the whole of it by the backstop. */
export async function withinPhase<T>(
  http: Pick<Http, 'clock' | 'withinDeadline'>,
  phase: Phase,
  work: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ActionError(overrunMessage(phase))), phase.ms + BACKSTOP_GRACE_MS);
    timer.unref();
  });
  const bounded = http.withinDeadline({ at: http.clock.now() + phase.ms, what: phase.what }, work);
  try {
    return await Promise.race([bounded, late]);
  } finally {
    clearTimeout(timer);
  }
}

function overrunMessage(phase: Phase): string {
  const problem = `${phase.what} did not end in time: something the run waited for never answered`;
  const fix = "check the runner's network access, server-url, github-api-url and any proxy between";
  return `Nothing was rotated: ${problem}; ${fix}.`;
}
