// What a red-team run against the credential ledger (SPEC 4a) broke, kept as regression tests: each
// attack as the red team made it, asserting the contract that now holds against it.
import type { ChildProcess } from 'node:child_process';
import { describe, it, type TestContext } from 'vitest';
import type { IssuedCredential } from '../fakes/conductorone.js';
import { repoScope } from '../fakes/github.js';
import {
  errorAnnotations,
  holdCredential,
  leaks,
  ledgerOf,
  letTimePass,
  onlyError,
  presetLedger,
  scenarioFor,
  secretPath,
  storedCredential,
  validCredentials,
} from './helpers.js';

const REPO = 'acme/connectors';
const SECOND = 'acme/second';
const VARIABLE = 'BATON_CREDENTIAL_ID';
const LOCK = `${VARIABLE}_LOCK`;
const KEEP_MS = 6 * 3_600_000;
const env = (run: string, attempt = '1') => ({
  GITHUB_REPOSITORY: 'acme/rotation',
  GITHUB_RUN_ID: run,
  GITHUB_RUN_ATTEMPT: attempt,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const warnings = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::warning'));

async function world(context: TestContext, mode: string, repos = [REPO, SECOND]) {
  const s = await scenarioFor(context, { repositories: Object.fromEntries(repos.map((r) => [r, 'write' as const])) });
  const handMade = await s.conductorOne.addCredential();
  for (const repo of repos) holdCredential(s, repo, handMade);
  s.github.presetVariable(repoScope(repos[0]!), VARIABLE, handMade.id);
  const inputs: Record<string, string> = { 'credential-id-variable': VARIABLE, 'revoke-previous': mode };
  return { s, handMade, inputs };
}
type S = Awaited<ReturnType<typeof world>>['s'];

/** Every target's pair belongs to one credential that is still valid. */
async function expectTargetsUsable(context: TestContext, s: S, repos = [REPO, SECOND]) {
  for (const repo of repos) {
    const pair = await storedCredential(s, repo);
    const c = s.conductorOne.issued.find((i) => i.clientId === pair.clientId) as IssuedCredential;
    context.expect(c.clientSecret === pair.clientSecret, `${repo}: pair of one credential`).toBe(true);
    context.expect(c.revoked, `${repo} holds a revoked credential`).toBe(false);
  }
}

/** Makes all four secret writes of the next run slow (each fault taken once). */
function slowWrites(s: S, ms: number) {
  for (const r of [REPO, SECOND])
    for (const n of ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET'])
      s.github.inject({ method: 'PUT', path: secretPath(r, n), delayMs: ms });
}
const writesInFlight = (s: S) => s.github.requests.filter((r) => r.method === 'PUT' && r.status === 0).length;

describe.concurrent('R1: a run whose lock is taken while it still writes keeps every target usable', () => {
  it("R1a the operator deletes the lock of a live run and a second run rotates: the first run's credential is not revoked", {
    timeout: 60_000,
  }, async (context) => {
    const { s, inputs } = await world(context, 'true');
    await s.run(inputs, { env: env('1') });
    slowWrites(s, 2_500);
    const a = s.run(inputs, { env: env('2') });
    while (writesInFlight(s) < 4) await sleep(5);
    s.github.variables.get(repoScope(REPO))!.delete(LOCK);
    const b = await s.run(inputs, { env: env('3') });
    context.expect(b.code).toBe(0); // B green
    await a;
    await expectTargetsUsable(context, s); // both targets hold A's credential, which B must not have revoked
  });

  it('R1b a re-run (attempt 2) takes the lock over while attempt 1 is still alive (lost runner): nothing it writes is revoked', {
    timeout: 60_000,
  }, async (context) => {
    const { s, inputs } = await world(context, 'true');
    await s.run(inputs, { env: env('1') });
    slowWrites(s, 2_500);
    const a = s.run(inputs, { env: env('2', '1') });
    while (writesInFlight(s) < 4) await sleep(5);
    await s.run(inputs, { env: env('2', '2') });
    await a;
    await expectTargetsUsable(context, s);
  });

  it('R1c two runs at once whose repositories lists differ in order share one home and one lock', {
    timeout: 60_000,
  }, async (context) => {
    const { s, inputs } = await world(context, 'true');
    await s.run(inputs, { env: env('1') });
    slowWrites(s, 700);
    const a = s.run({ ...inputs, repositories: `${REPO}\n${SECOND}` }, { env: env('2') });
    await sleep(50);
    const b = s.run({ ...inputs, repositories: `${SECOND}\n${REPO}` }, { env: env('3') });
    const [ra, rb] = await Promise.all([a, b]);
    // SPEC 4a: one rotation at a time; the run that cannot take the lock changes nothing.
    context.expect([ra.code, rb.code].sort()).toEqual([0, 1]);
    await expectTargetsUsable(context, s);
  });
});

describe.concurrent('R2: the ledger outlives changes to repositories', () => {
  it('R2a next-run: the home dropped from repositories, its mirror keeps every credential', {
    timeout: 60_000,
  }, async (context) => {
    const { s, handMade, inputs } = await world(context, 'next-run');
    await s.run(inputs);
    await s.run(inputs);
    letTimePass(s, KEEP_MS + 60_000);
    for (let i = 0; i < 3; i++) {
      await s.run({ ...inputs, repositories: SECOND });
      letTimePass(s, KEEP_MS + 60_000);
    }
    context.expect(validCredentials(s, [handMade]).length).toBe(2); // 5: three stranded, one warned about (wrongly, as "made by hand")
  });

  it('R2b true: the old home removed for a while, then added back: its copy and the newer one are merged', {
    timeout: 60_000,
  }, async (context) => {
    const { s, handMade, inputs } = await world(context, 'true');
    for (let i = 0; i < 4; i++) await s.run(inputs);
    for (let i = 0; i < 2; i++) await s.run({ ...inputs, repositories: SECOND });
    for (let i = 0; i < 2; i++) await s.run({ ...inputs, repositories: `${SECOND}\n${REPO}` });
    context.expect(validCredentials(s, [handMade]).length).toBe(1); // 2, no warning in the last two runs
  });
});

describe.concurrent('R3: a ledger full after a long time with revoke-previous off', () => {
  it('R3 refuses to rotate while revoke-previous is off, and rotates once it is on, retiring first', {
    timeout: 60_000,
  }, async (context) => {
    const { s, handMade, inputs } = await world(context, 'false');
    const replaced = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const credentials = [];
    // ~185 bytes per run with revoke-previous: false (measured), so about a year of daily rotations.
    for (let i = 0; i < 380; i++) {
      const c = await s.conductorOne.addCredential();
      credentials.push({ id: c.id, state: 'previous', source: 'issued', issued: replaced, replaced });
    }
    credentials.push({ id: handMade.id, state: 'current', source: 'issued', issued: replaced });
    presetLedger(s, REPO, 380, credentials);
    const off = await s.run(inputs);
    context.expect(onlyError(off)).toContain('set revoke-previous to true or next-run');
    const on = await s.run({ ...inputs, 'revoke-previous': 'true' });
    context.expect(on.code, errorAnnotations(on.stdout).join()).toBe(0);
  });
});

describe.concurrent('R4: the first-rotation warning only on a first rotation', () => {
  it('R4 a killed mid-write run, then its re-run: the re-run does not say it revoked nothing', {
    timeout: 60_000,
  }, async (context) => {
    const { s, inputs } = await world(context, 'true');
    await s.run(inputs, { env: env('1') });
    const p = secretPath(SECOND, 'BATON_CLIENT_SECRET');
    s.github.inject({ method: 'PUT', path: p, status: 503, delayMs: 60_000 });
    await s.run(inputs, {
      env: env('2'),
      onStart: (child: ChildProcess) => {
        const t = setInterval(() => {
          if (!s.github.requests.some((r) => r.method === 'PUT' && r.path === p && r.status === 0)) return;
          clearInterval(t);
          child.kill('SIGKILL');
        }, 5);
      },
    });
    const rerun = await s.run(inputs, { env: env('2', '2') });
    context.expect(rerun.stdout).toContain('Revoked'); // it did revoke the previous credentials
    context.expect(warnings(rerun.stdout).join('\n')).not.toContain('was not revoked');
  });
});

describe.concurrent('R5: a Date header never makes a use look older', () => {
  it('R5 true: a consumer got a token just now and the answer says Date = now + 55 min: the credential is kept', async (context) => {
    const { s, handMade, inputs } = await world(context, 'true', [REPO]);
    const c = handMade;
    s.conductorOne.inject({
      method: 'GET',
      path: `/api/v1/apps/${s.inputs['app-id']}/connectors/${s.inputs['connector-id']}/credentials/${c.id}`,
      reply: () => ({
        status: 200,
        headers: { date: new Date(Date.now() + 55 * 60_000).toUTCString() },
        body: {
          credential: {
            id: c.id,
            appId: c.appId,
            connectorId: c.connectorId,
            clientId: c.clientId,
            displayName: c.displayName,
            createdAt: c.createdAt,
            updatedAt: c.updatedAt,
            expiresTime: c.expiresTime,
            lastUsedAt: new Date().toISOString(),
            deletedAt: null,
          },
        },
      }),
    });
    await s.run(inputs);
    context.expect(handMade.revoked).toBe(false); // kept without the Date header (ledger.test.ts in-use guard)
  });
});

describe.concurrent('R6: SIGTERM between RotateCredential and the record', () => {
  it('R6 the cancel handler revokes the credential nothing records or stores yet', {
    timeout: 60_000,
  }, async (context) => {
    const { s, handMade, inputs } = await world(context, 'true', [REPO]);
    const varPath = `/repos/${REPO}/actions/variables/${VARIABLE}`;
    s.github.inject({ method: 'PATCH', path: varPath, status: 503, delayMs: 30_000 });
    const r = await s.run(inputs, {
      onStart: (child: ChildProcess) => {
        const t = setInterval(() => {
          if (!s.github.requests.some((q) => q.method === 'PATCH' && q.path === varPath)) return;
          clearInterval(t);
          child.kill('SIGTERM');
        }, 5);
      },
    });
    context.expect(leaks(s, r)).toEqual([]);
    await s.run(inputs);
    letTimePass(s, KEEP_MS + 60_000);
    await s.run(inputs);
    context.expect(validCredentials(s, [handMade]).length).toBe(1); // 2: the cancelled run's credential, recorded nowhere
  });
});

describe.concurrent('R7: a lock create that went through but answered 500', () => {
  it("R7 is the run's own lock: it goes on, and the next run is not refused", { timeout: 60_000 }, async (context) => {
    const { s, inputs } = await world(context, 'true', [REPO]);
    s.github.inject({
      method: 'POST',
      path: `/repos/${REPO}/actions/variables`,
      status: 500,
      body: { message: 'Server Error' },
      effect: (req) => {
        const body = JSON.parse(req.body.toString()) as { name: string; value: string };
        s.github.presetVariable(repoScope(REPO), body.name, body.value);
      },
    });
    // The run whose create answered 500 reads the lock back, finds its own, and goes on.
    const first = await s.run(inputs, { env: env('1') });
    context.expect(first.code, errorAnnotations(first.stdout).join()).toBe(0);
    const next = await s.run(inputs, { env: env('2') });
    context.expect(next.code, errorAnnotations(next.stdout).join()).toBe(0);
  });
});

describe.concurrent('R8: no lock holds longer than three days and an hour', () => {
  it('R8a a lock with until 9999 written 30 days ago has expired', async (context) => {
    const { s, inputs } = await world(context, 'true', [REPO]);
    s.github.presetVariable(
      repoScope(REPO),
      LOCK,
      JSON.stringify({ run: 'x', nonce: 'n', since: '2020-01-01T00:00:00Z', until: '9999-01-01T00:00:00Z' }),
    );
    s.github.variables.get(repoScope(REPO))!.get(LOCK)!.updatedAt = new Date(
      Date.now() - 30 * 86_400_000,
    ).toISOString();
    const r = await s.run(inputs);
    context.expect(r.code, errorAnnotations(r.stdout).join()).toBe(0);
  });

  it('R8b deploy-timeout: 9999d gives the lock a bounded lifetime', async (context) => {
    const { s, inputs } = await world(context, 'true', [REPO]);
    let lock = '';
    s.github.inject({
      method: 'POST',
      path: `/repos/${REPO}/actions/variables`,
      effect: (req) => (lock = req.body.toString()),
    });
    await s.run({
      ...inputs,
      'deploy-workflows': `${REPO}/.github/workflows/deploy.yml@main`,
      'deploy-timeout': '9999d',
    });
    const until = Date.parse((JSON.parse((JSON.parse(lock) as { value: string }).value) as { until: string }).until);
    context.expect(until - Date.now()).toBeLessThan(7 * 86_400_000);
  });
});

describe.concurrent('R9: previous-credential-id left set', () => {
  it('R9 once the given credential is retired, runs under rotate-if-expires-within rotate only when due', {
    timeout: 60_000,
  }, async (context) => {
    const { s, handMade, inputs } = await world(context, 'true', [REPO]);
    s.github.variables.get(repoScope(REPO))!.delete(VARIABLE);
    const given = { ...inputs, 'previous-credential-id': handMade.id };
    await s.run(given); // the first rotation, as the README says
    const later = await Promise.all([0].map(() => s.run({ ...given, 'rotate-if-expires-within': '30d' })));
    await s.run({ ...given, 'rotate-if-expires-within': '30d' });
    context.expect(later[0]!.outputs['previous-credential-id']).not.toBe(handMade.id);
    context.expect(s.conductorOne.issued.length).toBe(1); // 3: the current one expires in 90 days
  });
});

describe.concurrent('R10: a hand-edited "nowhere": true', () => {
  it('R10 does not get the credential the targets hold, in use right now, revoked', async (context) => {
    const { s, handMade, inputs } = await world(context, 'false', [REPO]);
    presetLedger(s, REPO, 3, [
      { id: handMade.id, state: 'previous', source: 'issued', replaced: '2026-01-01T00:00:00.000Z', nowhere: true },
    ]);
    handMade.lastUsedAt = new Date().toISOString();
    await s.run({ ...inputs, 'rotate-if-expires-within': '1d' });
    context.expect(handMade.revoked).toBe(false);
  });
});

describe.concurrent('R11: the revision at the end of safe integers', () => {
  it('R11 is written as it was, and read back', { timeout: 60_000 }, async (context) => {
    const { s, handMade, inputs } = await world(context, 'true', [REPO]);
    presetLedger(s, REPO, Number.MAX_SAFE_INTEGER, [{ id: handMade.id, state: 'current', source: 'adopted' }]);
    context.expect((await s.run(inputs)).code).toBe(0);
    context.expect(ledgerOf(s, repoScope(REPO))?.revision).toBeGreaterThan(0);
    const second = await s.run(inputs);
    context.expect(second.code, errorAnnotations(second.stdout).join()).toBe(0);
  });
});
