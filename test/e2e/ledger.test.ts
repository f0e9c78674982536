// Every credential accounted for (SPEC 4a, issue 18): sequences of runs of the bundled action, each
// with one failure between successful runs, end with exactly the promised number of valid credentials
// (one with revoke-previous: true, the current one and the one replaced last with next-run) and every
// target's two secrets belonging to the current one, with no human step. Time passes between runs
// by moving every recorded time into the past (letTimePass), so keep-previous-for is tested at its
// default of 6 hours without waiting.
import type { ChildProcess } from 'node:child_process';
import { describe, it, type TestContext } from 'vitest';
import { type IssuedCredential, requestClientToken } from '../fakes/conductorone.js';
import { repoScope } from '../fakes/github.js';
import type { FakeWorkflow } from '../fakes/github-workflows.js';
import type { RunActionResult } from '../fakes/run-action.js';
import {
  type E2EScenario,
  holdCredential,
  holdingRecorded,
  leaks,
  ledgerOf,
  ledgerStates,
  letTimePass,
  onlyError,
  scenarioFor,
  secretPath,
  storedCredential,
  validCredentials,
} from './helpers.js';

const REPO = 'acme/connectors';
const SECOND = 'acme/second';
const VARIABLE = 'BATON_CREDENTIAL_ID';
const LOCK = `${VARIABLE}_LOCK`;
const DEPLOY = `${REPO}/.github/workflows/deploy.yml@main`;
const KEEP_MS = 6 * 3_600_000;
const MODES = ['true', 'next-run'] as const;
type Mode = (typeof MODES)[number];

interface World {
  scenario: E2EScenario;
  /** The credential made by hand that the secrets hold before the first run; the ledger starts from its ID. */
  handMade: IssuedCredential;
  inputs: Record<string, string>;
  expect: TestContext['expect'];
}

/** Two repositories holding a hand-made credential, whose ID the variable holds, as the README's first rotation says. */
async function world(context: TestContext, mode: Mode, deploy?: FakeWorkflow): Promise<World> {
  const scenario = await scenarioFor(context, {
    repositories: { [REPO]: 'write', [SECOND]: 'write' },
    ...(deploy ? { workflows: { [REPO]: { 'deploy.yml': deploy } } } : {}),
  });
  const handMade = await scenario.conductorOne.addCredential();
  for (const repo of [REPO, SECOND]) holdCredential(scenario, repo, handMade);
  scenario.github.presetVariable(repoScope(REPO), VARIABLE, handMade.id);
  const inputs = {
    'credential-id-variable': VARIABLE,
    'revoke-previous': mode,
    ...(deploy ? { 'deploy-workflows': DEPLOY } : {}),
  };
  return { scenario, handMade, inputs, expect: context.expect };
}

/** A run that must succeed, leak nothing and give the lock back. */
async function succeeds(w: World, overrides: Record<string, string | undefined> = {}): Promise<RunActionResult> {
  const result = await w.scenario.run({ ...w.inputs, ...overrides });
  w.expect(result.code, result.stdout).toBe(0);
  w.expect(leaks(w.scenario, result)).toEqual([]);
  w.expect(lockHeld(w.scenario)).toBe(false);
  return result;
}

/** A run that must fail with one error, leak nothing and give the lock back. */
async function fails(
  w: World,
  overrides: Record<string, string | undefined> = {},
  options: Parameters<E2EScenario['run']>[1] = {},
): Promise<string> {
  const result = await w.scenario.run({ ...w.inputs, ...overrides }, options);
  w.expect(result.code, result.stdout).toBe(1);
  w.expect(leaks(w.scenario, result)).toEqual([]);
  w.expect(lockHeld(w.scenario)).toBe(false);
  return onlyError(result);
}

const lockHeld = (scenario: E2EScenario) => scenario.github.variables.get(repoScope(REPO))?.has(LOCK) ?? false;
const latest = (scenario: E2EScenario) => scenario.conductorOne.issued.at(-1) as IssuedCredential;

/**
 * Two successful runs, spaced by keep-previous-for, then the promise: exactly one valid credential
 * (true) or two (next-run: the current one and the one replaced last), the ledger recording exactly
 * those, and both secrets of every target opening to the current one.
 */
