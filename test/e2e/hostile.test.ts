// Whatever a server answers, nothing unproven is stored, nothing is counted as done that GitHub or
// ConductorOne does not document as success, and nothing a server sends reaches a workflow command,
// an annotation or the summary unchecked. Each test runs dist/index.js against the fakes with the
// fault injected, then checks the request log, what the secrets open to, and that nothing leaked.
import { describe, it, type TestContext } from 'vitest';
import type { IssuedCredential } from '../fakes/conductorone.js';
import { githubErrorBody, repoScope, startFakeGitHub } from '../fakes/github.js';
import type { RunActionResult } from '../fakes/run-action.js';
import {
  type E2EScenario,
  holdCredential,
  leaks,
  onlyError,
  onlyIssued,
  ROTATE_PATH,
  requestLog,
  requestsTo,
  scenarioFor,
  secretPath,
  secretWrites,
  storedCredential,
  TOKEN_PATH,
  unexpectedCommands,
} from './helpers.js';

const REPO = 'acme/connectors';
const credentialPath = (scenario: E2EScenario, id: string) =>
  `/api/v1/apps/${scenario.inputs['app-id']}/connectors/${scenario.inputs['connector-id']}/credentials/${id}`;

/** A scenario whose repository holds a previous credential, revoked by a successful run. */
async function withPrevious(
  context: TestContext,
): Promise<{ scenario: E2EScenario; previous: IssuedCredential; inputs: Record<string, string> }> {
  const scenario = await scenarioFor(context);
  const previous = await scenario.conductorOne.addCredential();
  holdCredential(scenario, REPO, previous);
  return { scenario, previous, inputs: { 'revoke-previous': 'true', 'previous-credential-id': previous.id } };
}

/** Nothing was written, the repository still opens to the previous credential, which is still valid, and nothing leaked. */
async function expectUnchanged(
  context: TestContext,
  scenario: E2EScenario,
  previous: IssuedCredential,
  result: RunActionResult,
): Promise<void> {
  const { expect } = context;
  expect(result.code).toBe(1);
  expect(secretWrites(scenario)).toEqual([]);
  const stored = await storedCredential(scenario, REPO);
  expect(stored.clientId).toBe(previous.clientId);
  expect(stored.clientSecret === previous.clientSecret, 'BATON_CLIENT_SECRET still opens to the previous secret').toBe(
    true,
  );
  expect(previous.revoked).toBe(false);
  expect(requestsTo(scenario.conductorOne, 'POST', credentialPath(scenario, previous.id))).toEqual([]);
  expect(result.outputs.rotated).toBe('false');
  expect(leaks(scenario, result)).toEqual([]);
  expect(unexpectedCommands(result.stdout)).toEqual([]);
}

describe.concurrent('a malformed credential from RotateCredential is revoked and stored nowhere', () => {
  const cases: Array<[string, (credential: Record<string, unknown>) => Record<string, unknown>, RegExp]> = [
    [
      'a client secret that is not a ConductorOne secret',
      (c) => ({ ...c, clientSecret: 'garbage' }),
      /client secret that is not a ConductorOne client secret with an Ed25519 key/,
    ],
    ['an empty client ID', (c) => ({ ...c, clientId: '' }), /no client ID/],
    [
      'a client ID that is not name@host/kind',
      (c) => ({ ...c, clientId: 'someone' }),
      /client ID that is not of the form/,
    ],
    [
      'an expiry that injects a workflow command',
      (c) => ({ ...c, expiresTime: '2026-01-01T00:00:00Z\n::set-output name=rotated::true' }),
      /expiry that is not an RFC 3339 time/,
    ],
  ];
  for (const [what, tamper, problem] of cases) {
    it(`with ${what}`, async (context) => {
      const { scenario, previous, inputs } = await withPrevious(context);
      scenario.conductorOne.tamperNextRotation((body) => ({ credential: tamper(body.credential) }));

      const result = await scenario.run(inputs);

      await expectUnchanged(context, scenario, previous, result);
      const issued = onlyIssued(scenario);
      context.expect(issued.revoked).toBe(true);
      // Token, rotate, and the revoke of the new credential: no proof is even tried.
      context
        .expect(requestLog(scenario.conductorOne))
        .toEqual([
          `POST ${TOKEN_PATH} 200`,
          `POST ${ROTATE_PATH} 200`,
          `POST ${credentialPath(scenario, issued.id)} 200`,
        ]);
      const error = onlyError(result);
      context.expect(error).toMatch(problem);
      context
        .expect(error)
        .toContain('It was stored nowhere: every target still holds the previous credential, which stays valid.');
      context.expect(error).toContain(`The unusable credential ${issued.id} was revoked.`);
      context.expect(result.summary).toContain('## ConductorOne credential rotated, but not stored');
    });
  }

  it('with a credential ID of ".." or one that injects a command: nothing is sent to that path, and the error says to revoke it by hand', async (context) => {
    for (const id of ['..', 'cred\n::stop-commands::pwned']) {
      const { scenario, previous, inputs } = await withPrevious(context);
      scenario.conductorOne.tamperNextRotation((body) => ({ credential: { ...body.credential, id } }));

      const result = await scenario.run(inputs);

      await expectUnchanged(context, scenario, previous, result);
      context.expect(requestLog(scenario.conductorOne)).toEqual([`POST ${TOKEN_PATH} 200`, `POST ${ROTATE_PATH} 200`]);
      const error = onlyError(result);
      context.expect(error).toContain('a credential ID that is not a ConductorOne ID');
      context
        .expect(error)
        .toContain(`revoke the newest credential of connector ${scenario.inputs['connector-id']} in ConductorOne`);
      context.expect(result.stdout).not.toContain('pwned');
    }
  });
});

