// A real rotation: create, store, prove, then revoke the previous credential, and nothing is
// revoked while a consumer may still hold it (SPEC 1.5, 4). Also the skip window and the dry run.
import { describe, expect, it } from 'vitest';
import { requestClientToken } from '../fakes/conductorone.js';
import { envScope, repoScope } from '../fakes/github.js';
import {
  type E2EScenario,
  onlyError,
  onlyIssued,
  ROTATE_PATH,
  requestLog,
  requestsTo,
  scenarioFor,
  secretPath,
  storedCredential,
  TOKEN_PATH,
} from './helpers.js';

const REPO = 'acme/connectors';
const VARIABLE = 'BATON_CREDENTIAL_ID';
const DAY_MS = 24 * 60 * 60 * 1000;
const credentialPath = (scenario: E2EScenario, id: string) =>
  `/api/v1/apps/${scenario.inputs['app-id']}/connectors/${scenario.inputs['connector-id']}/credentials/${id}`;
const variableOf = (scenario: E2EScenario, scope: string) => scenario.github.variables.get(scope)?.get(VARIABLE)?.value;

/** Index of the first timeline line matching, failing the test when there is none. */
function at(timeline: string[], pattern: RegExp): number {
  const index = timeline.findIndex((line) => pattern.test(line));
  if (index < 0) throw new Error(`no request matches ${pattern}:\n${timeline.join('\n')}`);
  return index;
}

function lastIndex(timeline: string[], pattern: RegExp): number {
  return timeline.map((line) => pattern.test(line)).lastIndexOf(true);
}

describe('revoke-previous', () => {
  it('revokes exactly the previous credential, after the last write and after the proof', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/second': 'write' } });
    const previous = await scenario.conductorOne.addCredential();
    const bystander = await scenario.conductorOne.addCredential();

    const result = await scenario.run({ 'revoke-previous': 'true', 'previous-credential-id': previous.id });

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    expect(previous.revoked).toBe(true);
    expect(bystander.revoked).toBe(false);
    expect(issued.revoked).toBe(false);
    expect(result.outputs).toMatchObject({
      rotated: 'true',
      'previous-credential-id': previous.id,
      'revoked-credential-id': previous.id,
    });

    const timeline = scenario.timeline();
    const revokeAt = at(timeline, new RegExp(`conductorone POST ${credentialPath(scenario, previous.id)} 200`));
    expect(lastIndex(timeline, /github PUT .*\/secrets\//)).toBeLessThan(revokeAt);
    // The proof is the token request after the rotation; it comes before the first write.
    const proofAt = timeline.findIndex(
      (line, index) =>
        index > at(timeline, /POST \/api\/v1\/apps\/connectors\/credentials/) && line.includes(`POST ${TOKEN_PATH}`),
    );
    expect(proofAt).toBeGreaterThan(0);
    expect(proofAt).toBeLessThan(at(timeline, /github PUT .*\/secrets\//));
    expect(requestsTo(scenario.conductorOne, 'POST', credentialPath(scenario, previous.id))).toHaveLength(1);

    // The old secret no longer authenticates; the new one does.
    expect((await requestClientToken(scenario.conductorOne, previous.clientId, previous.clientSecret)).status).toBe(
      401,
    );
    const stored = await storedCredential(scenario, REPO);
    expect((await requestClientToken(scenario.conductorOne, stored.clientId, stored.clientSecret)).status).toBe(200);
    expect(result.summary).toContain(`| Revoke the previous credential ${previous.id} | revoked |`);
    expect(result.summary).toContain('| Check and prove the new credential | passed');
  });

  it('revokes nothing when a write fails, and says the previous credential stays valid', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/readonly': 'read' } });
    const previous = await scenario.conductorOne.addCredential();

    const result = await scenario.run({ 'revoke-previous': 'true', 'previous-credential-id': previous.id });

    expect(result.code).toBe(1);
    expect(previous.revoked).toBe(false);
    expect(requestsTo(scenario.conductorOne, 'POST', credentialPath(scenario, previous.id))).toEqual([]);
    expect(result.outputs['revoked-credential-id'] ?? '').toBe('');
    const error = onlyError(result);
    expect(error).toContain('acme/readonly');
    expect(error).toContain('was not revoked and stays valid');
    expect(result.summary).toContain(
      'not done: not every target holds the new credential; the previous credential stays valid',
    );
  });

  it('leaves the variable naming the previous credential when the new credential fails its proof', async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, previous.id);
    // With a ready access token the only token requests are the proof's; ConductorOne refuses each attempt.
    scenario.conductorOne.inject({
      method: 'POST',
      path: TOKEN_PATH,
      status: 401,
      body: { code: 16, message: 'invalid client assertion', details: [] },
      times: 4,
    });

    const result = await scenario.run({
      'client-id': undefined,
      'client-secret': undefined,
      'access-token': scenario.conductorOne.issueAccessToken(),
      'revoke-previous': 'true',
      'credential-id-variable': VARIABLE,
    });

    expect(result.code).toBe(1);
    expect(previous.revoked).toBe(false);
    expect(onlyIssued(scenario).revoked).toBe(true);
    expect(variableOf(scenario, repoScope(REPO))).toBe(previous.id);
    expect(requestLog(scenario.github).filter((l) => !l.startsWith('GET'))).toEqual([]);
    expect(result.summary).toContain('## ConductorOne credential rotated, but not stored');
  });

  it('fails with "only the revoke is left" when ConductorOne refuses the revoke', async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    scenario.conductorOne.inject({
      method: 'POST',
      path: credentialPath(scenario, previous.id),
      status: 403,
      body: { code: 7, message: 'permission denied', details: [] },
    });

    const result = await scenario.run({ 'revoke-previous': 'true', 'previous-credential-id': previous.id });

    expect(result.code).toBe(1);
    expect(previous.revoked).toBe(false);
    const error = onlyError(result);
    expect(error).toContain('the secrets are up to date; only this is left');
    expect(error).toContain(`revoking the previous credential ${previous.id} failed`);
    expect(error).toContain('permission denied');
    const stored = await storedCredential(scenario, REPO);
    expect(stored.clientId).toBe(onlyIssued(scenario).clientId);
    expect(result.outputs['revoked-credential-id'] ?? '').toBe('');
  });

  it('reports a previous credential that is already gone as already revoked, not as a failure', async (context) => {
    const scenario = await scenarioFor(context);

    const result = await scenario.run({ 'revoke-previous': 'true', 'previous-credential-id': 'gone-credential-id' });

    expect(result.code).toBe(0);
    expect(result.outputs['revoked-credential-id']).toBe('');
    expect(result.summary).toContain('| Revoke the previous credential gone-credential-id | already revoked');
  });
});

