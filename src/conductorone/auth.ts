/**
 * Token sources: where the ConductorOne bearer token comes from.
 *
 * Client credentials follow ConductorOne's SDKs (c1TokenSource): an OAuth2
 * client-credentials request whose client authentication is a short-lived JWT
 * signed with the Ed25519 key inside the client secret (RFC 7523
 * private_key_jwt), so the secret itself never leaves the runner.
 * https://github.com/conductorone/conductorone-sdk-go (pkg/uhttp token source)
 */
import { randomBytes } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { ActionError, errorMessage, InputError, TransportError } from '../errors.js';
import type { Http } from '../http.js';
import type { HttpResponse } from '../http-response.js';
import type { Auth, Ed25519PrivateJwk } from '../model.js';
import { hasControlCharacters, serverText } from '../redact.js';
import { ANY_PROXY, CHECK_NETWORK, describeErrorResponse } from './errors.js';

export interface TokenSource {
  /** Says which identity authenticates, for messages; never secret. */
  readonly description: string;
  /** A token good for a while yet: a cached one, or a new one once the cached one nears its expiry. */
  getToken(): Promise<string>;
  /**
   * Gets a new token in place of `stale`, the one that was not accepted (once
   * for several requests that met it at once); absent when the source cannot
   * (a ready token).
   */
  refresh?(stale: string): Promise<string>;
}

/** A token and when it stops working, as the token endpoint's expires_in says (ms; undefined: not said). */
interface IssuedToken {
  token: string;
  expiresAt?: number;
}

/** A token is renewed this long before it expires (or half its life, when that is shorter). */
const RENEW_BEFORE_EXPIRY_MS = 60_000;

/**
 * A source that asks the token endpoint: one token is reused, and renewed once
 * it nears the end of its expires_in, so that what follows a long wait (the
 * revoke after deploy runs) does not meet an expired token. A refusal is kept
 * too (asking again would only be refused again); any other failure is not, so
 * a later call asks again.
 */
abstract class RenewingTokenSource implements TokenSource {
  abstract readonly description: string;
  private issued: Promise<IssuedToken> | undefined;
  private renewAt = Number.POSITIVE_INFINITY;

  constructor(protected readonly clock: () => number) {}

  async getToken(): Promise<string> {
    if (this.issued && this.clock() >= this.renewAt) this.issued = undefined;
    if (!this.issued) {
      const asked = this.clock();
      this.renewAt = Number.POSITIVE_INFINITY;
      const issued = this.fetchToken().then((token) => {
        if (token.expiresAt !== undefined) {
          const margin = Math.min(RENEW_BEFORE_EXPIRY_MS, (token.expiresAt - asked) / 2);
          this.renewAt = token.expiresAt - margin;
        }
        return token;
      });
      issued.catch((err: unknown) => {
        if (!(err instanceof TokenRefusedError) && this.issued === issued) this.issued = undefined;
      });
      this.issued = issued;
    }
    return (await this.issued).token;
  }

  async refresh(stale: string): Promise<string> {
    const current = this.issued;
    const token = await current?.then(
      (t) => t.token,
      () => undefined,
    );
    // Another request that met the same refusal renewed it already.
    if (token !== undefined && token !== stale) return token;
    if (this.issued === current) this.issued = undefined;
    return this.getToken();
  }

