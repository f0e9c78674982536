import type { Inputs } from '../../src/inputs.js';

/**
 * A validated Inputs object for modules that take one (preflight, finish,
 * dry-run): two repositories, a ready access token, nothing optional switched
 * on. Each test file sets the defaults it is about.
 */
export function parsedInputs(overrides: Partial<Inputs> = {}): Inputs {
  return {
    appId: 'app-1',
    connectorId: 'conn-1',
    auth: { kind: 'access-token', token: 'c1-access-token' },
    serverUrl: new URL('https://acme.conductor.one'),
    githubToken: 'ghs_installationtoken',
    githubApiUrl: new URL('https://api.github.com'),
    repositories: [
      { owner: 'acme', repo: 'one' },
      { owner: 'acme', repo: 'two' },
    ],
    scope: { kind: 'repository' },
    clientIdSecretName: 'BATON_CLIENT_ID',
    clientSecretSecretName: 'BATON_CLIENT_SECRET',
    credentialIdVariable: '',
    previousCredentialId: '',
    verify: true,
    revokePrevious: false,
    keepPreviousFor: { text: '6h', ms: 6 * 3_600_000 },
    dryRun: false,
    deployWorkflows: [],
    deployTimeout: { text: '30m', ms: 1_800_000 },
    ...overrides,
  };
}