describe('credential-id-variable', () => {
  it('records the new ID on the first run, and the next run revokes that credential through it', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/second': 'write' } });
    const inputs = { 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' };

    const first = await scenario.run(inputs);

    expect(first.code).toBe(0);
    const [firstCredential] = scenario.conductorOne.issued;
    expect(first.outputs['previous-credential-id']).toBe('');
    expect(first.outputs['revoked-credential-id']).toBe('');
    expect(first.summary).toContain('not done: no previous credential is known yet');
    for (const repo of [REPO, 'acme/second']) expect(variableOf(scenario, repoScope(repo))).toBe(firstCredential!.id);
    expect(
      requestLog(scenario.github)
        .filter((l) => l.startsWith('POST'))
        .sort(),
    ).toEqual([`POST /repos/${REPO}/actions/variables 201`, 'POST /repos/acme/second/actions/variables 201']);

    const second = await scenario.run(inputs);

    expect(second.code).toBe(0);
    expect(scenario.conductorOne.issued).toHaveLength(2);
    const secondCredential = scenario.conductorOne.issued[1]!;
    expect(second.outputs).toMatchObject({
      'previous-credential-id': firstCredential!.id,
      'revoked-credential-id': firstCredential!.id,
      'credential-id': secondCredential.id,
    });
    expect(firstCredential!.revoked).toBe(true);
    expect(secondCredential.revoked).toBe(false);
    for (const repo of [REPO, 'acme/second']) expect(variableOf(scenario, repoScope(repo))).toBe(secondCredential.id);
    expect(
      requestLog(scenario.github)
        .filter((l) => l.startsWith('PATCH'))
        .sort(),
    ).toEqual([
      `PATCH /repos/${REPO}/actions/variables/${VARIABLE} 204`,
      `PATCH /repos/acme/second/actions/variables/${VARIABLE} 204`,
    ]);
  });

  it('lives beside environment secrets when environment is set', async (context) => {
    const scenario = await scenarioFor(context, { environments: { [REPO]: ['production'] } });

    const result = await scenario.run({ environment: 'production', 'credential-id-variable': VARIABLE });

    expect(result.code).toBe(0);
    expect(variableOf(scenario, envScope(REPO, 'production'))).toBe(onlyIssued(scenario).id);
    expect(variableOf(scenario, repoScope(REPO))).toBeUndefined();
  });

  it('is not updated when a write fails', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/second': 'write' } });
    const previous = await scenario.conductorOne.addCredential();
    for (const repo of [REPO, 'acme/second']) scenario.github.presetVariable(repoScope(repo), VARIABLE, previous.id);
    scenario.github.inject({
      method: 'PUT',
      path: secretPath('acme/second', 'BATON_CLIENT_SECRET'),
      status: 422,
      body: { message: 'Invalid request' },
    });

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code).toBe(1);
    for (const repo of [REPO, 'acme/second']) expect(variableOf(scenario, repoScope(repo))).toBe(previous.id);
    expect(previous.revoked).toBe(false);
    expect(requestLog(scenario.github).filter((l) => l.startsWith('PATCH') || l.startsWith('POST'))).toEqual([]);
  });

  it('does not rotate when the variable names different credentials in different targets', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: { [REPO]: 'write', 'acme/second': 'write', 'acme/new': 'write' },
    });
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, 'credential-a');
    scenario.github.presetVariable(repoScope('acme/second'), VARIABLE, 'credential-b');

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error).toContain(`The variable ${VARIABLE} does not agree across targets`);
    expect(error).toContain(`${REPO} has credential-a`);
    expect(error).toContain('acme/second has credential-b');
    expect(error).toContain('previous-credential-id');
  });
});

