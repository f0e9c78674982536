// The fakes must be at least as strict as the real services, or the end-to-end tests prove nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as core from '@actions/core';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import sodium from 'libsodium-wrappers';
import { EnvHttpProxyAgent, ProxyAgent, fetch as undiciFetch } from 'undici';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  CLIENT_ASSERTION_TYPE,
  type FakeConductorOne,
  JWT_TOKEN_TYPE,
  makeClientCredential,
  makeTrustClientId,
  parseClientSecret,
  requestClientToken,
  requestExchangeToken,
  signClientAssertion,
  startFakeConductorOne,
  TOKEN_EXCHANGE_GRANT,
} from './conductorone.js';
import { envScope, type FakeGitHub, orgScope, repoScope, startFakeGitHub } from './github.js';
import { DEFAULT_OIDC_AUDIENCE, type FakeOidc, GITHUB_OIDC_ISSUER, startFakeOidc } from './oidc.js';
import { type FakeProxy, startFakeProxy } from './proxy.js';
import { findLeaks, parseOutputFile, REPO_ROOT, runAction } from './run-action.js';
import { startScenario } from './scenario.js';

const APP_ID = 'app-123';
const CONNECTOR_ID = 'conn-456';
const GH_TOKEN = 'ghp_faketoken';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function conductorOne(extra: { legacyRotateShape?: boolean } = {}): Promise<FakeConductorOne> {
  const fake = await startFakeConductorOne({ appId: APP_ID, connectorId: CONNECTOR_ID, ...extra });
  closers.push(fake.close);
  return fake;
}