async function twoRunsThenSettled(w: World): Promise<void> {
  await succeeds(w);
  const replacedLast = latest(w.scenario);
  letTimePass(w.scenario, KEEP_MS + 60_000);
  await succeeds(w);
  const current = latest(w.scenario);
  const expected = w.inputs['revoke-previous'] === 'next-run' ? [replacedLast.id, current.id] : [current.id];
  w.expect(validCredentials(w.scenario, [w.handMade]).sort()).toEqual([...expected].sort());
  w.expect(ledgerStates(w.scenario, repoScope(REPO))).toEqual(
    w.inputs['revoke-previous'] === 'next-run'
      ? [`${replacedLast.id} previous`, `${current.id} current`]
      : [`${current.id} current`],
  );
  for (const repo of [REPO, SECOND]) {
    w.expect(await storedCredential(w.scenario, repo)).toEqual({
      clientId: current.clientId,
      clientSecret: current.clientSecret,
    });
  }
}

/** Sends SIGTERM to the child as soon as `ready()` holds (checked every 10 ms). */
function cancelWhen(ready: () => boolean): (child: ChildProcess) => void {
  return (child) => {
    const timer = setInterval(() => {
      if (!ready()) return;
      clearInterval(timer);
      child.kill('SIGTERM');
    }, 10);
    child.on('exit', () => clearInterval(timer));
  };
}

const credentialPath = (scenario: E2EScenario, id: string) =>
  `/api/v1/apps/${scenario.inputs['app-id']}/connectors/${scenario.inputs['connector-id']}/credentials/${id}`;