describe('runs at the same time', () => {
  it('revokes nothing, leaves the variable as the other run set it, and warns naming every credential, when another rotation recorded one meanwhile', async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    const other = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, previous.id);
    // While this run writes, another run finishes and records its own credential.
    scenario.github.inject({
      method: 'PUT',
      path: secretPath(REPO, 'BATON_CLIENT_SECRET'),
      effect: () => scenario.github.presetVariable(repoScope(REPO), VARIABLE, other.id),
    });

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    expect(previous.revoked).toBe(false);
    expect(other.revoked).toBe(false);
    expect(
      requestLog(scenario.conductorOne).filter(
        (l) => l.startsWith('POST /api/v1/apps/') && l !== `POST ${ROTATE_PATH} 200`,
      ),
    ).toEqual([]);
    expect(variableOf(scenario, repoScope(REPO))).toBe(other.id);
    expect(requestLog(scenario.github).filter((l) => l.startsWith('PATCH') || l.startsWith('POST'))).toEqual([]);
    const warnings = result.stdout.split('\n').filter((l) => l.startsWith('::warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('title=Another rotation ran at the same time');
    expect(warnings[0]).toContain(`${REPO}: ${previous.id} at the start, ${other.id} now`);
    expect(warnings[0]).toContain(`this run's credential ${issued.id}`);
    expect(result.summary).toContain(
      'not done: another rotation changed the credential-id variable while this one ran',
    );
    expect(result.outputs['revoked-credential-id']).toBe('');
  });

  it('shows what another writer left in the variable only quoted, on one line and escaped, when it is not a credential ID', async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, previous.id);
    const hostile = 'x\n::error::forged\n<img src=y> [link](https://example.invalid)';
    scenario.github.inject({
      method: 'PUT',
      path: secretPath(REPO, 'BATON_CLIENT_SECRET'),
      effect: () => scenario.github.presetVariable(repoScope(REPO), VARIABLE, hostile),
    });

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    expect(previous.revoked).toBe(false);
    const lines = result.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('::error'))).toEqual([]);
    const warnings = lines.filter((l) => l.startsWith('::warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${REPO}: ${previous.id} at the start, "x ::error::forged <img src=y>`);
    expect(warnings[0]).toContain(`whichever of ${issued.id} and the other credential`);
    expect(result.summary).not.toContain('<img');
    expect(result.summary).not.toContain('](https://example.invalid)');
  });

  it('warns that consumers keep the previous client ID when client-id-secret-name is empty and revoke-previous is on', async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();

    const result = await scenario.run({
      'client-id-secret-name': '',
      'revoke-previous': 'true',
      'previous-credential-id': previous.id,
    });

    expect(result.code).toBe(0);
    const warnings = result.stdout.split('\n').filter((l) => l.startsWith('::warning'));
    expect(warnings).toEqual([
      expect.stringContaining('::warning title=Consumers keep the previous client ID::client-id-secret-name is empty'),
    ]);
    // The warning comes before any request is made.
    expect(result.stdout.indexOf('::warning')).toBeLessThan(result.stdout.indexOf('Authenticating to ConductorOne'));
  });
});

/** A live credential that expires in `days`, recorded in the repository's variable as a previous run would leave it. */
async function recordedCredentialExpiringIn(scenario: E2EScenario, days: number) {
  const credential = await scenario.conductorOne.addCredential();
  credential.expiresTime = new Date(Date.now() + days * DAY_MS).toISOString();
  scenario.github.presetVariable(repoScope(REPO), VARIABLE, credential.id);
  return credential;
}

