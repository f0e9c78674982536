// A fresh ConductorOne token for what follows a long wait (issue 18, SPEC 4a): the token sources reuse a token until
// it nears the end of its expires_in, and the client answers a 401 by getting a new token once and sending the
// request again. ConductorOne is the shared MockAgent harness; its fake clock is the only clock, so nothing sleeps.
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AccessTokenSource,
  ClientCredentialsTokenSource,
  FederationTokenSource,
  importSigningKey,
  type SigningKey,
  TokenRefusedError,
  type TokenSource,
} from '../../src/conductorone/auth.js';
import { ConductorOneClient } from '../../src/conductorone/client.js';
import { type MockApi, mockApi, NOW_MS, rejectionOf } from './mock-api.js';

const C1 = 'https://acme.conductor.one';
const TOKEN = '/auth/v1/token';
const CLIENT_ID = 'rotator@acme.conductor.one/spc';
const TRUST = 'github-rotator@acme.conductor.one/wfe';
const CREDENTIAL = '/api/v1/apps/app-1/connectors/conn-1/credentials/cred-old';
const ROTATE = '/api/v1/apps/connectors/credentials';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

let signingKey: SigningKey;
let issuedSecret: string;

async function ed25519(): Promise<{ x: string; d: string }> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(pair.privateKey);
  return { x: jwk.x as string, d: jwk.d as string };
}

beforeAll(async () => {
  const key = await ed25519();
  signingKey = await importSigningKey({ kty: 'OKP', crv: 'Ed25519', ...key });
  const issued = await ed25519();
  issuedSecret = `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify({ kty: 'OKP', crv: 'Ed25519', ...issued })).toString('base64url')}`;
});

let api: MockApi;
let masked: string[];

beforeEach(() => {
  api = mockApi();
  masked = [];
});

afterEach(async () => {
  await api.close();
});

function clientCredentials(): ClientCredentialsTokenSource {
  return new ClientCredentialsTokenSource({
    clientId: CLIENT_ID,
    key: signingKey,
    serverUrl: new URL(C1),
    http: api.http(),
    mask: (v) => masked.push(v),
    now: () => api.clock.now(),
  });
}

let idTokens = 0;
function federation(): FederationTokenSource {
  idTokens = 0;
  return new FederationTokenSource({
    clientId: TRUST,
    audience: 'acme.conductor.one',
    serverUrl: new URL(C1),
    http: api.http(),
    getIdToken: async () => `eyJhbGciOiJSUzI1NiJ9.oidc-${++idTokens}.signature`,
    mask: (v) => masked.push(v),
  });
}

/**
 * The token endpoint: each request gets the next token, `c1-token-1`, `c1-token-2`, ..., with `expires_in`
 * (NOT_SAID: none); `statuses` answers the first requests with those statuses instead.
 */
function serveTokens(expiresIn: unknown, statuses: number[] = []): void {
  let issued = 0;
  let asked = 0;
  api.agent
    .get(C1)
    .intercept({ path: TOKEN, method: 'POST' })
    .reply((opts) => {
      const status = statuses[asked++];
      if (status !== undefined) return api.answer(status, { error: 'invalid_client', error_description: 'no' })(opts);
      issued++;
      return api.answer(200, {
        access_token: `c1-token-${issued}`,
        token_type: 'Bearer',
        ...(expiresIn === NOT_SAID ? {} : { expires_in: expiresIn }),
      })(opts);
    })
    .persist();
}

const NOT_SAID = Symbol('no expires_in');

const tokenRequests = () => api.requests.filter((r) => r.path === TOKEN).length;

