// Every place a connector credential lives: environment secrets in each repository, and
// organization secrets whose visibility and selected repositories survive the update (SPEC 2, 6).
import { describe, expect, it } from 'vitest';
import { envScope, orgScope } from '../fakes/github.js';
import {
  ledgerStates,
  onlyError,
  onlyIssued,
  parseTargets,
  ROTATE_PATH,
  requestLog,
  requestsTo,
  scenarioFor,
} from './helpers.js';

const ENVIRONMENT = 'prod east';
const ENCODED = 'prod%20east';
const REPOS = ['acme/baton-okta', 'acme/baton-slack'];
const ORG = 'acme';

describe('environment secrets', () => {
  it('writes the environment secrets of every listed repository, with the environment name URL-encoded', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: Object.fromEntries(REPOS.map((r) => [r, 'write' as const])),
      environments: Object.fromEntries(REPOS.map((r) => [r, [ENVIRONMENT, 'staging']])),
    });

    const result = await scenario.run({ environment: ENVIRONMENT });

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    for (const repo of REPOS) {
      expect(await scenario.github.open(envScope(repo, ENVIRONMENT), 'BATON_CLIENT_ID')).toBe(issued.clientId);
      const secret = await scenario.github.open(envScope(repo, ENVIRONMENT), 'BATON_CLIENT_SECRET');
      expect(secret === issued.clientSecret, `${repo} environment secret opens to the issued secret`).toBe(true);
      // Neither the repository's own secrets nor another environment's were touched.
      expect(scenario.github.secrets.get(`repo:${repo}`)!.size).toBe(0);
      expect(scenario.github.secrets.get(envScope(repo, 'staging'))!.size).toBe(0);
    }
    const github = requestLog(scenario.github);
    expect(github.filter((l) => l.startsWith('GET')).sort()).toEqual(
      REPOS.map((r) => `GET /repos/${r}/environments/${ENCODED}/secrets/public-key 200`).sort(),
    );
    expect(github.filter((l) => l.startsWith('PUT')).sort()).toEqual(
      REPOS.flatMap((r) => [
        `PUT /repos/${r}/environments/${ENCODED}/secrets/BATON_CLIENT_ID 201`,
        `PUT /repos/${r}/environments/${ENCODED}/secrets/BATON_CLIENT_SECRET 201`,
      ]).sort(),
    );
    expect(parseTargets(result).map((t) => t.target)).toEqual(
      REPOS.flatMap((r) => [`${r} environment ${ENVIRONMENT}`, `${r} environment ${ENVIRONMENT}`]),
    );
    expect(result.summary).toContain(`| ${REPOS[0]} environment ${ENVIRONMENT} | \`BATON_CLIENT_SECRET\` | created |`);
  });

  it('does not rotate when one repository lacks the environment, and names the environment and that repository', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: Object.fromEntries(REPOS.map((r) => [r, 'write' as const])),
      environments: { [REPOS[0]!]: [ENVIRONMENT] },
    });

    const result = await scenario.run({ environment: ENVIRONMENT });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(requestsTo(scenario.conductorOne, 'POST', ROTATE_PATH)).toEqual([]);
    expect(requestLog(scenario.github).filter((l) => !l.startsWith('GET'))).toEqual([]);
    const error = onlyError(result);
    expect(error).toContain(`Environment "${ENVIRONMENT}" was not found in ${REPOS[1]}`);
    expect(error).toContain('Nothing was rotated');
    expect(error).not.toContain(`found in ${REPOS[0]}`);
    expect(result.outputs.rotated).toBe('false');
    expect(result.summary).toContain('## ConductorOne credential not rotated');
  });
});