async function tokenRequest(fake: FakeConductorOne, fields: Record<string, string>): Promise<Response> {
  return fetch(`${fake.url}/auth/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
}

/** A registered client credential and a token for it. */
async function authenticated(fake: FakeConductorOne) {
  const credential = await makeClientCredential(fake.host);
  fake.registerClient(credential.clientId, credential.publicJwk);
  const { status, body } = await requestClientToken(fake, credential.clientId, credential.clientSecret);
  expect(status).toBe(200);
  return { ...credential, token: (body as { access_token: string }).access_token };
}

function postJson(url: string, body: unknown, token?: string, method = 'POST'): Promise<Response> {
  return fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe('fake ConductorOne', () => {
  it('builds client IDs and secrets in the documented format', async () => {
    const { clientId, clientSecret, publicJwk } = await makeClientCredential('acme.conductor.one');
    expect(clientId).toMatch(/^[a-z]+-[a-z]+-\d+@acme\.conductor\.one\/pcc$/);
    expect(clientSecret).toMatch(/^secret-token:conductorone\.com:v1:[A-Za-z0-9_-]+$/);
    const jwk = parseClientSecret(clientSecret);
    expect(Object.keys(jwk)).toEqual(['kty', 'crv', 'x', 'd']);
    expect(jwk.x).toBe(publicJwk.x);
  });

  it('issues a token for a correctly signed assertion', async () => {
    const fake = await conductorOne();
    const { token } = await authenticated(fake);
    expect(fake.tokensIssued).toEqual([token]);
    expect(fake.requests).toEqual([{ method: 'POST', path: '/auth/v1/token', status: 200 }]);
  });

  it('refuses an assertion signed with another key, for another audience, or expired', async () => {
    const fake = await conductorOne();
    const client = await makeClientCredential(fake.host);
    fake.registerClient(client.clientId, client.publicJwk);
    const other = await makeClientCredential(fake.host);
    const now = Math.floor(Date.now() / 1000);
    const assertions = {
      wrongKey: await signClientAssertion(client.clientId, other.clientSecret, { audience: [fake.host] }),
      wrongAudience: await signClientAssertion(client.clientId, client.clientSecret, {
        audience: ['acme.conductor.one'],
      }),
      expired: await signClientAssertion(client.clientId, client.clientSecret, {
        audience: [fake.host],
        iat: now - 600,
        exp: now - 480,
      }),
      tooLong: await signClientAssertion(client.clientId, client.clientSecret, {
        audience: [fake.host],
        exp: now + 600,
      }),
      wrongIssuer: await signClientAssertion(client.clientId, client.clientSecret, {
        audience: [fake.host],
        issuer: other.clientId,
      }),
    };
    for (const [name, assertion] of Object.entries(assertions)) {
      const response = await tokenRequest(fake, {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion,
      });
      expect(response.status, name).toBe(401);
      expect(await response.json()).toMatchObject({ code: 16, details: [] });
    }
    expect(fake.tokensIssued).toEqual([]);
  });

  it('refuses malformed token requests with 400 and unknown clients with 401', async () => {
    const fake = await conductorOne();
    const client = await makeClientCredential(fake.host);
    const assertion = await signClientAssertion(client.clientId, client.clientSecret, { audience: [fake.host] });
    const fields = {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    };
    expect((await tokenRequest(fake, fields)).status).toBe(401); // not registered
    const asJson = await postJson(`${fake.url}/auth/v1/token`, fields);
    expect(asJson.status).toBe(400);
    expect(await asJson.json()).toMatchObject({ code: 3 });
    const exchange = await tokenRequest(fake, { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange' });
    expect(exchange.status).toBe(400);
    expect((await tokenRequest(fake, { ...fields, client_assertion_type: 'jwt' })).status).toBe(400);
  });

  it('rotates only with a token, for its own app and connector, and the new secret authenticates', async () => {
    const fake = await conductorOne();
    const rotateUrl = `${fake.url}/api/v1/apps/connectors/credentials`;
    const body = { appId: APP_ID, connectorId: CONNECTOR_ID };
    expect((await postJson(rotateUrl, body)).status).toBe(401);
    expect((await postJson(rotateUrl, body, 'not-a-token')).status).toBe(401);

    const { token } = await authenticated(fake);
    expect((await postJson(rotateUrl, { appId: APP_ID, connectorId: 'other' }, token)).status).toBe(404);
    expect((await postJson(rotateUrl, { ...body, extra: 1 }, token)).status).toBe(400);

    const response = await postJson(rotateUrl, body, token);
    expect(response.status).toBe(200);
    const { credential } = (await response.json()) as { credential: Record<string, unknown> };
    expect(Object.keys(credential)).toEqual([
      'id',
      'appId',
      'connectorId',
      'clientId',
      'clientSecret',
      'displayName',
      'createdAt',
      'updatedAt',
      'expiresTime',
      'lastUsedAt',
      'deletedAt',
    ]);
    expect(credential.id).toMatch(/^[A-Za-z0-9]{27}$/);
    expect(credential.clientId).toMatch(/@127\.0\.0\.1\/ccc$/);
    expect(fake.issued).toHaveLength(1);
    const issued = fake.issued[0]!;
    expect(issued.clientSecret).toBe(credential.clientSecret);
    expect(Date.parse(issued.expiresTime) - Date.parse(issued.createdAt)).toBe(90 * 24 * 3600 * 1000);

    expect((await requestClientToken(fake, issued.clientId, issued.clientSecret)).status).toBe(200);
    expect(issued.lastUsedAt).not.toBeNull();
  });

  it('reads and revokes a credential; a revoked one is gone and cannot authenticate', async () => {
    const fake = await conductorOne();
    const { token } = await authenticated(fake);
    const previous = await fake.addCredential();
    const url = `${fake.url}/api/v1/apps/${APP_ID}/connectors/${CONNECTOR_ID}/credentials/${previous.id}`;
    const auth = { authorization: `Bearer ${token}` };

    const read = await fetch(url, { headers: auth });
    expect(read.status).toBe(200);
    const { credential } = (await read.json()) as { credential: Record<string, unknown> };
    expect(credential.id).toBe(previous.id);
    expect(credential).not.toHaveProperty('clientSecret');

    expect((await postJson(url, { reason: 'x' }, token)).status).toBe(400);
    expect(
      (await fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'revoke' })).status,
    ).toBe(400);
    expect(previous.revoked).toBe(false);
    const revoke = await postJson(url, {}, token);
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toEqual({});
    expect(previous.revoked).toBe(true);
    expect(previous.deletedAt).not.toBeNull();

    expect((await fetch(url, { headers: auth })).status).toBe(404);
    expect((await postJson(url, {}, token)).status).toBe(404);
    expect((await requestClientToken(fake, previous.clientId, previous.clientSecret)).status).toBe(401);
  });

  it("revokes a credential with no body at all, as ConductorOne's SDKs send it", async () => {
    const fake = await conductorOne();
    const { token } = await authenticated(fake);
    const previous = await fake.addCredential();
    const url = `${fake.url}/api/v1/apps/${APP_ID}/connectors/${CONNECTOR_ID}/credentials/${previous.id}`;
    const revoke = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(revoke.status).toBe(200);
    expect(revoke.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await revoke.json()).toEqual({});
    expect(previous.revoked).toBe(true);
    const entry = fake.requests.at(-1)!;
    expect(entry).toEqual({ method: 'POST', path: new URL(url).pathname, status: 200 });
    expect(fake.exchange(entry)!.requestBody.length).toBe(0);
    expect(fake.exchange(entry)!.requestHeaders['content-type']).toBeUndefined();
    // Not GitHub: no GitHub rate-limit headers.
    expect(revoke.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('serves the connector and answers unknown paths with a logged 404', async () => {
    const fake = await conductorOne();
    const { token } = await authenticated(fake);
    const connector = await fetch(`${fake.url}/api/v1/apps/${APP_ID}/connectors/${CONNECTOR_ID}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await connector.json()).toEqual({
      connectorView: { connector: { id: CONNECTOR_ID, appId: APP_ID, displayName: 'Fake connector' } },
    });
    const unknown = await fetch(`${fake.url}/api/v1/nothing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: 5, message: 'not found', details: [] });
    expect(fake.requests.at(-1)).toEqual({ method: 'GET', path: '/api/v1/nothing', status: 404 });
  });

  it('serves only the legacy rotate endpoint and shape when asked to', async () => {
    const fake = await conductorOne({ legacyRotateShape: true });
    const { token } = await authenticated(fake);
    const current = await postJson(
      `${fake.url}/api/v1/apps/connectors/credentials`,
      { appId: APP_ID, connectorId: CONNECTOR_ID },
      token,
    );
    expect(current.status).toBe(404);
    const legacy = await postJson(
      `${fake.url}/api/v1/apps/${APP_ID}/connectors/${CONNECTOR_ID}/credentials`,
      {},
      token,
    );
    expect(legacy.status).toBe(200);
    const body = (await legacy.json()) as { credential: Record<string, unknown>; clientSecret: string };
    expect(body.credential).not.toHaveProperty('clientSecret');
    expect(body.clientSecret).toBe(fake.issued[0]!.clientSecret);
  });

  it('serves an injected fault once, then handles requests normally again', async () => {
    const fake = await conductorOne();
    fake.inject({
      path: '/auth/v1/token',
      status: 503,
      headers: { 'retry-after': '1' },
      body: { code: 14, message: 'unavailable' },
    });
    const client = await makeClientCredential(fake.host);
    fake.registerClient(client.clientId, client.publicJwk);

    const first = await requestClientToken(fake, client.clientId, client.clientSecret);
    expect(first).toEqual({ status: 503, body: { code: 14, message: 'unavailable' } });
    const second = await requestClientToken(fake, client.clientId, client.clientSecret);
    expect(second.status).toBe(200);
    expect(fake.requests).toEqual([
      { method: 'POST', path: '/auth/v1/token', status: 503, fault: 'status 503' },
      { method: 'POST', path: '/auth/v1/token', status: 200 },
    ]);
  });

  it('injects network errors and delays', async () => {
    const fake = await conductorOne();
    fake.inject({ method: 'GET', path: /nothing/, destroy: true });
    fake.inject({ path: '/api/v1/nothing', delayMs: 20 });
    await expect(fetch(`${fake.url}/api/v1/nothing`)).rejects.toThrow();
    expect((await fetch(`${fake.url}/api/v1/nothing`)).status).toBe(404);
    expect(fake.requests.map((r) => [r.status, r.fault])).toEqual([
      [0, 'destroy'],
      [404, 'delay 20ms'],
    ]);
  });
});

describe('fake GitHub', () => {
  beforeAll(async () => {
    await sodium.ready;
  });

  async function github(extra: { pathPrefix?: string } = {}): Promise<FakeGitHub> {
    const fake = await startFakeGitHub({
      token: GH_TOKEN,
      repositories: { 'acme/app': 'write', 'acme/readonly': 'read' },
      environments: { 'acme/app': ['prod east'] },
      organizations: { acme: 'write' },
      ...extra,
    });
    closers.push(fake.close);
    return fake;
  }

  function gh(fake: FakeGitHub, method: string, route: string, body?: unknown, token = GH_TOKEN): Promise<Response> {
    return fetch(`${fake.url}${route}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        accept: 'application/vnd.github+json',
        ...(body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async function sealFor(fake: FakeGitHub, base: string, value: string) {
    const { key_id, key } = (await (await gh(fake, 'GET', `${base}/secrets/public-key`)).json()) as {
      key_id: string;
      key: string;
    };
    const sealed = sodium.crypto_box_seal(value, sodium.from_base64(key, sodium.base64_variants.ORIGINAL));
    return { key_id, sealed };
  }

  /** The body of a secret PUT: `value` sealed for the scope's current key. */
  async function secretBody(fake: FakeGitHub, base: string, value: string) {
    const { key_id, sealed } = await sealFor(fake, base, value);
    return { encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL), key_id };
  }

  it('stores a value sealed for its public key, 201 then 204, and open() returns it', async () => {
    const fake = await github();
    const { key_id, sealed } = await sealFor(fake, '/repos/acme/app/actions', 'new-secret\nline 2');
    const encrypted_value = sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
    const put = () => gh(fake, 'PUT', '/repos/acme/app/actions/secrets/c1_client_secret', { encrypted_value, key_id });
    const created = await put();
    expect(created.status).toBe(201);
    // OpenAPI: 201 "Response when creating a secret" is an empty object; 204 has no body.
    expect(created.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await created.json()).toEqual({});
    const updated = await put();
    expect(updated.status).toBe(204);
    expect(updated.headers.get('content-type')).toBeNull();
    expect(await updated.text()).toBe('');
    expect(await fake.open(repoScope('acme/app'), 'C1_CLIENT_SECRET')).toBe('new-secret\nline 2');
    expect(fake.secrets.get('repo:acme/app')?.get('C1_CLIENT_SECRET')?.key_id).toBe(key_id);
    await expect(fake.open(repoScope('acme/app'), 'MISSING')).rejects.toThrow(/no secret/);
  });

  it('answers 204 for a preset secret', async () => {
    const fake = await github();
    fake.presetSecret(repoScope('acme/app'), 'C1_CLIENT_ID');
    const { key_id, sealed } = await sealFor(fake, '/repos/acme/app/actions', 'id');
    const encrypted_value = sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
    expect(
      (await gh(fake, 'PUT', '/repos/acme/app/actions/secrets/C1_CLIENT_ID', { encrypted_value, key_id })).status,
    ).toBe(204);
  });

  it('refuses URL-safe base64, a stale key_id, garbage, bad names and extra fields with 422', async () => {
    const fake = await github();
    const base = '/repos/acme/app/actions';
    let found: { key_id: string; sealed: Uint8Array } | undefined;
    // Retry until the sealed box has a byte that encodes differently in the URL-safe alphabet.
    for (let i = 0; i < 50 && !found; i++) {
      const attempt = await sealFor(fake, base, `value-${i}`);
      if (/[-_]/.test(sodium.to_base64(attempt.sealed, sodium.base64_variants.URLSAFE))) found = attempt;
    }
    const { key_id, sealed } = found!;
    const standard = sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
    const cases: Record<string, [string, unknown]> = {
      urlSafe: ['S', { encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.URLSAFE), key_id }],
      unpadded: [
        'S',
        { encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL_NO_PADDING), key_id },
      ],
      staleKeyId: ['S', { encrypted_value: standard, key_id: '123' }],
      notSealed: ['S', { encrypted_value: Buffer.from('plain text').toString('base64'), key_id }],
      extraField: ['S', { encrypted_value: standard, key_id, visibility: 'all' }],
      noKeyId: ['S', { encrypted_value: standard }],
      noValue: ['S', { key_id }],
      empty: ['S', {}],
      digitName: ['1ABC', { encrypted_value: standard, key_id }],
      githubName: ['GITHUB_TOKEN', { encrypted_value: standard, key_id }],
      dashName: ['C1-SECRET', { encrypted_value: standard, key_id }],
    };
    for (const [name, [secretName, body]] of Object.entries(cases)) {
      const response = await gh(fake, 'PUT', `${base}/secrets/${secretName}`, body);
      expect(response.status, name).toBe(422);
      expect(await response.json()).toMatchObject({ documentation_url: 'https://docs.github.com/rest', status: '422' });
    }
    expect(fake.secrets.get(repoScope('acme/app'))?.size).toBe(0);

    fake.rotatePublicKey(repoScope('acme/app'));
    expect((await gh(fake, 'PUT', `${base}/secrets/S`, { encrypted_value: standard, key_id })).status).toBe(422);
  });

  it('lets a read-only repository read its key but not write (403); hides unknown repositories (404)', async () => {
    const fake = await github();
    const { key_id, sealed } = await sealFor(fake, '/repos/acme/readonly/actions', 'v');
    const encrypted_value = sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
    const put = await gh(fake, 'PUT', '/repos/acme/readonly/actions/secrets/S', { encrypted_value, key_id });
    expect(put.status).toBe(403);
    expect(await put.json()).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest',
      status: '403',
    });
    expect((await gh(fake, 'GET', '/repos/acme/other/actions/secrets/public-key')).status).toBe(404);
    expect((await gh(fake, 'GET', '/repos/acme/app/actions/nothing')).status).toBe(404);
    const badAuth = await gh(fake, 'GET', '/repos/acme/app/actions/secrets/public-key', undefined, 'wrong');
    expect(badAuth.status).toBe(401);
    expect(await badAuth.json()).toMatchObject({ message: 'Bad credentials', status: '401' });
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /repos/acme/readonly/actions/secrets/public-key 200',
      'PUT /repos/acme/readonly/actions/secrets/S 403',
      'GET /repos/acme/other/actions/secrets/public-key 404',
      'GET /repos/acme/app/actions/nothing 404',
      'GET /repos/acme/app/actions/secrets/public-key 401',
    ]);
  });

  it('serves environment secrets under the URL-encoded environment name', async () => {
    const fake = await github();
    const base = `/repos/acme/app/environments/${encodeURIComponent('prod east')}`;
    const { key_id, sealed } = await sealFor(fake, base, 'env value');
    const encrypted_value = sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
    const created = await gh(fake, 'PUT', `${base}/secrets/S`, { encrypted_value, key_id });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({});
    expect(await fake.open(envScope('acme/app', 'prod east'), 'S')).toBe('env value');
    expect((await gh(fake, 'GET', '/repos/acme/app/environments/staging/secrets/public-key')).status).toBe(404);
  });

  it('requires visibility for organization secrets and reports it back', async () => {
    const fake = await github();
    const base = '/orgs/acme/actions';
    const { key_id, sealed } = await sealFor(fake, base, 'org value');
    const encrypted_value = sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
    const id = fake.repositoryId('acme/app');
    expect((await gh(fake, 'PUT', `${base}/secrets/S`, { encrypted_value, key_id })).status).toBe(422);
    expect(
      (
        await gh(fake, 'PUT', `${base}/secrets/S`, {
          encrypted_value,
          key_id,
          visibility: 'all',
          selected_repository_ids: [id],
        })
      ).status,
    ).toBe(422);
    const created = await gh(fake, 'PUT', `${base}/secrets/S`, {
      encrypted_value,
      key_id,
      visibility: 'selected',
      selected_repository_ids: [id],
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({});
    const meta = (await (await gh(fake, 'GET', `${base}/secrets/S`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({ name: 'S', visibility: 'selected' });
    expect(meta.selected_repositories_url).toBe(`${fake.url}/orgs/acme/actions/secrets/S/repositories`);
    const repos = (await (await gh(fake, 'GET', `${base}/secrets/S/repositories`)).json()) as {
      total_count: number;
      repositories: Array<Record<string, unknown>>;
    };
    expect(repos.total_count).toBe(1);
    expect(repos.repositories).toHaveLength(1);
    expect(repos.repositories[0]).toMatchObject({ id, name: 'app', full_name: 'acme/app' });
    expect(await fake.open(orgScope('acme'), 'S')).toBe('org value');
  });

  it('lists the selected repositories of an organization secret as minimal repositories', async () => {
    const fake = await github();
    const app = fake.repositoryId('acme/app');
    const readonly = fake.repositoryId('acme/readonly');
    fake.presetSecret(orgScope('acme'), 'S', {
      visibility: 'selected',
      selected_repository_ids: [app, readonly, 4242],
    });
    const response = await gh(fake, 'GET', '/orgs/acme/actions/secrets/S/repositories');
    expect(response.status).toBe(200);
    const { total_count, repositories } = (await response.json()) as {
      total_count: number;
      repositories: Array<Record<string, unknown>>;
    };
    expect(total_count).toBe(3);
    expect(repositories.map((r) => r.full_name)).toEqual(['acme/app', 'acme/readonly', 'unknown/repo-4242']);
    const [first] = repositories;
    expect(first).toMatchObject({
      id: app,
      node_id: Buffer.from(`010:Repository${app}`).toString('base64'),
      name: 'app',
      private: true,
      fork: false,
      description: null,
      url: `${fake.url}/repos/acme/app`,
      html_url: `${fake.url}/acme/app`,
      issues_url: `${fake.url}/repos/acme/app/issues{/number}`,
      owner: { login: 'acme', type: 'Organization', url: `${fake.url}/users/acme`, site_admin: false },
    });
    // minimal-repository: the 46 fields its schema requires, and none of full-repository's extras.
    expect(Object.keys(first!)).toHaveLength(46);
    expect(first).not.toHaveProperty('default_branch');
    expect((repositories[2]!.owner as { login: string }).login).toBe('unknown');
    expect((await gh(fake, 'GET', '/orgs/acme/actions/secrets/NONE/repositories')).status).toBe(404);
    expect((await gh(fake, 'GET', '/repos/acme/app/actions/secrets/S/repositories')).status).toBe(404);
  });

  it('changes only the visibility of an existing organization secret when the PUT carries no value', async () => {
    const fake = await github();
    const base = '/orgs/acme/actions';
    const app = fake.repositoryId('acme/app');
    fake.presetSecret(orgScope('acme'), 'S', { value: 'kept value', visibility: 'all' });
    const before = fake.secrets.get(orgScope('acme'))!.get('S')!;

    const selected = await gh(fake, 'PUT', `${base}/secrets/S`, {
      visibility: 'selected',
      selected_repository_ids: [app],
    });
    expect(selected.status).toBe(204);
    expect(await selected.text()).toBe('');
    expect(await fake.open(orgScope('acme'), 'S')).toBe('kept value');
    const after = fake.secrets.get(orgScope('acme'))!.get('S')!;
    expect(after).toMatchObject({
      encrypted_value: before.encrypted_value,
      key_id: before.key_id,
      visibility: 'selected',
      selected_repository_ids: [app],
    });

    expect((await gh(fake, 'PUT', `${base}/secrets/S`, { visibility: 'private' })).status).toBe(204);
    expect(fake.secrets.get(orgScope('acme'))!.get('S')).not.toHaveProperty('selected_repository_ids');
    expect(fake.secrets.get(orgScope('acme'))!.get('S')).toMatchObject({ visibility: 'private' });
    expect(await fake.open(orgScope('acme'), 'S')).toBe('kept value');

    // A secret that does not exist cannot be created without a value; half a value is refused too.
    const { encrypted_value, key_id } = await secretBody(fake, base, 'new value');
    const refusals: Record<string, [string, unknown]> = {
      missingSecret: ['NEW', { visibility: 'all' }],
      missingSecretSelected: ['NEW', { visibility: 'selected', selected_repository_ids: [app] }],
      valueWithoutKeyId: ['S', { encrypted_value, visibility: 'all' }],
      keyIdWithoutValue: ['S', { key_id, visibility: 'all' }],
      noVisibility: ['S', {}],
    };
    for (const [name, [secretName, body]] of Object.entries(refusals)) {
      const response = await gh(fake, 'PUT', `${base}/secrets/${secretName}`, body);
      expect(response.status, name).toBe(422);
      expect(await response.json(), name).toMatchObject({
        documentation_url: 'https://docs.github.com/rest',
        status: '422',
      });
    }
    expect(fake.secrets.get(orgScope('acme'))!.has('NEW')).toBe(false);
    expect(fake.secrets.get(orgScope('acme'))!.get('S')).toMatchObject({ visibility: 'private' });
    expect(await fake.open(orgScope('acme'), 'S')).toBe('kept value');
    // Repository secrets always need the value.
    expect((await gh(fake, 'PUT', '/repos/acme/app/actions/secrets/S', {})).status).toBe(422);
  });

  it('takes selected_repository_ids as integers or digit strings in an organization secret PUT, stored as numbers', async () => {
    const fake = await github();
    const base = '/orgs/acme/actions';
    const app = fake.repositoryId('acme/app');
    const readonly = fake.repositoryId('acme/readonly');
    const body = await secretBody(fake, base, 'v');
    const put = (ids: unknown) =>
      gh(fake, 'PUT', `${base}/secrets/S`, { ...body, visibility: 'selected', selected_repository_ids: ids });
    expect((await put([String(app), readonly])).status).toBe(201);
    expect(fake.secrets.get(orgScope('acme'))!.get('S')!.selected_repository_ids).toEqual([app, readonly]);
    const listed = (await (await gh(fake, 'GET', `${base}/secrets/S/repositories`)).json()) as {
      repositories: Array<{ id: number }>;
    };
    expect(listed.repositories.map((r) => r.id)).toEqual([app, readonly]);

    for (const ids of [
      ['abc'],
      ['12a'],
      [''],
      [' 1'],
      ['-1'],
      ['1.5'],
      [1.5],
      [null],
      [true],
      String(app),
      app,
      {},
      ['99999999999999999999'],
    ]) {
      const response = await put(ids);
      expect(response.status, JSON.stringify(ids)).toBe(422);
    }
    expect(fake.secrets.get(orgScope('acme'))!.get('S')!.selected_repository_ids).toEqual([app, readonly]);
  });

  it('takes only integer selected_repository_ids for organization variables, as their OpenAPI schema says', async () => {
    const fake = await github();
    const base = '/orgs/acme/actions/variables';
    const app = fake.repositoryId('acme/app');
    const asString = await gh(fake, 'POST', base, {
      name: 'V',
      value: '1',
      visibility: 'selected',
      selected_repository_ids: [String(app)],
    });
    expect(asString.status).toBe(422);
    expect(fake.variables.get(orgScope('acme'))!.has('V')).toBe(false);
    const created = await gh(fake, 'POST', base, {
      name: 'V',
      value: '1',
      visibility: 'selected',
      selected_repository_ids: [app],
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({});
    expect(fake.variables.get(orgScope('acme'))!.get('V')).toMatchObject({
      visibility: 'selected',
      selected_repository_ids: [app],
    });
    expect(
      (await gh(fake, 'PATCH', `${base}/V`, { visibility: 'selected', selected_repository_ids: [String(app)] })).status,
    ).toBe(422);
    expect(
      (await gh(fake, 'PATCH', `${base}/V`, { visibility: 'selected', selected_repository_ids: [app, 1001] })).status,
    ).toBe(204);
    expect(fake.variables.get(orgScope('acme'))!.get('V')!.selected_repository_ids).toEqual([app, 1001]);
  });

  it('serves a full repository object for GET /repos/{owner}/{repo}, named as configured', async () => {
    const fake = await github();
    const response = await gh(fake, 'GET', '/repos/ACME/App');
    expect(response.status).toBe(200);
    const repository = (await response.json()) as Record<string, unknown>;
    const id = fake.repositoryId('acme/app');
    const origin = new URL(fake.url).origin;
    const host = new URL(fake.url).host;
    expect(repository).toMatchObject({
      id,
      name: 'app',
      full_name: 'acme/app',
      private: true,
      visibility: 'private',
      default_branch: 'main',
      url: `${fake.url}/repos/acme/app`,
      html_url: `${origin}/acme/app`,
      clone_url: `${origin}/acme/app.git`,
      git_url: `git://${host}/acme/app.git`,
      ssh_url: `git@${host}:acme/app.git`,
      owner: { login: 'acme', id: expect.any(Number), type: 'Organization' },
      organization: { login: 'acme', type: 'Organization' },
      permissions: { admin: false, push: true, pull: true },
      license: null,
      mirror_url: null,
    });
    expect(repository.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // full-repository requires 75 fields; the fake sends them and a few optional ones GitHub sends too.
    expect(Object.keys(repository).length).toBeGreaterThanOrEqual(75);
    const readonly = (await (await gh(fake, 'GET', '/repos/acme/readonly')).json()) as {
      id: number;
      permissions: { push: boolean };
    };
    expect(readonly.id).toBe(fake.repositoryId('acme/readonly'));
    expect(readonly.permissions.push).toBe(false);
    expect((await gh(fake, 'GET', '/repos/acme/other')).status).toBe(404);
    expect((await gh(fake, 'GET', '/repos/acme/app', undefined, 'wrong')).status).toBe(401);
  });

  it("lists the installation's repositories for GET /installation/repositories, in pages with GitHub's Link header", async () => {
    const fake = await github();
    const first = await gh(fake, 'GET', '/installation/repositories?per_page=1');
    expect(first.status).toBe(200);
    const page = (await first.json()) as { total_count: number; repository_selection: string; repositories: unknown[] };
    expect(page).toMatchObject({ total_count: 2, repository_selection: 'selected' });
    expect(page.repositories).toEqual([
      expect.objectContaining({ id: fake.repositoryId('acme/app'), archived: false }),
    ]);
    // A listed repository is a `repository`: a full one less what only GET /repos/{owner}/{repo} carries.
    expect(page.repositories[0]).not.toHaveProperty('subscribers_count');
    const list = `${fake.url}/installation/repositories`;
    expect(first.headers.get('link')).toBe(
      `<${list}?per_page=1&page=2>; rel="next", <${list}?per_page=1&page=2>; rel="last"`,
    );
    const second = await gh(fake, 'GET', '/installation/repositories?per_page=1&page=2');
    const names = ((await second.json()) as { repositories: Array<{ full_name: string }> }).repositories;
    expect(names.map((r) => r.full_name)).toEqual(['acme/readonly']);
    expect(second.headers.get('link')).toBe(
      `<${list}?per_page=1&page=1>; rel="prev", <${list}?per_page=1&page=1>; rel="first"`,
    );
    const all = await gh(fake, 'GET', '/installation/repositories');
    expect(all.headers.get('link')).toBeNull();
    expect(((await all.json()) as { repositories: unknown[] }).repositories).toHaveLength(2);
    expect((await gh(fake, 'GET', '/installation/repositories', undefined, 'wrong')).status).toBe(401);
  });

  it("puts GitHub's rate-limit headers on every answer, errors and faults included; a fault's own header wins", async () => {
    const fake = await github();
    fake.inject({ path: '/repos/acme/app/actions/secrets/public-key', status: 503 });
    fake.inject({
      path: '/repos/acme/app/actions/secrets/public-key',
      status: 403,
      headers: { 'X-RateLimit-Remaining': '0', 'retry-after': '1' },
    });
    const before = Math.floor(Date.now() / 1000);
    const responses = [
      await gh(fake, 'GET', '/repos/acme/app/actions/secrets/public-key'), // fault 503
      await gh(fake, 'GET', '/repos/acme/app/actions/secrets/public-key'), // fault 403 with its own remaining
      await gh(fake, 'GET', '/repos/acme/app/actions/secrets/public-key'), // 200
      await gh(fake, 'GET', '/repos/acme/other/actions/secrets/public-key'), // 404
      await gh(fake, 'GET', '/repos/acme/app/actions/secrets/public-key', undefined, 'wrong'), // 401
      await gh(fake, 'PUT', '/repos/acme/app/actions/secrets/S', {}), // 422
    ];
    expect(responses.map((r) => r.status)).toEqual([503, 403, 200, 404, 401, 422]);
    const header = (name: string) => responses.map((r) => r.headers.get(name));
    expect(header('x-ratelimit-limit')).toEqual(Array(6).fill('5000'));
    expect(header('x-ratelimit-resource')).toEqual(Array(6).fill('core'));
    expect(header('x-ratelimit-used')).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(header('x-ratelimit-remaining')).toEqual(['4999', '0', '4997', '4996', '4995', '4994']);
    expect(responses[1]!.headers.get('retry-after')).toBe('1');
    const resets = header('x-ratelimit-reset').map(Number);
    expect(new Set(resets).size).toBe(1);
    expect(resets[0]).toBeGreaterThanOrEqual(before + 3600);
    expect(resets[0]).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);
  });

  it('counts the remaining requests down to 0, never below', async () => {
    const fake = await startFakeGitHub({ token: GH_TOKEN, repositories: { 'acme/app': 'write' }, rateLimit: 2 });
    closers.push(fake.close);
    const remaining: Array<string | null> = [];
    const used: Array<string | null> = [];
    for (let i = 0; i < 4; i++) {
      const response = await gh(fake, 'GET', '/repos/acme/app/actions/secrets/public-key');
      expect(response.status).toBe(200);
      remaining.push(response.headers.get('x-ratelimit-remaining'));
      used.push(response.headers.get('x-ratelimit-used'));
    }
    expect(remaining).toEqual(['1', '0', '0', '0']);
    expect(used).toEqual(['1', '2', '2', '2']);
  });

  it('creates, reads and updates Actions variables', async () => {
    const fake = await github();
    const base = '/repos/acme/app/actions/variables';
    expect((await gh(fake, 'GET', `${base}/C1_CREDENTIAL_ID`)).status).toBe(404);
    expect((await gh(fake, 'POST', base, { name: 'C1_CREDENTIAL_ID', value: 'one' })).status).toBe(201);
    expect((await gh(fake, 'POST', base, { name: 'C1_CREDENTIAL_ID', value: 'one' })).status).toBe(409);
    expect((await gh(fake, 'PATCH', `${base}/C1_CREDENTIAL_ID`, { value: 'two' })).status).toBe(204);
    expect(await (await gh(fake, 'GET', `${base}/C1_CREDENTIAL_ID`)).json()).toMatchObject({
      name: 'C1_CREDENTIAL_ID',
      value: 'two',
    });
    expect((await gh(fake, 'POST', '/repos/acme/readonly/actions/variables', { name: 'X', value: '1' })).status).toBe(
      403,
    );
  });

  it('serves GitHub Enterprise Server paths under /api/v3 only', async () => {
    const fake = await github({ pathPrefix: '/api/v3' });
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
    fake.inject({ path: '/repos/acme/app/actions/secrets/public-key', status: 502 });
    expect((await gh(fake, 'GET', '/repos/acme/app/actions/secrets/public-key')).status).toBe(502);
    expect((await gh(fake, 'GET', '/repos/acme/app/actions/secrets/public-key')).status).toBe(200);
    const origin = fake.url.replace(/\/api\/v3$/, '');
    const unprefixed = await fetch(`${origin}/repos/acme/app/actions/secrets/public-key`, {
      headers: { authorization: `Bearer ${GH_TOKEN}` },
    });
    expect(unprefixed.status).toBe(404);
  });
});

describe('runAction', () => {
  it('runs a script like the runner and parses heredoc and plain outputs and the summary', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fake-action-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const coreUrl = pathToFileURL(path.join(REPO_ROOT, 'node_modules/@actions/core/lib/core.js')).href;
    const script = path.join(dir, 'action.mjs');
    await writeFile(
      script,
      `import * as core from ${JSON.stringify(coreUrl)};
import { appendFileSync } from 'node:fs';
const secret = core.getInput('client-secret', { required: true });
core.setSecret(secret);
core.setOutput('multi', 'line one\\nline two');
core.setOutput('env-keys', Object.keys(process.env).sort().join(','));
appendFileSync(process.env.GITHUB_OUTPUT, 'plain=a=b<<c\\n');
await core.summary.addHeading('Rotated').write();
console.log('done');
`,
    );
    const result = await runAction({
      entry: script,
      inputs: { 'client-secret': 'sekret-value', 'app id': 'x' },
      env: { EXTRA: '1' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.outputs.multi).toBe('line one\nline two');
    expect(result.outputs.plain).toBe('a=b<<c');
    expect(result.outputs['env-keys']!.split(',')).toEqual([
      'EXTRA',
      'GITHUB_ACTIONS',
      'GITHUB_OUTPUT',
      'GITHUB_STEP_SUMMARY',
      'HOME',
      'INPUT_APP_ID',
      'INPUT_CLIENT-SECRET',
      'PATH',
      'RUNNER_TEMP',
    ]);
    expect(result.summary).toContain('<h1>Rotated</h1>');
    expect(result.stdout).toContain('::add-mask::sekret-value');
    expect(findLeaks(['sekret-value', ''], { stdout: result.stdout, stderr: result.stderr })).toEqual([]);
    expect(findLeaks(['done'], { stdout: result.stdout })).toEqual(['secret #0 (4 chars) appears in stdout']);
  });

  it('reports a failing exit code', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fake-action-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const script = path.join(dir, 'fail.mjs');
    await writeFile(script, `process.stdout.write('::error::boom\\n'); process.exitCode = 1;\n`);
    const result = await runAction({ entry: script, inputs: {} });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('::error::boom\n');
  });

  it('refuses an unterminated heredoc', () => {
    expect(() => parseOutputFile('a<<EOF\nvalue\n')).toThrow(/never closed/);
    expect(parseOutputFile('a<<EOF\r\nx\r\nEOF\r\nb=2\n')).toEqual({ a: 'x', b: '2' });
  });
});

describe('fake servers', () => {
  it('close promptly with a request parked in a delay, and tolerate a second close', async () => {
    const fake = await startFakeConductorOne({ appId: APP_ID, connectorId: CONNECTOR_ID });
    fake.inject({ path: '/api/v1/nothing', delayMs: 10_000 });
    const pending = fetch(`${fake.url}/api/v1/nothing`).catch((error: unknown) => error);
    await expect.poll(() => fake.requests.length).toBe(1);
    await fake.close();
    await fake.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('time each request: arrival, then an answer at least the latency later; the log entries keep their shape', async () => {
    const latencyMs = 20;
    const c1 = await startFakeConductorOne({ appId: APP_ID, connectorId: CONNECTOR_ID, latencyMs });
    closers.push(c1.close);
    const github = await startFakeGitHub({ token: GH_TOKEN, repositories: { 'acme/app': 'write' }, latencyMs });
    closers.push(github.close);
    const sent = performance.now();
    const responses = await Promise.all([
      fetch(`${c1.url}/api/v1/nothing`),
      fetch(`${github.url}/repos/acme/app/actions/secrets/public-key`, {
        headers: { authorization: `token ${GH_TOKEN}` },
      }),
    ]);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    const received = performance.now();
    for (const fake of [c1, github]) {
      const entry = fake.requests[0]!;
      expect(Object.keys(entry)).toEqual(['method', 'path', 'status']);
      const timing = fake.timing(entry)!;
      expect(timing.arrivedAt).toBeGreaterThanOrEqual(sent);
      expect(timing.answeredAt!).toBeGreaterThan(timing.arrivedAt);
      expect(timing.answeredAt! - timing.arrivedAt).toBeGreaterThanOrEqual(latencyMs);
      expect(timing.answeredAt!).toBeLessThanOrEqual(received);
      expect(fake.timing({ ...entry })).toBeUndefined();
    }
    expect(c1.requests).toEqual([{ method: 'GET', path: '/api/v1/nothing', status: 404 }]);
  });

  it("keep each request's body and the answer as written, outside the log entries", async () => {
    const github = await startFakeGitHub({ token: GH_TOKEN, repositories: { 'acme/app': 'write' } });
    closers.push(github.close);
    github.inject({ path: '/repos/acme/app/actions/variables', status: 502, body: 'bad gateway' });
    const post = (body: string) =>
      fetch(`${github.url}/repos/acme/app/actions/variables`, {
        method: 'POST',
        headers: { authorization: `token ${GH_TOKEN}`, 'content-type': 'application/json' },
        body,
      });
    expect((await post('{"name":"V","value":"1"}')).status).toBe(502);
    expect((await post('{"name":"V","value":"1"}')).status).toBe(201);
    const [faulted, created] = github.requests;
    expect(github.requests).toEqual([
      { method: 'POST', path: '/repos/acme/app/actions/variables', status: 502, fault: 'status 502' },
      { method: 'POST', path: '/repos/acme/app/actions/variables', status: 201 },
    ]);
    expect(github.exchange(faulted!)).toMatchObject({
      requestBody: Buffer.from('{"name":"V","value":"1"}'),
      response: {
        status: 502,
        body: 'bad gateway',
        headers: { 'content-type': 'text/plain; charset=utf-8', 'x-ratelimit-used': '1' },
      },
    });
    const exchange = github.exchange(created!)!;
    expect(exchange.requestHeaders['content-type']).toBe('application/json');
    expect(exchange.requestBody.toString()).toBe('{"name":"V","value":"1"}');
    expect(exchange.response).toEqual({
      status: 201,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': '2',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4998',
        'x-ratelimit-used': '2',
        'x-ratelimit-reset': expect.stringMatching(/^\d+$/),
        'x-ratelimit-resource': 'core',
      },
      body: '{}',
    });
    expect(github.exchange({ ...created! })).toBeUndefined();
  });
});

async function fakeOidc(): Promise<FakeOidc> {
  const fake = await startFakeOidc();
  closers.push(fake.close);
  return fake;
}

/** GETs an ID token the way @actions/core does: requestUrl + '&audience=...' with the request token as bearer. */
function idTokenRequest(oidc: FakeOidc, audience?: string, bearer = oidc.requestToken): Promise<Response> {
  const url = audience === undefined ? oidc.requestUrl : `${oidc.requestUrl}&audience=${encodeURIComponent(audience)}`;
  return fetch(url, { headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' } });
}

describe('fake GitHub OIDC', () => {
  it('hands out RS256 tokens for the requested audience, only to the request token', async () => {
    const oidc = await fakeOidc();
    expect(oidc.requestUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/token\?api-version=2\.0$/);
    expect(oidc.issuer).toBe('https://token.actions.githubusercontent.com');

    const response = await idTokenRequest(oidc, '127.0.0.1');
    expect(response.status).toBe(200);
    const { value } = (await response.json()) as { value: string };
    expect(decodeProtectedHeader(value)).toEqual({ alg: 'RS256', typ: 'JWT', kid: oidc.publicJwk.kid });
    const claims = decodeJwt(value);
    expect(claims).toMatchObject({
      iss: GITHUB_OIDC_ISSUER,
      aud: '127.0.0.1',
      sub: 'repo:acme/connectors:ref:refs/heads/main',
      repository: 'acme/connectors',
    });
    expect(claims.exp! - claims.iat!).toBe(300);

    const unnamed = await idTokenRequest(oidc);
    expect(decodeJwt(((await unnamed.json()) as { value: string }).value).aud).toBe(DEFAULT_OIDC_AUDIENCE);

    expect((await idTokenRequest(oidc, '127.0.0.1', 'wrong')).status).toBe(401);
    expect((await fetch(`${oidc.requestUrl}&audience=x`)).status).toBe(401);
    expect(
      (
        await fetch(oidc.requestUrl.replace('?api-version=2.0', '?audience=x'), {
          headers: { authorization: `Bearer ${oidc.requestToken}` },
        })
      ).status,
    ).toBe(400);
    expect(oidc.audiences).toEqual(['127.0.0.1', DEFAULT_OIDC_AUDIENCE]);
    expect(oidc.issued).toEqual([value, expect.any(String)]);
    expect(oidc.requests.map((r) => [r.path, r.status])).toEqual([
      ['/token?api-version=2.0&audience=127.0.0.1', 200],
      ['/token?api-version=2.0', 200],
      ['/token?api-version=2.0&audience=127.0.0.1', 401],
      ['/token?api-version=2.0&audience=x', 401],
      ['/token?audience=x', 400],
    ]);
  });

  it('serves @actions/core getIDToken, which appends &audience= and masks the token', async () => {
    const oidc = await fakeOidc();
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', oidc.requestUrl);
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', oidc.requestToken);
    try {
      const token = await core.getIDToken('acme.conductor.one');
      expect(oidc.issued).toEqual([token]);
      expect(oidc.audiences).toEqual(['acme.conductor.one']);
      expect(oidc.requests[0]!.path).toBe('/token?api-version=2.0&audience=acme.conductor.one');
      expect(written.join('')).toContain(`::add-mask::${token}`);

      vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'not-the-token');
      await expect(core.getIDToken('acme.conductor.one')).rejects.toThrow(/Failed to get ID Token/);
      vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', '');
      await expect(core.getIDToken('acme.conductor.one')).rejects.toThrow(/ACTIONS_ID_TOKEN_REQUEST_URL/);
    } finally {
      vi.unstubAllEnvs();
      write.mockRestore();
    }
  });
});

describe('fake ConductorOne token exchange', () => {
  async function federated() {
    const fake = await conductorOne();
    const oidc = await fakeOidc();
    const trustId = makeTrustClientId(fake.host);
    fake.registerFederationTrust(trustId, { oidcPublicJwk: oidc.publicJwk, issuer: oidc.issuer, audience: fake.host });
    return { fake, oidc, trustId };
  }

  it('exchanges an OIDC token from the trusted issuer for a working access token', async () => {
    const { fake, oidc, trustId } = await federated();
    expect(trustId).toMatch(/^[a-z]+-[a-z]+-\d+@127\.0\.0\.1\/wfe$/);
    const jwt = ((await (await idTokenRequest(oidc, fake.host)).json()) as { value: string }).value;
    const { status, body } = await requestExchangeToken(fake, trustId, jwt);
    expect(status).toBe(200);
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      issued_token_type: ACCESS_TOKEN_TYPE,
    });
    const token = (body as { access_token: string }).access_token;
    expect(fake.tokensIssued).toEqual([token]);
    const connector = await fetch(`${fake.url}/api/v1/apps/${APP_ID}/connectors/${CONNECTOR_ID}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(connector.status).toBe(200);
  });

  it('refuses a wrong audience, issuer, key, lifetime, condition or trust with 401', async () => {
    const { fake, oidc, trustId } = await federated();
    const stranger = await fakeOidc();
    const picky = makeTrustClientId(fake.host);
    fake.registerFederationTrust(picky, {
      oidcPublicJwk: oidc.publicJwk,
      issuer: oidc.issuer,
      audience: fake.host,
      condition: (claims) => claims.repository === 'acme/other',
    });
    const pcc = await makeClientCredential(fake.host);
    fake.registerClient(pcc.clientId, pcc.publicJwk);
    const now = Math.floor(Date.now() / 1000);
    const good = await oidc.mintIdToken(fake.host);
    const cases: Array<[string, string, string]> = [
      ['wrong audience', trustId, await oidc.mintIdToken('acme.conductor.one')],
      ['audience with port', trustId, await oidc.mintIdToken(new URL(fake.url).host)],
      ['wrong issuer', trustId, await oidc.mintIdToken(fake.host, { issuer: 'https://evil.example' })],
      ['wrong key', trustId, await stranger.mintIdToken(fake.host)],
      ['expired', trustId, await oidc.mintIdToken(fake.host, { iat: now - 900, exp: now - 600 })],
      ['condition', picky, good],
      ['unknown trust', makeTrustClientId(fake.host), good],
      ['client-credentials client', pcc.clientId, good],
    ];
    for (const [name, clientId, jwt] of cases) {
      const { status, body } = await requestExchangeToken(fake, clientId, jwt);
      expect(status, name).toBe(401);
      expect(body, name).toMatchObject({ code: 16, message: expect.any(String) });
    }
    // A trust client ID cannot use the client-credentials grant either.
    const assertion = await signClientAssertion(trustId, pcc.clientSecret, { audience: [fake.host] });
    const cc = await tokenRequest(fake, {
      grant_type: 'client_credentials',
      client_id: trustId,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    expect(cc.status).toBe(401);
    expect(fake.tokensIssued).toEqual([]);
    expect((await requestExchangeToken(fake, trustId, good)).status).toBe(200);
  });

  it('refuses malformed exchanges with 400', async () => {
    const { fake, oidc, trustId } = await federated();
    const fields = {
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: await oidc.mintIdToken(fake.host),
      subject_token_type: JWT_TOKEN_TYPE,
      client_id: trustId,
    };
    const { client_id: _c, ...noClient } = fields;
    const { subject_token: _s, ...noSubject } = fields;
    const { subject_token_type: _t, ...noType } = fields;
    const cases: Record<string, Record<string, string>> = {
      noClient,
      noSubject,
      noType,
      idTokenType: { ...fields, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
      extraField: { ...fields, audience: fake.host },
      notAJwt: { ...fields, subject_token: 'not-a-jwt' },
    };
    for (const [name, body] of Object.entries(cases)) {
      const response = await tokenRequest(fake, body);
      expect(response.status, name).toBe(400);
      expect(await response.json(), name).toMatchObject({ code: 3 });
    }
    expect((await tokenRequest(fake, fields)).status).toBe(200);
  });

  it('checks trusts when registered, and mints ready access tokens', async () => {
    const fake = await conductorOne();
    const oidc = await fakeOidc();
    const trust = { oidcPublicJwk: oidc.publicJwk, issuer: oidc.issuer, audience: fake.host };
    expect(() => fake.registerFederationTrust(`x@${fake.host}/pcc`, trust)).toThrow(/wfe/);
    expect(() =>
      fake.registerFederationTrust(makeTrustClientId(fake.host), {
        ...trust,
        oidcPublicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'AA' },
      }),
    ).toThrow(/public JWK/);

    const token = fake.issueAccessToken();
    expect(fake.tokensIssued).toEqual([token]);
    const connector = await fetch(`${fake.url}/api/v1/apps/${APP_ID}/connectors/${CONNECTOR_ID}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(connector.status).toBe(200);
  });
});

describe('fake proxy', () => {
  async function fakeProxy(): Promise<FakeProxy> {
    const proxy = await startFakeProxy();
    closers.push(proxy.close);
    return proxy;
  }

  it('tunnels CONNECT to a loopback fake for undici ProxyAgent and EnvHttpProxyAgent (HTTP_PROXY)', async () => {
    const fake = await conductorOne();
    const proxy = await fakeProxy();
    const authority = new URL(fake.url).host;

    const agent = new ProxyAgent(proxy.url);
    closers.push(() => agent.close());
    const response = await undiciFetch(`${fake.url}/api/v1/nothing`, { dispatcher: agent });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 5 });

    for (const name of ['http_proxy', 'HTTP_PROXY']) vi.stubEnv(name, proxy.url);
    for (const name of ['https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']) vi.stubEnv(name, '');
    let envAgent: EnvHttpProxyAgent;
    try {
      envAgent = new EnvHttpProxyAgent(); // reads the environment once, here
    } finally {
      vi.unstubAllEnvs();
    }
    closers.push(() => envAgent.close());
    const viaEnv = await undiciFetch(`${fake.url}/auth/v1/token`, {
      method: 'POST',
      dispatcher: envAgent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password' }).toString(),
    });
    expect(viaEnv.status).toBe(400);

    expect(proxy.connects).toEqual([authority, authority]);
    expect(proxy.requests).toEqual([]);
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v1/nothing 404',
      'POST /auth/v1/token 400',
    ]);
  });

  it('forwards absolute-form plain HTTP requests with their bodies', async () => {
    const fake = await conductorOne();
    const proxy = await fakeProxy();
    const agent = new ProxyAgent({ uri: proxy.url, proxyTunnel: false });
    closers.push(() => agent.close());
    const credential = await makeClientCredential(fake.host);
    fake.registerClient(credential.clientId, credential.publicJwk);
    const assertion = await signClientAssertion(credential.clientId, credential.clientSecret, {
      audience: [fake.host],
    });
    const response = await undiciFetch(`${fake.url}/auth/v1/token?x=1`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credential.clientId,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion,
      }).toString(),
    });
    expect(response.status).toBe(200);
    expect(fake.tokensIssued).toEqual([((await response.json()) as { access_token: string }).access_token]);
    expect(proxy.requests).toEqual([`POST ${fake.url}/auth/v1/token?x=1`]);
    expect(proxy.connects).toEqual([]);
    expect(fake.requests).toEqual([{ method: 'POST', path: '/auth/v1/token?x=1', status: 200 }]);
  });

  it('refuses non-loopback targets with 403 without dialling out', async () => {
    const proxy = await fakeProxy();
    const tunnel = new ProxyAgent(proxy.url);
    const plain = new ProxyAgent({ uri: proxy.url, proxyTunnel: false });
    closers.push(
      () => tunnel.close(),
      () => plain.close(),
    );
    await expect(undiciFetch('http://example.com/', { dispatcher: tunnel })).rejects.toMatchObject({
      // undici nests it: fetch failed <- Request was cancelled. <- Proxy response (403) !== 200 when HTTP Tunneling
      cause: { cause: { message: expect.stringContaining('Proxy response (403)') } },
    });
    const refused = await undiciFetch('http://example.com/path', { dispatcher: plain });
    expect(refused.status).toBe(403);
    await refused.text();
    expect(proxy.connects).toEqual(['example.com:80']);
    expect(proxy.requests).toEqual(['GET http://example.com/path']);
  });

  it('closes promptly with a tunnel still open', async () => {
    const fake = await conductorOne();
    const proxy = await startFakeProxy();
    const agent = new ProxyAgent(proxy.url); // keeps the tunnel alive after the response
    closers.push(() => agent.destroy());
    expect((await undiciFetch(`${fake.url}/api/v1/nothing`, { dispatcher: agent })).status).toBe(404);
    await proxy.close();
    await proxy.close();
  });
});

