// Transient failures are retried, honouring retry-after and x-ratelimit-reset, and never cause a second
// rotation (SPEC 4); a rotate that may have happened is not retried.
import { describe, it, type TestContext } from 'vitest';
import { githubErrorBody } from '../fakes/github.js';
import type { Fault } from '../fakes/log.js';
import type { RunActionResult } from '../fakes/run-action.js';
import {
  type E2EScenario,
  leaks,
  onlyError,
  onlyIssued,
  publicKeyPath,
  ROTATE_PATH,
  requestLog,
  requestsTo,
  scenarioFor,
  secretPath,
  storedCredential,
  TOKEN_PATH,
} from './helpers.js';

const REPO = 'acme/connectors';

/** Runs the action with one fault injected into a fake; expects success and exactly one stored rotation. */
async function rotateThrough(
  context: TestContext,
  server: 'conductorOne' | 'github',
  fault: Fault,
): Promise<{ scenario: E2EScenario; result: RunActionResult }> {
  const { expect } = context;
  const scenario = await scenarioFor(context);
  scenario[server].inject(fault);

  const result = await scenario.run();

  expect(result.code).toBe(0);
  // One credential issued: a refused attempt (429) issues none, and nothing rotates twice.
  expect(requestsTo(scenario.conductorOne, 'POST', ROTATE_PATH).filter((line) => line.endsWith(' 200'))).toHaveLength(
    1,
  );
  const issued = onlyIssued(scenario);
  const stored = await storedCredential(scenario, REPO);
  expect(stored.clientId).toBe(issued.clientId);
  expect(stored.clientSecret === issued.clientSecret, 'BATON_CLIENT_SECRET opens to the issued secret').toBe(true);
  expect(result.outputs).toMatchObject({ rotated: 'true', 'credential-id': issued.id });
  return { scenario, result };
}

describe.concurrent('transient faults', () => {
  it('retries a token request answered 503', async (context) => {
    const { scenario } = await rotateThrough(context, 'conductorOne', {
      method: 'POST',
      path: TOKEN_PATH,
      status: 503,
      body: { code: 14, message: 'upstream unavailable', details: [] },
    });

    context.expect(requestLog(scenario.conductorOne)).toEqual([
      `POST ${TOKEN_PATH} 503 [status 503]`,
      `POST ${TOKEN_PATH} 200`,
      `POST ${ROTATE_PATH} 200`,
      `POST ${TOKEN_PATH} 200`, // the proof of the new credential
    ]);
  });

  it('retries a rotate answered 429 with retry-after: 1, and rotates once', async (context) => {
    const { scenario } = await rotateThrough(context, 'conductorOne', {
      method: 'POST',
      path: ROTATE_PATH,
      status: 429,
      headers: { 'retry-after': '1' },
      body: { code: 8, message: 'rate limited', details: [] },
    });

    context.expect(requestLog(scenario.conductorOne)).toEqual([
      `POST ${TOKEN_PATH} 200`,
      `POST ${ROTATE_PATH} 429 [status 429]`,
      `POST ${ROTATE_PATH} 200`,
      `POST ${TOKEN_PATH} 200`, // the proof of the new credential
    ]);
  });

  it('retries a public-key read answered 502', async (context) => {
    const { scenario } = await rotateThrough(context, 'github', {
      method: 'GET',
      path: publicKeyPath(REPO),
      status: 502,
      body: 'Bad Gateway',
    });

    const github = requestLog(scenario.github);
    context
      .expect(github.slice(0, 2))
      .toEqual([`GET ${publicKeyPath(REPO)} 502 [status 502]`, `GET ${publicKeyPath(REPO)} 200`]);
    context.expect(github.slice(2)).toHaveLength(2);
    // The retry is part of preflight: nothing rotated until the key was read.
    const timeline = scenario.timeline();
    context
      .expect(timeline.indexOf(`github GET ${publicKeyPath(REPO)} 200`))
      .toBeLessThan(timeline.indexOf(`conductorone POST ${ROTATE_PATH} 200`));
  });

  it('waits out a GitHub secondary rate limit on a secret write (403, retry-after: 1)', async (context) => {
    const path = secretPath(REPO, 'BATON_CLIENT_SECRET');
    const { scenario } = await rotateThrough(context, 'github', {
      method: 'PUT',
      path,
      status: 403,
      headers: { 'retry-after': '1' },
      body: githubErrorBody(
        403,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      ),
    });

    context
      .expect(requestsTo(scenario.github, 'PUT', path))
      .toEqual([`PUT ${path} 403 [status 403]`, `PUT ${path} 201`]);
    context.expect(requestsTo(scenario.github, 'PUT', secretPath(REPO, 'BATON_CLIENT_ID'))).toHaveLength(1);
  });

  it('waits until x-ratelimit-reset when a secret write finds no requests remaining (403)', async (context) => {
    const path = secretPath(REPO, 'BATON_CLIENT_ID');
    const { scenario } = await rotateThrough(context, 'github', {
      method: 'PUT',
      path,
      status: 403,
      headers: {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1),
      },
      body: githubErrorBody(403, 'API rate limit exceeded for installation ID 1.'),
    });

    context
      .expect(requestsTo(scenario.github, 'PUT', path))
      .toEqual([`PUT ${path} 403 [status 403]`, `PUT ${path} 201`]);
  });

  it('retries a secret write whose connection was dropped', async (context) => {
    const path = secretPath(REPO, 'BATON_CLIENT_SECRET');
    const { scenario } = await rotateThrough(context, 'github', { method: 'PUT', path, destroy: true });

    context.expect(requestsTo(scenario.github, 'PUT', path)).toEqual([`PUT ${path} 0 [destroy]`, `PUT ${path} 201`]);
  });
});