for (const mode of MODES) {
  describe.concurrent(`revoke-previous: ${mode}, a failure between successful runs`, () => {
    it('a partial write (403 on the second of two targets): the next runs retire what it left', async (context) => {
      const w = await world(context, mode);
      await succeeds(w);
      w.scenario.github.inject({
        method: 'PUT',
        path: secretPath(SECOND, 'BATON_CLIENT_SECRET'),
        status: 403,
        body: { message: 'Resource not accessible by integration' },
      });
      const error = await fails(w);
      const stranded = latest(w.scenario);
      w.expect(error).toContain(`credential ${stranded.id} is recorded in the ledger`);
      w.expect(error).toContain('the next successful run replaces it everywhere and retires it');
      w.expect(ledgerOf(w.scenario, repoScope(REPO))?.credentials.at(-1)).toMatchObject({
        id: stranded.id,
        state: 'pending',
      });

      await twoRunsThenSettled(w);
      w.expect(stranded.revoked).toBe(true);
    });

    it('a failed deploy: nothing revoked, and the next runs retire the credential it left', async (context) => {
      const w = await world(context, mode, {});
      await succeeds(w);
      w.scenario.github.setWorkflow(REPO, 'deploy.yml', { conclusion: 'failure' });
      const before = validCredentials(w.scenario, [w.handMade]);
      const error = await fails(w);
      w.expect(error).toContain('Fix the deploy and run this workflow again');
      // Nothing revoked: everything valid before is valid still.
      for (const id of before) w.expect(validCredentials(w.scenario, [w.handMade])).toContain(id);

      w.scenario.github.setWorkflow(REPO, 'deploy.yml', {});
      await twoRunsThenSettled(w);
    });

    it('a run cancelled (SIGTERM) mid-write: it gives the lock back, and the next runs retire its credential', async (context) => {
      const w = await world(context, mode);
      await succeeds(w);
      w.scenario.github.inject({ method: 'PUT', path: secretPath(SECOND, 'BATON_CLIENT_SECRET'), delayMs: 120_000 });
      const puts = () =>
        w.scenario.github.requests.filter(
          (r) => r.method === 'PUT' && r.path === secretPath(SECOND, 'BATON_CLIENT_SECRET'),
        ).length;
      const before = puts();
      const writing = () => puts() > before;
      const error = await fails(w, {}, { onStart: cancelWhen(writing) });
      const cancelled = latest(w.scenario);
      w.expect(error).toContain(`Credential ${cancelled.id} is recorded in the ledger in ${VARIABLE} of ${REPO}`);

      await twoRunsThenSettled(w);
      w.expect(cancelled.revoked).toBe(true);
    });

    it('a failed proof: the new credential is revoked at once and the ledger forgets it', async (context) => {
      const w = await world(context, mode);
      await succeeds(w);
      const current = latest(w.scenario);
      w.scenario.conductorOne.activateAfter(10);
      const error = await fails(w);
      const refused = latest(w.scenario);
      w.expect(error).toContain(`The unusable credential ${refused.id} was revoked.`);
      w.expect(refused.revoked).toBe(true);
      w.expect(ledgerStates(w.scenario, repoScope(REPO)).at(-1)).toBe(`${current.id} current`);
      w.scenario.conductorOne.activateAfter(0);

      await twoRunsThenSettled(w);
    });

    it('a failed revoke, then a re-run at once: the re-run revokes nothing kept within keep-previous-for', async (context) => {
      const w = await world(context, mode);
      await succeeds(w);
      letTimePass(w.scenario, KEEP_MS + 60_000);
      // The credential this run will retire: the hand-made one (true: already gone, so the one issued first).
      const due = mode === 'next-run' ? w.handMade : latest(w.scenario);
      w.scenario.conductorOne.inject({
        method: 'POST',
        path: credentialPath(w.scenario, due.id),
        status: 403,
        body: { code: 7, message: 'permission denied', details: [] },
      });
      const error = await fails(w);
      const replaced = w.scenario.conductorOne.issued.at(-2) as IssuedCredential;
      w.expect(error).toContain(`revoking ${due.id}, which no target holds any more, failed`);
      w.expect(error).toContain('it stays recorded in the ledger');
      w.expect(due.revoked).toBe(false);

      await succeeds(w);
      w.expect(due.revoked).toBe(true);
      // next-run: the credential replaced by the failed run, moments ago, stays valid.
      w.expect(replaced.revoked).toBe(mode === 'true');

      await twoRunsThenSettled(w);
    });

    it('a mode switch: the credentials the other mode left are retired by the new one', async (context) => {
      const other: Mode = mode === 'true' ? 'next-run' : 'true';
      const w = await world(context, other);
      await succeeds(w);
      await succeeds(w);
      w.inputs['revoke-previous'] = mode;

      await twoRunsThenSettled(w);
    });

    it('two runs at once: the one without the lock changes nothing and names the other', async (context) => {
      const w = await world(context, mode);
      await succeeds(w);
      // The first run holds the lock while its writes are slow.
      w.scenario.github.inject({ method: 'PUT', path: secretPath(SECOND, 'BATON_CLIENT_ID'), delayMs: 1_500 });
      const env = (run: string) => ({
        GITHUB_REPOSITORY: 'acme/rotation',
        GITHUB_RUN_ID: run,
        GITHUB_RUN_ATTEMPT: '1',
      });
      const issuedBefore = w.scenario.conductorOne.issued.length;
      const first = w.scenario.run(w.inputs, { env: env('501') });
      while (!lockHeld(w.scenario)) await new Promise((resolve) => setTimeout(resolve, 10));
      const second = await w.scenario.run(w.inputs, { env: env('502') });
      w.expect(second.code).toBe(1);
      w.expect(onlyError(second)).toContain('Another rotation of this connector, acme/rotation run 501 attempt 1');
      w.expect(leaks(w.scenario, second)).toEqual([]);
      w.expect((await first).code).toBe(0);
      // Only the run that held the lock rotated.
      w.expect(w.scenario.conductorOne.issued.length).toBe(issuedBefore + 1);

      await twoRunsThenSettled(w);
    });
  });
}

