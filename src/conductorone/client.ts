/**
 * ConductorOne API calls the action makes, over the shared HTTP policy.
 * RotateCredential: https://docs.conductorone.com/ (Connector service,
 * POST /api/v1/apps/connectors/credentials; ConductorOne's API page is kept in
 * shared/seed/RotateCredential.txt). Get connector, get and revoke one
 * credential follow ConductorOne's Go SDK (ConnectorService.Get,
 * GetCredentials, RevokeCredential): https://github.com/conductorone/conductorone-sdk-go
 *
 * Only documented answers count: 200 with ConductorOne's JSON. Whatever else
 * comes back (a proxy's page, a redirect, which is never followed) is a
 * failure, and nothing in an answer reaches a URL or a log line unchecked.
 */
import { ActionError, TransportError } from '../errors.js';
import type { Http } from '../http.js';
import type { HttpResponse } from '../http-response.js';
import type { CredentialInfo, RotatedCredential } from '../model.js';
import type { TokenSource } from './auth.js';
import { isConductorOneId, isRfc3339, parseClientId, parseClientSecret } from './credential.js';
import { ANY_PROXY, CHECK_NETWORK, describeErrorResponse, isConductorOneError, readJson } from './errors.js';

export interface ConductorOneClientOptions {
  serverUrl: URL;
  http: Http;
  tokenSource: TokenSource;
  /** core.setSecret: the new client secret is masked before anything else. */
  mask(value: string): void;
}

export type RevokeResult = 'revoked' | 'already revoked';

interface CredentialBody {
  id?: unknown;
  clientId?: unknown;
  clientSecret?: unknown;
  expiresTime?: unknown;
  lastUsedAt?: unknown;
  deletedAt?: unknown;
}

/**
 * The offset between ConductorOne's clock (its Date header) and the runner's
 * that lastUsedAt is corrected by: from 2 s (the header has whole seconds, so
 * less is its rounding, not the clocks) to an hour (a server that sends a wild
 * Date must not move lastUsedAt by days). Only ever towards a later use: a
 * Date that would make a use look older could get a credential in use revoked.
 */
const CLOCK_OFFSET_MS = { min: 2_000, max: 60 * 60 * 1000 };

/**
 * RotateCredential answered, but not with a credential the action can use.
 * Nothing was stored; `credentialId` is set when the answer named a credential
 * by a valid ID, so that it can be revoked.
 */
export class MalformedCredentialError extends ActionError {
  override readonly name = 'MalformedCredentialError';
  constructor(
    readonly problem: string,
    readonly credentialId: string | undefined,
  ) {
    super(`ConductorOne answered RotateCredential with a malformed credential (${problem}).`);
  }
}

/** The parts of messages that several answers share. */
const CHECK_IDS = "check app-id and connector-id on the connector's page in ConductorOne";
const GRANT_ROLE =
  "give that identity ConductorOne's Connector Administrator role, also in the scoped roles of its credential or federation trust if those are limited";
/** After a RotateCredential whose outcome is unknown. */
const MAY_HAVE_ISSUED = [
  'ConductorOne may have issued a credential that nothing stored;',
  'the previous credential is unchanged and still valid.',
  'Re-run the workflow, and revoke any unused credential in ConductorOne.',
].join(' ');

export class ConductorOneClient {
  constructor(private readonly options: ConductorOneClientOptions) {}

  get host(): string {
    return this.options.serverUrl.host;
  }

  async rotateCredential(appId: string, connectorId: string): Promise<RotatedCredential> {
    const subject = `connector ${connectorId} of app ${appId}`;
    let response: HttpResponse;
    try {
      // Not idempotent: each call issues a credential. Http retries it only
      // when the server cannot have acted (no connection, 429, 503).
      response = await this.call('POST', '/api/v1/apps/connectors/credentials', { appId, connectorId }, false);
    } catch (err) {
      if (err instanceof TransportError && err.mayHaveBeenProcessed) {
        const noAnswer = `RotateCredential for ${subject} got no answer (${err.message})`;
        throw new ActionError(`${noAnswer}. ${MAY_HAVE_ISSUED}`, { cause: err });
      }
      throw this.unreachableError(err);
    }
    if (response.status !== 200) throw new ActionError(await this.rotateRefused(response, subject));

    const body = await readJson(response);
    if (!isObject(body)) {
      // Never quote the body: it may hold the new secret.
      const notJson = `RotateCredential for ${subject} answered with a body that is not JSON`;
      throw new ActionError(`${notJson}; a credential may have been issued. The previous credential is still valid.`);
    }
    const credential: CredentialBody = isObject(body.credential) ? body.credential : {};
    // Older API versions put clientSecret beside `credential`.
    const clientSecret = credential.clientSecret ?? body.clientSecret;
    // Masked before anything is checked, so no message below can print it.
    if (typeof clientSecret === 'string' && clientSecret !== '') this.options.mask(clientSecret);
    return checkIssuedCredential(credential, clientSecret);
  }

