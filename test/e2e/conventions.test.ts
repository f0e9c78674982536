// ConductorOne's own conventions (the CONDUCTORONE_* variables its tools share), and the warnings a
// run that succeeded gives when a person should still look at something.
import { describe, it } from 'vitest';
import { repoScope } from '../fakes/github.js';
import { leaks, maskingProblems, onlyIssued, requestLog, scenarioFor, TOKEN_PATH } from './helpers.js';

const REPO = 'acme/connectors';
const VARIABLE = 'BATON_CREDENTIAL_ID';

/** `::warning` lines of a run: their title and message. */
function warnings(stdout: string): Array<{ title: string; message: string }> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('::warning'))
    .map((line) => {
      const match = /^::warning title=([^:]*)::(.*)$/.exec(line);
      return { title: decodeURIComponent(match?.[1] ?? ''), message: match?.[2] ?? line };
    });
}

describe.concurrent('CONDUCTORONE_ACCESS_TOKEN, as conductorone/oidc-token-action exports it', () => {
  it('authenticates with the token from the environment, with no token request of its own, and masks it first', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const token = scenario.conductorOne.issueAccessToken();

    const result = await scenario.run(
      { 'client-id': undefined, 'client-secret': undefined },
      { env: { CONDUCTORONE_ACCESS_TOKEN: token } },
    );

    expect(result.code, result.stdout).toBe(0);
    onlyIssued(scenario);
    // The only token request is the proof of the new credential, after the rotation.
    expect(requestLog(scenario.conductorOne).filter((l) => l.startsWith(`POST ${TOKEN_PATH}`))).toHaveLength(1);
    expect(scenario.conductorOne.requests[0]?.path).not.toBe(TOKEN_PATH);
    expect(result.stdout).toContain('as CONDUCTORONE_ACCESS_TOKEN from the environment');
    expect(maskingProblems(result.stdout, { knownAtStart: [token, scenario.githubToken], received: [] })).toEqual([]);
    expect(leaks(scenario, result, [token])).toEqual([]);
  });

  it('is ignored when an authentication input is given: the inputs decide', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);

    const result = await scenario.run({}, { env: { CONDUCTORONE_ACCESS_TOKEN: 'not-a-token-the-fake-knows' } });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`as client-id ${scenario.clientId}`);
  });

  it('needs a tenant: without server-url or CONDUCTORONE_CLIENT_ID it is an input error before any request', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const token = scenario.conductorOne.issueAccessToken();

    const result = await scenario.run(
      { 'client-id': undefined, 'client-secret': undefined, 'server-url': undefined },
      { env: { CONDUCTORONE_ACCESS_TOKEN: token } },
    );

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.requests).toEqual([]);
    expect(result.stdout).toContain('::error::Input server-url: is required with CONDUCTORONE_ACCESS_TOKEN');
    expect(result.stdout).toContain(`::add-mask::${token}`);
    expect(leaks(scenario, result, [token])).toEqual([]);
  });
});

describe.concurrent('warnings on a run that succeeded', () => {
  it('says the credential made by hand stays valid on the first rotation the variable records', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code).toBe(0);
    const [warning, ...more] = warnings(result.stdout);
    expect(more).toEqual([]);
    expect(warning?.title).toBe('First rotation: the credential made by hand stays valid');
    expect(warning?.message).toContain('Pass its ID once as previous-credential-id and the next run retires it');
  });

  it('says a credential without an expiry is never rotated under rotate-if-expires-within', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const current = await scenario.conductorOne.addCredential();
    current.expiresTime = '';
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, current.id);

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'rotate-if-expires-within': '30d' });

    expect(result.code).toBe(0);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(warnings(result.stdout)).toEqual([
      {
        title: 'This credential is never rotated',
        message: expect.stringContaining('Remove rotate-if-expires-within to rotate on every run'),
      },
    ]);
  });

  it('warns of nothing when next-run keeps the credential it replaced, as it promises, and says until when', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const current = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, current.id);

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'next-run' });

    expect(result.code).toBe(0);
    expect(warnings(result.stdout)).toEqual([]);
    expect(result.stdout).toMatch(new RegExp(`Keeping ${current.id} valid until \\S+ \\(keep-previous-for\\)\\.`));
    expect(current.revoked).toBe(false);
  });

  it('warns, naming it, when a run leaves the replaced credential valid and nothing records it', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const current = await scenario.conductorOne.addCredential();

    const result = await scenario.run({ 'previous-credential-id': current.id });

    expect(result.code).toBe(0);
    expect(warnings(result.stdout)).toEqual([
      {
        title: 'The replaced credential stays valid',
        message: expect.stringContaining(`Nothing revoked credential ${current.id}, and nothing records it`),
      },
    ]);
  });

  it('warns, naming them, when revoke-previous is off and the ledger records replaced credentials', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const current = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, current.id);

    const result = await scenario.run({ 'credential-id-variable': VARIABLE });

    expect(result.code).toBe(0);
    expect(warnings(result.stdout)).toEqual([
      {
        title: 'Replaced credentials stay valid',
        message: expect.stringContaining(
          `revoke-previous is off, so ${current.id}, which no target holds any more, stays valid`,
        ),
      },
    ]);
    expect(current.revoked).toBe(false);
  });
});
