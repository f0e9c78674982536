// A strict fake of the ConductorOne API endpoints the action uses, as ConductorOne's SDKs call
// them (https://github.com/conductorone/conductorone-sdk-go): client-credentials and OIDC
// token-exchange (RFC 8693) tokens, rotate, read and revoke a connector credential, read the
// connector. Anything else gets a gRPC-status JSON error ({code, message, details}).
import { randomBytes, randomInt } from 'node:crypto';
import {
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import {
  type FakeRequest,
  type Fault,
  HttpError,
  isPlainObject,
  mediaType,
  type Reply,
  type RequestExchange,
  type RequestLogEntry,
  type RequestTiming,
  readForm,
  readJson,
  startFakeServer,
} from './log.js';

export interface FakeConductorOneOptions {
  appId: string;
  connectorId: string;
  latencyMs?: number;
  /** Serve the pre-2026-01 rotate endpoint (path with IDs, body {}, top-level clientSecret) instead of the current one. */
  legacyRotateShape?: boolean;
  /** expires_in of the access tokens it hands out, in seconds (default an hour); an expired token gets 401. */
  tokenLifetimeS?: number;
}

/** Changes the body of a rotate answer; the credential itself was created and is live as usual. */
export type RotationTamper = (body: { credential: Record<string, unknown> }, credential: IssuedCredential) => unknown;

export interface IssuedCredential {
  id: string;
  appId: string;
  connectorId: string;
  clientId: string;
  clientSecret: string;
  displayName: string;
  createdAt: string;
  updatedAt: string;
  expiresTime: string;
  lastUsedAt: string | null;
  deletedAt: string | null;
  revoked: boolean;
}

/** A workload-federation trust (client ID `<name>@<host>/wfe`): which OIDC tokens it exchanges for access tokens. */
export interface FederationTrust {
  /** Public key of the OIDC issuer (RSA -> RS256, EC P-256 -> ES256, unless the JWK names its alg). */
  oidcPublicJwk: JWK;
  issuer: string;
  /** Required `aud` of the subject token; the scenario uses the fake's host (no port). */
  audience: string;
  /** Further checks on the verified claims, like a trust's CEL expression; false refuses with 401. */
  condition?: (claims: JWTPayload) => boolean;
}

export interface FakeConductorOne {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The token audience: the host without port. */
  host: string;
  requests: RequestLogEntry[];
  /** Arrival and answer times of an entry of `requests` (see FakeServer.timing). */
  timing(entry: RequestLogEntry): RequestTiming | undefined;
  /** Request and response of an entry of `requests` (see FakeServer.exchange). */
  exchange(entry: RequestLogEntry): RequestExchange | undefined;
  /** Every credential created by rotation, in order. */
  issued: IssuedCredential[];
  /** Lets a client credential (e.g. from makeClientCredential) authenticate at /auth/v1/token. */
  registerClient(clientId: string, publicJwk: JWK): void;
  /** Lets an OIDC token be exchanged for an access token at /auth/v1/token (RFC 8693) with client_id = clientId. */
  registerFederationTrust(clientId: string, trust: FederationTrust): void;
  /** Mints a valid bearer token without a request (a "ready access token"); recorded in tokensIssued. */
  issueAccessToken(): string;
  /** Creates a connector credential without a request (e.g. the "previous" one a test expects to be revoked). Not added to `issued`. */
  addCredential(): Promise<IssuedCredential>;
  /** The next rotation's answer goes through `tamper` (a hostile or broken server); the credential is created as usual. */
  tamperNextRotation(tamper: RotationTamper): void;
  /**
   * New credentials refuse their first `attempts` token requests with 401, as a
   * credential that takes a moment to go live would.
   */
  activateAfter(attempts: number): void;
  /**
   * From now on a revoke answers 200 with an empty body, which ConductorOne's SDKs accept as
   * done; the credential is revoked as usual.
   */
  answerRevokesEmpty(): void;
  inject(fault: Fault): void;
  /**
   * Time passes for every credential: its createdAt and lastUsedAt move `ms` into the past, as if
   * that long had gone by since (tests of keep-previous-for and the in-use guard, without waiting).
   */
  ageCredentials(ms: number): void;
  /** Every access token handed out, in order. */
  tokensIssued: string[];
  close(): Promise<void>;
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const DEFAULT_TOKEN_LIFETIME_S = 3600;
/** ConductorOne's token endpoint refuses client assertions that live longer than 5 minutes. */
const MAX_ASSERTION_LIFETIME_S = 300;
/** Claims are whole seconds; allow one second so rounding never decides a test. */
const CLOCK_TOLERANCE_S = 1;
const CREDENTIAL_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

// gRPC status codes as used in the error body's `code`.
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;
const UNAUTHENTICATED = 16;

function grpcError(status: number, code: number, message: string): HttpError {
  return new HttpError(status, { code, message, details: [] });
}
const invalid = (message: string) => grpcError(400, INVALID_ARGUMENT, message);
const unauthenticated = (message: string) => grpcError(401, UNAUTHENTICATED, message);
const notFound = (message = 'not found') => grpcError(404, NOT_FOUND, message);

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomId(length = 27): string {
  return Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'gentle', 'jolly', 'lucky', 'proud', 'quiet', 'swift', 'witty'];
const NOUNS = ['otter', 'falcon', 'maple', 'harbor', 'comet', 'willow', 'badger', 'canyon', 'ember', 'lagoon'];
function randomClientName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(10000, 100000)}`;
}

/** A workload-federation trust client ID: `<name>@<host>/wfe`. */
export function makeTrustClientId(host: string): string {
  return `${randomClientName()}@${host}/wfe`;
}

/** Exchanges an OIDC token for an access token (RFC 8693) at a fake, e.g. to check a trust outside the action. */
export async function requestExchangeToken(
  fake: Pick<FakeConductorOne, 'url'>,
  clientId: string,
  subjectToken: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${fake.url}/auth/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: subjectToken,
      subject_token_type: JWT_TOKEN_TYPE,
      client_id: clientId,
    }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/**
 * A client credential in ConductorOne's format, as its SDKs read it (conductorone-sdk-go, pkg/uhttp):
 * client ID `<name>@<host>/<kind>` and client secret
 * `secret-token:conductorone.com:v1:<base64url, unpadded, of the private JWK {kty, crv, x, d}>`.
 */
export async function makeClientCredential(
  host: string,
  kind = 'pcc',
): Promise<{ clientId: string; clientSecret: string; publicJwk: JWK }> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const { x, d } = await exportJWK(privateKey);
  const privateJwk = { kty: 'OKP', crv: 'Ed25519', x, d };
  return {
    clientId: `${randomClientName()}@${host}/${kind}`,
    clientSecret: `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify(privateJwk)).toString('base64url')}`,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x },
  };
}

/** The private JWK inside a client secret; throws if the secret is not in the v1 format. */
export function parseClientSecret(clientSecret: string): JWK {
  const parts = clientSecret.split(':');
  if (parts.length !== 4 || parts[2] !== 'v1') throw new Error('client secret is not secret-token:...:v1:<jwk>');
  return JSON.parse(Buffer.from(parts[3]!, 'base64url').toString('utf8')) as JWK;
}

/**
 * Signs a client assertion like ConductorOne's SDKs do: EdDSA with a random hex nonce header,
 * iss = sub = client ID, nbf and exp two minutes either side of iat. Tests override claims to
 * provoke refusals; times are seconds since the epoch.
 */
export async function signClientAssertion(
  clientId: string,
  clientSecret: string,
  opts: { audience: string | string[]; iat?: number; nbf?: number; exp?: number; issuer?: string; subject?: string },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = opts.iat ?? now;
  const key = await importJWK(parseClientSecret(clientSecret), 'EdDSA');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', nonce: randomBytes(16).toString('hex') })
    .setIssuer(opts.issuer ?? clientId)
    .setSubject(opts.subject ?? clientId)
    .setAudience(opts.audience)
    .setIssuedAt(iat)
    .setNotBefore(opts.nbf ?? iat - 120)
    .setExpirationTime(opts.exp ?? iat + 120)
    .sign(key);
}

/** Performs the client-credentials grant against a fake, e.g. to prove a rotated secret really works. */
export async function requestClientToken(
  fake: Pick<FakeConductorOne, 'url' | 'host'>,
  clientId: string,
  clientSecret: string,
): Promise<{ status: number; body: unknown }> {
  const assertion = await signClientAssertion(clientId, clientSecret, { audience: [fake.host] });
  const response = await fetch(`${fake.url}/auth/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