  /** The dry run's proof that app-id and connector-id name a connector this identity can see. */
  async checkConnector(appId: string, connectorId: string): Promise<void> {
    const subject = `connector ${connectorId} of app ${appId}`;
    const response = await this.callOrExplain('GET', `/api/v1/apps/${encode(appId)}/connectors/${encode(connectorId)}`);
    if (response.status === 200 && isObject(await readJson(response))) return;
    const detail = await describeErrorResponse(response);
    if (response.status === 404) throw new ActionError(`ConductorOne found no ${subject} (${detail}): ${CHECK_IDS}.`);
    throw new ActionError(this.refusal(response.status, detail, `read ${subject}`));
  }

  /**
   * One credential of the connector; undefined when it no longer exists: a
   * 404 that is ConductorOne's own error, or a credential marked deleted.
   */
  async getCredential(appId: string, connectorId: string, id: string): Promise<CredentialInfo | undefined> {
    const doing = `read credential ${id} of connector ${connectorId}`;
    const response = await this.callOrExplain('GET', credentialPath(appId, connectorId, id));
    if (response.status === 404) {
      if (await isConductorOneError(response.clone())) return undefined;
      const detail = await describeErrorResponse(response);
      const fix = `check server-url and ${ANY_PROXY}`;
      throw new ActionError(`ConductorOne could not ${doing} (${detail}, not ConductorOne's own answer): ${fix}.`);
    }
    if (response.status !== 200) {
      const detail = await describeErrorResponse(response);
      throw new ActionError(this.refusal(response.status, detail, doing));
    }
    const body = await readJson(response);
    const credential = isObject(body) && isObject(body.credential) ? (body.credential as CredentialBody) : undefined;
    if (credential?.id !== id)
      throw new ActionError(`ConductorOne answered the read of credential ${id} without that credential.`);
    if (typeof credential.deletedAt === 'string' && credential.deletedAt !== '') return undefined;
    const lastUsed = this.lastUsedAt(credential.lastUsedAt, response.headers.get('date'));
    const used = lastUsed === undefined ? {} : { lastUsedAt: lastUsed };
    const expires = credential.expiresTime;
    if (expires === undefined || expires === null || expires === '') return { id, expiresTime: '', ...used };
    if (typeof expires === 'string' && isRfc3339(expires)) return { id, expiresTime: expires, ...used };
    return { id, expiresTime: '', expiryUnreadable: true, ...used };
  }

  /**
   * lastUsedAt on the runner's clock, which is what the ledger's times are on:
   * the answer's Date header tells how far ConductorOne's clock is from it.
   * Taking the offset when the answer is read errs towards a later use, which
   * only ever keeps a credential longer.
   */
  private lastUsedAt(value: unknown, date: string | null): number | 'unreadable' | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' || !isRfc3339(value)) return 'unreadable';
    const serverNow = date ? Date.parse(date) : Number.NaN;
    const offset = Number.isNaN(serverNow) ? 0 : serverNow - this.options.http.clock.now();
    // ConductorOne's clock behind the runner's: its times are early, so a use was later than it says.
    const believed = -offset >= CLOCK_OFFSET_MS.min && -offset <= CLOCK_OFFSET_MS.max;
    return Date.parse(value) - (believed ? offset : 0);
  }

  /**
   * Revokes one credential. A 404 means it is gone already (revoked by hand,
   * or by an earlier attempt of this very request), which is what was wanted,
   * but only when ConductorOne itself says so: a proxy's 404 page proves
   * nothing, so then a read decides. A success without ConductorOne's JSON (an
   * empty body, which its SDKs accept as a revoke; or a proxy's page) is
   * likewise confirmed by a read.
   */
  async revokeCredential(appId: string, connectorId: string, id: string): Promise<RevokeResult> {
    const doing = `revoke credential ${id} of connector ${connectorId}`;
    // Repeating a revoke is harmless: a second one finds the credential gone.
    const response = await this.callOrExplain('POST', credentialPath(appId, connectorId, id), {});
    if (response.status === 200 || response.status === 204) {
      if (isObject(await readJson(response))) return 'revoked';
      if ((await this.getCredential(appId, connectorId, id)) === undefined) return 'revoked';
      const answered = `the answer (${response.status}) was not ConductorOne's JSON, and a read shows the credential still exists`;
      throw new ActionError(`ConductorOne could not ${doing}: ${answered}. Check server-url and ${ANY_PROXY}.`);
    }
    if (response.status === 404) {
      if (await isConductorOneError(response.clone())) return 'already revoked';
      const detail = await describeErrorResponse(response);
      if ((await this.getCredential(appId, connectorId, id)) === undefined) return 'already revoked';
      throw new ActionError(
        [
          `ConductorOne could not ${doing} (${detail}, not ConductorOne's own answer),`,
          `and the credential still exists: check server-url and ${ANY_PROXY}.`,
        ].join(' '),
      );
    }
    const detail = await describeErrorResponse(response);
    throw new ActionError(this.refusal(response.status, detail, doing));
  }

  private async callOrExplain(method: string, path: string, body?: unknown): Promise<HttpResponse> {
    try {
      return await this.call(method, path, body, true);
    } catch (err) {
      throw this.unreachableError(err);
    }
  }

  private refusal(status: number, detail: string, doing: string): string {
    const who = this.options.tokenSource.description;
    if (status === 401) {
      const fix = 're-run, and check the identity in ConductorOne';
      return `ConductorOne did not accept the access token of ${who} to ${doing} (${detail}): ${fix}.`;
    }
    if (status === 403) return `${who} may not ${doing} (${detail}): ${GRANT_ROLE}.`;
    return `ConductorOne could not ${doing} (${detail}).`;
  }

  /**
   * Sends with the token source's current token. A 401 means the token was not
   * accepted, so nothing was done: a source that can get a new token (one that
   * expired early, or was revoked) gets one, and the request goes once more.
   */
  private async call(method: string, path: string, body: unknown, idempotent: boolean): Promise<HttpResponse> {
    const { tokenSource } = this.options;
    const token = await tokenSource.getToken();
    const response = await this.send(method, path, body, idempotent, token);
    if (response.status !== 401 || !tokenSource.refresh) return response;
    return this.send(method, path, body, idempotent, await tokenSource.refresh(token));
  }

  private send(method: string, path: string, body: unknown, idempotent: boolean, token: string) {
    const url = `${this.options.serverUrl.href.replace(/\/$/, '')}${path}`;
    return this.options.http.send(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      { idempotent },
    );
  }

  private unreachableError(err: unknown): unknown {
    if (err instanceof TransportError) {
      const unreachable = `Could not reach ConductorOne at ${this.host}: ${err.message}`;
      return new ActionError(`${unreachable}. ${CHECK_NETWORK}`, { cause: err });
    }
    return err;
  }

  private async rotateRefused(response: HttpResponse, subject: string): Promise<string> {
    const detail = await describeErrorResponse(response);
    const who = this.options.tokenSource.description;
    switch (response.status) {
      case 401:
        return [
          `ConductorOne did not accept the access token of ${who} for RotateCredential (${detail}):`,
          'the token may have expired or been revoked; re-run, and check the API client in ConductorOne.',
        ].join(' ');
      case 403:
        return `${who} may not rotate credentials of ${subject} (${detail}): ${GRANT_ROLE}.`;
      case 404:
        return `ConductorOne found no ${subject} (${detail}): ${CHECK_IDS}.`;
      default:
        if (response.status >= 400 && response.status < 500) {
          const unchanged = 'nothing was stored and the previous credential is still valid';
          return `RotateCredential for ${subject} failed (${detail}); ${unchanged}.`;
        }
        // A 5xx, a redirect (never followed) or another 2xx: the server may
        // have issued the credential before answering so.
        return `RotateCredential for ${subject} failed (${detail}). ${MAY_HAVE_ISSUED}`;
    }
  }
}

