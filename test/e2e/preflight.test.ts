// A target or identity that cannot work is found before RotateCredential, and nothing rotates (SPEC 4).
import { describe, expect, it } from 'vitest';
import { makeClientCredential } from '../fakes/conductorone.js';
import {
  leaks,
  onlyError,
  publicKeyPath,
  ROTATE_PATH,
  requestLog,
  requestsTo,
  scenarioFor,
  TOKEN_PATH,
} from './helpers.js';

const REPO = 'acme/connectors';

describe('preflight', () => {
  it('does not rotate when one of two repositories is unknown to GitHub (404)', async (context) => {
    const scenario = await scenarioFor(context);

    const result = await scenario.run({ repositories: `${REPO}\nacme/missing` });

    expect(result.code).toBe(1);
    expect(requestsTo(scenario.conductorOne, 'POST', ROTATE_PATH)).toEqual([]);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(requestLog(scenario.github).sort()).toEqual(
      [`GET ${publicKeyPath(REPO)} 200`, `GET ${publicKeyPath('acme/missing')} 404`].sort(),
    );
    const error = onlyError(result);
    expect(error).toContain('acme/missing');
    expect(error).toMatch(/nothing was rotated/i);
    expect(result.outputs.rotated).toBe('false');
    expect(result.outputs['credential-id']).toBeUndefined();
    expect(result.summary).toMatch(/not rotated/i);
    expect(result.summary).toContain('acme/missing');
  });

  it('does not rotate when a repository moved (301, renamed or transferred), and says so instead of blaming the network', async (context) => {
    const scenario = await scenarioFor(context);
    scenario.github.inject({
      method: 'GET',
      path: publicKeyPath(REPO),
      status: 301,
      headers: { location: `${scenario.github.url}/repositories/1000/actions/secrets/public-key` },
      body: {
        message: 'Moved Permanently',
        url: `${scenario.github.url}/repositories/1000/actions/secrets/public-key`,
      },
    });

    const result = await scenario.run();

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(requestLog(scenario.github)).toEqual([`GET ${publicKeyPath(REPO)} 301 [status 301]`]);
    const error = onlyError(result);
    expect(error).toContain(`Repository ${REPO} moved (301)`);
    expect(error).toContain('use its new name in repositories');
    expect(error).not.toContain('check github-api-url');
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('does not rotate when GitHub refuses github-token (401)', async (context) => {
    const scenario = await scenarioFor(context);
    const wrongToken = 'ghs_thisTokenWasRevokedLastWeek0000';

    const result = await scenario.run({ 'github-token': wrongToken });

    expect(result.code).toBe(1);
    expect(requestLog(scenario.github)).toEqual([`GET ${publicKeyPath(REPO)} 401`]);
    expect(requestsTo(scenario.conductorOne, 'POST', ROTATE_PATH)).toEqual([]);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error).toContain('github-token');
    expect(error.includes(wrongToken), 'the annotation quotes the GitHub token').toBe(false);
    expect(result.outputs.rotated).toBe('false');
    expect(result.summary).toMatch(/not rotated/i);
  });

  it('says once that GitHub refused github-token, naming each repository it was refused for', async (context) => {
    const scenario = await scenarioFor(context, {
      repositories: { 'acme/baton-okta': 'write', 'acme/baton-github': 'write' },
    });

    const result = await scenario.run({ 'github-token': 'ghs_thisTokenWasRevokedLastWeek0000' });

    expect(result.code).toBe(1);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error.match(/GitHub refused github-token/g)).toHaveLength(1);
    expect(error).toMatch(
      /^Nothing was rotated\. GitHub refused github-token for acme\/baton-(okta|github), acme\/baton-(okta|github) \(401 Bad credentials\): it may be expired or revoked; pass a current GitHub App installation token or fine-grained token\.$/,
    );
    expect(error).toContain('acme/baton-okta');
    expect(error).toContain('acme/baton-github');
  });

  it('does not rotate when ConductorOne refuses the client secret (signed with another key)', async (context) => {
    const scenario = await scenarioFor(context);
    const otherKey = await makeClientCredential(scenario.conductorOne.host, 'spc');

    const result = await scenario.run({ 'client-secret': otherKey.clientSecret });

    expect(result.code).toBe(1);
    expect(requestLog(scenario.conductorOne)).toEqual([`POST ${TOKEN_PATH} 401`]);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error).toContain(`client-id ${scenario.clientId}`);
    expect(error).toMatch(/nothing was rotated/i);
    expect(error.includes(otherKey.clientSecret), 'the annotation quotes the client secret').toBe(false);
    expect(result.outputs.rotated).toBe('false');
    expect(result.summary).toMatch(/not rotated/i);
  });

  it('does not rotate when ConductorOne does not know the client ID', async (context) => {
    const scenario = await scenarioFor(context);
    const unknown = await makeClientCredential(scenario.conductorOne.host, 'spc');

    const result = await scenario.run({ 'client-id': unknown.clientId, 'client-secret': unknown.clientSecret });

    expect(result.code).toBe(1);
    expect(requestLog(scenario.conductorOne)).toEqual([`POST ${TOKEN_PATH} 401`]);
    expect(scenario.conductorOne.issued).toEqual([]);
    const error = onlyError(result);
    expect(error).toContain(unknown.clientId);
    expect(error.includes(unknown.clientSecret), 'the annotation quotes the client secret').toBe(false);
    expect(result.summary.includes(unknown.clientSecret), 'the summary quotes the client secret').toBe(false);
    expect(result.outputs.rotated).toBe('false');
  });
});