  protected abstract fetchToken(): Promise<IssuedToken>;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The token endpoint refused the credentials (400, 401 or 403): not a transient failure. */
export class TokenRefusedError extends ActionError {
  override readonly name = 'TokenRefusedError';
}

/** The token endpoint of a tenant: `https://{host}/auth/v1/token`. */
export function tokenUrl(serverUrl: URL): URL {
  return new URL(`${serverUrl.href.replace(/\/$/, '')}/auth/v1/token`);
}

/**
 * The client assertion: `iss` = `sub` = client ID, `aud` = the token host
 * without port, valid from 2 minutes ago to 2 minutes ahead (the server refuses
 * a lifetime over 5 minutes), with a random `nonce` header as the Go SDK sends
 * and, like both SDKs, no `typ` header.
 */
export async function createClientAssertion(
  clientId: string,
  key: SigningKey,
  audience: string,
  nowSeconds: number,
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', nonce: randomBytes(16).toString('hex') })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience([audience])
    .setIssuedAt(nowSeconds)
    .setNotBefore(nowSeconds - 120)
    .setExpirationTime(nowSeconds + 120)
    .sign(key);
}

export type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/** Loads the key before any request, so a damaged secret is an input error. */
export async function importSigningKey(privateJwk: Ed25519PrivateJwk): Promise<SigningKey> {
  try {
    return await importJWK({ ...privateJwk }, 'EdDSA');
  } catch {
    const fix = 'paste the whole client secret ConductorOne showed when the API client was created';
    throw new InputError('client-secret', `its Ed25519 key could not be loaded: ${fix}.`);
  }
}

export interface ClientCredentialsOptions {
  clientId: string;
  key: SigningKey;
  serverUrl: URL;
  http: Http;
  /** core.setSecret: the access token is masked the moment it arrives. */
  mask(value: string): void;
  now?: () => number;
  /** The message for a refused token request; by default it speaks of the client-id input. */
  refused?(detail: string): string;
}

/** Client credentials with a signed assertion; the token is reused until it nears its expiry. */
export class ClientCredentialsTokenSource extends RenewingTokenSource {
  readonly description: string;

  constructor(private readonly options: ClientCredentialsOptions) {
    super(() => options.http.clock.now());
    this.description = `client-id ${options.clientId}`;
  }

  protected async fetchToken(): Promise<IssuedToken> {
    const { clientId, key, serverUrl, http, mask } = this.options;
    const url = tokenUrl(serverUrl);
    const now = Math.floor((this.options.now ?? Date.now)() / 1000);
    const assertion = await createClientAssertion(clientId, key, url.hostname, now);
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
    });
    const checks = [
      "that client-secret is this API client's secret,",
      'that the client was not deleted or expired,',
      `and that it belongs to the tenant ${url.host}`,
    ].join(' ');
    return requestToken(http, url, form, mask, {
      refused:
        this.options.refused ??
        ((detail) => `ConductorOne refused client-id ${clientId} (${detail}): check ${checks}.`),
    });
  }
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export interface FederationOptions {
  /** The federation trust's client ID (`.../wfe`). */
  clientId: string;
  audience: string;
  serverUrl: URL;
  http: Http;
  /** core.getIDToken: the workflow's GitHub OIDC token for an audience. */
  getIdToken(audience: string): Promise<string>;
  mask(value: string): void;
}

/**
 * GitHub OIDC federation: the workflow's OIDC token is exchanged for a
 * ConductorOne access token (RFC 8693 token exchange), so no long-lived
 * ConductorOne secret is stored in GitHub.
 * https://docs.github.com/en/actions/concepts/security/openid-connect
 */
export class FederationTokenSource extends RenewingTokenSource {
  readonly description: string;

  constructor(private readonly options: FederationOptions) {
    super(() => options.http.clock.now());
    this.description = `federation trust ${options.clientId}`;
  }

  /** Each renewal exchanges a new GitHub OIDC token: the job can ask for one at any time. */
  protected async fetchToken(): Promise<IssuedToken> {
    const { clientId, audience, serverUrl, http, getIdToken, mask } = this.options;
    let idToken: string;
    try {
      idToken = await getIdToken(audience);
    } catch (err) {
      const reason = serverText(errorMessage(err));
      const fix = 'check that the job has "permissions: id-token: write"';
      throw new ActionError(
        `Could not get the workflow's GitHub OIDC token for audience ${audience} (${reason}): ${fix}.`,
      );
    }
    mask(idToken);
    if (hasControlCharacters(idToken)) {
      const problem = 'contains control characters; it cannot be exchanged';
      throw new ActionError(`The workflow's GitHub OIDC token for audience ${audience} ${problem}.`);
    }
    const url = tokenUrl(serverUrl);
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: idToken,
      subject_token_type: JWT_TOKEN_TYPE,
      client_id: clientId,
    });
    const checks = [
      "that the trust's OIDC provider has issuer https://token.actions.githubusercontent.com,",
      'that its CEL condition matches this repository and environment,',
      `and that the token audience ${audience} is what the provider expects (set oidc-audience to change it)`,
    ].join(' ');
    return requestToken(http, url, form, mask, {
      refused: (detail) =>
        `ConductorOne refused this workflow's GitHub OIDC token for ${clientId} (${detail}): check ${checks}.`,
    });
  }
}