/**
 * A credential the action may store: a valid ID, a client ID of the form
 * `name@host/kind`, a client secret holding an Ed25519 key, and an expiry that
 * is RFC 3339 or absent. The values are never quoted: the client ID and the
 * expiry are checked before anything prints them, and the secret never is.
 */
export function checkIssuedCredential(credential: CredentialBody, clientSecret: unknown): RotatedCredential {
  const id = typeof credential.id === 'string' && isConductorOneId(credential.id) ? credential.id : undefined;
  const problem =
    idProblem(credential.id) ??
    clientIdProblem(credential.clientId) ??
    clientSecretProblem(clientSecret) ??
    expiryProblem(credential.expiresTime);
  if (problem !== undefined || id === undefined) throw new MalformedCredentialError(problem ?? 'no credential ID', id);
  const expiresTime = typeof credential.expiresTime === 'string' ? credential.expiresTime : '';
  return { id, clientId: credential.clientId as string, clientSecret: clientSecret as string, expiresTime };
}

function idProblem(id: unknown): string | undefined {
  if (id === undefined || id === null || id === '') return 'no credential ID';
  return typeof id === 'string' && isConductorOneId(id) ? undefined : 'a credential ID that is not a ConductorOne ID';
}

function clientIdProblem(clientId: unknown): string | undefined {
  if (typeof clientId !== 'string' || clientId === '') return 'no client ID';
  return parseClientId(clientId) ? undefined : 'a client ID that is not of the form name@host/kind';
}

function clientSecretProblem(clientSecret: unknown): string | undefined {
  if (typeof clientSecret !== 'string' || clientSecret === '') return 'no client secret';
  const secret = parseClientSecret(clientSecret);
  if (!('problem' in secret)) return undefined;
  return `a client secret that is not a ConductorOne client secret with an Ed25519 key (${secret.problem})`;
}

function expiryProblem(expires: unknown): string | undefined {
  if (expires === undefined || expires === null || expires === '') return undefined;
  return typeof expires === 'string' && isRfc3339(expires) ? undefined : 'an expiry that is not an RFC 3339 time';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const encode = encodeURIComponent;

function credentialPath(appId: string, connectorId: string, id: string): string {
  return `/api/v1/apps/${encode(appId)}/connectors/${encode(connectorId)}/credentials/${encode(id)}`;
}
