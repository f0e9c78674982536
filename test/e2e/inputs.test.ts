// Invalid input stops the action before its first request: one annotation that names the input.
import { describe, it } from 'vitest';
import { errorAnnotations, requestLog, scenarioFor } from './helpers.js';

/** A client secret whose key part is a valid Ed25519 JWK, under a prefix that is not ConductorOne's. */
const withPrefix = (clientSecret: string, prefix: string) => `${prefix}${clientSecret.split(':')[3]}`;

interface BadInput {
  name: string;
  /** The input the annotation must name. */
  input: string;
  /** Input overrides; undefined removes the input, as if the workflow never set it. */
  inputs(given: { clientSecret: string }): Record<string, string | undefined>;
}

const BAD_INPUTS: BadInput[] = [
  { name: 'a missing app-id', input: 'app-id', inputs: () => ({ 'app-id': undefined }) },
  { name: 'an app-id of ".."', input: 'app-id', inputs: () => ({ 'app-id': '..' }) },
  { name: 'a connector-id of "."', input: 'connector-id', inputs: () => ({ 'connector-id': '.' }) },
  {
    name: 'a previous-credential-id of ".."',
    input: 'previous-credential-id',
    inputs: () => ({ 'previous-credential-id': '..' }),
  },
  {
    name: 'a deploy workflow that is not OWNER/REPO/.github/workflows/FILE.yml@REF',
    input: 'deploy-workflows',
    inputs: () => ({ 'deploy-workflows': 'acme/baton-okta/deploy.yml' }),
  },
  {
    name: 'deploy-inputs that are not a JSON object',
    input: 'deploy-inputs',
    inputs: () => ({ 'deploy-workflows': 'acme/a/.github/workflows/d.yml@main', 'deploy-inputs': '[1]' }),
  },
  {
    name: 'a deploy-timeout that is not a duration',
    input: 'deploy-timeout',
    inputs: () => ({ 'deploy-timeout': 'forever' }),
  },
  {
    name: 'a keep-previous-for that is not a duration',
    input: 'keep-previous-for',
    inputs: () => ({ 'keep-previous-for': '6 hours', 'revoke-previous': 'next-run', 'credential-id-variable': 'V' }),
  },
  {
    name: 'a keep-previous-for of zero',
    input: 'keep-previous-for',
    inputs: () => ({ 'keep-previous-for': '0h' }),
  },
  {
    name: 'a credential-id-variable that is not a variable name',
    input: 'credential-id-variable',
    inputs: () => ({ 'credential-id-variable': 'GITHUB_LEDGER' }),
  },
  {
    name: 'a revoke-previous that is neither a boolean nor next-run',
    input: 'revoke-previous',
    inputs: () => ({ 'revoke-previous': 'later', 'previous-credential-id': 'cred-1' }),
  },
  {
    name: 'revoke-previous: next-run without credential-id-variable',
    input: 'revoke-previous',
    inputs: () => ({ 'revoke-previous': 'next-run', 'previous-credential-id': 'cred-1' }),
  },
  {
    name: 'a connector-id with "/"',
    input: 'connector-id',
    inputs: () => ({ 'connector-id': '2sT3uV5w/../credentials' }),
  },
  { name: 'a malformed client-id', input: 'client-id', inputs: () => ({ 'client-id': 'robot-at-acme.conductor.one' }) },
  {
    name: 'a client-secret with a garbage key part',
    input: 'client-secret',
    inputs: () => ({ 'client-secret': 'secret-token:conductorone.com:v1:***not base64url***' }),
  },
  {
    name: 'a client-secret with the wrong prefix',
    input: 'client-secret',
    inputs: ({ clientSecret }) => ({ 'client-secret': withPrefix(clientSecret, 'secret-token:example.com:v1:') }),
  },
  {
    name: 'a plain-http server-url that is not loopback',
    input: 'server-url',
    inputs: () => ({ 'server-url': 'http://example.com' }),
  },
  { name: 'an ftp github-api-url', input: 'github-api-url', inputs: () => ({ 'github-api-url': 'ftp://x' }) },
  {
    name: 'repositories that are not owner/repo',
    input: 'repositories',
    inputs: () => ({ repositories: 'not a repo' }),
  },
  {
    name: 'a secret name starting with a digit',
    input: 'client-secret-secret-name',
    inputs: () => ({ 'client-secret-secret-name': '1ABC' }),
  },
  {
    name: 'a secret name starting with GITHUB_',
    input: 'client-id-secret-name',
    inputs: () => ({ 'client-id-secret-name': 'GITHUB_X' }),
  },
  {
    name: 'two secret names equal but for case',
    input: 'client-secret-secret-name',
    inputs: () => ({ 'client-id-secret-name': 'Baton_Secret', 'client-secret-secret-name': 'BATON_SECRET' }),
  },
  {
    name: 'an empty client-secret-secret-name',
    input: 'client-secret-secret-name',
    inputs: () => ({ 'client-secret-secret-name': '' }),
  },
  { name: 'a missing github-token', input: 'github-token', inputs: () => ({ 'github-token': undefined }) },
  {
    name: 'organization together with environment',
    input: 'environment',
    inputs: () => ({ organization: 'acme', environment: 'production' }),
  },
  { name: 'visibility without organization', input: 'visibility', inputs: () => ({ visibility: 'all' }) },
  {
    name: 'an unknown visibility',
    input: 'visibility',
    inputs: () => ({ organization: 'acme', visibility: 'internal' }),
  },
  {
    name: 'an organization given as owner/repo',
    input: 'organization',
    inputs: () => ({ organization: 'acme/connectors' }),
  },
  {
    name: 'an environment name with a control character',
    input: 'environment',
    inputs: () => ({ environment: 'prod\u0007uction' }),
  },
  {
    name: 'a credential-id-variable starting with GITHUB_',
    input: 'credential-id-variable',
    inputs: () => ({ 'credential-id-variable': 'GITHUB_CRED' }),
  },
  {
    name: 'revoke-previous with nothing to find the previous credential',
    input: 'revoke-previous',
    inputs: () => ({ 'revoke-previous': 'true' }),
  },
  {
    name: 'revoke-previous with verify: false',
    input: 'revoke-previous',
    inputs: () => ({ 'revoke-previous': 'true', verify: 'false', 'previous-credential-id': '2abcCRED' }),
  },
  { name: 'a verify that is not a boolean', input: 'verify', inputs: () => ({ verify: 'yes' }) },
  {
    name: 'a rotate-if-expires-within that is not a duration',
    input: 'rotate-if-expires-within',
    inputs: () => ({ 'rotate-if-expires-within': '30 days', 'credential-id-variable': 'BATON_CREDENTIAL_ID' }),
  },
  {
    name: 'rotate-if-expires-within with no known credential',
    input: 'rotate-if-expires-within',
    inputs: () => ({ 'rotate-if-expires-within': '30d' }),
  },
  {
    name: 'a previous-credential-id with "/"',
    input: 'previous-credential-id',
    inputs: () => ({ 'previous-credential-id': '../connectors' }),
  },
];

