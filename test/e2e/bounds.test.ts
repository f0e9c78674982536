// One deadline per phase (SPEC 4, issue 19): deploy-timeout bounds the whole wait for the deploy
// runs, each request inside it and every retry-after; the checks before rotating have a bound of
// their own (BEFORE_ROTATING), so a proxy that accepts connections and never answers ends the run
// with one ::error:: and nothing rotated, in about a minute instead of undici's five.
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'vitest';
import { BEFORE_ROTATING } from '../../src/phase.js';
import { githubErrorBody } from '../fakes/github.js';
import { runAction } from '../fakes/run-action.js';
import { deployRuns, holdingRecorded, leaks, onlyError, requestLog, scenarioFor } from './helpers.js';

const REPO = 'acme/connectors';
const DEPLOY = `${REPO}/.github/workflows/deploy.yml@main`;
const VARIABLE = 'BATON_CREDENTIAL_ID';

/** A scenario whose deploy run never completes by itself, with a previous credential to keep. */
async function deployScenario(context: Parameters<typeof scenarioFor>[0]) {
  const scenario = await scenarioFor(context, {
    repositories: { [REPO]: 'write' },
    workflows: { [REPO]: { 'deploy.yml': { readsInProgress: 1000 } } },
  });
  const previous = await holdingRecorded(scenario, REPO, VARIABLE);
  const inputs = {
    'credential-id-variable': VARIABLE,
    'revoke-previous': 'true',
    'deploy-workflows': DEPLOY,
    'deploy-timeout': '3s',
  };
  return { scenario, previous, inputs };
}

const RUN_READ = /\/repos\/acme\/connectors\/actions\/runs\/\d+$/;

describe.concurrent('deploy-timeout bounds the whole wait', () => {
  for (const [what, fault] of [
    ['a run read that never answers', { delayMs: 120_000 }],
    [
      'a run read whose body comes one byte a second',
      { status: 200, body: { status: 'in_progress' }, trickleMs: 1_000 },
    ],
    [
      'a run read rate-limited for 55 s (403, retry-after: 55)',
      {
        status: 403,
        headers: { 'retry-after': '55' },
        body: githubErrorBody(403, 'You have exceeded a secondary rate limit.'),
      },
    ],
  ] as const) {
    it(`ends at deploy-timeout (3s) with ${what}, revoking nothing`, async (context) => {
      const { expect } = context;
      const { scenario, previous, inputs } = await deployScenario(context);
      // The first read answers (in progress); the second is the one that hangs, trickles or is limited.
      scenario.github.inject({ method: 'GET', path: RUN_READ, times: 2, ...fault, ...{} });

      const result = await scenario.run(inputs);

      expect(result.code).toBe(1);
      // Spawn to end: the 3 s wait, the run's other steps, and node's start; nowhere near the 55 s or 120 s asked.
      expect(result.elapsedMs).toBeLessThan(20_000);
      expect(previous.revoked).toBe(false);
      expect(deployRuns(result.outputs).map((r) => r.conclusion)).toEqual(['timed out']);
      expect(onlyError(result)).toContain('did not complete within deploy-timeout (3s)');
      expect(leaks(scenario, result)).toEqual([]);
    });
  }
});

describe('the checks before rotating have a bound of their own', () => {
  it(`end the run, with one ::error:: and nothing rotated, within ${BEFORE_ROTATING.what} when a proxy accepts connections and never answers`, async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const sockets: Socket[] = [];
    const stalled = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    context.onTestFinished(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => stalled.close(resolve));
    });
    const port = (stalled.address() as { port: number }).port;

    const result = await runAction({
      inputs: scenario.inputs,
      env: { HTTP_PROXY: `http://127.0.0.1:${port}` },
      timeoutMs: 120_000,
    });

    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    // The bound, plus the close of the connections (2 s at most) and node's start: 60.2 s measured.
    expect(result.elapsedMs).toBeGreaterThanOrEqual(BEFORE_ROTATING.ms - 1_000);
    expect(result.elapsedMs).toBeLessThan(BEFORE_ROTATING.ms + 10_000);
    expect(sockets.length).toBeGreaterThan(0);
    expect(requestLog(scenario.conductorOne)).toEqual([]);
    expect(requestLog(scenario.github)).toEqual([]);
    const error = onlyError(result);
    expect(error).toMatch(/^Nothing was rotated\./);
    expect(error).toContain('the checks before rotating (60 s) ran out');
    expect(result.outputs.rotated).toBe('false');
    expect(leaks(scenario, result)).toEqual([]);
  }, 130_000);
});
