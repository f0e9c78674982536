/**
 * A ready world for the bundled action: fake ConductorOne with a registered
 * API client, fake GitHub with the given repositories, and the inputs a
 * workflow would pass. Shared by the end-to-end tests, `npm run demo` and
 * `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import {
  type FakeConductorOne,
  makeClientCredential,
  makeTrustClientId,
  startFakeConductorOne,
} from './conductorone.js';
import { type Access, type FakeGitHub, type FakeGitHubOptions, startFakeGitHub } from './github.js';
import type { SecondaryLimitOptions } from './github-limits.js';
import type { FakeWorkflow, Platform } from './github-workflows.js';
import { type FakeOidc, startFakeOidc } from './oidc.js';

export const APP_ID = '2aB7cD9eF1gH3iJ5kL7mN9oP1qR';
export const CONNECTOR_ID = '2sT3uV5wX7yZ9aB1cD3eF5gH7iJ';

export interface ScenarioOptions {
  repositories?: Record<string, Access>;
  environments?: Record<string, string[]>;
  organizations?: Record<string, Access>;
  /** Actions workflows per repository, for deploy-workflows. */
  workflows?: Record<string, Record<string, FakeWorkflow>>;
  latencyMs?: number;
  /** '/api/v3' to stand in for GitHub Enterprise Server. */
  githubPathPrefix?: string;
  /** Which GitHub the fake answers as (see FakeGitHubOptions.platform). */
  githubPlatform?: Platform;
  /** Make the fake GitHub enforce GitHub's documented secondary rate limits, on this clock. */
  githubSecondaryLimits?: SecondaryLimitOptions;
  legacyRotateShape?: boolean;
  /** expires_in of ConductorOne's access tokens, in seconds (default an hour). */
  tokenLifetimeS?: number;
  /**
   * Also start the fake GitHub OIDC token service and register a federation trust
   * (`<name>@127.0.0.1/wfe`) for its key, issuer and audience = conductorOne.host.
   */
  federation?: boolean;
}

export interface Scenario {
  conductorOne: FakeConductorOne;
  github: FakeGitHub;
  clientId: string;
  clientSecret: string;
  githubToken: string;
  /** Inputs for one rotation into every configured repository. */
  inputs: Record<string, string>;
  /** With `federation`: the fake OIDC token service the trust accepts tokens from. */
  oidc?: FakeOidc;
  /** With `federation`: the trust's client ID. */
  trustClientId?: string;
  /** With `federation`: `inputs` with client-id = the trust's client ID and client-secret ''. */
  federationInputs?: Record<string, string>;
  /** With `federation`: what a job with `permissions: id-token: write` has in its environment. */
  federationEnv?: { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string };
  /** Every secret of the run so far: auth secret, GitHub token, access tokens, issued client secrets (and with `federation`: the OIDC request token and every OIDC JWT). */
  knownSecrets(): string[];
  close(): Promise<void>;
}

/** The fake GitHub of a scenario: the options it was given, and only those. */
function githubOptions(
  token: string,
  repositories: Record<string, Access>,
  options: ScenarioOptions,
): FakeGitHubOptions {
  return {
    token,
    repositories,
    ...(options.environments ? { environments: options.environments } : {}),
    ...(options.organizations ? { organizations: options.organizations } : {}),
    ...(options.workflows ? { workflows: options.workflows } : {}),
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.githubPathPrefix !== undefined ? { pathPrefix: options.githubPathPrefix } : {}),
    ...(options.githubPlatform ? { platform: options.githubPlatform } : {}),
    ...(options.githubSecondaryLimits ? { secondaryLimits: options.githubSecondaryLimits } : {}),
  };
}

export async function startScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const repositories = options.repositories ?? { 'acme/connectors': 'write' };
  const conductorOne = await startFakeConductorOne({
    appId: APP_ID,
    connectorId: CONNECTOR_ID,
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.legacyRotateShape ? { legacyRotateShape: true } : {}),
    ...(options.tokenLifetimeS !== undefined ? { tokenLifetimeS: options.tokenLifetimeS } : {}),
  });
  const githubToken = `ghs_${randomBytes(18).toString('base64url')}`;
  const github = await startFakeGitHub(githubOptions(githubToken, repositories, options));
  const auth = await makeClientCredential(conductorOne.host, 'spc');
  conductorOne.registerClient(auth.clientId, auth.publicJwk);
  const oidc = options.federation
    ? await startFakeOidc(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {})
    : undefined;
  const trustClientId = oidc ? makeTrustClientId(conductorOne.host) : undefined;
  if (oidc && trustClientId) {
    conductorOne.registerFederationTrust(trustClientId, {
      oidcPublicJwk: oidc.publicJwk,
      issuer: oidc.issuer,
      audience: conductorOne.host,
    });
  }
  const inputs: Record<string, string> = {
    'app-id': APP_ID,
    'connector-id': CONNECTOR_ID,
    'client-id': auth.clientId,
    'client-secret': auth.clientSecret,
    'server-url': conductorOne.url,
    'github-token': githubToken,
    'github-api-url': github.url,
    repositories: Object.keys(repositories).join('\n'),
    'client-id-secret-name': 'BATON_CLIENT_ID',
    'client-secret-secret-name': 'BATON_CLIENT_SECRET',
  };
  return {
    conductorOne,
    github,
    clientId: auth.clientId,
    clientSecret: auth.clientSecret,
    githubToken,
    inputs,
    ...(oidc && trustClientId
      ? {
          oidc,
          trustClientId,
          federationInputs: { ...inputs, 'client-id': trustClientId, 'client-secret': '' },
          federationEnv: {
            ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
          },
        }
      : {}),
    knownSecrets: () => [
      auth.clientSecret,
      githubToken,
      ...conductorOne.tokensIssued,
      ...conductorOne.issued.map((c) => c.clientSecret),
      ...(oidc ? [oidc.requestToken, ...oidc.issued] : []),
    ],
    close: async () => {
      await Promise.all([conductorOne.close(), github.close(), ...(oidc ? [oidc.close()] : [])]);
    },
  };
}