describe('scenario with federation', () => {
  it('wires the fake OIDC to a trust on fake ConductorOne and lists its secrets', async () => {
    const scenario = await startScenario({ federation: true });
    closers.push(scenario.close);
    const { oidc, federationInputs, federationEnv, trustClientId } = scenario;
    expect(oidc).toBeDefined();
    expect(federationInputs).toEqual({ ...scenario.inputs, 'client-id': trustClientId, 'client-secret': '' });
    expect(trustClientId).toMatch(/@127\.0\.0\.1\/wfe$/);
    expect(federationEnv).toEqual({
      ACTIONS_ID_TOKEN_REQUEST_URL: oidc!.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc!.requestToken,
    });
    const response = await fetch(
      `${federationEnv!.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${scenario.conductorOne.host}`,
      {
        headers: { authorization: `Bearer ${federationEnv!.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
      },
    );
    const jwt = ((await response.json()) as { value: string }).value;
    const { status, body } = await requestExchangeToken(scenario.conductorOne, federationInputs!['client-id']!, jwt);
    expect(status).toBe(200);
    expect(scenario.knownSecrets()).toEqual(
      expect.arrayContaining([oidc!.requestToken, jwt, (body as { access_token: string }).access_token]),
    );
  });

  it('adds nothing without federation', async () => {
    const scenario = await startScenario();
    closers.push(scenario.close);
    expect(Object.keys(scenario).sort()).toEqual(
      ['clientId', 'clientSecret', 'close', 'conductorOne', 'github', 'githubToken', 'inputs', 'knownSecrets'].sort(),
    );
    expect(scenario.knownSecrets()).toHaveLength(2);
  });
});
