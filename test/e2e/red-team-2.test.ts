// A second red-team run, where the ledger, the phase deadlines and the rate-limit budget meet, kept
// as regression tests: each attack as it was made, asserting the contract (SPEC 4, 4a; README "What
// happens when something fails") that now holds against it.
import type { ChildProcess } from 'node:child_process';
import { describe, it, type TestContext } from 'vitest';
import { githubErrorBody, repoScope } from '../fakes/github.js';
import { runAction } from '../fakes/run-action.js';
import { errorAnnotations, holdCredential, letTimePass, scenarioFor, secretPath, validCredentials } from './helpers.js';

const REPO = 'acme/connectors';
const VARIABLE = 'BATON_CREDENTIAL_ID';
const LOCK = `${VARIABLE}_LOCK`;
const env = (run: string, attempt = '1') => ({
  GITHUB_REPOSITORY: 'acme/rotation',
  GITHUB_RUN_ID: run,
  GITHUB_RUN_ATTEMPT: attempt,
});
const warnings = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::warning'));

async function world(context: TestContext, repos = [REPO]) {
  const s = await scenarioFor(context, { repositories: Object.fromEntries(repos.map((r) => [r, 'write' as const])) });
  const handMade = await s.conductorOne.addCredential();
  for (const r of repos) holdCredential(s, r, handMade);
  s.github.presetVariable(repoScope([...repos].sort()[0]!), VARIABLE, handMade.id);
  return { s, handMade, inputs: { 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' } };
}
type S = Awaited<ReturnType<typeof world>>['s'];
const lockOf = (s: S, repo = REPO) => s.github.variables.get(repoScope(repo))?.get(LOCK)?.value;
const lockCreated = (s: S) =>
  s.github.requests.some((q) => q.method === 'POST' && q.path.endsWith('/actions/variables') && q.status === 201);

describe.concurrent('RF1: the 60 s bound before rotating fires while this run holds the lock', () => {
  it('RF1 a GitHub read that never answers: the failed run gives the lock back (SPEC 4a; "a failed run gives the lock back within 5 s")', async (context) => {
    const { expect } = context;
    const { s, inputs } = await world(context);
    // The ledger read stalls (every attempt); the lock create beside it is answered at once.
    s.github.inject({ method: 'GET', path: `/repos/${REPO}/actions/variables/${VARIABLE}`, delayMs: 90_000, times: 2 });
    const failed = await runAction({ inputs: { ...s.inputs, ...inputs }, env: env('1'), timeoutMs: 120_000 });
    expect(failed.code).toBe(1);
    expect(errorAnnotations(failed.stdout).join()).toContain('the checks before rotating (60 s) ran out');
    // The lock is given back by the run's end, outside the phase whose bound ran out.
    expect(lockOf(s)).toBeUndefined();
    const next = await s.run(inputs, { env: env('2') });
    expect(next.code, errorAnnotations(next.stdout).join()).toBe(0);
  }, 150_000);
});

describe.concurrent('RF2: GitHub primary rate limit met by a read before rotating', () => {
  it('RF2 the run that fails with "rate-limited ... re-run later" gives the lock back, or at least says it did not', async (context) => {
    const { expect } = context;
    const { s, inputs } = await world(context);
    s.github.inject({
      method: 'GET',
      path: `/repos/${REPO}/actions/secrets/public-key`,
      delayMs: 400, // the lock create beside it is answered first
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 600) },
      body: githubErrorBody(403, 'API rate limit exceeded for installation ID 1.'),
    });
    const failed = await s.run(inputs, { env: env('1') });
    expect(errorAnnotations(failed.stdout).join()).toContain('Nothing was rotated');
    // GitHub asks every request to wait 10 minutes: the lock is given back, or the run says it was not.
    const said = warnings(failed.stdout).some((w) => w.includes(LOCK));
    expect(lockOf(s) === undefined || said, 'lock left behind, silently').toBe(true);
  }, 60_000);
});