describe.concurrent('the new credential is proved before any write', () => {
  it('revokes a new credential that ConductorOne keeps refusing, after retrying for a few seconds, and writes nothing', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    scenario.conductorOne.activateAfter(100);

    const result = await scenario.run(inputs);

    await expectUnchanged(context, scenario, previous, result);
    const issued = onlyIssued(scenario);
    context.expect(issued.revoked).toBe(true);
    // One refusal, then three retries, then the revoke of the unusable credential.
    context
      .expect(requestLog(scenario.conductorOne).slice(2))
      .toEqual([...Array<string>(4).fill(`POST ${TOKEN_PATH} 401`), `POST ${credentialPath(scenario, issued.id)} 200`]);
    const error = onlyError(result);
    context.expect(error).toContain(`The new credential ${issued.id}`);
    context.expect(error).toContain('is not active yet');
    context.expect(error).toContain('(4 attempts in 3.5 s)');
    context.expect(error).toContain('It was stored nowhere');
    context.expect(result.stdout).toMatch(/it may not be live yet, so the proof tries again in 0\.5 s/);
  });

  it('stores a new credential that goes live after two refusals, once it proved itself', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    scenario.conductorOne.activateAfter(2);

    const result = await scenario.run(inputs);

    context.expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    const timeline = scenario.timeline();
    const firstWrite = timeline.findIndex((line) => line.startsWith('github PUT'));
    const proved = timeline.findIndex(
      (line, index) =>
        index > timeline.indexOf(`conductorone POST ${ROTATE_PATH} 200`) &&
        line === `conductorone POST ${TOKEN_PATH} 200`,
    );
    context.expect(timeline.filter((line) => line === `conductorone POST ${TOKEN_PATH} 401`)).toHaveLength(2);
    context.expect(proved).toBeGreaterThan(0);
    context.expect(proved).toBeLessThan(firstWrite);
    const stored = await storedCredential(scenario, REPO);
    context.expect(stored.clientId).toBe(issued.clientId);
    context.expect(previous.revoked).toBe(true);
    context.expect(leaks(scenario, result)).toEqual([]);
  });

  it('revokes the new credential when every write is refused with a 4xx (a key that changed since the preflight)', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    // The repository's key changes after the preflight read it, so both writes are sealed for a stale key_id (422).
    scenario.conductorOne.inject({
      method: 'POST',
      path: ROTATE_PATH,
      effect: () => scenario.github.rotatePublicKey(repoScope(REPO)),
    });

    const result = await scenario.run(inputs);

    context.expect(result.code).toBe(1);
    context
      .expect(secretWrites(scenario).sort())
      .toEqual([
        `github PUT ${secretPath(REPO, 'BATON_CLIENT_ID')} 422`,
        `github PUT ${secretPath(REPO, 'BATON_CLIENT_SECRET')} 422`,
      ]);
    const issued = onlyIssued(scenario);
    context.expect(issued.revoked).toBe(true);
    context.expect(previous.revoked).toBe(false);
    const stored = await storedCredential(scenario, REPO);
    context.expect(stored.clientId).toBe(previous.clientId);
    const error = onlyError(result);
    context.expect(error).toContain(`Credential ${issued.id} could not be stored in ${REPO}.`);
    context.expect(error).toContain('It was stored nowhere');
    context.expect(leaks(scenario, result)).toEqual([]);
  });

  it('does not rotate when GitHub serves a public key that cannot seal', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    scenario.github.inject({
      method: 'GET',
      path: `/repos/${REPO}/actions/secrets/public-key`,
      status: 200,
      body: { key_id: '1234', key: 'bm90IGEga2V5' },
    });

    const result = await scenario.run(inputs);

    await expectUnchanged(context, scenario, previous, result);
    context.expect(scenario.conductorOne.issued).toEqual([]);
    context.expect(onlyError(result)).toContain(`without a key_id and a 32-byte base64 key`);
  });

  it('ends a read whose answer is larger than 8 MB, once, and rotates nothing', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    const path = `/repos/${REPO}/actions/secrets/public-key`;
    scenario.github.inject({ method: 'GET', path, status: 200, body: `{"key":"${'A'.repeat(8_000_000)}"}` });

    const result = await scenario.run(inputs);

    await expectUnchanged(context, scenario, previous, result);
    context.expect(scenario.conductorOne.issued).toEqual([]);
    context.expect(scenario.github.requests.filter((r) => r.path === path)).toHaveLength(1);
    context.expect(onlyError(result)).toContain(`failed: the answer is larger than 8 MB`);
  });
});