describe.concurrent('invalid input', () => {
  it.for(BAD_INPUTS)('fails on $name with one annotation naming $input, before any request', async (bad, context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const overrides = bad.inputs({ clientSecret: scenario.clientSecret });

    const result = await scenario.run(overrides);

    expect(result.code).toBe(1);
    const errors = errorAnnotations(result.stdout);
    expect(errors).toHaveLength(1);
    // The whole input name, not a part of a longer one (client-secret vs client-secret-secret-name).
    expect(errors[0]).toMatch(new RegExp(`(^|[^\\w-])${bad.input}([^\\w-]|$)`));
    expect(requestLog(scenario.conductorOne)).toEqual([]);
    expect(requestLog(scenario.github)).toEqual([]);
    expect(result.outputs).not.toHaveProperty('credential-id');
    expect(result.outputs.rotated ?? 'false').toBe('false');
    // Messages about secrets must not quote them.
    const given = overrides['client-secret'] ?? scenario.clientSecret;
    expect(errors[0]!.includes(given), 'the annotation quotes the client secret').toBe(false);
    expect(errors[0]!.includes(scenario.githubToken), 'the annotation quotes the GitHub token').toBe(false);
  });
});

describe.concurrent('a URL input with a user and password', () => {
  it.for(['server-url', 'github-api-url'])('is refused without printing the password (%s)', async (input, context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);

    const result = await scenario.run({ [input]: 'https://rotator:hunter2@acme.conductor.one' });

    expect(result.code).toBe(1);
    expect(errorAnnotations(result.stdout)).toEqual([
      `Input ${input}: "https://(redacted)@acme.conductor.one" must not carry credentials, a query or a fragment.`,
    ]);
    expect(`${result.stdout}${result.stderr}${result.summary}`).not.toContain('hunter2');
    expect(requestLog(scenario.conductorOne)).toEqual([]);
    expect(requestLog(scenario.github)).toEqual([]);
  });
});