describe('renewing a token near the end of its expires_in', () => {
  for (const [kind, make] of [
    ['client credentials', clientCredentials],
    ['GitHub OIDC federation', federation],
  ] as const) {
    it(`${kind}: reuses one token, and renews it a minute before it expires`, async () => {
      serveTokens(3600);
      const source: TokenSource = make();
      expect(await source.getToken()).toBe('c1-token-1');
      api.clock.advance(HOUR - MINUTE - 1);
      expect(await source.getToken()).toBe('c1-token-1');
      expect(tokenRequests()).toBe(1);
      api.clock.advance(1);
      expect(await source.getToken()).toBe('c1-token-2');
      expect(await source.getToken()).toBe('c1-token-2');
      expect(tokenRequests()).toBe(2);
      expect(masked).toContain('c1-token-2');
    });
  }

  it('federation: exchanges a new GitHub OIDC token for each renewal', async () => {
    serveTokens(600);
    const source = federation();
    await source.getToken();
    api.clock.advance(10 * MINUTE);
    await source.getToken();
    expect(idTokens).toBe(2);
    const subjects = api.requests.map((r) => new URLSearchParams(r.body).get('subject_token'));
    expect(subjects).toEqual(['eyJhbGciOiJSUzI1NiJ9.oidc-1.signature', 'eyJhbGciOiJSUzI1NiJ9.oidc-2.signature']);
  });

  it('renews a short-lived token at half its life', async () => {
    serveTokens(60);
    const source = clientCredentials();
    await source.getToken();
    api.clock.advance(30 * SECOND - 1);
    expect(await source.getToken()).toBe('c1-token-1');
    api.clock.advance(1);
    expect(await source.getToken()).toBe('c1-token-2');
  });

  it('counts expires_in from when the token was asked for, not from when it arrived', async () => {
    // The first answer is a 503: the retry waits 750 ms (fake clock) before the token arrives.
    serveTokens(120, [503]);
    const source = clientCredentials();
    expect(await source.getToken()).toBe('c1-token-1');
    expect(api.clock.now()).toBe(NOW_MS + 750);
    api.clock.advance(MINUTE - 750 - 1);
    expect(await source.getToken()).toBe('c1-token-1');
    api.clock.advance(1);
    expect(await source.getToken()).toBe('c1-token-2');
  });

  it('keeps a token whose lifetime the endpoint does not say, or says in a form it cannot use', async () => {
    for (const expiresIn of [NOT_SAID, '3600', 0, -60, null, 'soon']) {
      await api.close();
      api = mockApi();
      serveTokens(expiresIn);
      const source = clientCredentials();
      await source.getToken();
      api.clock.advance(30 * 24 * HOUR);
      expect(await source.getToken(), String(expiresIn)).toBe('c1-token-1');
      expect(tokenRequests()).toBe(1);
    }
  });

  it('asks once for callers that want a token at the same time', async () => {
    serveTokens(3600);
    const source = clientCredentials();
    expect(await Promise.all([source.getToken(), source.getToken(), source.getToken()])).toEqual([
      'c1-token-1',
      'c1-token-1',
      'c1-token-1',
    ]);
    expect(tokenRequests()).toBe(1);
  });

  it('refresh() replaces the token that was not accepted with a new one', async () => {
    serveTokens(3600);
    const source = clientCredentials();
    const stale = await source.getToken();
    expect(await source.refresh(stale)).toBe('c1-token-2');
    expect(await source.getToken()).toBe('c1-token-2');
    expect(tokenRequests()).toBe(2);
  });

  it('keeps a refusal rather than asking again, until refresh() asks anew', async () => {
    serveTokens(3600, [401]);
    const source = clientCredentials();
    await expect(source.getToken()).rejects.toBeInstanceOf(TokenRefusedError);
    api.clock.advance(HOUR);
    await expect(source.getToken()).rejects.toBeInstanceOf(TokenRefusedError);
    expect(tokenRequests()).toBe(1);
    expect(await source.refresh('c1-token-0')).toBe('c1-token-1');
    expect(tokenRequests()).toBe(2);
  });

  it('asks again after a failed token request that was not a refusal (a 500 on every attempt)', async () => {
    serveTokens(3600, [500, 500, 500, 500]);
    const source = clientCredentials();
    await expect(source.getToken()).rejects.toThrow('ConductorOne token request to acme.conductor.one failed');
    expect(tokenRequests()).toBe(4);
    api.clock.advance(2 * HOUR);
    expect(await source.getToken()).toBe('c1-token-1');
    expect(tokenRequests()).toBe(5);
  });

  it('a ready access token cannot be refreshed', () => {
    const ready: TokenSource = new AccessTokenSource('c1-ready');
    expect(ready.refresh).toBeUndefined();
  });
});