describe.concurrent('only documented success counts', () => {
  it('never follows a 307 on a secret write, and counts it as a failure that names the target', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    const elsewhere = await startFakeGitHub({ token: scenario.githubToken, repositories: { [REPO]: 'write' } });
    context.onTestFinished(() => elsewhere.close());
    const path = secretPath(REPO, 'BATON_CLIENT_SECRET');
    scenario.github.inject({
      method: 'PUT',
      path,
      status: 307,
      headers: { location: `${elsewhere.url}${path}` },
      body: '',
    });

    const result = await scenario.run(inputs);

    context.expect(result.code).toBe(1);
    context.expect(elsewhere.requests).toEqual([]);
    context.expect(previous.revoked).toBe(false);
    context.expect(requestsTo(scenario.conductorOne, 'POST', credentialPath(scenario, previous.id))).toEqual([]);
    // The client ID was stored; the secret was not: the repository is mixed, and says so.
    const stored = await storedCredential(scenario, REPO);
    context.expect(stored.clientId).toBe(onlyIssued(scenario).clientId);
    context.expect(stored.clientSecret === previous.clientSecret).toBe(true);
    const error = onlyError(result);
    context
      .expect(error)
      .toContain(
        `write the secret BATON_CLIENT_SECRET in ${REPO} with status 307 (a redirect, which the action never follows), not the documented 201 or 204`,
      );
    context.expect(error).toContain(`${REPO} holds a new and an old secret that do not match`);
    context.expect(leaks(scenario, result)).toEqual([]);
  });

  it('counts a 200 HTML page as not stored, revokes nothing, and keeps the new credential, which may be stored', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    scenario.github.inject({
      method: 'PUT',
      path: /\/secrets\/BATON_CLIENT_/,
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>Welcome to the proxy</html>',
      times: 2,
    });

    const result = await scenario.run(inputs);

    context.expect(result.code).toBe(1);
    const issued = onlyIssued(scenario);
    context.expect(issued.revoked).toBe(false);
    context.expect(previous.revoked).toBe(false);
    const error = onlyError(result);
    context.expect(error).toContain(`could not be stored in ${REPO}`);
    context.expect(error).toContain('with status 200, not the documented 201 or 204');
    context.expect(error).not.toContain('Welcome to the proxy');
    context.expect(result.outputs.targets).toBe('[]');
    context.expect(leaks(scenario, result)).toEqual([]);
  });

  it('does not take a proxy\'s 404 page on a revoke for "already revoked" while the credential still exists', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    scenario.conductorOne.inject({
      method: 'POST',
      path: credentialPath(scenario, previous.id),
      status: 404,
      headers: { 'content-type': 'text/html' },
      body: '<h1>Not Found</h1>',
    });

    const result = await scenario.run(inputs);

    context.expect(result.code).toBe(1);
    context.expect(previous.revoked).toBe(false);
    context
      .expect(requestLog(scenario.conductorOne).slice(-2))
      .toEqual([
        `POST ${credentialPath(scenario, previous.id)} 404 [status 404]`,
        `GET ${credentialPath(scenario, previous.id)} 200`,
      ]);
    const error = onlyError(result);
    context.expect(error).toContain('only this is left');
    context.expect(error).toContain("not ConductorOne's own answer), and the credential still exists");
    context.expect(result.outputs['revoked-credential-id'] ?? '').toBe('');
    context.expect(leaks(scenario, result)).toEqual([]);
  });

  it('takes a credential that a read shows deleted as already revoked', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    const path = credentialPath(scenario, previous.id);
    // The in-use guard's read passes; the revoke meets a proxy's 404 page; the read after it shows it deleted.
    scenario.conductorOne.inject({ method: 'GET', path });
    scenario.conductorOne.inject({ method: 'POST', path, status: 404, body: '<h1>Not Found</h1>' });
    scenario.conductorOne.inject({
      method: 'GET',
      path,
      status: 200,
      body: { credential: { id: previous.id, clientId: previous.clientId, deletedAt: '2026-11-01T00:00:00Z' } },
    });

    const result = await scenario.run(inputs);

    context.expect(result.code).toBe(0);
    context.expect(requestsTo(scenario.conductorOne, 'POST', path)).toHaveLength(1);
    context
      .expect(result.summary)
      .toMatch(new RegExp(`\\| \`${previous.id}\` \\| previous, replaced \\S+ \\| already gone from ConductorOne \\|`));
    context.expect(result.outputs['revoked-credential-id']).toBe('');
  });

  it('revokes nothing that the in-use guard reads as deleted, and forgets it', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    const path = credentialPath(scenario, previous.id);
    scenario.conductorOne.inject({
      method: 'GET',
      path,
      status: 200,
      body: { credential: { id: previous.id, clientId: previous.clientId, deletedAt: '2026-11-01T00:00:00Z' } },
    });

    const result = await scenario.run(inputs);

    context.expect(result.code).toBe(0);
    context.expect(requestsTo(scenario.conductorOne, 'POST', path)).toEqual([]);
    context.expect(result.summary).toContain('already gone from ConductorOne');
  });

  it('rotates when rotate-if-expires-within reads a credential that ConductorOne shows deleted', async (context) => {
    const { scenario, previous } = await withPrevious(context);
    scenario.conductorOne.inject({
      method: 'GET',
      path: credentialPath(scenario, previous.id),
      status: 200,
      body: { credential: { id: previous.id, expiresTime: '2099-01-01T00:00:00Z', deletedAt: '2026-11-01T00:00:00Z' } },
    });

    const result = await scenario.run({ 'previous-credential-id': previous.id, 'rotate-if-expires-within': '30d' });

    context.expect(result.code).toBe(0);
    context.expect(result.outputs.rotated).toBe('true');
    context
      .expect(result.stdout)
      .toContain(`Rotating: the current credential ${previous.id} no longer exists in ConductorOne.`);
  });
});

