import type { Clock } from '../../src/http.js';

/** A clock for the retry policy: sleeping records the wait and moves time on at once, so no test sleeps. */
export interface FakeClock extends Clock {
  waits: number[];
  advance(ms: number): void;
}

export function fakeClock(start: number): FakeClock {
  let now = start;
  const waits: number[] = [];
  const advance = (ms: number) => {
    now += ms;
  };
  return {
    waits,
    advance,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      advance(ms);
    },
    // Pinned jitter: backoff is exactly three quarters of its ceiling.
    random: () => 0.5,
  };
}
