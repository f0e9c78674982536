/**
 * GitHub's rate-limit rules, kept for every GitHub request of a run (Octokit's
 * and the reads sent before it loads), in two parts:
 *
 * - A budget, so that a run never meets a secondary rate limit of its own
 *   making. GitHub documents at most 100 concurrent requests; 900 points a
 *   minute for REST endpoints, a GET costing 1 point and a POST, PATCH, PUT or
 *   DELETE 5; and 80 content-creating requests a minute and 500 an hour. It
 *   does not say which endpoints create content, so every write counts as one.
 *   Each request occupies the windows from the moment it is let go until a
 *   minute (an hour) after its answer came back, which is after GitHub saw it
 *   arrive: the windows GitHub counts can never hold more than the budget. A
 *   run that fits the budget (20 repositories x 2 secrets: 40 writes) is never
 *   slowed; a larger one waits for the windows to free (300 x 2: the last 100
 *   writes an hour after the first).
 * - The rules for a limit met anyway (another job with the same token, say):
 *   honour retry-after; with x-ratelimit-remaining: 0, wait until
 *   x-ratelimit-reset; a secondary limit without either header (a 429, or a
 *   403 that says so) waits a minute, then exponentially longer. Every GitHub
 *   request of the run pauses with it, not only the one that was limited:
 *   GitHub warns that requests sent while limited can get an integration
 *   banned.
 *
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
 */
import { type Clock, type HeaderLookup, requestedWaitMs, type Throttle, ThrottleWaitTooLong } from '../http.js';

/** GitHub's documented secondary limits, and the part of them a run takes. */
export const GITHUB_LIMITS = {
  /** GitHub allows 100 concurrent requests, shared with every other client of the token: half of it is ours. */
  concurrent: 50,
  pointsPerMinute: 900,
  readPoints: 1,
  writePoints: 5,
  creationsPerMinute: 80,
  creationsPerHour: 500,
} as const;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** A secondary limit without retry-after: at least a minute, then exponentially longer. */
export const SECONDARY_LIMIT_WAIT_MS = MINUTE_MS;

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What one request costs against the budget. */
interface Cost {
  points: number;
  creations: number;
}

/** A request whose answer came back, in the windows until a minute (an hour) after that. */
interface Spent extends Cost {
  at: number;
}

export class GitHubRateLimits implements Throttle {
  private pausedUntil = 0;
  private readonly spent: Spent[] = [];
  private readonly inFlight: Cost & { requests: number } = { requests: 0, points: 0, creations: 0 };
  /** Called once when a request in flight gets its answer (someone may be waiting for room). */
  private released: Array<() => void> = [];
  /** The end of the last budget wait logged, so that requests waiting for the same room say so once. */
  private loggedUntil = 0;

  constructor(
    private readonly clock: Pick<Clock, 'now' | 'sleep'>,
    /** One line when the budget holds requests back for a second or more; never given a body. */
    private readonly log: (message: string) => void = () => {},
  ) {}

  async admit(method: string, deadlineAt: number, limitWaitAt = Number.POSITIVE_INFINITY): Promise<() => void> {
    const cost = costOf(method);
    for (;;) {
      const now = this.clock.now();
      if (this.pausedUntil > limitWaitAt) throw new ThrottleWaitTooLong(this.pausedUntil);
      const room = this.roomIn(cost, now);
      const waitMs = Math.max(this.pausedUntil - now, room);
      if (waitMs === 0) return this.take(cost);
      // A request in flight ends by its own time limit, which the deadline bounds: no need to race it.
      if (waitMs === Number.POSITIVE_INFINITY) await this.nextRelease();
      else if (now + waitMs > deadlineAt) throw new ThrottleWaitTooLong();
      else {
        if (room === waitMs) this.sayWaiting(now, waitMs);
        await this.clock.sleep(waitMs);
      }
    }
  }