describe.concurrent('RF3: SIGTERM during the checks before rotating, once the lock is taken', () => {
  it('RF3 the cancelled run gives the lock back (README: "The run is cancelled: ... gives the lock back")', async (context) => {
    const { expect } = context;
    const { s, inputs } = await world(context);
    // Keep the preflight going after the lock create was answered.
    s.github.inject({ method: 'GET', path: `/repos/${REPO}/actions/secrets/public-key`, delayMs: 5_000 });
    const cancelled = await s.run(inputs, {
      env: env('1'),
      onStart: (child: ChildProcess) => {
        const t = setInterval(() => {
          if (!lockCreated(s)) return;
          clearInterval(t);
          child.kill('SIGTERM');
        }, 5);
      },
    });
    // It says "nothing was changed" ...
    expect(errorAnnotations(cancelled.stdout).join()).toContain('nothing was changed');
    // ... but measured: BATON_CREDENTIAL_ID_LOCK stays (progress.lock is set only once the preflight
    // returns), and the next scheduled or dispatched run is refused for an hour, naming the dead run.
    expect(lockOf(s)).toBeUndefined();
    const next = await s.run(inputs, { env: env('2') });
    expect(next.code, errorAnnotations(next.stdout).join()).toBe(0);
  }, 60_000);
});

describe.concurrent('RF4: the credential a partial write left is recorded only in the home', () => {
  it('RF4 the write to the home fails, the operator drops that repository from repositories: the next runs still retire it', async (context) => {
    const { expect } = context;
    const HOME = 'acme/aaa';
    const repos = [HOME, REPO];
    const { s, handMade, inputs } = await world(context, repos);
    expect((await s.run(inputs, { env: env('1') })).code).toBe(0); // the mirror (acme/connectors) now exists
    s.github.inject({
      method: 'PUT',
      path: secretPath(HOME, 'BATON_CLIENT_SECRET'),
      status: 403,
      body: githubErrorBody(403, 'Resource not accessible by integration'),
    });
    const partial = await s.run(inputs, { env: env('2') });
    const left = s.conductorOne.issued.at(-1)!.id;
    // "credential … is recorded in the ledger in BATON_CREDENTIAL_ID of acme/aaa, so the next successful
    // run replaces it everywhere and retires it with every other credential no target holds."
    expect(errorAnnotations(partial.stdout).join()).toContain(
      'the next successful run replaces it everywhere and retires it',
    );
    // The target GitHub refused is taken out of the list (the pending record lives only in its variable).
    for (let run = 3; run <= 4; run++) {
      letTimePass(s, 3 * 3_600_000); // past any writer wait (lock lifetime: 1 h)
      const ok = await s.run({ ...inputs, repositories: REPO }, { env: env(String(run)) });
      expect(ok.code, errorAnnotations(ok.stdout).join()).toBe(0);
    }
    // SPEC 4a: steady state after two successful runs with revoke-previous: true is one valid credential.
    // The partial write's credential was recorded in the mirror too, so it is retired: one valid credential.
    expect(validCredentials(s, [handMade]), `${left} stranded`).toHaveLength(1);
  }, 60_000);
});

describe.concurrent('RF5: a request that "gives up" on a primary rate limit, and the run that then waits anyway', () => {
  it('RF5 the lock read after RotateCredential meets x-ratelimit-remaining: 0 (reset in 5 min): the run ends within its bounds', async (context) => {
    const { expect } = context;
    const { s, inputs } = await world(context);
    // The first read of the lock is the one beside RotateCredential (confirmLedger).
    s.github.inject({
      method: 'GET',
      path: `/repos/${REPO}/actions/variables/${LOCK}`,
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 300) },
      body: githubErrorBody(403, 'API rate limit exceeded for installation ID 1.'),
    });
    const r = await runAction({ inputs: { ...s.inputs, ...inputs }, env: env('1'), timeoutMs: 40_000 });
    // The log says "the server asks to wait 300 s, longer than this action waits, so it gives up" ...
    expect(r.stdout).toContain('so it gives up');
    // ... measured: then the record of the new (issued, proved) credential waits out the whole 300 s
    // in the rate-limit pause, with no deadline and no further log line: the run is still going at
    // 40 s (with a realistic reset, up to an hour), the new credential recorded nowhere all that time.
    // SPEC 4: retries honour x-ratelimit-reset "bounded in attempts and time"; SPEC 6: "(bounded)".
    expect(r.timedOut, 'the run sat in the rate-limit pause past 40 s').toBe(false);
  }, 60_000);
});
