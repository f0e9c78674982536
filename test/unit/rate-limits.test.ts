import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/github/client.js';
import { GITHUB_LIMITS, GitHubRateLimits, SECONDARY_LIMIT_WAIT_MS } from '../../src/github/rate-limits.js';
import { Http, ThrottleWaitTooLong } from '../../src/http.js';
import { type FakeClock, fakeClock } from './fake-clock.js';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const NO_DEADLINE = Number.POSITIVE_INFINITY;
const noHeaders = { get: () => null };
const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });

let clock: FakeClock;
let limits: GitHubRateLimits;

beforeEach(() => {
  clock = fakeClock(NOW);
  limits = new GitHubRateLimits(clock);
});

/** Sends `count` requests of `method` one after the other, each answered at once; the clock time each went at. */
async function sendInTurn(count: number, method: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const release = await limits.admit(method, NO_DEADLINE);
    times.push(clock.now() - NOW);
    release();
  }
  return times;
}

describe('GitHubRateLimits: the budget', () => {
  it('lets a run that fits go at once: 20 public keys read and 40 secrets written', async () => {
    expect(await sendInTurn(20, 'GET')).toEqual(Array(20).fill(0));
    expect(await sendInTurn(40, 'PUT')).toEqual(Array(40).fill(0));
    expect(clock.waits).toEqual([]);
  });

  it('keeps to 80 content-creating requests a minute: the 81st write waits until the first is a minute old', async () => {
    const times = await sendInTurn(81, 'PUT');
    expect(times.slice(0, 80)).toEqual(Array(80).fill(0));
    expect(times[80]).toBe(60_000);
  });

  it('keeps to 500 content-creating requests an hour: the 501st write waits until the first is an hour old', async () => {
    const times = await sendInTurn(501, 'PATCH');
    expect(times[499]).toBe(6 * 60_000); // 80 a minute: the 481st to the 500th in the seventh minute
    expect(times[500]).toBe(3_600_000);
  });

  it('keeps to 900 points a minute: a GET costs 1', async () => {
    const times = await sendInTurn(901, 'GET');
    expect(times[899]).toBe(0);
    expect(times[900]).toBe(60_000);
  });

  it('counts a write as 5 points: 100 reads and 80 writes use 500 of the 900', async () => {
    await sendInTurn(100, 'GET');
    await sendInTurn(80, 'POST');
    expect(await sendInTurn(400, 'GET')).toEqual(Array(400).fill(0));
    expect((await sendInTurn(1, 'GET'))[0]).toBe(60_000);
  });

  it('counts a request from when it goes until a minute after its answer, so GitHub never sees more in a minute', async () => {
    const first = await limits.admit('PUT', NO_DEADLINE);
    clock.advance(10_000); // the answer takes 10 s
    first();
    const times = await sendInTurn(80, 'PUT');
    expect(times[78]).toBe(10_000);
    expect(times[79]).toBe(70_000);
  });

  it(`keeps to ${GITHUB_LIMITS.concurrent} requests in flight, half of GitHub's 100, the next going once one is answered`, async () => {
    const releases = await Promise.all(
      Array.from({ length: GITHUB_LIMITS.concurrent }, () => limits.admit('GET', NO_DEADLINE)),
    );
    let admitted = false;
    const next = limits.admit('GET', NO_DEADLINE).then((release) => {
      admitted = true;
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(admitted).toBe(false);
    releases[0]!();
    (await next)();
    expect(admitted).toBe(true);
  });

  it('says once, for all the requests that wait for the same room, why they wait', async () => {
    const logged: string[] = [];
    limits = new GitHubRateLimits(clock, (line) => logged.push(line));
    await sendInTurn(80, 'PUT');
    await Promise.all([limits.admit('PUT', NO_DEADLINE), limits.admit('PUT', NO_DEADLINE)]);
    expect(logged).toEqual([
      "GitHub's secondary rate limits allow 80 content-creating requests a minute and 500 an hour, 900 points a minute: the next GitHub requests wait 60 s for room.",
    ]);
  });

  it('refuses to wait for room past the deadline', async () => {
    await sendInTurn(80, 'PUT');
    await expect(limits.admit('PUT', NOW + 30_000)).rejects.toBeInstanceOf(ThrottleWaitTooLong);
    expect(clock.waits).toEqual([]);
  });
});

describe('GitHubRateLimits: a limit met anyway', () => {
  const secondary = (status: number, body: string | undefined, values: Record<string, string> = {}) => ({
    status,
    headers: headers(values),
    body,
  });

  it('waits a minute on a secondary limit without retry-after (403 that says so), then exponentially longer', () => {
    const answer = secondary(403, '{"message":"You have exceeded a secondary rate limit."}');
    expect(limits.limited(answer, 1, NOW)).toEqual({
      reason: 'secondary rate limit (403); every GitHub request of this run waits with it',
      waitMs: SECONDARY_LIMIT_WAIT_MS,
    });
    expect(limits.limited(answer, 2, NOW)?.waitMs).toBe(120_000);
    expect(limits.limited(answer, 3, NOW)?.waitMs).toBe(240_000);
  });

  it('treats a 429 without retry-after as a secondary limit: a minute, not a second', () => {
    expect(limits.limited(secondary(429, ''), 1, NOW)?.waitMs).toBe(60_000);
  });

  it('honours retry-after, and x-ratelimit-reset when no requests remain', () => {
    expect(limits.limited(secondary(403, '', { 'retry-after': '7' }), 1, NOW)?.waitMs).toBe(7_000);
    const reset = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 30) };
    expect(limits.limited(secondary(403, '', reset), 1, NOW)?.waitMs).toBe(31_000);
  });

  it('leaves a 403 that is no limit (a missing permission) and other statuses alone', () => {
    expect(
      limits.limited(secondary(403, '{"message":"Resource not accessible by integration"}'), 1, NOW),
    ).toBeUndefined();
    expect(limits.limited({ status: 500, headers: noHeaders, body: undefined }, 1, NOW)).toBeUndefined();
  });

  it('pauses every request, not only the limited one, until the wait is over', async () => {
    limits.limited(secondary(429, ''), 1, NOW);
    (await limits.admit('GET', NO_DEADLINE))();
    expect(clock.now()).toBe(NOW + 60_000);
  });

  it('does not let a request wait past its deadline for a pause to end', async () => {
    limits.limited(secondary(403, '', { 'retry-after': '60' }), 1, NOW);
    await expect(limits.admit('GET', NOW + 10_000)).rejects.toBeInstanceOf(ThrottleWaitTooLong);
  });
});