describe('a ConductorOne request whose token is not accepted (401)', () => {
  function client(tokenSource: TokenSource): ConductorOneClient {
    return new ConductorOneClient({
      serverUrl: new URL(C1),
      http: api.http(),
      tokenSource,
      mask: (v) => masked.push(v),
    });
  }

  function serve(method: 'GET' | 'POST', path: string, statuses: number[], body: unknown = {}): void {
    for (const status of statuses) {
      api.agent
        .get(C1)
        .intercept({ path, method })
        .reply(
          api.answer(
            status,
            status === 200 ? body : { code: 16, message: status === 401 ? 'token expired' : 'not found' },
          ),
        );
    }
  }

  const credentialBody = { credential: { id: 'cred-old', clientId: 'c@acme.conductor.one/ccc', lastUsedAt: null } };
  const calls = (path: string) =>
    api.requests.filter((r) => r.path === path).map((r) => `${r.method} ${r.headers.authorization}`);

  it('gets a new token once and sends the request again with it', async () => {
    serveTokens(3600);
    serve('GET', CREDENTIAL, [401, 200], credentialBody);
    const info = await client(clientCredentials()).getCredential('app-1', 'conn-1', 'cred-old');
    expect(info).toEqual({ id: 'cred-old', expiresTime: '' });
    expect(calls(CREDENTIAL)).toEqual(['GET Bearer c1-token-1', 'GET Bearer c1-token-2']);
    expect(tokenRequests()).toBe(2);
  });

  it('sends a revoke again after a new token, and it revokes', async () => {
    serveTokens(3600);
    serve('POST', CREDENTIAL, [401, 200], { credential: { id: 'cred-old' } });
    expect(await client(federation()).revokeCredential('app-1', 'conn-1', 'cred-old')).toBe('revoked');
    expect(calls(CREDENTIAL)).toEqual(['POST Bearer c1-token-1', 'POST Bearer c1-token-2']);
    expect(idTokens).toBe(2);
  });

  it('sends RotateCredential again after a new token: a 401 issued nothing', async () => {
    serveTokens(3600);
    serve('POST', ROTATE, [401, 200], {
      credential: { id: 'cred-new', clientId: 'connector-new@acme.conductor.one/ccc', clientSecret: issuedSecret },
    });
    const credential = await client(clientCredentials()).rotateCredential('app-1', 'conn-1');
    expect(credential.id).toBe('cred-new');
    expect(calls(ROTATE)).toEqual(['POST Bearer c1-token-1', 'POST Bearer c1-token-2']);
  });

  it('refreshes only once: a second 401 is the answer, named with the identity', async () => {
    serveTokens(3600);
    serve('GET', CREDENTIAL, [401, 401]);
    const err = await rejectionOf(client(federation()).getCredential('app-1', 'conn-1', 'cred-old'));
    expect(err.message).toBe(
      `ConductorOne did not accept the access token of federation trust ${TRUST} to read credential cred-old of ` +
        'connector conn-1 (401 Unauthorized: token expired): re-run, and check the identity in ConductorOne.',
    );
    expect(calls(CREDENTIAL)).toHaveLength(2);
    expect(tokenRequests()).toBe(2);
  });

  it('sends a request once with a ready token, which cannot be refreshed', async () => {
    serve('GET', CREDENTIAL, [401]);
    const err = await rejectionOf(
      client(new AccessTokenSource('c1-ready')).getCredential('app-1', 'conn-1', 'cred-old'),
    );
    expect(err.message).toContain('did not accept the access token of access-token');
    expect(calls(CREDENTIAL)).toEqual(['GET Bearer c1-ready']);
  });

  it('fails with the refusal, without sending again, when the new token is refused', async () => {
    // The first token is issued; the refresh is refused.
    let asked = 0;
    api.agent
      .get(C1)
      .intercept({ path: TOKEN, method: 'POST' })
      .reply((opts) =>
        asked++ === 0
          ? api.answer(200, { access_token: 'c1-token-1', expires_in: 3600 })(opts)
          : api.answer(401, { error: 'invalid_client', error_description: 'client disabled' })(opts),
      )
      .persist();
    serve('GET', CREDENTIAL, [401]);
    const err = await rejectionOf(client(clientCredentials()).getCredential('app-1', 'conn-1', 'cred-old'));
    expect(err).toBeInstanceOf(TokenRefusedError);
    expect(err.message).toContain(`ConductorOne refused client-id ${CLIENT_ID} (401 Unauthorized: client disabled)`);
    expect(calls(CREDENTIAL)).toEqual(['GET Bearer c1-token-1']);
  });

  it('after a wait longer than the token lives, sends the next request with a renewed token and meets no 401', async () => {
    serveTokens(3600);
    serve('GET', CREDENTIAL, [200], credentialBody);
    serve('POST', CREDENTIAL, [200], { credential: { id: 'cred-old' } });
    const c1 = client(clientCredentials());
    await c1.getCredential('app-1', 'conn-1', 'cred-old');
    api.clock.advance(2 * HOUR); // a long deploy wait
    expect(await c1.revokeCredential('app-1', 'conn-1', 'cred-old')).toBe('revoked');
    expect(calls(CREDENTIAL)).toEqual(['GET Bearer c1-token-1', 'POST Bearer c1-token-2']);
  });

  // retireReplaced reads every due credential at once: two requests that meet the same 401 renew the token once.
  it('renews once when two requests meet a 401 with the same token at once', async () => {
    serveTokens(3600);
    const other = '/api/v1/apps/app-1/connectors/conn-1/credentials/cred-older';
    serve('GET', CREDENTIAL, [401, 200], credentialBody);
    serve('GET', other, [401, 200], { credential: { id: 'cred-older', lastUsedAt: null } });
    const c1 = client(clientCredentials());
    const [a, b] = await Promise.all([
      c1.getCredential('app-1', 'conn-1', 'cred-old'),
      c1.getCredential('app-1', 'conn-1', 'cred-older'),
    ]);
    expect([a?.id, b?.id]).toEqual(['cred-old', 'cred-older']);
    expect(tokenRequests()).toBe(2);
  });
});
