import { type CryptoKey, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { MockAgent } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ClientCredentialsTokenSource,
  createClientAssertion,
  importSigningKey,
  type SigningKey,
  type TokenSource,
  tokenUrl,
} from '../../src/conductorone/auth.js';
import { ConductorOneClient, MalformedCredentialError } from '../../src/conductorone/client.js';
import { describeErrorResponse } from '../../src/conductorone/errors.js';
import { ActionError, InputError } from '../../src/errors.js';
import { DEFAULT_RETRY_POLICY, Http } from '../../src/http.js';
import { HttpResponse } from '../../src/http-response.js';
import type { Ed25519PrivateJwk } from '../../src/model.js';
import { type FakeClock, fakeClock } from './fake-clock.js';
import { headersOf, type Recorded, rejectionOf } from './mock-api.js';

const TENANT = 'https://acme.conductor.one';
const CLIENT_ID = 'rotator@acme.conductor.one/spc';
const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0);
const NOW_S = NOW_MS / 1000;

let publicKey: CryptoKey;
let privateJwk: Ed25519PrivateJwk;
let signingKey: SigningKey;
let clientSecret: string;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  publicKey = pair.publicKey;
  const jwk = await exportJWK(pair.privateKey);
  privateJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x!, d: jwk.d! };
  clientSecret = `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify(privateJwk)).toString('base64url')}`;
  signingKey = await importSigningKey(privateJwk);
});

function toRecord(opts: { method: string; path: string; headers?: unknown; body?: unknown }): Recorded {
  return {
    method: opts.method,
    path: opts.path,
    headers: headersOf(opts.headers),
    body: typeof opts.body === 'string' ? opts.body : String(opts.body ?? ''),
  };
}

let agent: MockAgent;
let clock: FakeClock;
let requests: Recorded[];
let masked: string[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  clock = fakeClock(NOW_MS);
  requests = [];
  masked = [];
});

afterEach(async () => {
  await agent.close();
});

function http(): Http {
  return new Http({ dispatcher: agent, clock, policy: DEFAULT_RETRY_POLICY });
}

/** Replies with `status`/`data` and records what was sent. */
function answer(
  status: number,
  data: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  return (opts: Parameters<typeof toRecord>[0]) => {
    requests.push(toRecord(opts));
    return {
      statusCode: status,
      data: typeof data === 'string' ? data : JSON.stringify(data),
      responseOptions: { headers },
    };
  };
}

describe('createClientAssertion', () => {
  it('signs an EdDSA JWT with iss = sub = client ID, aud = [host], and a 4-minute window around now', async () => {
    const jwt = await createClientAssertion(CLIENT_ID, signingKey, 'acme.conductor.one', NOW_S);
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, {
      algorithms: ['EdDSA'],
      currentDate: new Date(NOW_MS),
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      audience: 'acme.conductor.one',
    });
    // Exactly what ConductorOne's Go SDK sends: the algorithm and a nonce, no `typ`.
    expect(Object.keys(protectedHeader).sort()).toEqual(['alg', 'nonce']);
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(protectedHeader.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(payload).toEqual({
      iss: CLIENT_ID,
      sub: CLIENT_ID,
      aud: ['acme.conductor.one'],
      iat: NOW_S,
      nbf: NOW_S - 120,
      exp: NOW_S + 120,
    });
  });

  it('uses a fresh nonce for every assertion', async () => {
    const a = await createClientAssertion(CLIENT_ID, signingKey, 'acme.conductor.one', NOW_S);
    const b = await createClientAssertion(CLIENT_ID, signingKey, 'acme.conductor.one', NOW_S);
    expect(decodeProtectedHeader(a).nonce).not.toBe(decodeProtectedHeader(b).nonce);
  });

  it('does not carry the private key', async () => {
    const jwt = await createClientAssertion(CLIENT_ID, signingKey, 'acme.conductor.one', NOW_S);
    const decoded = jwt
      .split('.')
      .slice(0, 2)
      .map((part) => Buffer.from(part, 'base64url').toString('utf8'))
      .join('');
    expect(decoded).not.toContain(privateJwk.d);
    expect(jwt).not.toContain(privateJwk.d);
  });
});

