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
  getToken(): Promise<string>;
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

/** Client credentials with a signed assertion; the token is fetched once and reused. */
export class ClientCredentialsTokenSource implements TokenSource {
  readonly description: string;
  private token: Promise<string> | undefined;

  constructor(private readonly options: ClientCredentialsOptions) {
    this.description = `client-id ${options.clientId}`;
  }

  getToken(): Promise<string> {
    this.token ??= this.fetchToken();
    return this.token;
  }

  private async fetchToken(): Promise<string> {
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
export class FederationTokenSource implements TokenSource {
  readonly description: string;
  private token: Promise<string> | undefined;

  constructor(private readonly options: FederationOptions) {
    this.description = `federation trust ${options.clientId}`;
  }

  getToken(): Promise<string> {
    this.token ??= this.exchange();
    return this.token;
  }

  private async exchange(): Promise<string> {
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
 * POSTs a form to the token endpoint and returns the masked access token.
 * Retrying is safe here: a second token request only issues a second token.
 */
export async function requestToken(
  http: Http,
  url: URL,
  form: URLSearchParams,
  mask: (value: string) => void,
  messages: { refused(detail: string): string },
): Promise<string> {
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
  let token: unknown;
  try {
    token = ((await response.json()) as { access_token?: unknown }).access_token;
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
  return token;
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
