/**
 * A ready world for the bundled action: fake ConductorOne with a registered
 * API client, fake GitHub with the given repositories, and the inputs a
 * workflow would pass. Shared by the end-to-end tests, `npm run demo` and
 * `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { makeClientCredential, startFakeConductorOne, type FakeConductorOne } from './conductorone.js';
import { startFakeGitHub, type Access, type FakeGitHub } from './github.js';

export const APP_ID = '2aB7cD9eF1gH3iJ5kL7mN9oP1qR';
export const CONNECTOR_ID = '2sT3uV5wX7yZ9aB1cD3eF5gH7iJ';

export interface ScenarioOptions {
  repositories?: Record<string, Access>;
  environments?: Record<string, string[]>;
  latencyMs?: number;
  /** '/api/v3' to stand in for GitHub Enterprise Server. */
  githubPathPrefix?: string;
  legacyRotateShape?: boolean;
}

export interface Scenario {
  conductorOne: FakeConductorOne;
  github: FakeGitHub;
  clientId: string;
  clientSecret: string;
  githubToken: string;
  /** Inputs for one rotation into every configured repository. */
  inputs: Record<string, string>;
  /** Every secret of the run so far: auth secret, GitHub token, access tokens, issued client secrets. */
  knownSecrets(): string[];
  close(): Promise<void>;
}

export async function startScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const repositories = options.repositories ?? { 'acme/connectors': 'write' };
  const conductorOne = await startFakeConductorOne({
    appId: APP_ID,
    connectorId: CONNECTOR_ID,
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.legacyRotateShape ? { legacyRotateShape: true } : {}),
  });
  const githubToken = `ghs_${randomBytes(18).toString('base64url')}`;
  const github = await startFakeGitHub({
    token: githubToken,
    repositories,
    ...(options.environments ? { environments: options.environments } : {}),
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.githubPathPrefix !== undefined ? { pathPrefix: options.githubPathPrefix } : {}),
  });
  const auth = await makeClientCredential(conductorOne.host, 'spc');
  conductorOne.registerClient(auth.clientId, auth.publicJwk);
  return {
    conductorOne,
    github,
    clientId: auth.clientId,
    clientSecret: auth.clientSecret,
    githubToken,
    inputs: {
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
    },
    knownSecrets: () => [
      auth.clientSecret,
      githubToken,
      ...conductorOne.tokensIssued,
      ...conductorOne.issued.map((c) => c.clientSecret),
    ],
    close: async () => {
      await Promise.all([conductorOne.close(), github.close()]);
    },
  };
}