describe('importSigningKey', () => {
  it('refuses a key whose public half does not match as an InputError on client-secret', async () => {
    const err = await importSigningKey({ ...privateJwk, x: Buffer.alloc(32).toString('base64url') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('client-secret');
    expect((err as Error).message).not.toContain(privateJwk.d);
  });
});

describe('tokenUrl', () => {
  it('is /auth/v1/token on the tenant, whatever the trailing slash', () => {
    expect(tokenUrl(new URL('https://acme.conductor.one/')).href).toBe('https://acme.conductor.one/auth/v1/token');
    expect(tokenUrl(new URL('http://127.0.0.1:4010')).href).toBe('http://127.0.0.1:4010/auth/v1/token');
  });
});

describe('ClientCredentialsTokenSource', () => {
  function tokenSource(serverUrl = TENANT): ClientCredentialsTokenSource {
    return new ClientCredentialsTokenSource({
      clientId: CLIENT_ID,
      key: signingKey,
      serverUrl: new URL(serverUrl),
      http: http(),
      mask: (v) => masked.push(v),
      now: () => NOW_MS,
    });
  }

  it('posts a client-credentials form with a signed assertion to /auth/v1/token', async () => {
    agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(answer(200, { access_token: 'c1-access-token', token_type: 'Bearer', expires_in: 3600 }));

    expect(await tokenSource().getToken()).toBe('c1-access-token');

    expect(requests).toHaveLength(1);
    const [sent] = requests as [Recorded];
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(sent.body);
    expect([...form.keys()].sort()).toEqual(['client_assertion', 'client_assertion_type', 'client_id', 'grant_type']);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_id')).toBe(CLIENT_ID);
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const { payload } = await jwtVerify(form.get('client_assertion')!, publicKey, { currentDate: new Date(NOW_MS) });
    expect(payload).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: ['acme.conductor.one'], iat: NOW_S });
    agent.assertNoPendingInterceptors();
  });

  it('never sends the client secret or the private key', async () => {
    agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(answer(200, { access_token: 't' }));
    await tokenSource().getToken();
    const everything = JSON.stringify(requests);
    expect(everything).not.toContain(privateJwk.d);
    expect(everything).not.toContain(clientSecret);
  });

  it('uses the token host without port as the assertion audience', async () => {
    agent
      .get('https://acme.conductor.one:8443')
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(answer(200, { access_token: 't' }));
    await tokenSource('https://acme.conductor.one:8443').getToken();
    const form = new URLSearchParams(requests[0]!.body);
    const { payload } = await jwtVerify(form.get('client_assertion')!, publicKey, { currentDate: new Date(NOW_MS) });
    expect(payload.aud).toEqual(['acme.conductor.one']);
  });

  it('masks the access token as soon as it arrives', async () => {
    agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(answer(200, { access_token: 'c1-access-token' }));
    await tokenSource().getToken();
    expect(masked).toEqual(['c1-access-token']);
  });

  it('fetches the token once and reuses it', async () => {
    agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(answer(200, { access_token: 'c1-access-token' }));
    const source = tokenSource();
    const [a, b] = await Promise.all([source.getToken(), source.getToken()]);
    expect(await source.getToken()).toBe('c1-access-token');
    expect([a, b]).toEqual(['c1-access-token', 'c1-access-token']);
    expect(requests).toHaveLength(1);
  });

  it('names the client-id, not the secret, when the token endpoint answers 401', async () => {
    agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(answer(401, { code: 16, message: 'invalid client assertion', details: [] }));
    const err = await tokenSource()
      .getToken()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    const message = (err as Error).message;
    expect(message).toContain(`client-id ${CLIENT_ID}`);
    expect(message).toContain('401');
    expect(message).toContain('invalid client assertion');
    expect(message).toContain('client-secret');
    expect(message).not.toContain(clientSecret);
    expect(message).not.toContain(privateJwk.d);
    expect(masked).toEqual([]);
  });

  it('retries a 503 from the token endpoint', async () => {
    const pool = agent.get(TENANT);
    pool.intercept({ path: '/auth/v1/token', method: 'POST' }).reply(answer(503, { message: 'unavailable' }));
    pool.intercept({ path: '/auth/v1/token', method: 'POST' }).reply(answer(200, { access_token: 't' }));
    expect(await tokenSource().getToken()).toBe('t');
    expect(clock.waits).toHaveLength(1);
  });

  it('fails clearly when the token response has no access_token', async () => {
    agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(answer(200, { token_type: 'Bearer' }));
    await expect(tokenSource().getToken()).rejects.toThrow(
      'ConductorOne token response from acme.conductor.one carried no access_token.',
    );
  });

  it('says ConductorOne could not be reached when the network fails every time', async () => {
    agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .replyWithError(new Error('socket hang up'))
      .times(4);
    const err = await tokenSource()
      .getToken()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    expect((err as Error).message).toMatch(
      /^Could not reach ConductorOne at acme\.conductor\.one for a token: .*server-url/,
    );
    expect(clock.waits).toHaveLength(3);
  });
});

