/**
 * The "test" step of a rotation (as in AWS Secrets Manager's create, set,
 * test, finish): the new credential must get a ConductorOne token before any
 * secret is written, because a GitHub secret is live for its consumers the
 * moment it is written. It is the same client-credentials grant a baton
 * connector makes with BATON_CLIENT_ID / BATON_CLIENT_SECRET.
 */
import { ActionError, errorMessage } from '../errors.js';
import type { Http } from '../http.js';
import type { RotatedCredential } from '../model.js';
import { ClientCredentialsTokenSource, importSigningKey, type SigningKey, TokenRefusedError } from './auth.js';
import { parseClientSecret } from './credential.js';

/**
 * A new credential may take a moment to go live, so a refusal is retried
 * after these waits (3.5 s in all); any other failure was already retried by
 * the HTTP policy and ends the proof.
 */
export const PROOF_RETRY_DELAYS_MS: readonly number[] = [500, 1_000, 2_000];

export interface ProofOptions {
  serverUrl: URL;
  http: Http;
  /** core.setSecret, for the token the proof obtains. */
  mask(value: string): void;
  /** One line per retry; never given a body. */
  log?(message: string): void;
  retryDelaysMs?: readonly number[];
}

/** A proof that failed: the new credential cannot be used, so nothing may store it. */
export class ProofError extends ActionError {
  override readonly name = 'ProofError';
}

export async function proveCredential(credential: RotatedCredential, options: ProofOptions): Promise<void> {
  const { serverUrl, http, mask } = options;
  const newCredential = `The new credential ${credential.id} (client ID ${credential.clientId})`;
  const failed = (why: string) => new ProofError(`${newCredential} could not authenticate to ConductorOne: ${why}.`);
  const key = await signingKeyOf(credential.clientSecret);
  // Never quote the secret, nor a parser message that might.
  if (!key) throw failed('its client secret is not in the form secret-token:conductorone.com:v1:<Ed25519 key>');
  const delays = options.retryDelaysMs ?? PROOF_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    // A fresh source per attempt: each one caches its token, or its refusal.
    const source = new ClientCredentialsTokenSource({
      clientId: credential.clientId,
      key,
      serverUrl,
      http,
      mask,
      refused: (detail) => `the token request was refused (${detail})`,
    });
    try {
      await source.getToken();
      return;
    } catch (err) {
      const delay = delays[attempt];
      if (!(err instanceof TokenRefusedError) || delay === undefined) {
        const seconds = (delays.slice(0, attempt).reduce((a, b) => a + b, 0) / 1000).toFixed(1);
        const tries = attempt > 0 ? ` (${attempt + 1} attempts in ${seconds} s)` : '';
        throw failed(`${errorMessage(err).replace(/\.$/, '')}${tries}`);
      }
      const retry = `it may not be live yet, so the proof tries again in ${(delay / 1000).toFixed(1)} s`;
      options.log?.(`The new credential ${credential.id} was refused; ${retry}.`);
      await http.clock.sleep(delay);
    }
  }
}

/** The new secret's key, or undefined when it holds none (its messages would speak of the client-secret input). */
async function signingKeyOf(clientSecret: string): Promise<SigningKey | undefined> {
  const parsed = parseClientSecret(clientSecret);
  return 'jwk' in parsed ? importSigningKey(parsed.jwk).catch(() => undefined) : undefined;
}