  private sayWaiting(now: number, waitMs: number): void {
    if (waitMs < 1_000 || now + waitMs === this.loggedUntil) return;
    this.loggedUntil = now + waitMs;
    const budget = `${GITHUB_LIMITS.creationsPerMinute} content-creating requests a minute and ${GITHUB_LIMITS.creationsPerHour} an hour, ${GITHUB_LIMITS.pointsPerMinute} points a minute`;
    this.log(
      `GitHub's secondary rate limits allow ${budget}: the next GitHub requests wait ${Math.ceil(waitMs / 1000)} s for room.`,
    );
  }

  limited(
    answer: { status: number; headers: HeaderLookup; body: string | undefined },
    attempt: number,
    nowMs: number,
  ): { reason: string; waitMs: number } | undefined {
    const { status, headers, body } = answer;
    if (status !== 403 && status !== 429) return undefined;
    const asked = requestedWaitMs(headers, nowMs);
    const secondary = status === 429 || (body !== undefined && /secondary rate limit|abuse detection/i.test(body));
    if (asked === undefined && !secondary) return undefined;
    const waitMs = asked ?? SECONDARY_LIMIT_WAIT_MS * 2 ** (attempt - 1);
    this.pausedUntil = Math.max(this.pausedUntil, nowMs + waitMs);
    const reason = asked === undefined ? `secondary rate limit (${status})` : `rate limited (${status})`;
    return { reason: `${reason}; every GitHub request of this run waits with it`, waitMs };
  }

  /** Ms until `cost` fits the budget at `now`: 0 now, Infinity once a request in flight is answered. */
  private roomIn(cost: Cost, now: number): number {
    this.forget(now);
    if (this.inFlight.requests >= GITHUB_LIMITS.concurrent) return Number.POSITIVE_INFINITY;
    return Math.max(
      this.waitFor(now, MINUTE_MS, GITHUB_LIMITS.pointsPerMinute, cost.points, (s) => s.points, this.inFlight.points),
      this.waitFor(
        now,
        MINUTE_MS,
        GITHUB_LIMITS.creationsPerMinute,
        cost.creations,
        (s) => s.creations,
        this.inFlight.creations,
      ),
      this.waitFor(
        now,
        HOUR_MS,
        GITHUB_LIMITS.creationsPerHour,
        cost.creations,
        (s) => s.creations,
        this.inFlight.creations,
      ),
    );
  }

  /**
   * Ms until `amount` more fits under `limit` in the window of `windowMs`
   * that ends now; Infinity when only requests in flight could make room.
   */
  private waitFor(
    now: number,
    windowMs: number,
    limit: number,
    amount: number,
    of: (spent: Spent) => number,
    inFlight: number,
  ): number {
    if (amount === 0) return 0;
    const inWindow = this.spent.filter((s) => s.at > now - windowMs);
    let used = inFlight + inWindow.reduce((sum, s) => sum + of(s), 0);
    if (used + amount <= limit) return 0;
    // The window frees as its oldest answers age out of it; in flight, nothing frees before the answer.
    for (const s of inWindow) {
      used -= of(s);
      if (used + amount <= limit) return s.at + windowMs - now;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Lets a request go: it is in flight until the returned function is called with its answer in. */
  private take(cost: Cost): () => void {
    this.inFlight.requests += 1;
    this.inFlight.points += cost.points;
    this.inFlight.creations += cost.creations;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight.requests -= 1;
      this.inFlight.points -= cost.points;
      this.inFlight.creations -= cost.creations;
      this.spent.push({ at: this.clock.now(), ...cost });
      const waiting = this.released;
      this.released = [];
      for (const wake of waiting) wake();
    };
  }

  /** Resolves once a request in flight is answered. */
  private nextRelease(): Promise<void> {
    return new Promise<void>((resolve) => this.released.push(resolve));
  }

  /** Drops what no window holds any more. */
  private forget(now: number): void {
    while (this.spent.length > 0 && (this.spent[0] as Spent).at <= now - HOUR_MS) this.spent.shift();
  }
}

function costOf(method: string): Cost {
  const read = READ_METHODS.has(method.toUpperCase());
  return read
    ? { points: GITHUB_LIMITS.readPoints, creations: 0 }
    : { points: GITHUB_LIMITS.writePoints, creations: 1 };
}