describe('ConductorOneClient.rotateCredential', () => {
  const ROTATE = '/api/v1/apps/connectors/credentials';
  const tokenSource: TokenSource = { description: `client-id ${CLIENT_ID}`, getToken: async () => 'c1-access-token' };
  // The client secret holds a real Ed25519 key (the one beforeAll made): the answer is checked.
  const issued = {
    id: 'cred-2',
    appId: 'app-1',
    connectorId: 'conn-1',
    clientId: 'connector-2@acme.conductor.one/pcc',
    clientSecret: '',
    displayName: 'rotated',
    createdAt: '2026-03-01T12:00:00Z',
    updatedAt: '2026-03-01T12:00:00Z',
    expiresTime: '2026-06-01T12:00:00Z',
    lastUsedAt: null,
    deletedAt: null,
  };

  beforeAll(() => {
    issued.clientSecret = clientSecret;
  });

  function client(): ConductorOneClient {
    return new ConductorOneClient({
      serverUrl: new URL(TENANT),
      http: http(),
      tokenSource,
      mask: (v) => masked.push(v),
    });
  }

  it('posts {appId, connectorId} with the bearer token and returns the new credential', async () => {
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(200, { credential: issued }));
    const credential = await client().rotateCredential('app-1', 'conn-1');
    expect(credential).toEqual({
      id: 'cred-2',
      clientId: 'connector-2@acme.conductor.one/pcc',
      clientSecret: issued.clientSecret,
      expiresTime: '2026-06-01T12:00:00Z',
    });
    expect(requests).toHaveLength(1);
    const [sent] = requests as [Recorded];
    expect(JSON.parse(sent.body)).toEqual({ appId: 'app-1', connectorId: 'conn-1' });
    expect(sent.headers.authorization).toBe('Bearer c1-access-token');
    expect(sent.headers['content-type']).toBe('application/json');
    agent.assertNoPendingInterceptors();
  });

  it('masks the new client secret', async () => {
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(200, { credential: issued }));
    await client().rotateCredential('app-1', 'conn-1');
    expect(masked).toEqual([issued.clientSecret]);
  });

  it('accepts the legacy shape with clientSecret beside credential', async () => {
    const { clientSecret: secret, ...rest } = issued;
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(200, { credential: rest, clientSecret: secret }));
    const credential = await client().rotateCredential('app-1', 'conn-1');
    expect(credential.clientSecret).toBe(secret);
    expect(credential.id).toBe('cred-2');
    expect(masked).toEqual([secret]);
  });

  it('returns an empty expiresTime for a credential that does not expire', async () => {
    const { expiresTime: _unused, ...rest } = issued;
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(200, { credential: rest }));
    expect((await client().rotateCredential('app-1', 'conn-1')).expiresTime).toBe('');
  });

  it('masks the client secret even when the rest of the answer is incomplete, and names no credential to revoke', async () => {
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(200, { credential: { clientSecret: 'lonely-secret' } }));
    const err = await rejectionOf(client().rotateCredential('app-1', 'conn-1'));
    expect(err).toBeInstanceOf(MalformedCredentialError);
    expect(err.message).toBe('ConductorOne answered RotateCredential with a malformed credential (no credential ID).');
    expect((err as MalformedCredentialError).credentialId).toBeUndefined();
    expect(masked).toEqual(['lonely-secret']);
  });

  describe('refuses an answer that is not a credential the action can store, naming the credential to revoke when its ID is valid', () => {
    const cases: Array<[string, Record<string, unknown>, string, string | undefined]> = [
      [
        'a client secret that is not one',
        { clientSecret: 'garbage' },
        'a client secret that is not a ConductorOne client secret with an Ed25519 key (not a ConductorOne client secret)',
        'cred-2',
      ],
      [
        'a secret whose key part is damaged',
        { clientSecret: 'secret-token:conductorone.com:v1:%%%' },
        'a client secret that is not a ConductorOne client secret with an Ed25519 key (damaged key part (not base64url JSON))',
        'cred-2',
      ],
      ['an empty client ID', { clientId: '' }, 'no client ID', 'cred-2'],
      [
        'a client ID with a line break',
        { clientId: 'a@acme.conductor.one/pcc\n::warning::x' },
        'a client ID that is not of the form name@host/kind',
        'cred-2',
      ],
      ['an ID of ".."', { id: '..' }, 'a credential ID that is not a ConductorOne ID', undefined],
      ['an ID with a slash', { id: 'a/b' }, 'a credential ID that is not a ConductorOne ID', undefined],
      [
        'an expiry that is not RFC 3339',
        { expiresTime: 'next tuesday' },
        'an expiry that is not an RFC 3339 time',
        'cred-2',
      ],
    ];
    for (const [what, change, problem, revocable] of cases) {
      it(`with ${what}`, async () => {
        agent
          .get(TENANT)
          .intercept({ path: ROTATE, method: 'POST' })
          .reply(answer(200, { credential: { ...issued, ...change } }));
        const err = await rejectionOf(client().rotateCredential('app-1', 'conn-1'));
        expect(err).toBeInstanceOf(MalformedCredentialError);
        expect(err.message).toBe(`ConductorOne answered RotateCredential with a malformed credential (${problem}).`);
        expect((err as MalformedCredentialError).credentialId).toBe(revocable);
      });
    }

    it('but accepts an expiry with a fraction and an offset, and a null expiry', async () => {
      const pool = agent.get(TENANT);
      pool
        .intercept({ path: ROTATE, method: 'POST' })
        .reply(answer(200, { credential: { ...issued, expiresTime: '2026-06-01T12:00:00.123456789+02:00' } }));
      pool
        .intercept({ path: ROTATE, method: 'POST' })
        .reply(answer(200, { credential: { ...issued, expiresTime: null } }));
      expect((await client().rotateCredential('app-1', 'conn-1')).expiresTime).toBe(
        '2026-06-01T12:00:00.123456789+02:00',
      );
      expect((await client().rotateCredential('app-1', 'conn-1')).expiresTime).toBe('');
    });
  });

  it('counts a redirect (never followed) or another 2xx as a failure that may have issued a credential', async () => {
    for (const status of [201, 307]) {
      agent
        .get(TENANT)
        .intercept({ path: ROTATE, method: 'POST' })
        .reply(answer(status, { credential: issued }, status === 307 ? { location: 'https://evil.example/x' } : {}));
      const err = await rejectionOf(client().rotateCredential('app-1', 'conn-1'));
      expect(err.message).toContain(`failed (${status}`);
      expect(err.message).toContain('may have issued a credential');
    }
    expect(requests).toHaveLength(2);
  });

  it('names the app and connector when ConductorOne answers 403', async () => {
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(403, { code: 7, message: 'permission denied' }));
    const err = await client()
      .rotateCredential('app-1', 'conn-1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    const message = (err as Error).message;
    expect(message).toContain('connector conn-1 of app app-1');
    expect(message).toContain(`client-id ${CLIENT_ID}`);
    expect(message).toContain('403');
    expect(message).toContain('permission denied');
    expect(message).toContain('role');
  });

  it('names the app and connector and points to the IDs when ConductorOne answers 404', async () => {
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(404, { code: 5, message: 'connector not found' }));
    const err = await client()
      .rotateCredential('app-1', 'conn-1')
      .catch((e: unknown) => e);
    const message = (err as Error).message;
    expect(message).toContain('connector conn-1 of app app-1');
    expect(message).toContain('404');
    expect(message).toContain('connector not found');
    expect(message).toMatch(/app-id and connector-id/);
  });

  it('does not retry a 502 and says the previous credential is still valid', async () => {
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' }))
      .persist();
    const err = await client()
      .rotateCredential('app-1', 'conn-1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    expect(requests).toHaveLength(1);
    expect(clock.waits).toEqual([]);
    const message = (err as Error).message;
    expect(message).toContain('connector conn-1 of app app-1');
    expect(message).toContain('502');
    expect(message).toContain('previous credential is unchanged and still valid');
    expect(message).toContain('may have issued a credential');
    expect(message).not.toContain('<html>');
  });

  it('retries a 503 once, then returns the credential', async () => {
    const pool = agent.get(TENANT);
    pool.intercept({ path: ROTATE, method: 'POST' }).reply(answer(503, { code: 14, message: 'unavailable' }));
    pool.intercept({ path: ROTATE, method: 'POST' }).reply(answer(200, { credential: issued }));
    const credential = await client().rotateCredential('app-1', 'conn-1');
    expect(credential.id).toBe('cred-2');
    expect(requests).toHaveLength(2);
    expect(clock.waits).toHaveLength(1);
    agent.assertNoPendingInterceptors();
  });

  it('never quotes a 200 body that is not JSON', async () => {
    const body = 'clientSecret=secret-token:conductorone.com:v1:LEAKED <html>oops</html>';
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(200, body, { 'content-type': 'text/html' }));
    const err = await client()
      .rotateCredential('app-1', 'conn-1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    const message = (err as Error).message;
    expect(message).toMatch(/not JSON/);
    expect(message).toContain('previous credential is still valid');
    expect(message).not.toContain('LEAKED');
    expect(message).not.toContain('oops');
  });

  it('warns that a credential may have been issued when the connection drops mid-request, without retrying', async () => {
    agent.get(TENANT).intercept({ path: ROTATE, method: 'POST' }).replyWithError(new Error('socket hang up'));
    const err = await client()
      .rotateCredential('app-1', 'conn-1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    const message = (err as Error).message;
    expect(message).toContain('connector conn-1 of app app-1');
    expect(message).toMatch(/may have issued a credential/);
    expect(message).toContain('still valid');
    expect(clock.waits).toEqual([]);
    agent.assertNoPendingInterceptors();
  });

  it('joins a server-url with a trailing slash to the rotate path without a double slash', async () => {
    let tokens = 0;
    const counting: TokenSource = { description: 'x', getToken: async () => `t${++tokens}` };
    agent
      .get(TENANT)
      .intercept({ path: ROTATE, method: 'POST' })
      .reply(answer(200, { credential: issued }));
    const c = new ConductorOneClient({
      serverUrl: new URL(`${TENANT}/`),
      http: http(),
      tokenSource: counting,
      mask: () => {},
    });
    await c.rotateCredential('app-1', 'conn-1');
    expect(requests[0]!.headers.authorization).toBe('Bearer t1');
    expect(requests[0]!.path).toBe(ROTATE);
  });
});