/** A ready bearer token (e.g. CONDUCTORONE_ACCESS_TOKEN from ConductorOne's own OIDC action). */
export class AccessTokenSource implements TokenSource {
  constructor(
    private readonly token: string,
    /** Where the token came from: the access-token input, or an environment variable. */
    readonly description = 'access-token',
  ) {}

  getToken(): Promise<string> {
    return Promise.resolve(this.token);
  }
}

/**
 * POSTs a form to the token endpoint and returns the masked access token, with
 * when it expires (expires_in, counted from when it was asked for).
 * Retrying is safe here: a second token request only issues a second token.
 */
export async function requestToken(
  http: Http,
  url: URL,
  form: URLSearchParams,
  mask: (value: string) => void,
  messages: { refused(detail: string): string },
): Promise<IssuedToken> {
  const asked = http.clock.now();
  let response: HttpResponse;
  try {
    response = await http.send(
      url.href,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      },
      { idempotent: true },
    );
  } catch (err) {
    if (err instanceof TransportError) {
      const unreachable = `Could not reach ConductorOne at ${url.host} for a token: ${err.message}`;
      throw new ActionError(`${unreachable}. ${CHECK_NETWORK}`, { cause: err });
    }
    throw err;
  }
  if (!response.ok) {
    const detail = await describeErrorResponse(response);
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new TokenRefusedError(messages.refused(detail));
    }
    throw new ActionError(`ConductorOne token request to ${url.host} failed (${detail}).`);
  }
  if (response.status !== 200) {
    const answered = `ConductorOne token request to ${url.host} answered ${response.status}`;
    throw new ActionError(`${answered}, not the documented 200: check server-url and ${ANY_PROXY}.`);
  }
  return readIssuedToken(response, url, mask, asked);
}

/** The access token of a 200 answer, masked at once, with its expiry; refused when it could not be sent. */
async function readIssuedToken(
  response: HttpResponse,
  url: URL,
  mask: (value: string) => void,
  asked: number,
): Promise<IssuedToken> {
  let token: unknown;
  let expiresIn: unknown;
  try {
    ({ access_token: token, expires_in: expiresIn } = (await response.json()) as Record<string, unknown>);
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') {
    throw new ActionError(`ConductorOne token response from ${url.host} carried no access_token.`);
  }
  // Masked first (line by line), then refused if it could not be a header value.
  mask(token);
  if (hasControlCharacters(token) || /\s/.test(token)) {
    const problem = 'an access_token with spaces or control characters, which cannot be sent as a bearer token';
    throw new ActionError(`ConductorOne token response from ${url.host} carried ${problem}.`);
  }
  // OAuth 2.0 (RFC 6749 5.1): the lifetime in seconds; anything else is taken as not said.
  const lifetime = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined;
  return { token, ...(lifetime !== undefined ? { expiresAt: asked + lifetime * 1000 } : {}) };
}

export interface TokenSourceOptions {
  serverUrl: URL;
  http: Http;
  /** core.getIDToken, for federation. */
  getIdToken(audience: string): Promise<string>;
  /** core.setSecret: every token is masked the moment it arrives. */
  mask(value: string): void;
}

/** The token source for the one authentication the inputs chose. */
export async function tokenSourceFor(auth: Auth, options: TokenSourceOptions): Promise<TokenSource> {
  const { serverUrl, http, getIdToken, mask } = options;
  switch (auth.kind) {
    case 'client-credentials': {
      // The key is loaded first, so a damaged secret is an input error, before any request.
      const key = await importSigningKey(auth.privateJwk);
      return new ClientCredentialsTokenSource({ clientId: auth.clientId, key, serverUrl, http, mask });
    }
    case 'federation':
      return new FederationTokenSource({
        clientId: auth.clientId,
        audience: auth.audience,
        serverUrl,
        http,
        getIdToken,
        mask,
      });
    case 'access-token':
      return new AccessTokenSource(auth.token, auth.source ? `${auth.source} from the environment` : 'access-token');
  }
}
