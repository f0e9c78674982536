import { type CryptoKey, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROOF_RETRY_DELAYS_MS, ProofError, proveCredential } from '../../src/conductorone/proof.js';
import { ActionError } from '../../src/errors.js';
import type { RotatedCredential } from '../../src/model.js';
import { type MockApi, mockApi, rejectionOf } from './mock-api.js';

const TENANT = 'https://acme.conductor.one';
const SECRET_PREFIX = 'secret-token:conductorone.com:v1:';
const NEW_CLIENT_ID = 'connector-new@acme.conductor.one/pcc';

/** The key pair ConductorOne put in the new credential, and one that has nothing to do with it. */
let newPublicKey: CryptoKey;
let otherPublicKey: CryptoKey;
let newD: string;
let newClientSecret: string;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  newPublicKey = pair.publicKey;
  const jwk = await exportJWK(pair.privateKey);
  newD = jwk.d!;
  newClientSecret =
    SECRET_PREFIX +
    Buffer.from(JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d })).toString('base64url');
  otherPublicKey = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).publicKey;
});

let api: MockApi;
let masked: string[];
let logged: string[];

beforeEach(() => {
  api = mockApi();
  masked = [];
  logged = [];
});

afterEach(async () => {
  await api.close();
});

function credential(clientSecret = newClientSecret): RotatedCredential {
  return { id: 'cred-new', clientId: NEW_CLIENT_ID, clientSecret, expiresTime: '2026-06-01T12:00:00Z' };
}

function prove(c: RotatedCredential = credential()): Promise<void> {
  return proveCredential(c, {
    serverUrl: new URL(TENANT),
    http: api.http(),
    mask: (v) => masked.push(v),
    log: (line) => logged.push(line),
  });
}

describe('proveCredential', () => {
  it('gets a token with the new credential: a client-credentials form whose assertion the new key signed', async () => {
    api.agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(api.answer(200, { access_token: 'proof-token', token_type: 'Bearer', expires_in: 3600 }));
    await prove();

    expect(api.log()).toEqual(['POST /auth/v1/token 200']);
    const sent = api.requests[0]!;
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(sent.body);
    expect([...form.keys()].sort()).toEqual(['client_assertion', 'client_assertion_type', 'client_id', 'grant_type']);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_id')).toBe(NEW_CLIENT_ID);
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = form.get('client_assertion')!;
    const { payload, protectedHeader } = await jwtVerify(assertion, newPublicKey, {
      issuer: NEW_CLIENT_ID,
      subject: NEW_CLIENT_ID,
      audience: 'acme.conductor.one',
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload.exp! - payload.nbf!).toBe(240);
    await expect(jwtVerify(assertion, otherPublicKey)).rejects.toThrow();
  });

  it('never sends the new client secret or its private key', async () => {
    api.agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(api.answer(200, { access_token: 'proof-token' }));
    await prove();
    const everything = JSON.stringify(api.requests);
    expect(everything).not.toContain(newClientSecret);
    expect(everything).not.toContain(newD);
  });

  it('masks the token the proof obtained', async () => {
    api.agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(api.answer(200, { access_token: 'proof-token' }));
    await prove();
    expect(masked).toEqual(['proof-token']);
  });

  it('fails naming the credential ID and client ID, and never the secret, when every token request is refused (401)', async () => {
    api.agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(api.answer(401, { code: 16, message: 'invalid client assertion' }))
      .times(4);
    const err = await rejectionOf(prove());
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toMatch(
      /^The new credential cred-new \(client ID connector-new@acme\.conductor\.one\/pcc\) could not authenticate to ConductorOne: /,
    );
    expect(err.message).toContain('401');
    expect(err.message).toContain('invalid client assertion');
    expect(err.message).not.toContain(newClientSecret);
    expect(err.message).not.toContain(newClientSecret.slice(SECRET_PREFIX.length));
    expect(err.message).not.toContain(newD);
    // The message is about the new credential, not the client-id input of the action.
    expect(err.message).not.toContain('check that client-secret');
    expect(err).toBeInstanceOf(ProofError);
    // A refusal is retried for a few seconds (a new credential may not be live yet), then given up.
    expect(api.requests).toHaveLength(4);
    expect(api.clock.waits).toEqual([...PROOF_RETRY_DELAYS_MS]);
    expect(err.message).toContain('(4 attempts in 3.5 s)');
    expect(logged).toEqual(
      Array(3)
        .fill('The new credential cred-new was refused; it may not be live yet, so the proof tries again in ')
        .map((line, i) => `${line}${['0.5', '1.0', '2.0'][i]} s.`),
    );
    expect(masked).toEqual([]);
  });

  it('passes when the new credential goes live after two refusals, with a fresh assertion each time', async () => {
    const pool = api.agent.get(TENANT);
    pool
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(api.answer(401, { code: 16, message: 'not active yet' }))
      .times(2);
    pool.intercept({ path: '/auth/v1/token', method: 'POST' }).reply(api.answer(200, { access_token: 'proof-token' }));
    await prove();
    expect(api.log()).toEqual(['POST /auth/v1/token 401', 'POST /auth/v1/token 401', 'POST /auth/v1/token 200']);
    const assertions = api.requests.map((r) => new URLSearchParams(r.body).get('client_assertion'));
    expect(new Set(assertions).size).toBe(3);
    expect(masked).toEqual(['proof-token']);
  });

  it('does not retry a failure that is not a refusal (a 500 the HTTP policy already retried)', async () => {
    api.agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .reply(api.answer(500, { message: 'boom' }))
      .times(4);
    const err = await rejectionOf(prove());
    expect(err.message).toContain('ConductorOne token request to acme.conductor.one failed (500');
    expect(api.requests).toHaveLength(4);
    expect(logged).toEqual([]);
  });

  it('fails without quoting a malformed client secret, and makes no request', async () => {
    const malformed = [
      `${SECRET_PREFIX}not+base64url/at-all`,
      `${SECRET_PREFIX}${Buffer.from(JSON.stringify({ kty: 'RSA', n: 'abc', d: newD })).toString('base64url')}`,
      `secret-token:example.com:v1:${newD}`,
      newD,
    ];
    for (const secret of malformed) {
      const err = await rejectionOf(prove(credential(secret)));
      expect(err).toBeInstanceOf(ActionError);
      expect(err.message).toContain('cred-new');
      expect(err.message).toContain(
        'its client secret is not in the form secret-token:conductorone.com:v1:<Ed25519 key>',
      );
      expect(err.message).not.toContain(secret);
      expect(err.message).not.toContain(newD);
      expect(err.message).not.toMatch(/^Input /);
    }
    expect(api.requests).toEqual([]);
  });

  it('fails when ConductorOne cannot be reached, naming the credential', async () => {
    api.agent
      .get(TENANT)
      .intercept({ path: '/auth/v1/token', method: 'POST' })
      .replyWithError(new Error('socket hang up'))
      .times(4);
    const err = await rejectionOf(prove());
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain('The new credential cred-new');
    expect(err.message).toContain('Could not reach ConductorOne at acme.conductor.one');
    expect(api.clock.waits).toHaveLength(3);
  });
});
