// GitHub's documented secondary rate limits, enforced by the fake GitHub when asked (npm run bench
// measures 300 repositories x 2 secrets against them): at most 100 concurrent requests; 900 points
// a minute (a GET, HEAD or OPTIONS costs 1, any other method 5); 80 content-creating requests a
// minute and 500 an hour, every write counted as content-creating (GitHub does not say which are).
// Windows slide, and count a request when it arrives, as GitHub sees it. A request over a limit is
// refused as GitHub refuses it, 403 with the secondary-rate-limit message and no retry-after (the
// hardest case for a client), counted in `hits`, and not counted in the windows.
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
import { HttpError } from './log.js';

export const DOCUMENTED_LIMITS = {
  concurrent: 100,
  pointsPerMinute: 900,
  creationsPerMinute: 80,
  creationsPerHour: 500,
} as const;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SecondaryLimitOptions {
  /** The clock the windows run on (the benchmark's simulated one). */
  now(): number;
}

export interface SecondaryLimits {
  /** Throws GitHub's 403 when the request would go over a limit; `inFlight` counts the requests not yet answered, this one included. */
  admit(method: string, inFlight: () => number): void;
  /** Requests refused for a limit. */
  readonly hits: number;
  /** Each limit and how often it refused a request. */
  readonly hitsBy: Record<string, number>;
}

/** The cost of a request, in points and content creations. */
export function costOf(method: string): { points: number; creations: number } {
  return READS.has(method.toUpperCase()) ? { points: 1, creations: 0 } : { points: 5, creations: 1 };
}

export function secondaryLimits(options: SecondaryLimitOptions): SecondaryLimits {
  const arrived: Array<{ at: number; points: number; creations: number }> = [];
  const hitsBy: Record<string, number> = {};
  const sum = (windowMs: number, now: number, of: (a: (typeof arrived)[number]) => number) =>
    arrived.reduce((total, a) => (a.at > now - windowMs ? total + of(a) : total), 0);
  return {
    admit(method, inFlight) {
      const now = options.now();
      const cost = costOf(method);
      const over = [
        ['100 concurrent requests', inFlight() > DOCUMENTED_LIMITS.concurrent],
        ['900 points a minute', sum(MINUTE_MS, now, (a) => a.points) + cost.points > DOCUMENTED_LIMITS.pointsPerMinute],
        [
          '80 content-creating requests a minute',
          cost.creations > 0 && sum(MINUTE_MS, now, (a) => a.creations) + 1 > DOCUMENTED_LIMITS.creationsPerMinute,
        ],
        [
          '500 content-creating requests an hour',
          cost.creations > 0 && sum(HOUR_MS, now, (a) => a.creations) + 1 > DOCUMENTED_LIMITS.creationsPerHour,
        ],
      ].find(([, exceeded]) => exceeded);
      if (over) {
        const limit = over[0] as string;
        hitsBy[limit] = (hitsBy[limit] ?? 0) + 1;
        throw new HttpError(403, {
          message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          documentation_url:
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          status: '403',
        });
      }
      while (arrived.length > 0 && (arrived[0]?.at ?? 0) <= now - HOUR_MS) arrived.shift();
      arrived.push({ at: now, ...cost });
    },
    get hits() {
      return Object.values(hitsBy).reduce((a, b) => a + b, 0);
    },
    hitsBy,
  };
}

/**
 * The least time the documented limits allow for `methods`, sent in this order by a client with no
 * latency: each request as early as every window lets it (earliest-first is optimal for limits of
 * the form "at most N in any window"), from the first request to the last.
 */
export function leastTimeMs(methods: readonly string[]): number {
  const placed: Array<{ at: number; points: number; creations: number }> = [];
  const sum = (from: number, to: number, of: (p: (typeof placed)[number]) => number) =>
    placed.reduce((total, p) => (p.at > from && p.at <= to ? total + of(p) : total), 0);
  let at = 0;
  for (const method of methods) {
    const cost = costOf(method);
    for (;;) {
      // The windows that would hold the request if it went at `at`: any containing `at`, the latest first.
      const fits =
        sum(at - MINUTE_MS, at, (p) => p.points) + cost.points <= DOCUMENTED_LIMITS.pointsPerMinute &&
        (cost.creations === 0 ||
          (sum(at - MINUTE_MS, at, (p) => p.creations) + 1 <= DOCUMENTED_LIMITS.creationsPerMinute &&
            sum(at - HOUR_MS, at, (p) => p.creations) + 1 <= DOCUMENTED_LIMITS.creationsPerHour));
      if (fits) break;
      // The next moment a window can change: the oldest request in the last hour leaving one of them.
      at = Math.min(...placed.flatMap((p) => [p.at + MINUTE_MS, p.at + HOUR_MS]).filter((t) => t > at));
    }
    placed.push({ at, ...cost });
  }
  return at;
}