const CONNECTOR_PATH = /^\/api\/v1\/apps\/([^/]+)\/connectors\/([^/]+)$/;
const LEGACY_ROTATE_PATH = /^\/api\/v1\/apps\/([^/]+)\/connectors\/([^/]+)\/credentials$/;
const CREDENTIAL_PATH = /^\/api\/v1\/apps\/([^/]+)\/connectors\/([^/]+)\/credentials\/([^/]+)$/;

export async function startFakeConductorOne(opts: FakeConductorOneOptions): Promise<FakeConductorOne> {
  const host = '127.0.0.1';
  const clients = new Map<string, JWK>();
  const trusts = new Map<string, FederationTrust & { algorithm: string }>();
  const tokens = new Map<string, { clientId: string; expiresAt: number }>();
  const tokensIssued: string[] = [];
  const credentials = new Map<string, IssuedCredential>();
  const issued: IssuedCredential[] = [];
  const tampers: RotationTamper[] = [];
  let refusalsBeforeLive = 0;
  let emptyRevokeAnswers = false;
  // Client ID of a new credential -> token requests it must still refuse.
  const notLiveYet = new Map<string, number>();

  function registerClient(clientId: string, publicJwk: JWK): void {
    if (publicJwk.kty !== 'OKP' || publicJwk.crv !== 'Ed25519' || !publicJwk.x) {
      throw new Error(`registerClient(${clientId}): expected an Ed25519 public JWK`);
    }
    // Keep only the public part, so a private JWK passed by mistake cannot change verification.
    clients.set(clientId, { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x });
  }

  function registerFederationTrust(clientId: string, trust: FederationTrust): void {
    if (!/^[^@/]+@[^@/]+\/wfe$/.test(clientId)) {
      throw new Error(`registerFederationTrust(${clientId}): expected a client ID <name>@<host>/wfe`);
    }
    const jwk = trust.oidcPublicJwk;
    const algorithm =
      jwk.alg ?? (jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined);
    if (!algorithm || jwk.d !== undefined) {
      throw new Error(`registerFederationTrust(${clientId}): expected an RSA or EC P-256 public JWK`);
    }
    trusts.set(clientId, { ...trust, algorithm });
  }

  async function createCredential(): Promise<IssuedCredential> {
    const { clientId, clientSecret, publicJwk } = await makeClientCredential(host, 'ccc');
    registerClient(clientId, publicJwk);
    const now = new Date();
    const credential: IssuedCredential = {
      id: randomId(),
      appId: opts.appId,
      connectorId: opts.connectorId,
      clientId,
      clientSecret,
      displayName: `Connector credential ${credentials.size + 1}`,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresTime: new Date(now.getTime() + CREDENTIAL_LIFETIME_MS).toISOString(),
      lastUsedAt: null,
      deletedAt: null,
      revoked: false,
    };
    credentials.set(credential.id, credential);
    return credential;
  }

  /** The API's view of a credential, its fields in the API's order; clientSecret only where the API returns it. */
  function credentialView(c: IssuedCredential, withSecret: boolean): Record<string, unknown> {
    return {
      id: c.id,
      appId: c.appId,
      connectorId: c.connectorId,
      clientId: c.clientId,
      ...(withSecret ? { clientSecret: c.clientSecret } : {}),
      displayName: c.displayName,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      expiresTime: c.expiresTime,
      lastUsedAt: c.lastUsedAt,
      deletedAt: c.deletedAt,
    };
  }

  // ---- /auth/v1/token ------------------------------------------------------------------------

  async function verifyAssertion(clientId: string, publicJwk: JWK, assertion: string): Promise<void> {
    try {
      const header = decodeProtectedHeader(assertion);
      if (header.alg !== 'EdDSA') throw new Error(`header alg must be EdDSA, got ${String(header.alg)}`);
      const key = await importJWK(publicJwk, 'EdDSA');
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: ['EdDSA'],
        issuer: clientId,
        subject: clientId,
        audience: host,
        requiredClaims: ['iat', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      const iat = payload.iat!;
      const exp = payload.exp!;
      if (exp - iat > MAX_ASSERTION_LIFETIME_S) {
        throw new Error(`assertion lifetime ${exp - iat}s exceeds ${MAX_ASSERTION_LIFETIME_S}s`);
      }
      if (iat > Date.now() / 1000 + CLOCK_TOLERANCE_S) throw new Error('"iat" is in the future');
    } catch (error) {
      throw unauthenticated(`invalid client assertion: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function verifySubjectToken(
    token: string,
    alg: unknown,
    trust: FederationTrust & { algorithm: string },
  ): Promise<JWTPayload> {
    try {
      if (alg !== trust.algorithm) throw new Error(`header alg must be ${trust.algorithm}, got ${String(alg)}`);
      const key = await importJWK(trust.oidcPublicJwk, trust.algorithm);
      const { payload } = await jwtVerify(token, key, {
        algorithms: [trust.algorithm],
        issuer: trust.issuer,
        audience: trust.audience,
        requiredClaims: ['iat', 'exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      return payload;
    } catch (error) {
      throw unauthenticated(`invalid subject token: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const TOKEN_LIFETIME_S = opts.tokenLifetimeS ?? DEFAULT_TOKEN_LIFETIME_S;

  function mintAccessToken(clientId: string): string {
    const accessToken = randomBytes(32).toString('base64url');
    tokens.set(accessToken, { clientId, expiresAt: Date.now() + TOKEN_LIFETIME_S * 1000 });
    tokensIssued.push(accessToken);
    return accessToken;
  }

  function issueToken(clientId: string): Reply {
    const accessToken = mintAccessToken(clientId);
    for (const c of credentials.values()) {
      if (c.clientId === clientId) c.lastUsedAt = new Date().toISOString();
    }
    return { status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S } };
  }

  /** The form's required fields, refusing any field a grant does not take (400, as the real endpoint). */
  function formFields<K extends string>(
    form: Map<string, string>,
    required: readonly K[],
    optional: readonly string[] = [],
  ): Record<K, string> {
    const allowed = new Set<string>(['grant_type', ...required, ...optional]);
    for (const key of form.keys()) if (!allowed.has(key)) throw invalid(`unexpected form field ${key}`);
    const fields = {} as Record<K, string>;
    for (const name of required) {
      const value = form.get(name);
      if (!value) throw invalid(`${name} is required`);
      fields[name] = value;
    }
    return fields;
  }

  async function clientCredentialsGrant(form: Map<string, string>): Promise<Reply> {
    const {
      client_id: clientId,
      client_assertion: assertion,
      client_assertion_type: type,
    } = formFields(form, ['client_id', 'client_assertion', 'client_assertion_type']);
    if (type !== CLIENT_ASSERTION_TYPE) throw invalid(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    const publicJwk = clients.get(clientId);
    if (!publicJwk) throw unauthenticated(`unknown client ${clientId}`);
    await verifyAssertion(clientId, publicJwk, assertion);
    const refusals = notLiveYet.get(clientId) ?? 0;
    if (refusals > 0) {
      notLiveYet.set(clientId, refusals - 1);
      throw unauthenticated(`client ${clientId} is not active yet`);
    }
    return issueToken(clientId);
  }

  /** RFC 8693 token exchange of an OIDC token (e.g. GitHub's) under a workload-federation trust (`.../wfe`). */
  async function tokenExchangeGrant(form: Map<string, string>): Promise<Reply> {
    const fields = formFields(form, ['client_id', 'subject_token'], ['subject_token_type']);
    const { client_id: clientId, subject_token: subjectToken } = fields;
    if (form.get('subject_token_type') !== JWT_TOKEN_TYPE) {
      throw invalid(`subject_token_type must be ${JWT_TOKEN_TYPE}`);
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(subjectToken);
    } catch {
      throw invalid('subject_token is not a JWT');
    }
    const trust = trusts.get(clientId);
    if (!trust) throw unauthenticated(`unknown federation trust ${clientId}`);
    const claims = await verifySubjectToken(subjectToken, header.alg, trust);
    if (trust.condition && !trust.condition(claims)) {
      throw unauthenticated('subject token claims do not satisfy the trust condition');
    }
    const accessToken = mintAccessToken(clientId);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: TOKEN_LIFETIME_S,
        issued_token_type: ACCESS_TOKEN_TYPE,
      },
    };
  }

  // One entry per grant_type.
  const grants = new Map<string, (form: Map<string, string>) => Promise<Reply>>([
    ['client_credentials', clientCredentialsGrant],
    [TOKEN_EXCHANGE_GRANT, tokenExchangeGrant],
  ]);

  async function token(req: FakeRequest): Promise<Reply> {
    let form: Map<string, string>;
    try {
      form = readForm(req);
    } catch (error) {
      throw invalid((error as Error).message);
    }
    const grantType = form.get('grant_type');
    if (!grantType) throw invalid('grant_type is required');
    const grant = grants.get(grantType);
    if (!grant) throw invalid(`unsupported grant_type ${grantType}`);
    return grant(form);
  }

  // ---- bearer-protected API --------------------------------------------------------------------

  function requireBearer(req: FakeRequest): void {
    const match = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    const entry = match ? tokens.get(match[1]!) : undefined;
    if (!entry || entry.expiresAt <= Date.now()) throw unauthenticated('unauthenticated');
  }

  function jsonBody(req: FakeRequest): unknown {
    try {
      return readJson(req);
    } catch (error) {
      throw invalid((error as Error).message);
    }
  }

  function requireEmptyBody(req: FakeRequest): void {
    const body = jsonBody(req);
    if (!isPlainObject(body) || Object.keys(body).length !== 0) throw invalid('body must be {}');
  }

  /**
   * Revoke takes no body: ConductorOne's SDKs send none unless the caller passes the optional
   * ConnectorServiceRevokeCredentialRequest, and then `{}`. So: no body and no content-type, or
   * exactly {} as JSON; anything else is refused.
   * https://github.com/ConductorOne/conductorone-sdk-typescript/blob/main/docs/sdk/models/operations/c1apiappv1connectorservicerevokecredentialrequest.md
   */
  function requireNoBodyOrEmptyObject(req: FakeRequest): void {
    if (req.body.length === 0 && mediaType(req.headers) === '') return;
    requireEmptyBody(req);
  }

  function requireConnector(appId: string, connectorId: string): void {
    if (appId !== opts.appId || connectorId !== opts.connectorId) throw notFound('connector not found');
  }

  /** Revoked credentials are gone: reads and revokes answer 404, which the action reports as already revoked. */
  function liveCredential(id: string): IssuedCredential {
    const credential = credentials.get(id);
    if (!credential || credential.revoked) throw notFound('credential not found');
    return credential;
  }

  async function rotate(req: FakeRequest): Promise<Reply> {
    const body = jsonBody(req);
    if (!isPlainObject(body) || Object.keys(body).sort().join(',') !== 'appId,connectorId') {
      throw invalid('body must be exactly {appId, connectorId}');
    }
    if (typeof body.appId !== 'string' || typeof body.connectorId !== 'string') {
      throw invalid('appId and connectorId must be strings');
    }
    requireConnector(body.appId, body.connectorId);
    const credential = await createCredential();
    issued.push(credential);
    if (refusalsBeforeLive > 0) notLiveYet.set(credential.clientId, refusalsBeforeLive);
    const answer = { credential: credentialView(credential, true) };
    const tamper = tampers.shift();
    return { status: 200, body: tamper ? tamper(answer, credential) : answer };
  }

  async function legacyRotate(req: FakeRequest, appId: string, connectorId: string): Promise<Reply> {
    requireEmptyBody(req);
    requireConnector(appId, connectorId);
    const credential = await createCredential();
    issued.push(credential);
    return {
      status: 200,
      body: { credential: credentialView(credential, false), clientSecret: credential.clientSecret },
    };
  }

  function revoke(req: FakeRequest, id: string): Reply {
    requireNoBodyOrEmptyObject(req);
    const credential = liveCredential(id);
    const now = new Date().toISOString();
    credential.revoked = true;
    credential.deletedAt = now;
    credential.updatedAt = now;
    clients.delete(credential.clientId); // its secret can no longer get a token
    return emptyRevokeAnswers ? { status: 200 } : { status: 200, body: {} };
  }

  type Route = {
    pattern: RegExp;
    bearer: boolean;
    methods: Partial<Record<string, (req: FakeRequest, params: string[]) => Reply | Promise<Reply>>>;
  };
  const routes: Route[] = [
    { pattern: /^\/auth\/v1\/token$/, bearer: false, methods: { POST: (req) => token(req) } },
    {
      pattern: CONNECTOR_PATH,
      bearer: true,
      methods: {
        GET: (_req, [appId, connectorId]) => {
          requireConnector(appId!, connectorId!);
          return {
            status: 200,
            body: {
              connectorView: { connector: { id: opts.connectorId, appId: opts.appId, displayName: 'Fake connector' } },
            },
          };
        },
      },
    },
    {
      pattern: CREDENTIAL_PATH,
      bearer: true,
      methods: {
        GET: (_req, [appId, connectorId, id]) => {
          requireConnector(appId!, connectorId!);
          return { status: 200, body: { credential: credentialView(liveCredential(id!), false) } };
        },
        POST: (req, [appId, connectorId, id]) => {
          requireConnector(appId!, connectorId!);
          return revoke(req, id!);
        },
      },
    },
    // Exactly one rotate endpoint exists at a time, like a server before or after 2026-01.
    opts.legacyRotateShape
      ? {
          pattern: LEGACY_ROTATE_PATH,
          bearer: true,
          methods: { POST: (req, [appId, connectorId]) => legacyRotate(req, appId!, connectorId!) },
        }
      : {
          pattern: /^\/api\/v1\/apps\/connectors\/credentials$/,
          bearer: true,
          methods: { POST: (req) => rotate(req) },
        },
  ];

  async function handle(req: FakeRequest): Promise<Reply> {
    for (const route of routes) {
      const match = route.pattern.exec(req.path);
      if (!match) continue;
      const handler = route.methods[req.method];
      if (!handler) throw grpcError(405, UNIMPLEMENTED, `method ${req.method} not allowed`);
      if (route.bearer) requireBearer(req);
      let params: string[];
      try {
        params = match.slice(1).map((segment) => decodeURIComponent(segment));
      } catch {
        throw invalid('malformed path');
      }
      return handler(req, params);
    }
    throw notFound();
  }

  const server = await startFakeServer({
    handle,
    ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
  });
  return {
    url: server.origin,
    host,
    requests: server.requests,
    timing: server.timing,
    exchange: server.exchange,
    issued,
    registerClient,
    registerFederationTrust,
    issueAccessToken: () => mintAccessToken('ready-access-token'),
    addCredential: createCredential,
    tamperNextRotation: (tamper) => void tampers.push(tamper),
    activateAfter: (attempts) => {
      refusalsBeforeLive = attempts;
    },
    answerRevokesEmpty: () => {
      emptyRevokeAnswers = true;
    },
    inject: server.inject,
    ageCredentials: (ms) => {
      const back = (iso: string | null) => (iso ? new Date(Date.parse(iso) - ms).toISOString() : iso);
      for (const c of credentials.values()) {
        c.createdAt = back(c.createdAt) as string;
        c.lastUsedAt = back(c.lastUsedAt);
      }
    },
    tokensIssued,
    close: server.close,
  };
}
