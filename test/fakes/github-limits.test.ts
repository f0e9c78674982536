// The benchmark's GitHub: the fake enforcing GitHub's documented secondary rate limits, and the
// least time those limits allow a run, against which the action's pacing is measured.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGitHub } from './github.js';
import { leastTimeMs } from './github-limits.js';

const TOKEN = 'ghs_limits';
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
});

describe('leastTimeMs: the least time the documented limits allow', () => {
  const writes = (n: number) => Array<string>(n).fill('PUT');

  it('lets 80 writes go at once, and makes the 81st wait a minute', () => {
    expect(leastTimeMs(writes(80))).toBe(0);
    expect(leastTimeMs(writes(81))).toBe(60_000);
  });

  it('makes the 501st write wait an hour: 300 public keys read and 300 x 2 secrets written take 61 minutes', () => {
    expect(leastTimeMs(writes(500))).toBe(6 * 60_000);
    expect(leastTimeMs(writes(501))).toBe(3_600_000);
    expect(leastTimeMs([...Array<string>(300).fill('GET'), ...writes(600)])).toBe(3_660_000);
  });

  it('keeps 900 points a minute: the 901st read waits a minute', () => {
    expect(leastTimeMs(Array<string>(901).fill('GET'))).toBe(60_000);
  });
});

describe('the fake GitHub with secondary limits', () => {
  it('refuses the 81st content-creating request in a minute as GitHub does (403), counts it, and takes it a minute later', async () => {
    let now = 0;
    const fake = await startFakeGitHub({
      token: TOKEN,
      repositories: { 'acme/app': 'write' },
      secondaryLimits: { now: () => now },
    });
    close = fake.close;
    const post = (name: string) =>
      fetch(`${fake.url}/repos/acme/app/actions/variables`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, value: 'x' }),
      });
    for (let i = 0; i < 80; i++) expect((await post(`V${i}`)).status).toBe(201);
    const refused = await post('V80');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(fake.limitHits()).toEqual({ total: 1, by: { '80 content-creating requests a minute': 1 } });
    now += 60_000;
    expect((await post('V80')).status).toBe(201);
  });
});
