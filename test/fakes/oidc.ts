// A fake of the GitHub Actions OIDC token service: what a job with `permissions: id-token: write`
// reaches through ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN, for the token
// ConductorOne exchanges under a workload-federation trust.
//
// @actions/core 3.0.1 getIDToken(audience) (lib/oidc-utils.js) reads both variables (throwing
// "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable" if either is unset or empty), appends
// `&audience=${encodeURIComponent(audience)}` by plain string concatenation (only when the audience
// is truthy), and GETs the result with @actions/http-client getJson: `Authorization: Bearer <token>`,
// `Accept: application/json`, up to 10 retries with backoff on 502/503/504. It takes the JWT from
// the response's `value` field and registers it with setSecret. The URL therefore must already carry
// a query string, as GitHub's does (`...?api-version=2.0`).
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { type FakeRequest, type Fault, HttpError, type Reply, type RequestLogEntry, startFakeServer } from './log.js';

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
export const OIDC_REPOSITORY = 'acme/connectors';
/** What GitHub puts in `aud` when the request names no audience. */
export const DEFAULT_OIDC_AUDIENCE = 'https://github.com/acme';
const TOKEN_PATH = '/token';
const API_VERSION = '2.0';
const ID_TOKEN_LIFETIME_S = 300;

export interface FakeOidcOptions {
  latencyMs?: number;
  /** Extra or replaced claims in every token handed out (e.g. another `repository` or `sub`). */
  claims?: JWTPayload;
}

export interface MintOptions {
  issuer?: string;
  /** Seconds since the epoch; default now. */
  iat?: number;
  /** Seconds since the epoch; default iat + 300. */
  exp?: number;
  claims?: JWTPayload;
}

export interface FakeOidc {
  /** Value for ACTIONS_ID_TOKEN_REQUEST_URL: http://127.0.0.1:PORT/token?api-version=2.0 (already has a query). */
  requestUrl: string;
  /** Value for ACTIONS_ID_TOKEN_REQUEST_TOKEN; the fake answers 401 to any other bearer. */
  requestToken: string;
  /** 'https://token.actions.githubusercontent.com' */
  issuer: string;
  /** The public half of the signing key (RSA, alg RS256, with kid). */
  publicJwk: JWK;
  /** The `aud` of every token handed out, in order (DEFAULT_OIDC_AUDIENCE when the request named none). */
  audiences: string[];
  /** Every JWT handed out, in order. */
  issued: string[];
  requests: RequestLogEntry[];
  inject(fault: Fault): void;
  /**
   * Signs a token with the fake's key without a request (not recorded in `issued`), for tests
   * that need a token with a wrong issuer, audience or lifetime.
   */
  mintIdToken(audience: string | string[], opts?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeOidc(opts: FakeOidcOptions = {}): Promise<FakeOidc> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(12).toString('hex');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const requestToken = randomBytes(32).toString('base64url');
  const audiences: string[] = [];
  const issued: string[] = [];

  async function mintIdToken(audience: string | string[], mint: MintOptions = {}): Promise<string> {
    const iat = mint.iat ?? Math.floor(Date.now() / 1000);
    // Claim set modelled on a real GitHub Actions token for a push to main.
    const claims: JWTPayload = {
      jti: randomUUID(),
      sub: `repo:${OIDC_REPOSITORY}:ref:refs/heads/main`,
      ref: 'refs/heads/main',
      sha: randomBytes(20).toString('hex'),
      repository: OIDC_REPOSITORY,
      repository_owner: 'acme',
      repository_owner_id: '1000001',
      repository_id: '2000002',
      repository_visibility: 'private',
      run_id: '3000003',
      run_number: '7',
      run_attempt: '1',
      actor: 'octocat',
      actor_id: '583231',
      workflow: 'Rotate connector credential',
      workflow_ref: `${OIDC_REPOSITORY}/.github/workflows/rotate.yml@refs/heads/main`,
      job_workflow_ref: `${OIDC_REPOSITORY}/.github/workflows/rotate.yml@refs/heads/main`,
      event_name: 'workflow_dispatch',
      ref_type: 'branch',
      runner_environment: 'github-hosted',
      ...opts.claims,
      ...mint.claims,
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .setIssuer(mint.issuer ?? GITHUB_OIDC_ISSUER)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(mint.exp ?? iat + ID_TOKEN_LIFETIME_S)
      .sign(privateKey);
  }

  async function handle(req: FakeRequest): Promise<Reply> {
    if (req.path !== TOKEN_PATH) throw new HttpError(404, { message: 'Not Found' });
    if (req.method !== 'GET') throw new HttpError(405, { message: `method ${req.method} not allowed` });
    if (req.headers.authorization !== `Bearer ${requestToken}`) {
      throw new HttpError(401, { message: 'Unauthorized: missing or wrong ACTIONS_ID_TOKEN_REQUEST_TOKEN' });
    }
    if (req.query.getAll('api-version').join() !== API_VERSION) {
      throw new HttpError(400, { message: `api-version must be ${API_VERSION}` });
    }
    const requested = req.query.getAll('audience');
    if (requested.length > 1) throw new HttpError(400, { message: 'audience is repeated' });
    // core only appends &audience= for a non-empty audience; GitHub then defaults to the owner URL.
    const audience = requested[0] || DEFAULT_OIDC_AUDIENCE;
    const jwt = await mintIdToken(audience);
    audiences.push(audience);
    issued.push(jwt);
    return { status: 200, body: { value: jwt } };
  }

  const server = await startFakeServer({
    handle,
    ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
  });
  return {
    requestUrl: `${server.origin}${TOKEN_PATH}?api-version=${API_VERSION}`,
    requestToken,
    issuer: GITHUB_OIDC_ISSUER,
    publicJwk,
    audiences,
    issued,
    requests: server.requests,
    inject: server.inject,
    mintIdToken,
    close: server.close,
  };
}