describe('rotate-if-expires-within', () => {
  it('leaves a credential that expires later than the window alone, with rotated=false and the reason', async (context) => {
    const scenario = await scenarioFor(context);
    const current = await recordedCredentialExpiringIn(scenario, 60);

    const result = await scenario.run({
      'credential-id-variable': VARIABLE,
      'rotate-if-expires-within': '30d',
      'revoke-previous': 'true',
    });

    expect(result.code).toBe(0);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(requestsTo(scenario.conductorOne, 'POST', ROTATE_PATH)).toEqual([]);
    expect(requestsTo(scenario.conductorOne, 'GET', credentialPath(scenario, current.id))).toEqual([
      `GET ${credentialPath(scenario, current.id)} 200`,
    ]);
    expect(requestLog(scenario.github).filter((l) => !l.startsWith('GET'))).toEqual([]);
    expect(current.revoked).toBe(false);
    expect(result.outputs).toMatchObject({ rotated: 'false', 'previous-credential-id': current.id });
    expect(result.outputs['credential-id']).toBeUndefined();
    expect(result.summary).toContain('## ConductorOne credential not due for rotation');
    expect(result.summary).toContain(`expires ${current.expiresTime}, later than 30d from now`);
  });

  it('rotates, and revokes the old one, when the credential expires within the window', async (context) => {
    const scenario = await scenarioFor(context);
    const current = await recordedCredentialExpiringIn(scenario, 10);

    const result = await scenario.run({
      'credential-id-variable': VARIABLE,
      'rotate-if-expires-within': '2w',
      'revoke-previous': 'true',
    });

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    expect(result.outputs).toMatchObject({
      rotated: 'true',
      'credential-id': issued.id,
      'revoked-credential-id': current.id,
    });
    expect(current.revoked).toBe(true);
    expect(variableOf(scenario, repoScope(REPO))).toBe(issued.id);
    // The expiry is read before anything rotates.
    const timeline = scenario.timeline();
    expect(at(timeline, new RegExp(`GET ${credentialPath(scenario, current.id)}`))).toBeLessThan(
      at(timeline, /POST \/api\/v1\/apps\/connectors\/credentials /),
    );
  });

  it('rotates when the recorded credential no longer exists', async (context) => {
    const scenario = await scenarioFor(context);
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, 'deleted-credential');

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'rotate-if-expires-within': '30d' });

    expect(result.code).toBe(0);
    onlyIssued(scenario);
    expect(result.stdout).toContain('no longer exists');
  });
});

describe('dry-run', () => {
  it('authenticates, checks the connector, every target and the variable, and changes nothing', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/second': 'write' } });
    const previous = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, previous.id);

    const result = await scenario.run({
      'dry-run': 'true',
      'credential-id-variable': VARIABLE,
      'revoke-previous': 'true',
    });

    expect(result.code).toBe(0);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(previous.revoked).toBe(false);
    expect(
      requestLog(scenario.conductorOne).filter((l) => !l.startsWith('GET') && !l.startsWith(`POST ${TOKEN_PATH}`)),
    ).toEqual([]);
    expect(requestLog(scenario.conductorOne)).toContain(
      `GET /api/v1/apps/${scenario.inputs['app-id']}/connectors/${scenario.inputs['connector-id']} 200`,
    );
    expect(requestLog(scenario.github).filter((l) => !l.startsWith('GET'))).toEqual([]);
    expect(
      requestLog(scenario.github)
        .filter((l) => l.includes('/variables/'))
        .sort(),
    ).toEqual([
      `GET /repos/${REPO}/actions/variables/${VARIABLE} 200`,
      `GET /repos/acme/second/actions/variables/${VARIABLE} 404`,
    ]);
    expect(scenario.github.secrets.get(repoScope(REPO))!.size).toBe(0);
    expect(variableOf(scenario, repoScope('acme/second'))).toBeUndefined();
    expect(result.outputs).toMatchObject({ rotated: 'false', 'previous-credential-id': previous.id });
    expect(result.summary).toContain('## ConductorOne credential rotation: dry run');
    expect(result.summary).toContain(`Revoke the previous credential \`${previous.id}\``);
    expect(result.summary).toContain(`| acme/second | \`BATON_CLIENT_SECRET\` | yes |`);
  });

  it('fails, still changing nothing, when the connector does not exist', async (context) => {
    const scenario = await scenarioFor(context);

    const result = await scenario.run({ 'dry-run': 'true', 'connector-id': 'no-such-connector' });

    expect(result.code).toBe(1);
    expect(onlyError(result)).toContain('ConductorOne found no connector no-such-connector');
    expect(requestLog(scenario.github).filter((l) => !l.startsWith('GET'))).toEqual([]);
    expect(scenario.conductorOne.issued).toEqual([]);
  });
});
