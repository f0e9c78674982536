/**
 * ConductorOne API calls the action makes, over the shared HTTP policy.
 * RotateCredential: https://docs.conductorone.com/ (Connector service,
 * POST /api/v1/apps/connectors/credentials; see shared/seed/RotateCredential.txt).
 * Get connector, get and revoke one credential: SPEC 5 (ConductorOne's Go SDK,
 * ConnectorService.Get, GetCredentials, RevokeCredential).
 */
import { ActionError, TransportError } from '../errors.js';
import type { Http } from '../http.js';
import type { TokenSource } from './auth.js';
import { describeErrorResponse } from './errors.js';

/** The new credential; `clientSecret` exists only in this response. */
export interface RotatedCredential {
  id: string;
  clientId: string;
  clientSecret: string;
  /** RFC 3339, as ConductorOne gave it; empty when it does not expire. */
  expiresTime: string;
  displayName: string;
}

export interface ConductorOneClientOptions {
  serverUrl: URL;
  http: Http;
  tokenSource: TokenSource;
  /** core.setSecret: the new client secret is masked before anything else. */
  mask(value: string): void;
}

/** A credential as GetCredentials shows it: never with its secret. */
export interface CredentialInfo {
  id: string;
  clientId: string;
  /** RFC 3339; empty when it does not expire. */
  expiresTime: string;
}

export type RevokeResult = 'revoked' | 'already revoked';

interface CredentialBody {
  id?: unknown;
  clientId?: unknown;
  clientSecret?: unknown;
  expiresTime?: unknown;
  displayName?: unknown;
}

export class ConductorOneClient {
  constructor(private readonly options: ConductorOneClientOptions) {}

  get host(): string {
    return this.options.serverUrl.host;
  }