describe('GitHub requests through Octokit and the HTTP policy', () => {
  const GH = 'https://api.github.com';
  let agent: MockAgent;
  let arrivals: string[];

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    arrivals = [];
  });

  afterEach(async () => {
    await agent.close();
  });

  const seen =
    (status: number, data: unknown, extra: Record<string, string> = {}) =>
    (opts: { path: string }) => {
      arrivals.push(`${(clock.now() - NOW) / 1000} s ${opts.path} ${status}`);
      return {
        statusCode: status,
        data: JSON.stringify(data),
        responseOptions: { headers: { 'content-type': 'application/json', ...extra } },
      };
    };

  it('pauses every other GitHub request of the run while one write waits out a secondary limit', async () => {
    const pool = agent.get(GH);
    pool
      .intercept({ path: '/repos/acme/a/actions/secrets/S', method: 'PUT' })
      .reply(seen(403, { message: 'You have exceeded a secondary rate limit.' }));
    pool.intercept({ path: '/repos/acme/a/actions/secrets/S', method: 'PUT' }).reply(seen(204, ''));
    pool.intercept({ path: '/repos/acme/b/actions/secrets/S', method: 'PUT' }).reply(seen(204, ''));
    const octokit = createOctokit('ghs_token', new URL(GH), new Http({ dispatcher: agent, clock }));
    const put = (repo: string) =>
      octokit.request('PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}', {
        owner: 'acme',
        repo,
        secret_name: 'S',
        encrypted_value: 'c2VhbGVk',
        key_id: 'k',
      });

    await put('a');
    await put('b');

    expect(arrivals).toEqual([
      '0 s /repos/acme/a/actions/secrets/S 403',
      '60 s /repos/acme/a/actions/secrets/S 204',
      '60 s /repos/acme/b/actions/secrets/S 204',
    ]);
  });

  it('asks the next GitHub request to wait when another was limited, even one sent while it waited', async () => {
    const pool = agent.get(GH);
    pool.intercept({ path: '/repos/acme/a/actions/secrets/public-key' }).reply(seen(429, { message: 'slow down' }));
    pool.intercept({ path: '/repos/acme/a/actions/secrets/public-key' }).reply(seen(200, { key_id: 'k', key: 'x' }));
    pool.intercept({ path: '/repos/acme/b/actions/secrets/public-key' }).reply(seen(200, { key_id: 'k', key: 'x' }));
    const octokit = createOctokit('ghs_token', new URL(GH), new Http({ dispatcher: agent, clock }));
    const read = (repo: string) =>
      octokit.request('GET /repos/{owner}/{repo}/actions/secrets/public-key', { owner: 'acme', repo });

    await Promise.all([read('a'), new Promise((resolve) => setImmediate(resolve)).then(() => read('b'))]);

    expect(arrivals[0]).toBe('0 s /repos/acme/a/actions/secrets/public-key 429');
    expect(arrivals.slice(1).sort()).toEqual([
      '60 s /repos/acme/a/actions/secrets/public-key 200',
      '60 s /repos/acme/b/actions/secrets/public-key 200',
    ]);
  });
});
