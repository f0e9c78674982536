// The README's "When something fails" table quotes what the action says, and so must never quote a
// message the action no longer prints. Each quoted message is produced here by running the bundled
// action against the fakes, failing in that way, and must appear in what the run printed (its
// ::error:: and ::warning:: annotations). A row without a producer, or a producer without a row,
// fails too.
//
// To add a row: add it to the table in README.md, and a producer below keyed by the row's quoted
// message, exactly as the README writes it (`…` stands for any text in between).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { errorAnnotations, lines, ROTATE_PATH, scenarioFor, TOKEN_PATH } from './e2e/helpers.js';
import { makeClientCredential } from './fakes/conductorone.js';
import { repoScope } from './fakes/github.js';
import { REPO_ROOT, type RunActionResult, runAction } from './fakes/run-action.js';

const TABLE_HEADING = '### Messages, causes and fixes';

/** The quoted message of each row of the README's table, in order. */
function quotedMessages(readme: string): string[] {
  const start = readme.indexOf(`\n${TABLE_HEADING}\n`);
  if (start < 0) throw new Error(`README.md has no "${TABLE_HEADING}" section`);
  const section = readme.slice(start + TABLE_HEADING.length + 2).split(/\n#{2,3} /)[0] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  return rows.slice(2).map((row) => {
    const quoted = /^\|\s*`([^`]+)`/.exec(row)?.[1];
    if (!quoted) throw new Error(`a row whose first cell is not a quoted message: ${row}`);
    return quoted;
  });
}

/** A quoted message as a pattern: `…` is any text within the line. */
function messagePattern(quoted: string): RegExp {
  return new RegExp(
    quoted
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*?'),
  );
}

/** What a run says to the person who reads it: its error and warning annotations, one per line. */
function annotations(result: RunActionResult): string {
  const warnings = lines(result.stdout)
    .filter((line) => line.startsWith('::warning'))
    .map((line) => line.replace(/^::warning[^:]*::/, ''));
  return [...errorAnnotations(result.stdout), ...warnings].join('\n');
}

type Producer = (context: TestContext) => Promise<RunActionResult>;

const TWO_REPOSITORIES = { repositories: { 'acme/baton-okta': 'write', 'acme/baton-github': 'write' } } as const;

/** How to make the action say each message of the table. */
const PRODUCERS: Record<string, Producer> = {
  'ConductorOne refused client-id … (401': async (context) => {
    const scenario = await scenarioFor(context);
    const otherKey = await makeClientCredential(scenario.conductorOne.host, 'spc');
    return scenario.run({ 'client-secret': otherKey.clientSecret });
  },
  "ConductorOne refused this workflow's GitHub OIDC token for … (401": async (context) => {
    const scenario = await scenarioFor(context, { federation: true });
    const inputs = { ...scenario.federationInputs!, 'oidc-audience': 'another.example' };
    return runAction({ inputs, env: scenario.federationEnv! });
  },
  'but this job cannot request an OIDC token': async (context) => {
    const scenario = await scenarioFor(context, { federation: true });
    return runAction({ inputs: scenario.federationInputs! });
  },
  'is a connector credential (/ccc)': async (context) => {
    const scenario = await scenarioFor(context);
    return scenario.run({ 'client-id': `gentle-fox-1234@${scenario.conductorOne.host}/ccc` });
  },
  'ConductorOne did not accept the access token of … for RotateCredential (401': async (context) => {
    const scenario = await scenarioFor(context);
    // Refused again with a fresh token: a 401 alone makes the action get a new token and try once more.
    scenario.conductorOne.inject({
      method: 'POST',
      path: ROTATE_PATH,
      status: 401,
      body: grpc(16, 'token revoked'),
      times: 2,
    });
    return scenario.run();
  },
  'may not rotate credentials of connector … (403': async (context) => {
    const scenario = await scenarioFor(context);
    scenario.conductorOne.inject({
      method: 'POST',
      path: ROTATE_PATH,
      status: 403,
      body: grpc(7, 'permission denied'),
    });
    return scenario.run();
  },
  'ConductorOne found no connector … (404': async (context) => {
    const scenario = await scenarioFor(context);
    return scenario.run({ 'connector-id': '2zZ9yY8xX7wW6vV5uU4tT3sS2rR' });
  },
  'GitHub refused github-token for … (401': async (context) => {
    const scenario = await scenarioFor(context, TWO_REPOSITORIES);
    return scenario.run({ 'github-token': 'ghs_thisTokenWasRevokedLastWeek0000' });
  },
  'github-token cannot … (403': async (context) => {
    const scenario = await scenarioFor(context, { repositories: { 'acme/connectors': 'read' } });
    return scenario.run();
  },
  'Repository … was not found, or github-token cannot see it (404': async (context) => {
    const scenario = await scenarioFor(context);
    return scenario.run({ repositories: 'acme/connectors,acme/baton-missing' });
  },
  'could not authenticate to ConductorOne: … It was stored nowhere': async (context) => {
    const scenario = await scenarioFor(context);
    scenario.conductorOne.activateAfter(100);
    return scenario.run();
  },
  'GitHub rate-limited the attempt to … longer than this action waits; re-run later': async (context) => {
    const scenario = await scenarioFor(context);
    scenario.github.inject({
      method: 'GET',
      path: /\/secrets\/public-key$/,
      status: 403,
      headers: { 'retry-after': '3600' },
      body: { message: 'You have exceeded a secondary rate limit' },
    });
    return scenario.run();
  },
  'ConductorOne token request to … failed (429': async (context) => {
    const scenario = await scenarioFor(context);
    scenario.conductorOne.inject({
      method: 'POST',
      path: TOKEN_PATH,
      status: 429,
      headers: { 'retry-after': '3600' },
      body: grpc(8, 'rate limited'),
    });
    return scenario.run();
  },
  'Another rotation of this connector, … holds the lock': async (context) => {
    const scenario = await scenarioFor(context);
    const holder = {
      run: 'acme/secrets-rotation run 41 attempt 1',
      since: new Date().toISOString(),
      until: new Date(Date.now() + 3_600_000).toISOString(),
      nonce: 'another-run',
    };
    scenario.github.presetVariable(repoScope('acme/connectors'), 'BATON_CREDENTIAL_ID_LOCK', JSON.stringify(holder));
    return scenario.run({ 'credential-id-variable': 'BATON_CREDENTIAL_ID' });
  },
  'which the action cannot read as its ledger': async (context) => {
    const scenario = await scenarioFor(context);
    scenario.github.presetVariable(repoScope('acme/connectors'), 'BATON_CREDENTIAL_ID', 'see the wiki');
    return scenario.run({ 'credential-id-variable': 'BATON_CREDENTIAL_ID' });
  },
  'Credential … was not revoked: it was last used': async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope('acme/connectors'), 'BATON_CREDENTIAL_ID', previous.id);
    // A consumer gets a token with the old credential as the run is about to revoke it.
    scenario.conductorOne.inject({
      method: 'GET',
      path: new RegExp(`/credentials/${previous.id}$`),
      effect: () => {
        previous.lastUsedAt = new Date().toISOString();
      },
    });
    return scenario.run({ 'credential-id-variable': 'BATON_CREDENTIAL_ID', 'revoke-previous': 'true' });
  },
};

/** ConductorOne's error body: a gRPC status as JSON. */
function grpc(code: number, message: string): unknown {
  return { code, message, details: [] };
}

// Concurrently: each run has fakes of its own, and the refused proof spends seconds waiting between tries.
describe.concurrent('README: When something fails', () => {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

  it('quotes exactly the messages this test can produce', ({ expect }) => {
    expect([...quotedMessages(readme)].sort()).toEqual(Object.keys(PRODUCERS).sort());
  });

  for (const [quoted, produce] of Object.entries(PRODUCERS)) {
    it(`the action prints "${quoted}" when it fails that way`, async (context) => {
      const result = await produce(context);
      context.expect(annotations(result)).toMatch(messagePattern(quoted));
      // An error fails the run; a warning (the in-use guard) comes with a run that succeeded.
      const isError = errorAnnotations(result.stdout).some((line) => messagePattern(quoted).test(line));
      context.expect(result.code).toBe(isError ? 1 : 0);
    });
  }
});
