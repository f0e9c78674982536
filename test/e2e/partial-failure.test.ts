// A write that fails after rotation: the step fails, says where the new credential is, and loses nothing (SPEC 4).
import { describe, expect, it } from 'vitest';
import { repoScope } from '../fakes/github.js';
import {
  onlyError,
  onlyIssued,
  parseTargets,
  ROTATE_PATH,
  requestsTo,
  scenarioFor,
  secretPath,
  storedCredential,
} from './helpers.js';

const WRITABLE = 'acme/connectors';
const READ_ONLY = 'acme/readonly';

describe('a repository the token can read but not write', () => {
  it('fails naming that repository and the Secrets permission, and reports which repository holds the new credential', async (context) => {
    const scenario = await scenarioFor(context, { repositories: { [WRITABLE]: 'write', [READ_ONLY]: 'read' } });
    scenario.github.presetSecret(repoScope(READ_ONLY), 'BATON_CLIENT_SECRET', { value: 'previous secret' });

    const result = await scenario.run();

    expect(result.code).toBe(1);
    const issued = onlyIssued(scenario);
    expect(requestsTo(scenario.conductorOne, 'POST', ROTATE_PATH)).toEqual([`POST ${ROTATE_PATH} 200`]);
    // A 403 without rate-limit headers is not retried.
    for (const name of ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET']) {
      expect(requestsTo(scenario.github, 'PUT', secretPath(READ_ONLY, name))).toEqual([
        `PUT ${secretPath(READ_ONLY, name)} 403`,
      ]);
      expect(requestsTo(scenario.github, 'PUT', secretPath(WRITABLE, name))).toEqual([
        `PUT ${secretPath(WRITABLE, name)} 201`,
      ]);
    }

    const error = onlyError(result);
    expect(error).toContain(READ_ONLY);
    expect(error).toContain('Secrets read and write permission');
    expect(error).toContain(issued.id);

    expect(result.outputs).toMatchObject({ 'credential-id': issued.id, 'client-id': issued.clientId, rotated: 'true' });
    expect(parseTargets(result)).toEqual([
      { target: WRITABLE, secret: 'BATON_CLIENT_ID', result: 'created' },
      { target: WRITABLE, secret: 'BATON_CLIENT_SECRET', result: 'created' },
    ]);

    const stored = await storedCredential(scenario, WRITABLE);
    expect(stored.clientId).toBe(issued.clientId);
    expect(stored.clientSecret === issued.clientSecret, `${WRITABLE} opens to the issued secret`).toBe(true);
    expect(await scenario.github.open(repoScope(READ_ONLY), 'BATON_CLIENT_SECRET')).toBe('previous secret');

    expect(result.summary).toContain(issued.id);
    expect(result.summary).toContain(`| ${WRITABLE} | the new credential |`);
    expect(result.summary).toMatch(new RegExp(`\\| ${READ_ONLY} \\| the previous credential[^|]*\\|`));
  });
});
