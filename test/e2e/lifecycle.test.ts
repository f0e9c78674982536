// A real rotation: create, record, prove, store, then retire what the targets no longer hold, and
// nothing is revoked while a consumer may still hold it (SPEC 1.5, 4, 4a). Also the ledger in
// credential-id-variable, the lock beside it, the skip window and the dry run. Sequences of runs with
// a failure between them are in ledger.test.ts.
import { describe, expect, it } from 'vitest';
import { requestClientToken } from '../fakes/conductorone.js';
import { envScope, repoScope } from '../fakes/github.js';
import {
  type E2EScenario,
  ledgerOf,
  ledgerStates,
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
const variableOf = (scenario: E2EScenario, scope: string, name = VARIABLE) =>
  scenario.github.variables.get(scope)?.get(name)?.value;

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
    expect(result.summary).toMatch(
      new RegExp(`\\| \`${previous.id}\` \\| previous, replaced \\S+ \\| \\*\\*revoked\\*\\* \\|`),
    );
    expect(result.summary).toContain('| Check and prove the new credential | passed');
    // The in-use guard read it just before the revoke.
    const readAt = at(timeline, new RegExp(`conductorone GET ${credentialPath(scenario, previous.id)} 200`));
    expect(readAt).toBeGreaterThan(lastIndex(timeline, /github PUT .*\/secrets\//));
    expect(readAt).toBeLessThan(revokeAt);
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
    // Without a ledger the new credential is for a person to retire, and the message says so.
    expect(error).toContain(
      `Nothing records credential ${onlyIssued(scenario).id} (credential-id-variable is not set)`,
    );
    expect(result.summary).toContain(
      'not done: not every target holds the new credential; the previous credential stays valid',
    );
  });

  it('leaves the ledger as it was when the new credential fails its proof, and revokes the new one', async (context) => {
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
    // Recorded beside the proof, then forgotten once revoked: the ledger names only the previous credential.
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${previous.id} current`]);
    expect(requestLog(scenario.github).filter((l) => l.startsWith('PUT'))).toEqual([]);
    expect(variableOf(scenario, repoScope(REPO), `${VARIABLE}_LOCK`)).toBeUndefined();
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
    expect(error).toContain(`revoking ${previous.id}, which no target holds any more, failed`);
    expect(error).toContain('permission denied');
    expect(error).toContain(`re-run with previous-credential-id: ${previous.id}`);
    const stored = await storedCredential(scenario, REPO);
    expect(stored.clientId).toBe(onlyIssued(scenario).clientId);
    expect(result.outputs['revoked-credential-id'] ?? '').toBe('');
  });

  it('reports a previous credential that is already gone as already revoked, not as a failure', async (context) => {
    const scenario = await scenarioFor(context);

    const result = await scenario.run({ 'revoke-previous': 'true', 'previous-credential-id': 'gone-credential-id' });

    expect(result.code).toBe(0);
    expect(result.outputs['revoked-credential-id']).toBe('');
    expect(result.summary).toMatch(
      /\| `gone-credential-id` \| previous, replaced \S+ \| already gone from ConductorOne \|/,
    );
  });
});

describe('the ledger in credential-id-variable', () => {
  it('records the new credential before any write, and the next run revokes it through the ledger', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/second': 'write' } });
    const inputs = { 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' };

    const first = await scenario.run(inputs);

    expect(first.code).toBe(0);
    const [firstCredential] = scenario.conductorOne.issued;
    expect(first.outputs['previous-credential-id']).toBe('');
    expect(first.outputs['revoked-credential-id']).toBe('');
    // The ledger lives in the target whose name sorts first, beside the lock, which is gone again; the second keeps
    // a copy (its mirror), written at the end of the run.
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${firstCredential!.id} current`]);
    expect(variableOf(scenario, repoScope('acme/second'))).toBe(variableOf(scenario, repoScope(REPO)));
    expect(variableOf(scenario, repoScope(REPO), `${VARIABLE}_LOCK`)).toBeUndefined();
    // Lock, then the record (creating the ledger) before the first secret write.
    const timeline = scenario.timeline();
    const creates = timeline.flatMap((l, i) => (l === `github POST /repos/${REPO}/actions/variables 201` ? [i] : []));
    expect(creates).toHaveLength(2);
    expect(creates[1]).toBeLessThan(at(timeline, /github PUT .*\/secrets\//));

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
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${secondCredential.id} current`]);
    expect(ledgerOf(scenario, repoScope(REPO))?.revision).toBe(4);
  });

  it('lives beside environment secrets when environment is set', async (context) => {
    const scenario = await scenarioFor(context, { environments: { [REPO]: ['production'] } });

    const result = await scenario.run({ environment: 'production', 'credential-id-variable': VARIABLE });

    expect(result.code).toBe(0);
    expect(ledgerStates(scenario, envScope(REPO, 'production'))).toEqual([`${onlyIssued(scenario).id} current`]);
    expect(variableOf(scenario, repoScope(REPO))).toBeUndefined();
  });

  it('records a new credential that a failed write left in some targets as pending, and revokes nothing', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [REPO]: 'write', 'acme/second': 'write' } });
    const previous = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, previous.id);
    scenario.github.inject({
      method: 'PUT',
      path: secretPath('acme/second', 'BATON_CLIENT_SECRET'),
      status: 422,
      body: { message: 'Invalid request' },
    });

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code).toBe(1);
    const issued = onlyIssued(scenario);
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${previous.id} current`, `${issued.id} pending`]);
    expect(previous.revoked).toBe(false);
    expect(issued.revoked).toBe(false);
    const error = onlyError(result);
    // The next run, not a person, retires what this one left.
    expect(error).toContain(`credential ${issued.id} is recorded in the ledger in ${VARIABLE} of ${REPO}`);
    expect(error).toContain('the next successful run replaces it everywhere and retires it');
    expect(error).not.toMatch(/revoke it in ConductorOne/);
    expect(variableOf(scenario, repoScope(REPO), `${VARIABLE}_LOCK`)).toBeUndefined();
  });

  it('takes in bare IDs that disagree across targets as credentials the targets may hold, and retires both', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: { [REPO]: 'write', 'acme/second': 'write', 'acme/new': 'write' },
    });
    const a = await scenario.conductorOne.addCredential();
    const b = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, a.id);
    scenario.github.presetVariable(repoScope('acme/second'), VARIABLE, b.id);

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(`The ledger takes in ${b.id} from the variable in acme/second`);
    expect([a.revoked, b.revoked]).toEqual([true, true]);
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${onlyIssued(scenario).id} current`]);
    // The bare ID outside the ledger's home and mirror is removed; the mirror holds the ledger.
    expect(variableOf(scenario, repoScope('acme/second'))).toBeUndefined();
    expect(ledgerStates(scenario, repoScope('acme/new'))).toEqual([`${onlyIssued(scenario).id} current`]);
  });

  it('stops before anything rotates when the ledger cannot be read, naming the variable and how to recover', async (context) => {
    const scenario = await scenarioFor(context);
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, '{"version":1,"connector":"x/y","revision":');

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(onlyError(result)).toBe(
      `Nothing was rotated. The variable ${VARIABLE} in ${REPO} holds a ledger that is not valid JSON, which the action cannot read as its ledger: restore the value the last run left (its job summary lists every credential it recorded), or set it to the ID of the credential the secrets hold now to start the ledger again from that credential (see "What the action remembers" in the README).`,
    );
    expect(requestLog(scenario.github).filter((l) => l.startsWith('PUT') || l.startsWith('PATCH'))).toEqual([]);
  });

  it('revokes the new credential and writes nothing when it cannot be recorded', async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, previous.id);
    scenario.github.inject({
      method: 'PATCH',
      path: `/repos/${REPO}/actions/variables/${VARIABLE}`,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
      times: 2,
    });

    const result = await scenario.run({ 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' });

    expect(result.code).toBe(1);
    const issued = onlyIssued(scenario);
    expect(issued.revoked).toBe(true);
    expect(previous.revoked).toBe(false);
    expect(requestLog(scenario.github).filter((l) => l.startsWith('PUT'))).toEqual([]);
    const error = onlyError(result);
    expect(error).toContain(`Credential ${issued.id} could not be recorded in the ledger in ${VARIABLE} of ${REPO}`);
    expect(error).toContain('nothing may hold a credential the ledger does not record');
    expect(error).toContain(`The unusable credential ${issued.id} was revoked.`);
    // The ledger was never written: the variable still holds the bare ID it held.
    expect(variableOf(scenario, repoScope(REPO))).toBe(previous.id);
  });
});

describe('one rotation at a time', () => {
  it('changes nothing while another run holds the lock, and names that run', async (context) => {
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope(REPO), VARIABLE, previous.id);
    const holder = {
      run: 'acme/rotation run 41 attempt 1',
      url: 'https://github.com/acme/rotation/actions/runs/41/attempts/1',
      repository: 'acme/rotation',
      runId: '41',
      attempt: 1,
      since: new Date(Date.now() - 60_000).toISOString(),
      until: new Date(Date.now() + 3_540_000).toISOString(),
      nonce: 'run-41',
    };
    scenario.github.presetVariable(repoScope(REPO), `${VARIABLE}_LOCK`, JSON.stringify(holder));

    const result = await scenario.run(
      { 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' },
      { env: { GITHUB_REPOSITORY: 'acme/rotation', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '1' } },
    );

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error).toContain(
      'Another rotation of this connector, acme/rotation run 41 attempt 1 (https://github.com/acme/rotation/actions/runs/41/attempts/1), holds the lock',
    );
    expect(error).toContain(`delete the variable ${VARIABLE}_LOCK in ${REPO}`);
    expect(requestLog(scenario.github).filter((l) => !l.startsWith('GET'))).toEqual([
      `POST /repos/${REPO}/actions/variables 409`,
    ]);
    expect(variableOf(scenario, repoScope(REPO), `${VARIABLE}_LOCK`)).toBe(JSON.stringify(holder));
  });

  it('takes over the lock an earlier attempt of the same workflow run left, and one that expired', async (context) => {
    for (const holder of [
      { run: 'acme/rotation run 42 attempt 1', repository: 'acme/rotation', runId: '42', attempt: 1, ago: 60_000 },
      { run: 'acme/rotation run 7 attempt 1', repository: 'acme/rotation', runId: '7', attempt: 1, ago: 7_300_000 },
    ]) {
      const scenario = await scenarioFor(context);
      const lock = {
        ...holder,
        since: new Date(Date.now() - holder.ago).toISOString(),
        until: new Date(Date.now() - holder.ago + 3_600_000).toISOString(),
        nonce: 'dead',
      };
      scenario.github.presetVariable(repoScope(REPO), `${VARIABLE}_LOCK`, JSON.stringify(lock));

      const result = await scenario.run(
        { 'credential-id-variable': VARIABLE },
        { env: { GITHUB_REPOSITORY: 'acme/rotation', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2' } },
      );

      expect(result.code, result.stdout).toBe(0);
      onlyIssued(scenario);
      expect(variableOf(scenario, repoScope(REPO), `${VARIABLE}_LOCK`)).toBeUndefined();
      expect(ledgerOf(scenario, repoScope(REPO))?.credentials[0]).toMatchObject({
        by: 'acme/rotation run 42 attempt 2',
      });
    }
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
    // Nothing written but the lock and the ledger (taking in the bare ID), the lock given back.
    expect(requestLog(scenario.github).filter((l) => l.startsWith('PUT'))).toEqual([]);
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${current.id} current`]);
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
    expect(ledgerStates(scenario, repoScope(REPO))).toEqual([`${issued.id} current`]);
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
      `GET /repos/${REPO}/actions/variables/${VARIABLE}_PREVIOUS 404`,
      `GET /repos/acme/second/actions/variables/${VARIABLE} 404`,
      `GET /repos/acme/second/actions/variables/${VARIABLE}_PREVIOUS 404`,
    ]);
    expect(scenario.github.secrets.get(repoScope(REPO))!.size).toBe(0);
    expect(variableOf(scenario, repoScope('acme/second'))).toBeUndefined();
    expect(result.outputs).toMatchObject({ rotated: 'false', 'previous-credential-id': previous.id });
    expect(result.summary).toContain('## ConductorOne credential rotation: dry run');
    expect(result.summary).toContain(`Revoke \`${previous.id}\`, replaced by the new credential`);
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
