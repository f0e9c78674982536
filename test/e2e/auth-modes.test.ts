// The three ways to authenticate to ConductorOne, and the network settings of
// self-hosted runners, each through the bundled action against the fakes.
import { describe, expect, it } from 'vitest';
import { startFakeProxy } from '../fakes/proxy.js';
import { findLeaks, runAction } from '../fakes/run-action.js';
import {
  onlyError,
  onlyIssued,
  ROTATE_PATH,
  requestsTo,
  scenarioFor,
  storedCredential,
  TOKEN_PATH,
  visibleTexts,
} from './helpers.js';

const REPO = 'acme/connectors';

describe('GitHub OIDC federation', () => {
  it('exchanges the workflow OIDC token (audience: the tenant host) and rotates with no ConductorOne secret', async (context) => {
    const scenario = await scenarioFor(context, { federation: true });

    const result = await runAction({ inputs: scenario.federationInputs!, env: scenario.federationEnv! });

    expect(result.code).toBe(0);
    expect(scenario.oidc!.audiences).toEqual([scenario.conductorOne.host]);
    // The exchange, then the proof of the new credential.
    expect(requestsTo(scenario.conductorOne, 'POST', TOKEN_PATH)).toEqual([
      'POST /auth/v1/token 200',
      'POST /auth/v1/token 200',
    ]);
    const issued = onlyIssued(scenario);
    const stored = await storedCredential(scenario, REPO);
    expect(stored.clientId).toBe(issued.clientId);
    expect(stored.clientSecret === issued.clientSecret, 'BATON_CLIENT_SECRET opens to the issued secret').toBe(true);
    expect(findLeaks(scenario.knownSecrets(), visibleTexts(result))).toEqual([]);
    expect(result.stdout).toContain(`::add-mask::${scenario.oidc!.issued[0]}`);
  });

  it('asks for "permissions: id-token: write" before any request when the runner offers no OIDC token', async (context) => {
    const scenario = await scenarioFor(context, { federation: true });

    const result = await runAction({ inputs: scenario.federationInputs! });

    expect(result.code).toBe(1);
    expect(onlyError(result)).toMatch(/client-id.*permissions: id-token: write/);
    expect(scenario.conductorOne.requests).toEqual([]);
    expect(scenario.github.requests).toEqual([]);
    expect(scenario.oidc!.requests).toEqual([]);
  });
});

describe('a ready access token', () => {
  it('rotates with the given bearer token and makes no token request of its own', async (context) => {
    const scenario = await scenarioFor(context);
    const accessToken = scenario.conductorOne.issueAccessToken();

    // verify: false, so the only token request there could be is an authentication the action must not make.
    const result = await scenario.run({
      'client-id': undefined,
      'client-secret': undefined,
      'access-token': accessToken,
      verify: 'false',
    });

    expect(result.code).toBe(0);
    expect(requestsTo(scenario.conductorOne, 'POST', TOKEN_PATH)).toEqual([]);
    expect(requestsTo(scenario.conductorOne, 'POST', ROTATE_PATH)).toEqual([`POST ${ROTATE_PATH} 200`]);
    onlyIssued(scenario);
    expect(result.stdout).toContain(`::add-mask::${accessToken}`);
    expect(findLeaks(scenario.knownSecrets(), visibleTexts(result))).toEqual([]);
  });

  it('refuses access-token together with client-id: one error, no request', async (context) => {
    const scenario = await scenarioFor(context);

    const result = await scenario.run({ 'access-token': scenario.conductorOne.issueAccessToken() });

    expect(result.code).toBe(1);
    expect(onlyError(result)).toMatch(/^Input access-token: cannot be combined with client-id/);
    expect(scenario.conductorOne.requests).toEqual([]);
    expect(scenario.github.requests).toEqual([]);
  });
});

describe('proxies', () => {
  it('sends ConductorOne and GitHub requests through HTTP_PROXY', async (context) => {
    const scenario = await scenarioFor(context);
    const proxy = await startFakeProxy();
    context.onTestFinished(() => proxy.close());

    const result = await runAction({ inputs: scenario.inputs, env: { HTTP_PROXY: proxy.url } });

    expect(result.code).toBe(0);
    onlyIssued(scenario);
    const hosts = new Set(proxy.connects);
    expect(hosts).toEqual(new Set([new URL(scenario.conductorOne.url).host, new URL(scenario.github.url).host]));
  });

  it('goes direct for hosts listed in NO_PROXY', async (context) => {
    const scenario = await scenarioFor(context);
    const proxy = await startFakeProxy();
    context.onTestFinished(() => proxy.close());

    const result = await runAction({ inputs: scenario.inputs, env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });

    expect(result.code).toBe(0);
    onlyIssued(scenario);
    expect(proxy.connects).toEqual([]);
    expect(proxy.requests).toEqual([]);
  });
});