describe('describeErrorResponse', () => {
  /** An answer as Http hands it over. */
  const answer = (body: string, init: { status: number; statusText?: string }) =>
    new HttpResponse(`${TENANT}/api`, init.status, init.statusText ?? '', {}, new TextEncoder().encode(body));

  it('shows the status and the gRPC message', async () => {
    const response = answer(JSON.stringify({ code: 5, message: 'not\n found', details: [] }), {
      status: 404,
      statusText: 'Not Found',
    });
    expect(await describeErrorResponse(response)).toBe('404 Not Found: not found');
  });

  it('shows the OAuth error_description of a token error', async () => {
    const response = answer(JSON.stringify({ error: 'invalid_client', error_description: 'bad assertion' }), {
      status: 401,
    });
    expect(await describeErrorResponse(response)).toBe('401: bad assertion');
  });

  it('falls back to the status alone for a body that is not JSON', async () => {
    expect(await describeErrorResponse(answer('<html>proxy</html>', { status: 502, statusText: 'Bad Gateway' }))).toBe(
      '502 Bad Gateway',
    );
  });

  it('cuts a long message to 300 characters', async () => {
    const response = answer(JSON.stringify({ message: 'x'.repeat(1000) }), { status: 400 });
    expect(await describeErrorResponse(response)).toBe(`400: ${'x'.repeat(299)}…`);
  });

  it('keeps the message on one line and redacts what is shaped like a client secret, a JWT or a bearer token', async () => {
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJlLXBhcnQ';
    const message = `bad client\n::warning::x secret-token:conductorone.com:v1:eyJrdHkiOiJPS1AifQ assertion ${jwt} header Bearer abcdefghijklmnopqrstuvwxyz`;
    const response = answer(JSON.stringify({ code: 16, message }), { status: 401 });
    expect(await describeErrorResponse(response)).toBe(
      '401: bad client ::warning::x (redacted) assertion (redacted) header Bearer (redacted)',
    );
  });
});

