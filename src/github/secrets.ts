/**
 * Reading a target's secrets public key and writing one sealed secret, for
 * repository, environment and organization targets alike.
 * https://docs.github.com/en/rest/actions/secrets
 */
import { ActionError, errorMessage, TransportError } from '../errors.js';
import type { Target } from '../model.js';
import type { Octokit } from './client.js';
import { ANY_PROXY, describeGitHubError, expectStatus, isRequestError, UndocumentedStatusError } from './errors.js';
import type { OrgSecretAccess } from './organization.js';
import { targetBasePath } from './targets.js';

export interface PublicKey {
  keyId: string;
  key: string;
}

export type WriteResult = 'created' | 'updated';

/**
 * A secret write that did not succeed. `mayBeStored` is false only when the
 * answer proves GitHub kept nothing (a 4xx, a redirect, or a request that
 * never left): then a credential no target holds can safely be revoked.
 */
export class SecretWriteError extends ActionError {
  override readonly name = 'SecretWriteError';
  constructor(
    message: string,
    readonly mayBeStored: boolean,
  ) {
    super(message);
  }
}

export async function readPublicKey(octokit: Octokit, target: Target): Promise<PublicKey> {
  let body: { key_id?: unknown; key?: unknown };
  try {
    const response = expectStatus(await octokit.request(`GET ${targetBasePath(target)}/secrets/public-key`), [200]);
    body = response.data as typeof body;
  } catch (err) {
    throw describeGitHubError(err, target, { doing: 'read the secrets public key of', permission: 'Secrets' });
  }
  // Checked here, before anything rotates: a key that cannot seal would only fail after the rotation.
  if (
    typeof body?.key_id !== 'string' ||
    !/^[\x21-\x7e]{1,200}$/.test(body.key_id) ||
    typeof body.key !== 'string' ||
    !isPublicKey(body.key)
  ) {
    const expected = 'a key_id and a 32-byte base64 key';
    const fix = `check github-api-url and ${ANY_PROXY}`;
    throw new ActionError(
      `GitHub answered the read of the secrets public key of ${target.label} without ${expected}: ${fix}.`,
    );
  }
  return { keyId: body.key_id, key: body.key };
}

/** Standard, padded base64 of 32 bytes: what libsodium's sealed box needs. */
function isPublicKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(key) && Buffer.from(key, 'base64').length === 32;
}

/**
 * PUT answers 201 when the secret is new and 204 when it replaced one; no
 * other answer stores anything.
 * Organization secrets also take their visibility (and, for `selected`, the
 * repositories): without them GitHub would reset an existing secret's access.
 */
export async function writeSecret(
  octokit: Octokit,
  target: Target,
  name: string,
  encryptedValue: string,
  publicKey: PublicKey,
  access?: OrgSecretAccess,
): Promise<WriteResult> {
  try {
    const response = await octokit.request(`PUT ${targetBasePath(target)}/secrets/{secret_name}`, {
      secret_name: name,
      encrypted_value: encryptedValue,
      key_id: publicKey.keyId,
      ...(access ? { visibility: access.visibility } : {}),
      ...(access?.selectedRepositoryIds ? { selected_repository_ids: access.selectedRepositoryIds } : {}),
    });
    return expectStatus(response, [201, 204]).status === 201 ? 'created' : 'updated';
  } catch (err) {
    const described = describeGitHubError(err, target, { doing: `write the secret ${name} in`, permission: 'Secrets' });
    throw new SecretWriteError(errorMessage(described), mayBeStored(err));
  }
}

/** Whether a failed write may still have stored the value (see SecretWriteError). */
function mayBeStored(err: unknown): boolean {
  // Octokit wraps what its fetch throws in a RequestError (status 500) with the cause.
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof TransportError) return cause.mayHaveBeenProcessed;
  if (err instanceof TransportError) return err.mayHaveBeenProcessed;
  if (err instanceof UndocumentedStatusError) return err.status < 300 || err.status >= 400;
  if (isRequestError(err)) return err.status >= 500;
  return true;
}