describe.concurrent('nothing a server sends reaches a workflow command or the summary unchecked', () => {
  it('redacts the new secret, the client assertion and a bearer token that an error body echoes', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    const echoed: string[] = [];
    scenario.conductorOne.inject({
      method: 'POST',
      path: TOKEN_PATH,
      times: 5, // the run's own token request is answered below; the proof's four attempts get an echo
      reply: (req) => {
        const form = new URLSearchParams(req.body.toString('utf8'));
        const issued = scenario.conductorOne.issued[0];
        if (!issued)
          return {
            status: 200,
            body: { access_token: scenario.conductorOne.issueAccessToken(), token_type: 'Bearer', expires_in: 3600 },
          };
        const assertion = form.get('client_assertion') ?? '';
        echoed.push(assertion);
        return {
          status: 401,
          body: {
            code: 16,
            message: `bad assertion ${assertion} for secret ${issued.clientSecret}\n::warning::injected`,
            details: [],
          },
        };
      },
    });
    scenario.conductorOne.activateAfter(0);

    const result = await scenario.run({ ...inputs, verify: 'true' });

    await expectUnchanged(context, scenario, previous, result);
    context.expect(echoed.length).toBeGreaterThan(0);
    context.expect(leaks(scenario, result, echoed)).toEqual([]);
    const error = onlyError(result);
    context
      .expect(error)
      .toContain('bad assertion (redacted) for secret (redacted) ::warning::injected) (4 attempts in 3.5 s)');
    context.expect(result.summary).toContain('bad assertion (redacted) for secret (redacted)');
    context.expect(unexpectedCommands(result.stdout)).toEqual([]);
    context.expect(result.stdout.split('\n').some((line) => line.startsWith('::warning::injected'))).toBe(false);
  });

  it('redacts an access token that a revoke error echoes, and keeps a GitHub message on one line', async (context) => {
    const { scenario, previous, inputs } = await withPrevious(context);
    scenario.conductorOne.inject({
      method: 'POST',
      path: credentialPath(scenario, previous.id),
      reply: (req) => ({
        status: 500,
        body: {
          code: 13,
          message: `internal: request had authorization ${req.headers.authorization ?? ''}`,
          details: [],
        },
      }),
      times: 4,
    });

    const result = await scenario.run(inputs);

    context.expect(result.code).toBe(1);
    context.expect(previous.revoked).toBe(false);
    const error = onlyError(result);
    context.expect(error).toContain('request had authorization Bearer (redacted)');
    context.expect(leaks(scenario, result)).toEqual([]);
  });

  it('keeps a GitHub error message with a line break and a command on one line', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/second': 'write' } });
    scenario.github.inject({
      method: 'PUT',
      path: /\/repos\/acme\/second\/actions\/secrets\//,
      times: 2,
      status: 403,
      body: githubErrorBody(403, 'Forbidden\n::stop-commands::abc\n[click](https://evil.example) <img src=x>'),
    });

    const result = await scenario.run();

    context.expect(result.code).toBe(1);
    context.expect(unexpectedCommands(result.stdout)).toEqual([]);
    context
      .expect(result.summary)
      .toContain('Forbidden ::stop-commands::abc \\[click\\](https://evil.example) &lt;img src=x&gt;');
    context.expect(result.summary).not.toContain('<img');
    context.expect(leaks(scenario, result)).toEqual([]);
  });

  it('refuses a credential-id variable holding ".." or a command, before rotating, never quoting it', async (context) => {
    for (const value of ['..', 'cred-1\n::stop-commands::x', '{"version":1,"x":"::error::hi"}']) {
      const scenario = await scenarioFor(context);
      scenario.github.presetVariable(repoScope(REPO), 'BATON_CREDENTIAL_ID', value);

      const result = await scenario.run({ 'credential-id-variable': 'BATON_CREDENTIAL_ID', 'revoke-previous': 'true' });

      context.expect(result.code).toBe(1);
      context.expect(scenario.conductorOne.issued).toEqual([]);
      context.expect(onlyError(result)).toContain('which the action cannot read as its ledger');
      context.expect(onlyError(result)).not.toContain('stop-commands');
      context.expect(unexpectedCommands(result.stdout)).toEqual([]);
      context.expect(requestsTo(scenario.conductorOne, 'POST', '/credentials/..')).toEqual([]);
      // The lock it took beside the read is given back.
      context.expect(scenario.github.variables.get(repoScope(REPO))?.has('BATON_CREDENTIAL_ID_LOCK')).toBe(false);
    }
  });
});

