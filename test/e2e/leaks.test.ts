// No secret reaches the log, an output or the summary, except on the ::add-mask:: line that hides it,
// and each is masked before a line that could carry it is printed (SPEC 4).
import { describe, it, type TestContext } from 'vitest';
import { githubErrorBody } from '../fakes/github.js';
import { findLeaks, type RunActionResult } from '../fakes/run-action.js';
import {
  type E2EScenario,
  maskingProblems,
  ROTATE_PATH,
  scenarioFor,
  secretPath,
  TOKEN_PATH,
  visibleTexts,
} from './helpers.js';

/**
 * Checks one run. The secrets are taken right after the run, before a test
 * itself asks the fake for a token, so every one of them passed through the action.
 */
function expectNothingLeaked(context: TestContext, scenario: E2EScenario, result: RunActionResult): void {
  const { expect } = context;
  const secrets = scenario.knownSecrets();
  // The auth client secret, the GitHub token, two access tokens (the run's and the one that
  // proved the new credential) and the issued client secret.
  expect(secrets).toHaveLength(5);
  expect(findLeaks(secrets, visibleTexts(result))).toEqual([]);
  expect(
    maskingProblems(result.stdout, {
      knownAtStart: [scenario.clientSecret, scenario.githubToken],
      // The last token is the proof's, requested with the new credential after the rotation.
      received: [
        ...scenario.conductorOne.tokensIssued.slice(0, -1),
        ...scenario.conductorOne.issued.map((c) => c.clientSecret),
      ],
      receivedLater: scenario.conductorOne.tokensIssued.slice(-1),
    }),
  ).toEqual([]);
}

describe.concurrent('secrets stay masked', () => {
  it('in a successful rotation', async (context) => {
    const scenario = await scenarioFor(context);

    const result = await scenario.run();

    context.expect(result.code).toBe(0);
    expectNothingLeaked(context, scenario, result);
  });

  it('in a rotation that proves the new credential, records its ID and revokes the previous one', async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();

    const result = await scenario.run({
      'credential-id-variable': 'BATON_CREDENTIAL_ID',
      'revoke-previous': 'true',
      'previous-credential-id': previous.id,
    });

    context.expect(result.code).toBe(0);
    context.expect(previous.revoked).toBe(true);
    expectNothingLeaked(context, scenario, result);
    context.expect(findLeaks([previous.clientSecret], visibleTexts(result))).toEqual([]);
  });

  it('in a rotation that fails to write one repository', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: { 'acme/connectors': 'write', 'acme/readonly': 'read' },
    });

    const result = await scenario.run();

    context.expect(result.code).toBe(1);
    context.expect(scenario.conductorOne.issued).toHaveLength(1);
    expectNothingLeaked(context, scenario, result);
  });

  it('in a rotation whose token request and secret writes were retried', async (context) => {
    const scenario = await scenarioFor(context);
    scenario.conductorOne.inject({
      method: 'POST',
      path: TOKEN_PATH,
      status: 503,
      body: { code: 14, message: 'unavailable' },
    });
    scenario.github.inject({
      method: 'PUT',
      path: secretPath('acme/connectors', 'BATON_CLIENT_SECRET'),
      status: 403,
      headers: { 'retry-after': '1' },
      body: githubErrorBody(403, 'You have exceeded a secondary rate limit'),
    });
    scenario.github.inject({ method: 'PUT', path: secretPath('acme/connectors', 'BATON_CLIENT_ID'), destroy: true });

    const result = await scenario.run();

    context.expect(result.code).toBe(0);
    context.expect(scenario.conductorOne.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      `${TOKEN_PATH} 503`,
      `${TOKEN_PATH} 200`,
      `${ROTATE_PATH} 200`,
      `${TOKEN_PATH} 200`, // the proof of the new credential
    ]);
    context.expect(result.stdout).toMatch(/retrying/);
    expectNothingLeaked(context, scenario, result);
  });
});