describe.concurrent('overlapping runs, many times', () => {
  it('leave every target with one pair, the ledger naming it, and (true) exactly one valid credential', async (context) => {
    const w = await world(context, 'true');
    for (let trial = 0; trial < 6; trial++) {
      const stagger = [0, 40, 90, 150, 220, 300][trial] as number;
      const a = w.scenario.run(w.inputs, { env: { GITHUB_REPOSITORY: 'acme/r', GITHUB_RUN_ID: `${trial}1` } });
      await new Promise((resolve) => setTimeout(resolve, stagger));
      const b = w.scenario.run(w.inputs, { env: { GITHUB_REPOSITORY: 'acme/r', GITHUB_RUN_ID: `${trial}2` } });
      const results = await Promise.all([a, b]);
      w.expect(results.some((r) => r.code === 0)).toBe(true);
      for (const r of results) {
        if (r.code !== 0) w.expect(onlyError(r)).toContain('holds the lock');
        w.expect(leaks(w.scenario, r)).toEqual([]);
      }
      const current = ledgerOf(w.scenario, repoScope(REPO))?.credentials.find((c) => c.state === 'current');
      const credential = w.scenario.conductorOne.issued.find((c) => c.id === current?.id) as IssuedCredential;
      for (const repo of [REPO, SECOND]) {
        w.expect(await storedCredential(w.scenario, repo)).toEqual({
          clientId: credential.clientId,
          clientSecret: credential.clientSecret,
        });
      }
      w.expect(validCredentials(w.scenario, [w.handMade])).toEqual([credential.id]);
      w.expect(lockHeld(w.scenario)).toBe(false);
    }
  });
});

describe.concurrent('the in-use guard', () => {
  it('true: keeps a credential a consumer used after the hand-over, names it, and a later run revokes it once quiet', async (context) => {
    const w = await world(context, 'true');
    // A consumer still runs with the hand-made credential just as it is to be revoked.
    w.scenario.conductorOne.inject({
      method: 'GET',
      path: credentialPath(w.scenario, w.handMade.id),
      effect: () => {
        w.handMade.lastUsedAt = new Date().toISOString();
      },
    });
    const first = await succeeds(w);
    w.expect(w.handMade.revoked).toBe(false);
    const warning = first.stdout
      .split('\n')
      .find((l) => l.startsWith('::warning title=A replaced credential is still in use'));
    w.expect(warning).toContain(`Credential ${w.handMade.id} was not revoked: it was last used`);
    w.expect(warning).toContain('a later run revokes it once it has gone unused for 6h');
    w.expect(first.summary).toMatch(
      new RegExp(
        `\\| \`${w.handMade.id}\` \\| previous, replaced \\S+ \\| \\*\\*kept\\*\\*: used after it was replaced, last used \\S+; revoked once unused for 6h \\|`,
      ),
    );
    w.expect(ledgerOf(w.scenario, repoScope(REPO))?.credentials[0]).toMatchObject({
      id: w.handMade.id,
      state: 'previous',
      note: w.expect.stringContaining('kept: used after it was replaced'),
    });

    // Still in use an hour later: kept again.
    letTimePass(w.scenario, 3_600_000);
    await requestClientToken(w.scenario.conductorOne, w.handMade.clientId, w.handMade.clientSecret);
    await succeeds(w);
    w.expect(w.handMade.revoked).toBe(false);

    // Quiet for keep-previous-for: revoked.
    letTimePass(w.scenario, KEEP_MS + 60_000);
    await twoRunsThenSettled(w);
    w.expect(w.handMade.revoked).toBe(true);
  });

  it('next-run: keeps a due credential a consumer used within keep-previous-for, and revokes it once quiet', async (context) => {
    const w = await world(context, 'next-run');
    await succeeds(w);
    letTimePass(w.scenario, KEEP_MS + 60_000);
    // Due by its replacement, but a consumer got a token with it just now.
    await requestClientToken(w.scenario.conductorOne, w.handMade.clientId, w.handMade.clientSecret);
    const second = await succeeds(w);
    w.expect(w.handMade.revoked).toBe(false);
    w.expect(second.stdout).toContain(
      `::warning title=A replaced credential is still in use::Credential ${w.handMade.id}`,
    );
    w.expect(second.stdout).toContain('within keep-previous-for (6h)');

    await twoRunsThenSettled(w);
    w.expect(w.handMade.revoked).toBe(true);
  });
});