describe.concurrent('secrets with a line break', () => {
  for (const input of ['github-token', 'client-secret', 'access-token'] as const) {
    it(`refuses ${input} with a line break before any request, masking each line and never echoing it`, async (context) => {
      const scenario = await scenarioFor(context);
      const first =
        input === 'github-token'
          ? scenario.githubToken
          : input === 'client-secret'
            ? scenario.clientSecret
            : scenario.conductorOne.issueAccessToken();
      const second = 'SecondLineOfTheSecretValue42';
      const overrides: Record<string, string | undefined> = { [input]: `${first}\n${second}` };
      if (input === 'access-token') Object.assign(overrides, { 'client-id': undefined, 'client-secret': undefined });

      const result = await scenario.run(overrides);

      context.expect(result.code).toBe(1);
      context.expect(scenario.conductorOne.requests).toEqual([]);
      context.expect(scenario.github.requests).toEqual([]);
      context
        .expect(onlyError(result))
        .toBe(
          `Input ${input}: contains a line break or another control character: store the value alone in the secret, with no extra lines or spaces inside it.`,
        );
      context.expect(result.stdout).toContain(`::add-mask::${first}\n`);
      context.expect(result.stdout).toContain(`::add-mask::${second}\n`);
      context.expect(leaks(scenario, result, [first, second])).toEqual([]);
    });
  }
});
