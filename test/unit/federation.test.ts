import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessTokenSource, FederationTokenSource } from '../../src/conductorone/auth.js';
import { ActionError } from '../../src/errors.js';
import { Http } from '../../src/http.js';

const TENANT = 'https://acme.conductor.one';
const TRUST = 'github-rotator@acme.conductor.one/wfe';
const OIDC_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.github-oidc.signature';

let agent: MockAgent;
let masked: string[];
let bodies: string[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  masked = [];
  bodies = [];
});

afterEach(async () => {
  await agent.close();
});

function federation(getIdToken: (audience: string) => Promise<string>) {
  const http = new Http({ dispatcher: agent, clock: { now: () => 0, sleep: async () => {}, random: () => 0.5 } });
  return new FederationTokenSource({
    clientId: TRUST,
    audience: 'acme.conductor.one',
    serverUrl: new URL(TENANT),
    http,
    getIdToken,
    mask: (v) => masked.push(v),
  });
}

function tokenEndpoint(status: number, body: unknown) {
  agent
    .get(TENANT)
    .intercept({ method: 'POST', path: '/auth/v1/token' })
    .reply(({ body: sent }) => {
      bodies.push(String(sent));
      return {
        statusCode: status,
        data: JSON.stringify(body),
        responseOptions: { headers: { 'content-type': 'application/json' } },
      };
    });
}

describe('FederationTokenSource', () => {
  it('exchanges the GitHub OIDC token for the tenant-host audience with the RFC 8693 grant, masking both tokens', async () => {
    const audiences: string[] = [];
    tokenEndpoint(200, { access_token: 'c1-access', token_type: 'Bearer', expires_in: 3600 });
    const token = await federation(async (audience) => {
      audiences.push(audience);
      return OIDC_TOKEN;
    }).getToken();
    expect(token).toBe('c1-access');
    expect(audiences).toEqual(['acme.conductor.one']);
    expect(Object.fromEntries(new URLSearchParams(bodies[0]))).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: OIDC_TOKEN,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      client_id: TRUST,
    });
    expect(masked).toEqual([OIDC_TOKEN, 'c1-access']);
  });

  it('explains a refused exchange with the trust, the issuer and the audience, never the token', async () => {
    tokenEndpoint(401, { code: 16, message: 'token does not satisfy trust condition' });
    const err = (await federation(async () => OIDC_TOKEN)
      .getToken()
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain(TRUST);
    expect(err.message).toContain('token does not satisfy trust condition');
    expect(err.message).toContain('https://token.actions.githubusercontent.com');
    expect(err.message).toContain('oidc-audience');
    expect(err.message).not.toContain(OIDC_TOKEN);
  });

  it('says to add "id-token: write" when the runner will not give an OIDC token, before any ConductorOne request', async () => {
    const err = (await federation(async () => {
      throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
    })
      .getToken()
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/id-token: write/);
    expect(bodies).toEqual([]);
  });
});

describe('AccessTokenSource', () => {
  it('hands out the ready token without any request', async () => {
    const source = new AccessTokenSource('c1-ready');
    expect(await source.getToken()).toBe('c1-ready');
    expect(source.description).toBe('access-token');
  });
});
