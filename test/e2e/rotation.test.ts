// The bundled action, run like the runner runs it, rotating against the loopback fakes.
import { describe, expect, it } from 'vitest';
import { requestClientToken } from '../fakes/conductorone.js';
import { repoScope } from '../fakes/github.js';
import {
  onlyIssued,
  parseTargets,
  publicKeyPath,
  ROTATE_PATH,
  requestLog,
  scenarioFor,
  secretPath,
  storedCredential,
  TOKEN_PATH,
} from './helpers.js';

const REPO = 'acme/connectors';

describe('rotation into one repository', () => {
  it('rotates once, stores the new client ID and secret, and the stored secret authenticates', async (context) => {
    const scenario = await scenarioFor(context);

    const result = await scenario.run();

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    const stored = await storedCredential(scenario, REPO);
    expect(stored.clientId).toBe(issued.clientId);
    // Compared as a boolean, so a failure never prints a secret.
    expect(stored.clientSecret === issued.clientSecret, 'BATON_CLIENT_SECRET opens to the issued secret').toBe(true);
    const login = await requestClientToken(scenario.conductorOne, stored.clientId, stored.clientSecret);
    expect(login.status).toBe(200);

    expect(result.outputs).toMatchObject({
      'credential-id': issued.id,
      'client-id': issued.clientId,
      'expires-at': issued.expiresTime,
      rotated: 'true',
    });
    expect(parseTargets(result)).toEqual([
      { target: REPO, secret: 'BATON_CLIENT_ID', result: 'created' },
      { target: REPO, secret: 'BATON_CLIENT_SECRET', result: 'created' },
    ]);

    expect(result.summary).toContain(issued.id);
    expect(result.summary).toContain('| Target | Secret | Result |');
    expect(result.summary).toContain(`| ${REPO} | \`BATON_CLIENT_ID\` | created |`);
    expect(result.summary).toContain(`| ${REPO} | \`BATON_CLIENT_SECRET\` | created |`);
  });

  it('authenticates and reads the public key first, then rotates, then writes both secrets while proving the new credential', async (context) => {
    const scenario = await scenarioFor(context);

    const result = await scenario.run();

    expect(result.code).toBe(0);
    const timeline = scenario.timeline();
    expect(timeline).toHaveLength(6);
    // Round one runs in parallel: either may arrive first.
    expect(timeline.slice(0, 2).sort()).toEqual([
      `conductorone POST ${TOKEN_PATH} 200`,
      `github GET ${publicKeyPath(REPO)} 200`,
    ]);
    expect(timeline[2]).toBe(`conductorone POST ${ROTATE_PATH} 200`);
    // Round three: the writes, and the proof beside them (it changes nothing).
    expect(timeline.slice(3).sort()).toEqual([
      `conductorone POST ${TOKEN_PATH} 200`,
      `github PUT ${secretPath(REPO, 'BATON_CLIENT_ID')} 201`,
      `github PUT ${secretPath(REPO, 'BATON_CLIENT_SECRET')} 201`,
    ]);
  });

  it('reports "updated" when the secrets already exist, and replaces their values', async (context) => {
    const scenario = await scenarioFor(context);
    scenario.github.presetSecret(repoScope(REPO), 'BATON_CLIENT_ID', { value: 'old-client@127.0.0.1/ccc' });
    scenario.github.presetSecret(repoScope(REPO), 'BATON_CLIENT_SECRET', { value: 'old secret' });

    const result = await scenario.run();

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    expect(parseTargets(result)).toEqual([
      { target: REPO, secret: 'BATON_CLIENT_ID', result: 'updated' },
      { target: REPO, secret: 'BATON_CLIENT_SECRET', result: 'updated' },
    ]);
    expect(result.summary).toContain(`| ${REPO} | \`BATON_CLIENT_SECRET\` | updated |`);
    expect(requestLog(scenario.github).slice(1).sort()).toEqual([
      `PUT ${secretPath(REPO, 'BATON_CLIENT_ID')} 204`,
      `PUT ${secretPath(REPO, 'BATON_CLIENT_SECRET')} 204`,
    ]);
    const stored = await storedCredential(scenario, REPO);
    expect(stored.clientId).toBe(issued.clientId);
    expect(stored.clientSecret === issued.clientSecret, 'BATON_CLIENT_SECRET opens to the issued secret').toBe(true);
  });
});

describe('rotation into several repositories', () => {
  it('rotates once and writes every repository of a comma and newline list once, duplicates included', async (context) => {
    const repositories = ['acme/baton-okta', 'acme/baton-github', 'acme/baton-slack'];
    const scenario = await scenarioFor(context, {
      repositories: Object.fromEntries(repositories.map((r) => [r, 'write' as const])),
    });

    const result = await scenario.run({
      repositories: 'acme/baton-okta, acme/baton-github\nacme/baton-slack\n\nacme/baton-okta,\n',
    });

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    expect(requestLog(scenario.conductorOne)).toEqual([
      `POST ${TOKEN_PATH} 200`,
      `POST ${ROTATE_PATH} 200`,
      `POST ${TOKEN_PATH} 200`,
    ]);
    const github = requestLog(scenario.github);
    expect(github.filter((line) => line.startsWith('GET')).sort()).toEqual(
      repositories.map((r) => `GET ${publicKeyPath(r)} 200`).sort(),
    );
    expect(github.filter((line) => line.startsWith('PUT')).sort()).toEqual(
      repositories
        .flatMap((r) => [
          `PUT ${secretPath(r, 'BATON_CLIENT_ID')} 201`,
          `PUT ${secretPath(r, 'BATON_CLIENT_SECRET')} 201`,
        ])
        .sort(),
    );
    for (const repository of repositories) {
      const stored = await storedCredential(scenario, repository);
      expect(stored.clientId, repository).toBe(issued.clientId);
      expect(stored.clientSecret === issued.clientSecret, `${repository} opens to the issued secret`).toBe(true);
    }
    expect(parseTargets(result)).toHaveLength(6);
    expect(new Set(parseTargets(result).map((t) => t.target))).toEqual(new Set(repositories));
  });
});

describe('GitHub Enterprise Server', () => {
  it('rotates against an API URL ending in /api/v3 and sends every GitHub request under it', async (context) => {
    const scenario = await scenarioFor(context, { githubPathPrefix: '/api/v3' });
    expect(scenario.inputs['github-api-url']).toMatch(/\/api\/v3$/);

    const result = await scenario.run();

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    const github = requestLog(scenario.github);
    expect(github[0]).toBe(`GET /api/v3${publicKeyPath(REPO)} 200`);
    expect(github.slice(1).sort()).toEqual([
      `PUT /api/v3${secretPath(REPO, 'BATON_CLIENT_ID')} 201`,
      `PUT /api/v3${secretPath(REPO, 'BATON_CLIENT_SECRET')} 201`,
    ]);
    const stored = await storedCredential(scenario, REPO);
    expect(stored.clientId).toBe(issued.clientId);
    expect(stored.clientSecret === issued.clientSecret, 'BATON_CLIENT_SECRET opens to the issued secret').toBe(true);
  });
});
