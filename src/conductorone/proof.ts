/**
 * The "test" step of a rotation (as in AWS Secrets Manager's create, set,
 * test, finish): the new credential must get a ConductorOne token before the
 * run reports success or revokes anything. It is the same client-credentials
 * grant a baton connector makes with BATON_CLIENT_ID / BATON_CLIENT_SECRET.
 */
import { importJWK } from 'jose';
import { ActionError, errorMessage } from '../errors.js';
import type { Http } from '../http.js';
import { parseClientSecret } from '../inputs.js';
import { ClientCredentialsTokenSource } from './auth.js';
import type { RotatedCredential } from './client.js';

export interface ProofOptions {
  serverUrl: URL;
  http: Http;
  /** core.setSecret, for the token the proof obtains. */
  mask(value: string): void;
}

export async function proveCredential(credential: RotatedCredential, { serverUrl, http, mask }: ProofOptions): Promise<void> {
  const failed = (why: string) =>
    new ActionError(`The new credential ${credential.id} (client ID ${credential.clientId}) could not authenticate to ConductorOne: ${why}.`);
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK({ ...parseClientSecret(credential.clientSecret) }, 'EdDSA');
  } catch {
    // Never quote the secret, nor a parser message that might.
    throw failed('its client secret is not in the form secret-token:conductorone.com:v1:<Ed25519 key>');
  }
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
  } catch (err) {
    throw failed(errorMessage(err).replace(/\.$/, ''));
  }
}