  async rotateCredential(appId: string, connectorId: string): Promise<RotatedCredential> {
    const subject = `connector ${connectorId} of app ${appId}`;
    let response: Response;
    try {
      // Not idempotent: each call issues a credential. Http retries it only
      // when the server cannot have acted (no connection, 429, 503).
      response = await this.call('POST', '/api/v1/apps/connectors/credentials', { appId, connectorId }, false);
    } catch (err) {
      if (err instanceof TransportError && err.mayHaveBeenProcessed) {
        throw new ActionError(
          `RotateCredential for ${subject} got no answer (${err.message}). ConductorOne may have issued a credential that nothing stored; the previous credential is unchanged and still valid. Re-run the workflow, and revoke any unused credential in ConductorOne.`,
          { cause: err },
        );
      }
      throw this.unreachable(err);
    }
    if (!response.ok) throw new ActionError(await this.rotateRefused(response, subject));

    let body: { credential?: CredentialBody; clientSecret?: unknown };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // Never quote the body: it may hold the new secret.
      throw new ActionError(`RotateCredential for ${subject} answered with a body that is not JSON; a credential may have been issued. The previous credential is still valid.`);
    }
    const credential = body.credential ?? {};
    // Older API versions put clientSecret beside `credential` (SPEC 5).
    const clientSecret = credential.clientSecret ?? body.clientSecret;
    if (typeof clientSecret === 'string' && clientSecret !== '') this.options.mask(clientSecret);
    if (typeof clientSecret !== 'string' || clientSecret === '' || typeof credential.id !== 'string' || typeof credential.clientId !== 'string') {
      throw new ActionError(
        `RotateCredential for ${subject} answered without a credential id, client ID and client secret; nothing was stored and the previous credential is still valid.`,
      );
    }
    return {
      id: credential.id,
      clientId: credential.clientId,
      clientSecret,
      expiresTime: typeof credential.expiresTime === 'string' ? credential.expiresTime : '',
      displayName: typeof credential.displayName === 'string' ? credential.displayName : '',
    };
  }

  /** The dry run's proof that app-id and connector-id name a connector this identity can see. */
  async checkConnector(appId: string, connectorId: string): Promise<void> {
    const subject = `connector ${connectorId} of app ${appId}`;
    const response = await this.callOrExplain('GET', `/api/v1/apps/${e(appId)}/connectors/${e(connectorId)}`);
    if (response.ok) return;
    const detail = await describeErrorResponse(response);
    if (response.status === 404) throw new ActionError(`ConductorOne found no ${subject} (${detail}): check app-id and connector-id on the connector's page in ConductorOne.`);
    throw new ActionError(this.refusal(response.status, detail, `read ${subject}`));
  }

  /** One credential of the connector; undefined when it no longer exists (revoked or deleted). */
  async getCredential(appId: string, connectorId: string, id: string): Promise<CredentialInfo | undefined> {
    const response = await this.callOrExplain('GET', credentialPath(appId, connectorId, id));
    if (response.status === 404) return undefined;
    if (!response.ok) {
      const detail = await describeErrorResponse(response);
      throw new ActionError(this.refusal(response.status, detail, `read credential ${id} of connector ${connectorId}`));
    }
    let credential: CredentialBody | undefined;
    try {
      credential = ((await response.json()) as { credential?: CredentialBody }).credential;
    } catch {
      credential = undefined;
    }
    if (typeof credential?.id !== 'string') throw new ActionError(`ConductorOne answered the read of credential ${id} without a credential.`);
    return {
      id: credential.id,
      clientId: typeof credential.clientId === 'string' ? credential.clientId : '',
      expiresTime: typeof credential.expiresTime === 'string' ? credential.expiresTime : '',
    };
  }

  /**
   * Revokes one credential. A 404 means it is gone already (revoked by hand,
   * or by an earlier attempt of this very request), which is what was wanted.
   */
  async revokeCredential(appId: string, connectorId: string, id: string): Promise<RevokeResult> {
    // Repeating a revoke is harmless: a second one finds the credential gone.
    const response = await this.callOrExplain('POST', credentialPath(appId, connectorId, id), {});
    if (response.status === 404) return 'already revoked';
    if (response.ok) return 'revoked';
    const detail = await describeErrorResponse(response);
    throw new ActionError(this.refusal(response.status, detail, `revoke credential ${id} of connector ${connectorId}`));
  }

  private async callOrExplain(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await this.call(method, path, body, true);
    } catch (err) {
      throw this.unreachable(err);
    }
  }

  private refusal(status: number, detail: string, doing: string): string {
    const who = this.options.tokenSource.description;
    if (status === 401) return `ConductorOne did not accept the access token of ${who} to ${doing} (${detail}): re-run, and check the identity in ConductorOne.`;
    if (status === 403) return `${who} may not ${doing} (${detail}): give that identity a ConductorOne role that can manage this app's connectors.`;
    return `ConductorOne could not ${doing} (${detail}).`;
  }

  private async call(method: string, path: string, body: unknown, idempotent: boolean): Promise<Response> {
    const token = await this.options.tokenSource.getToken();
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

  private unreachable(err: unknown): unknown {
    if (err instanceof TransportError) {
      return new ActionError(`Could not reach ConductorOne at ${this.host}: ${err.message}. Check server-url and the runner's network access.`, { cause: err });
    }
    return err;
  }

  private async rotateRefused(response: Response, subject: string): Promise<string> {
    const detail = await describeErrorResponse(response);
    const who = this.options.tokenSource.description;
    switch (response.status) {
      case 401:
        return `ConductorOne did not accept the access token of ${who} for RotateCredential (${detail}): the token may have expired or been revoked; re-run, and check the API client in ConductorOne.`;
      case 403:
        return `${who} may not rotate credentials of ${subject} (${detail}): give that identity a ConductorOne role that can manage this app's connectors.`;
      case 404:
        return `ConductorOne found no ${subject} (${detail}): check app-id and connector-id on the connector's page in ConductorOne.`;
      case 500:
      case 502:
      case 504:
        // Not retried: the server may have issued the credential before failing.
        return `RotateCredential for ${subject} failed (${detail}). ConductorOne may have issued a credential that nothing stored; the previous credential is unchanged and still valid. Re-run the workflow, and revoke any unused credential in ConductorOne.`;
      default:
        return `RotateCredential for ${subject} failed (${detail}); nothing was stored and the previous credential is still valid.`;
    }
  }
}

const e = encodeURIComponent;

function credentialPath(appId: string, connectorId: string, id: string): string {
  return `/api/v1/apps/${e(appId)}/connectors/${e(connectorId)}/credentials/${e(id)}`;
}