describe('ConductorOneClient: connector and credential reads, revoke', () => {
  const CONNECTOR = '/api/v1/apps/app-1/connectors/conn-1';
  const CREDENTIAL = `${CONNECTOR}/credentials/cred-1`;
  const tokenSource: TokenSource = { description: `client-id ${CLIENT_ID}`, getToken: async () => 'c1-access-token' };

  function client(): ConductorOneClient {
    return new ConductorOneClient({
      serverUrl: new URL(TENANT),
      http: http(),
      tokenSource,
      mask: (v) => masked.push(v),
    });
  }

  async function rejection(promise: Promise<unknown>): Promise<Error> {
    const outcome = await promise.then(
      (value) => ({ value }),
      (err: unknown) => ({ err }),
    );
    if (!('err' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
    return outcome.err as Error;
  }

  describe('checkConnector', () => {
    it('reads the connector with the bearer token and resolves when it exists', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CONNECTOR, method: 'GET' })
        .reply(answer(200, { connector: { id: 'conn-1', appId: 'app-1' } }));
      await expect(client().checkConnector('app-1', 'conn-1')).resolves.toBeUndefined();
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${CONNECTOR}`]);
      expect(requests[0]!.headers.authorization).toBe('Bearer c1-access-token');
      agent.assertNoPendingInterceptors();
    });

    it('points to app-id and connector-id when ConductorOne finds no connector (404)', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CONNECTOR, method: 'GET' })
        .reply(answer(404, { code: 5, message: 'connector not found' }));
      const err = await rejection(client().checkConnector('app-1', 'conn-1'));
      expect(err).toBeInstanceOf(ActionError);
      expect(err.message).toContain('found no connector conn-1 of app app-1');
      expect(err.message).toContain('connector not found');
      expect(err.message).toMatch(/check app-id and connector-id/);
    });

    it('names the identity and asks for a role when it may not read the connector (403)', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CONNECTOR, method: 'GET' })
        .reply(answer(403, { code: 7, message: 'permission denied' }));
      const err = await rejection(client().checkConnector('app-1', 'conn-1'));
      expect(err.message).toBe(
        `client-id ${CLIENT_ID} may not read connector conn-1 of app app-1 (403 Forbidden: permission denied): give that identity ConductorOne's Connector Administrator role, also in the scoped roles of its credential or federation trust if those are limited.`,
      );
    });
  });

  describe('getCredential', () => {
    it('returns the id, client ID and expiry of the credential, never asking for its secret', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(
          answer(200, {
            credential: {
              id: 'cred-1',
              clientId: 'connector-1@acme.conductor.one/pcc',
              expiresTime: '2026-04-01T12:00:00Z',
              displayName: 'x',
            },
          }),
        );
      expect(await client().getCredential('app-1', 'conn-1', 'cred-1')).toEqual({
        id: 'cred-1',
        expiresTime: '2026-04-01T12:00:00Z',
      });
      expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${CREDENTIAL}`]);
      expect(requests[0]!.headers.authorization).toBe('Bearer c1-access-token');
    });

    it('returns an empty expiry for a credential that does not expire', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(answer(200, { credential: { id: 'cred-1', clientId: 'c' } }));
      expect((await client().getCredential('app-1', 'conn-1', 'cred-1'))?.expiresTime).toBe('');
    });

    it('returns undefined for a credential that no longer exists (404)', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(answer(404, { code: 5, message: 'not found' }));
      expect(await client().getCredential('app-1', 'conn-1', 'cred-1')).toBeUndefined();
      expect(requests).toHaveLength(1);
    });

    it('returns undefined for a credential that ConductorOne shows deleted', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(answer(200, { credential: { id: 'cred-1', deletedAt: '2026-02-01T00:00:00Z' } }));
      expect(await client().getCredential('app-1', 'conn-1', 'cred-1')).toBeUndefined();
    });

    it("refuses a 404 that is not ConductorOne's own error: it proves nothing", async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(answer(404, '<h1>Not Found</h1>', { 'content-type': 'text/html' }));
      const err = await rejection(client().getCredential('app-1', 'conn-1', 'cred-1'));
      expect(err.message).toContain("not ConductorOne's own answer");
    });

    it('marks an expiry that is not RFC 3339 unreadable, never quoting it', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(answer(200, { credential: { id: 'cred-1', expiresTime: 'soon\n::stop-commands::x' } }));
      expect(await client().getCredential('app-1', 'conn-1', 'cred-1')).toEqual({
        id: 'cred-1',
        expiresTime: '',
        expiryUnreadable: true,
      });
    });

    it('refuses an answer about another credential', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(answer(200, { credential: { id: 'cred-9' } }));
      await expect(client().getCredential('app-1', 'conn-1', 'cred-1')).rejects.toThrow(
        'ConductorOne answered the read of credential cred-1 without that credential.',
      );
    });

    it('names the credential and asks for a role when it may not be read (403)', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(answer(403, { code: 7, message: 'permission denied' }));
      const err = await rejection(client().getCredential('app-1', 'conn-1', 'cred-1'));
      expect(err).toBeInstanceOf(ActionError);
      expect(err.message).toContain('may not read credential cred-1 of connector conn-1');
      expect(err.message).toContain('403 Forbidden: permission denied');
      expect(err.message).toContain('role');
    });

    it('refuses a 200 that carries no credential', async () => {
      agent.get(TENANT).intercept({ path: CREDENTIAL, method: 'GET' }).reply(answer(200, {}));
      await expect(client().getCredential('app-1', 'conn-1', 'cred-1')).rejects.toThrow(
        'ConductorOne answered the read of credential cred-1 without that credential.',
      );
    });

    it('retries a 503 on the read', async () => {
      const pool = agent.get(TENANT);
      pool.intercept({ path: CREDENTIAL, method: 'GET' }).reply(answer(503, { message: 'unavailable' }));
      pool.intercept({ path: CREDENTIAL, method: 'GET' }).reply(answer(200, { credential: { id: 'cred-1' } }));
      expect((await client().getCredential('app-1', 'conn-1', 'cred-1'))?.id).toBe('cred-1');
      expect(clock.waits).toHaveLength(1);
    });
  });

  describe('revokeCredential', () => {
    it('POSTs {} to the credential with the bearer token and answers revoked on 200', async () => {
      agent.get(TENANT).intercept({ path: CREDENTIAL, method: 'POST' }).reply(answer(200, {}));
      expect(await client().revokeCredential('app-1', 'conn-1', 'cred-1')).toBe('revoked');
      expect(requests).toHaveLength(1);
      const [sent] = requests as [Recorded];
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe(CREDENTIAL);
      expect(sent.body).toBe('{}');
      expect(sent.headers['content-type']).toBe('application/json');
      expect(sent.headers.authorization).toBe('Bearer c1-access-token');
    });

    it("answers already revoked when ConductorOne's own 404 says the credential is gone", async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'POST' })
        .reply(answer(404, { code: 5, message: 'not found' }));
      expect(await client().revokeCredential('app-1', 'conn-1', 'cred-1')).toBe('already revoked');
      expect(requests).toHaveLength(1);
    });

    it("asks again with a read when a 404 is not ConductorOne's: gone there means already revoked", async () => {
      const pool = agent.get(TENANT);
      pool
        .intercept({ path: CREDENTIAL, method: 'POST' })
        .reply(answer(404, '<h1>Not Found</h1>', { 'content-type': 'text/html' }));
      pool.intercept({ path: CREDENTIAL, method: 'GET' }).reply(answer(404, { code: 5, message: 'not found' }));
      expect(await client().revokeCredential('app-1', 'conn-1', 'cred-1')).toBe('already revoked');
      expect(requests.map((r) => r.method)).toEqual(['POST', 'GET']);
    });

    it("fails when a 404 is not ConductorOne's and the credential still exists", async () => {
      const pool = agent.get(TENANT);
      pool
        .intercept({ path: CREDENTIAL, method: 'POST' })
        .reply(answer(404, '<h1>Not Found</h1>', { 'content-type': 'text/html' }));
      pool.intercept({ path: CREDENTIAL, method: 'GET' }).reply(answer(200, { credential: { id: 'cred-1' } }));
      const err = await rejection(client().revokeCredential('app-1', 'conn-1', 'cred-1'));
      expect(err.message).toBe(
        "ConductorOne could not revoke credential cred-1 of connector conn-1 (404 Not Found, not ConductorOne's own answer), and the credential still exists: check server-url and any proxy between the runner and ConductorOne.",
      );
    });

    it("does not count a 200 that is not ConductorOne's JSON as revoked while a read shows the credential", async () => {
      const pool = agent.get(TENANT);
      pool
        .intercept({ path: CREDENTIAL, method: 'POST' })
        .reply(answer(200, '<html>captive portal</html>', { 'content-type': 'text/html' }));
      pool.intercept({ path: CREDENTIAL, method: 'GET' }).reply(answer(200, { credential: { id: 'cred-1' } }));
      const err = await rejection(client().revokeCredential('app-1', 'conn-1', 'cred-1'));
      expect(err.message).toBe(
        "ConductorOne could not revoke credential cred-1 of connector conn-1: the answer (200) was not ConductorOne's JSON, and a read shows the credential still exists. Check server-url and any proxy between the runner and ConductorOne.",
      );
    });

    for (const [status, what] of [
      [200, 'an empty 200'],
      [204, 'a 204'],
    ] as const) {
      it(`accepts ${what}, as ConductorOne's SDKs do, once a read confirms the credential is gone`, async () => {
        const pool = agent.get(TENANT);
        pool.intercept({ path: CREDENTIAL, method: 'POST' }).reply(answer(status, ''));
        pool.intercept({ path: CREDENTIAL, method: 'GET' }).reply(answer(404, { code: 5, message: 'not found' }));
        expect(await client().revokeCredential('app-1', 'conn-1', 'cred-1')).toBe('revoked');
        expect(requests.map((r) => r.method)).toEqual(['POST', 'GET']);
      });
    }

    it('takes an empty 200 for revoked when the read shows the credential deleted', async () => {
      const pool = agent.get(TENANT);
      pool.intercept({ path: CREDENTIAL, method: 'POST' }).reply(answer(200, ''));
      pool
        .intercept({ path: CREDENTIAL, method: 'GET' })
        .reply(answer(200, { credential: { id: 'cred-1', deletedAt: '2026-03-01T12:00:00Z' } }));
      expect(await client().revokeCredential('app-1', 'conn-1', 'cred-1')).toBe('revoked');
    });

    it('names the credential and the identity and asks for a role when revoking is refused (403)', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'POST' })
        .reply(answer(403, { code: 7, message: 'permission denied' }));
      const err = await rejection(client().revokeCredential('app-1', 'conn-1', 'cred-1'));
      expect(err).toBeInstanceOf(ActionError);
      expect(err.message).toBe(
        `client-id ${CLIENT_ID} may not revoke credential cred-1 of connector conn-1 (403 Forbidden: permission denied): give that identity ConductorOne's Connector Administrator role, also in the scoped roles of its credential or federation trust if those are limited.`,
      );
    });

    it('says the access token was not accepted on a 401', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'POST' })
        .reply(answer(401, { code: 16, message: 'unauthenticated' }));
      const err = await rejection(client().revokeCredential('app-1', 'conn-1', 'cred-1'));
      expect(err.message).toContain(
        `did not accept the access token of client-id ${CLIENT_ID} to revoke credential cred-1`,
      );
    });

    it('retries a revoke that got a 502: repeating it is harmless', async () => {
      const pool = agent.get(TENANT);
      pool.intercept({ path: CREDENTIAL, method: 'POST' }).reply(answer(502, 'bad gateway', {}));
      pool.intercept({ path: CREDENTIAL, method: 'POST' }).reply(answer(404, { code: 5, message: 'not found' }));
      expect(await client().revokeCredential('app-1', 'conn-1', 'cred-1')).toBe('already revoked');
      expect(requests).toHaveLength(2);
    });

    it('says ConductorOne could not be reached when the network fails every time', async () => {
      agent
        .get(TENANT)
        .intercept({ path: CREDENTIAL, method: 'POST' })
        .replyWithError(new Error('socket hang up'))
        .times(4);
      const err = await rejection(client().revokeCredential('app-1', 'conn-1', 'cred-1'));
      expect(err).toBeInstanceOf(ActionError);
      expect(err.message).toMatch(/^Could not reach ConductorOne at acme\.conductor\.one: .*server-url/);
    });
  });
});