describe('organization secrets', () => {
  it('creates new organization secrets as private', async (context) => {
    const scenario = await scenarioFor(context, { organizations: { [ORG]: 'write' } });

    const result = await scenario.run({ organization: ORG });

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    expect(await scenario.github.open(orgScope(ORG), 'BATON_CLIENT_ID')).toBe(issued.clientId);
    expect((await scenario.github.open(orgScope(ORG), 'BATON_CLIENT_SECRET')) === issued.clientSecret).toBe(true);
    for (const name of ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET']) {
      expect(scenario.github.secrets.get(orgScope(ORG))!.get(name)).toMatchObject({ visibility: 'private' });
    }
    // Only the organization scope: no repository secret is read or written.
    expect(requestLog(scenario.github).every((l) => l.includes(`/orgs/${ORG}/actions/secrets/`))).toBe(true);
    expect(parseTargets(result)).toEqual([
      { target: `organization ${ORG}`, secret: 'BATON_CLIENT_ID', result: 'created' },
      { target: `organization ${ORG}`, secret: 'BATON_CLIENT_SECRET', result: 'created' },
    ]);
    expect(result.summary).toContain('visibility private (default for a new secret)');
  });

  it('keeps an existing secret’s visibility and selected repositories when visibility is empty', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: { 'acme/baton-okta': 'write', 'acme/baton-slack': 'write', 'acme/other': 'write' },
      organizations: { [ORG]: 'write' },
    });
    const selected = [
      scenario.github.repositoryId('acme/baton-okta'),
      scenario.github.repositoryId('acme/baton-slack'),
    ];
    scenario.github.presetSecret(orgScope(ORG), 'BATON_CLIENT_SECRET', {
      visibility: 'selected',
      selected_repository_ids: selected,
    });
    scenario.github.presetSecret(orgScope(ORG), 'BATON_CLIENT_ID', { visibility: 'all' });

    // `repositories` names another repository: it must not replace the existing selection.
    const result = await scenario.run({ organization: ORG, repositories: 'acme/other' });

    expect(result.code).toBe(0);
    const stored = scenario.github.secrets.get(orgScope(ORG))!;
    expect(stored.get('BATON_CLIENT_SECRET')).toMatchObject({
      visibility: 'selected',
      selected_repository_ids: selected,
    });
    expect(stored.get('BATON_CLIENT_ID')).toMatchObject({ visibility: 'all' });
    expect(
      (await scenario.github.open(orgScope(ORG), 'BATON_CLIENT_SECRET')) === onlyIssued(scenario).clientSecret,
    ).toBe(true);
    // The current settings are read before rotation, and nothing looks up repositories.
    const rotateAt = scenario.timeline().findIndex((l) => l.includes(ROTATE_PATH));
    const readAt = scenario
      .timeline()
      .findIndex((l) => l.includes(`GET /orgs/${ORG}/actions/secrets/BATON_CLIENT_SECRET/repositories`));
    expect(readAt).toBeGreaterThanOrEqual(0);
    expect(readAt).toBeLessThan(rotateAt);
    expect(requestLog(scenario.github).some((l) => /^GET \/repos\//.test(l))).toBe(false);
    expect(parseTargets(result).map((t) => t.result)).toEqual(['updated', 'updated']);
    expect(result.summary).toContain('updated, visibility selected, 2 repositories (kept)');
  });

  it('sets the visibility input over an existing one, and selects the listed repositories for a secret that was not selected', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: { 'acme/baton-okta': 'write', 'acme/baton-slack': 'write' },
      organizations: { [ORG]: 'write' },
    });
    scenario.github.presetSecret(orgScope(ORG), 'BATON_CLIENT_SECRET', { visibility: 'all' });

    const result = await scenario.run({
      organization: ORG,
      visibility: 'selected',
      repositories: 'acme/baton-okta\nacme/baton-slack',
    });

    expect(result.code).toBe(0);
    const ids = [scenario.github.repositoryId('acme/baton-okta'), scenario.github.repositoryId('acme/baton-slack')];
    const stored = scenario.github.secrets.get(orgScope(ORG))!;
    expect(stored.get('BATON_CLIENT_SECRET')).toMatchObject({ visibility: 'selected', selected_repository_ids: ids });
    expect(stored.get('BATON_CLIENT_ID')).toMatchObject({ visibility: 'selected', selected_repository_ids: ids });
  });

  it('creates the ledger variable at the organization with the access of the secrets', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: { 'acme/baton-okta': 'write' },
      organizations: { [ORG]: 'write' },
    });
    const selected = [scenario.github.repositoryId('acme/baton-okta')];
    for (const name of ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET']) {
      scenario.github.presetSecret(orgScope(ORG), name, { visibility: 'selected', selected_repository_ids: selected });
    }

    const result = await scenario.run({ organization: ORG, 'credential-id-variable': 'BATON_CREDENTIAL_ID' });

    expect(result.code).toBe(0);
    expect(scenario.github.variables.get(orgScope(ORG))!.get('BATON_CREDENTIAL_ID')).toMatchObject({
      visibility: 'selected',
      selected_repository_ids: selected,
    });
    expect(ledgerStates(scenario, orgScope(ORG))).toEqual([`${onlyIssued(scenario).id} current`]);
    // The lock, then the ledger (created when the new credential was recorded, before any write).
    expect(requestsTo(scenario.github, 'POST', `/orgs/${ORG}/actions/variables`)).toEqual([
      `POST /orgs/${ORG}/actions/variables 201`,
      `POST /orgs/${ORG}/actions/variables 201`,
    ]);
  });

  it('fails naming the organization Secrets permission when the token can read but not write organization secrets', async (context) => {
    const scenario = await scenarioFor(context, { organizations: { [ORG]: 'read' } });

    const result = await scenario.run({ organization: ORG });

    expect(result.code).toBe(1);
    const error = onlyError(result);
    expect(error).toContain(`organization ${ORG}`);
    expect(error).toContain('organization Secrets read and write permission');
    expect(error).toContain('admin:org');
    // GitHub's 403s prove nothing was stored, so the new credential is revoked again.
    expect(error).toContain(
      'It was stored nowhere: every target still holds the previous credential, which stays valid.',
    );
    expect(onlyIssued(scenario).revoked).toBe(true);
  });

  it('does not rotate when the organization is unknown to GitHub, and names it', async (context) => {
    const scenario = await scenarioFor(context, { organizations: { [ORG]: 'write' } });

    const result = await scenario.run({ organization: 'acme-typo' });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error).toContain('Organization acme-typo was not found');
    expect(error).toContain('admin:org');
    expect(requestLog(scenario.github).filter((l) => !l.startsWith('GET'))).toEqual([]);
  });
});