describe('GitHub rate limits pause the whole run', () => {
  it('holds every other GitHub request while one write waits out a limit (403, retry-after: 2)', async (context) => {
    const { expect } = context;
    const repositories = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`acme/repo-${i}`, 'write' as const]));
    const scenario = await scenarioFor(context, { repositories });
    const limitedPath = secretPath('acme/repo-0', 'BATON_CLIENT_ID');
    scenario.github.inject({
      method: 'PUT',
      path: limitedPath,
      status: 403,
      headers: { 'retry-after': '2' },
      body: githubErrorBody(403, 'You have exceeded a secondary rate limit.'),
    });

    const result = await scenario.run();

    expect(result.code, result.stdout).toBe(0);
    const limited = scenario.github.requests.find((r) => r.path === limitedPath && r.status === 403)!;
    const limitedAt = scenario.github.timing(limited)!.answeredAt!;
    const later = scenario.github.requests
      .map((entry) => ({ entry, timing: scenario.github.timing(entry)! }))
      // Requests already on their way when the 403 left the fake arrive within moments of it.
      .filter(({ timing }) => timing.arrivedAt > limitedAt + 100);
    // Nothing sent once the action had the 403 leaves before the 2 s are over.
    expect(later.length).toBeGreaterThan(0);
    for (const { entry, timing } of later) {
      expect(timing.arrivedAt - limitedAt, `${entry.method} ${entry.path}`).toBeGreaterThanOrEqual(1_900);
    }
    expect(result.stdout).toContain('every GitHub request of this run waits with it');
    expect(leaks(scenario, result)).toEqual([]);
  });
});

describe('a GitHub limit without retry-after', () => {
  it('waits a minute, not a second, on a 429 without retry-after, and holds every other GitHub request meanwhile', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/second': 'write' } });
    const path = secretPath(REPO, 'BATON_CLIENT_SECRET');
    scenario.github.inject({ method: 'PUT', path, status: 429, body: githubErrorBody(429, 'Too Many Requests') });
    let waiting = '';

    // Cancelled (as the runner cancels) once the log says how long it waits: a minute is not worth a test's time.
    const result = await scenario.run(
      {},
      {
        onStart: (child) => {
          child.stdout?.on('data', (chunk: Buffer) => {
            const line = String(chunk)
              .split('\n')
              .find((l) => l.includes('secondary rate limit (429)'));
            if (line && !waiting) {
              waiting = line;
              setTimeout(() => child.kill('SIGTERM'), 500);
            }
          });
        },
      },
    );

    expect(waiting).toMatch(
      /: secondary rate limit \(429\); every GitHub request of this run waits with it; retrying in 60\.0 s \(attempt 2 of 4\)$/,
    );
    expect(result.code).toBe(1);
    // Nothing left for GitHub after the 429, in the half second before the cancel.
    const limited = scenario.github.requests.findIndex((r) => r.path === path && r.status === 429);
    const later = scenario.github.requests.slice(limited + 1).filter((r) => {
      const timing = scenario.github.timing(r);
      const limitedAt = scenario.github.timing(scenario.github.requests[limited]!)?.answeredAt ?? 0;
      return (timing?.arrivedAt ?? 0) > limitedAt + 100;
    });
    expect(later).toEqual([]);
    expect(onlyError(result)).toMatch(/^The run was cancelled \(SIGTERM\) after ConductorOne issued credential/);
    expect(leaks(scenario, result)).toEqual([]);
  });
});

describe('a rotate that may have happened', () => {
  it('does not retry a rotate answered 502, and says the previous credential is still valid', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    scenario.conductorOne.inject({
      method: 'POST',
      path: ROTATE_PATH,
      status: 502,
      body: { code: 14, message: 'upstream connect error', details: [] },
    });

    const result = await scenario.run();

    expect(result.code).toBe(1);
    expect(requestLog(scenario.conductorOne)).toEqual([
      `POST ${TOKEN_PATH} 200`,
      `POST ${ROTATE_PATH} 502 [status 502]`,
    ]);
    expect(requestLog(scenario.github)).toEqual([`GET ${publicKeyPath(REPO)} 200`]);
    const error = onlyError(result);
    expect(error).toContain('502');
    expect(error).toMatch(/previous credential .*still valid/);
    expect(result.outputs.rotated).toBe('false');
  });
});
