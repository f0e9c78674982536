// The process always ends: a run cancelled by the runner (SIGTERM) says which targets already hold
// the new credential, in the log and the summary, and exits even with a request stalled in flight;
// and an organization with many selected repositories never gets a burst of requests.
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'vitest';
import type { FakeGitHub } from '../fakes/github.js';
import { leaks, onlyError, onlyIssued, ROTATE_PATH, scenarioFor, TOKEN_PATH, unexpectedCommands } from './helpers.js';

const REPO = 'acme/connectors';
const SECOND = 'acme/second';

/** Sends `signal` to the child as soon as `ready()` holds (checked every 10 ms). */
function cancelWhen(ready: () => boolean, signal: NodeJS.Signals = 'SIGTERM'): (child: ChildProcess) => void {
  return (child) => {
    const timer = setInterval(() => {
      if (!ready()) return;
      clearInterval(timer);
      child.kill(signal);
    }, 10);
    child.on('exit', () => clearInterval(timer));
  };
}

describe.concurrent('a cancelled run', () => {
  it('says which repositories hold the new credential and exits, with a write stalled in flight', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', [SECOND]: 'write' } });
    // The second repository's writes never get an answer.
    scenario.github.inject({
      method: 'PUT',
      path: new RegExp(`^/repos/${SECOND}/actions/secrets/`),
      delayMs: 120_000,
      times: 2,
    });
    const answered = (path: string) =>
      scenario.github.requests.some((r) => r.method === 'PUT' && r.path.startsWith(path) && r.status === 201);
    const firstDone = () =>
      ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET'].every((name) => answered(`/repos/${REPO}/actions/secrets/${name}`));
    const secondStalled = () =>
      scenario.github.requests.some((r) => r.method === 'PUT' && r.path.startsWith(`/repos/${SECOND}/`));

    const result = await scenario.run({}, { onStart: cancelWhen(() => firstDone() && secondStalled()) });

    expect(result.code).toBe(1);
    const issued = onlyIssued(scenario);
    const error = onlyError(result);
    expect(error).toBe(
      `The run was cancelled (SIGTERM) after ConductorOne issued credential ${issued.id}. The new credential is stored in ${REPO}. ${SECOND} may hold either, or one secret of each (a write was under way). Run the workflow again to store one credential everywhere. Nothing was revoked.`,
    );
    expect(result.summary).toContain('## ConductorOne credential rotation cancelled');
    expect(result.summary).toContain(`| ${REPO} | the new credential |`);
    expect(result.summary).toContain(
      `| ${SECOND} | **unknown**: a write was in flight, or only one secret was written |`,
    );
    expect(leaks(scenario, result)).toEqual([]);
    expect(unexpectedCommands(result.stdout)).toEqual([]);
  });

  it('says nothing changed when cancelled before ConductorOne issued a credential', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    scenario.conductorOne.inject({ method: 'POST', path: TOKEN_PATH, delayMs: 120_000 });

    const result = await scenario.run(
      {},
      { onStart: cancelWhen(() => scenario.conductorOne.requests.length > 0, 'SIGINT') },
    );

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(onlyError(result)).toBe(
      'The run was cancelled (SIGINT) before ConductorOne issued a new credential: nothing was changed.',
    );
    expect(result.summary).toContain('## ConductorOne credential rotation cancelled');
  });

  it('revokes the new credential, which nothing records or stores yet, when cancelled during the proof', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    // The run's own token request passes; the proof's is parked.
    scenario.conductorOne.inject({ method: 'POST', path: TOKEN_PATH });
    scenario.conductorOne.inject({ method: 'POST', path: TOKEN_PATH, delayMs: 120_000 });
    const proving = () => scenario.conductorOne.requests.filter((r) => r.path === TOKEN_PATH).length === 2;

    const result = await scenario.run({}, { onStart: cancelWhen(proving) });

    expect(result.code).toBe(1);
    const issued = onlyIssued(scenario);
    expect(scenario.github.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(onlyError(result)).toBe(
      `The run was cancelled (SIGTERM) after ConductorOne issued credential ${issued.id}, before anything recorded or stored it: it was revoked again, and no secret was changed.`,
    );
    expect(issued.revoked).toBe(true);
    expect(scenario.conductorOne.requests.filter((r) => r.path === ROTATE_PATH)).toHaveLength(1);
  });
});

/** The most GitHub requests that were in flight at one moment, from the fake's arrival and answer times. */
function maxInFlight(github: FakeGitHub): number {
  const events = github.requests.flatMap((entry) => {
    const timing = github.timing(entry);
    if (!timing) return [];
    return [
      { at: timing.arrivedAt, delta: 1 },
      { at: timing.answeredAt ?? Number.POSITIVE_INFINITY, delta: -1 },
    ];
  });
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let most = 0;
  for (const { delta } of events) {
    current += delta;
    most = Math.max(most, current);
  }
  return most;
}

describe('an organization secret selected for many repositories', () => {
  it('looks the repositories up at most 20 at a time', async (context) => {
    const { expect } = context;
    const repositories = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`acme/repo-${String(i).padStart(2, '0')}`, 'write' as const]),
    );
    const scenario = await scenarioFor(context, { repositories, organizations: { acme: 'write' }, latencyMs: 20 });

    const result = await scenario.run({ organization: 'acme', visibility: 'selected' });

    expect(result.code).toBe(0);
    expect(scenario.github.requests.filter((r) => /^\/repos\/acme\/repo-\d+$/.test(r.path))).toHaveLength(60);
    const most = maxInFlight(scenario.github);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(20);
  });
});
