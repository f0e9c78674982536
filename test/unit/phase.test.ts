import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActionError } from '../../src/errors.js';
import { currentDeadline } from '../../src/http.js';
import { BEFORE_ROTATING, withinPhase } from '../../src/phase.js';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const clock = { now: () => NOW };

afterEach(() => {
  vi.useRealTimers();
});

describe('withinPhase', () => {
  it('gives every request of the phase its deadline', async () => {
    const seen = await withinPhase(clock, BEFORE_ROTATING, async () => currentDeadline());
    expect(seen).toEqual({ at: NOW + 60_000, what: 'the checks before rotating (60 s)' });
  });

  it('ends a phase that waits on something other than a request of its own (the OIDC token, say), with nothing rotated', async () => {
    vi.useFakeTimers();
    const ended = withinPhase(
      clock,
      { what: 'the checks before rotating (60 s)', ms: 60_000 },
      () => new Promise(() => {}),
    );
    const outcome = ended.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await vi.advanceTimersByTimeAsync(61_999);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toBe(
      "Nothing was rotated: the checks before rotating (60 s) did not end in time: something the run waited for never answered; check the runner's network access, server-url, github-api-url and any proxy between.",
    );
  });

  it('leaves no timer behind once the phase is over', async () => {
    vi.useFakeTimers();
    expect(await withinPhase(clock, BEFORE_ROTATING, async () => 'done')).toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });
});