describe.concurrent('hand-set values and upgrades', () => {
  it('a previous-credential-id left set with next-run strands nothing: the ledger knows better, and says so', async (context) => {
    const w = await world(context, 'next-run');
    w.scenario.github.variables.get(repoScope(REPO))?.delete(VARIABLE);
    w.inputs['previous-credential-id'] = w.handMade.id;
    await succeeds(w);
    letTimePass(w.scenario, KEEP_MS + 60_000);
    const second = await succeeds(w);
    w.expect(second.stdout).toContain('::warning title=previous-credential-id is out of date');

    await twoRunsThenSettled(w);
  });

  it('the variables an earlier version kept (a bare ID everywhere, and _PREVIOUS) are taken in and removed, losing nothing', async (context) => {
    const w = await world(context, 'next-run');
    const kept = await w.scenario.conductorOne.addCredential();
    for (const repo of [REPO, SECOND]) {
      w.scenario.github.presetVariable(repoScope(repo), VARIABLE, w.handMade.id);
      w.scenario.github.presetVariable(repoScope(repo), `${VARIABLE}_PREVIOUS`, kept.id);
    }
    const first = await succeeds(w);
    w.expect(first.stdout).toContain(
      `The ledger takes in ${kept.id} from the variable in ${REPO}, as a replaced credential kept valid.`,
    );
    w.expect(ledgerStates(w.scenario, repoScope(REPO))).toEqual([
      `${w.handMade.id} previous`,
      `${kept.id} previous`,
      `${latest(w.scenario).id} current`,
    ]);
    // acme/second, the ledger's mirror, now holds a copy of the ledger, not the bare ID.
    w.expect(ledgerStates(w.scenario, repoScope(SECOND))).toEqual(ledgerStates(w.scenario, repoScope(REPO)));
    for (const repo of [REPO, SECOND])
      w.expect(w.scenario.github.variables.get(repoScope(repo))?.has(`${VARIABLE}_PREVIOUS`)).toBe(false);

    await twoRunsThenSettled(w);
    w.expect(kept.revoked).toBe(true);
  });

  it('a ledger edited by hand into something unreadable stops the run before anything rotates, and a bare ID starts it again', async (context) => {
    const w = await world(context, 'true');
    await succeeds(w);
    const current = latest(w.scenario);
    w.scenario.github.presetVariable(repoScope(REPO), VARIABLE, '{"version":1,"credentials":"oops"}');
    const error = await fails(w);
    w.expect(error).toContain(`The variable ${VARIABLE} in ${REPO} holds a ledger with no "connector"`);
    w.expect(w.scenario.conductorOne.issued).toHaveLength(1);

    w.scenario.github.presetVariable(repoScope(REPO), VARIABLE, current.id);
    await twoRunsThenSettled(w);
  });
});

describe.concurrent('a long deploy wait', () => {
  it('gets a fresh ConductorOne token for the revoke after the deploy runs, once the first one expired', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: { [REPO]: 'write' },
      workflows: { [REPO]: { 'deploy.yml': { readsInProgress: 1 } } },
      tokenLifetimeS: 2,
    });
    const previous = await holdingRecorded(scenario, REPO, VARIABLE);

    const result = await scenario.run({
      'credential-id-variable': VARIABLE,
      'revoke-previous': 'true',
      'deploy-workflows': DEPLOY,
    });

    context.expect(result.code, result.stdout).toBe(0);
    context.expect(previous.revoked).toBe(true);
    const tokens = scenario.conductorOne.requests.filter(
      (r) =>
        r.path === '/auth/v1/token' &&
        new URLSearchParams(scenario.conductorOne.exchange(r)?.requestBody.toString() ?? '').get('client_id') ===
          scenario.clientId,
    );
    context.expect(tokens.length).toBeGreaterThanOrEqual(2);
    context.expect(leaks(scenario, result)).toEqual([]);
  });

  it('warns that a ready token cannot be renewed when deploy-timeout may outlive it', async (context) => {
    const scenario = await scenarioFor(context, { workflows: { [REPO]: { 'deploy.yml': {} } } });
    const previous = await scenario.conductorOne.addCredential();

    const result = await scenario.run({
      'client-id': undefined,
      'client-secret': undefined,
      'access-token': scenario.conductorOne.issueAccessToken(),
      'previous-credential-id': previous.id,
      'revoke-previous': 'true',
      'deploy-workflows': DEPLOY,
    });

    context.expect(result.code, result.stdout).toBe(0);
    context
      .expect(result.stdout)
      .toContain(
        '::warning title=The ready ConductorOne token may expire during the deploy wait::A ready access token cannot be renewed, and its expiry is unknown',
      );
  });
});
