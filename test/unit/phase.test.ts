import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActionError } from '../../src/errors.js';
import { Http } from '../../src/http.js';
import { BEFORE_ROTATING, withinPhase } from '../../src/phase.js';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const clock = { now: () => NOW, sleep: async () => {}, random: () => 0.5 };
const http = () => new Http({ dispatcher: undefined as never, clock });

afterEach(() => {
  vi.useRealTimers();
});

describe('withinPhase', () => {
  it('gives every request of the phase its deadline, and none after it', async () => {
    const client = http();
    const seen = await withinPhase(client, BEFORE_ROTATING, async () => client.deadline);
    expect(seen).toEqual({ at: NOW + 60_000, what: 'the checks before rotating (60 s)' });
    expect(client.deadline).toBeUndefined();
  });

  it('ends a phase that waits on something other than a request of its own (the OIDC token, say), with nothing rotated', async () => {
    vi.useFakeTimers();
    const ended = withinPhase(
      http(),
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
    expect(await withinPhase(http(), BEFORE_ROTATING, async () => 'done')).toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });
});
