/**
 * Reading a target's secrets public key and writing one sealed secret, for
 * repository, environment and organization targets alike.
 * https://docs.github.com/en/rest/actions/secrets
 */
import type { Octokit } from './client.js';
import { describeGitHubError } from './errors.js';
import type { OrgSecretAccess } from './organization.js';
import { targetBasePath, type Target } from './targets.js';

export interface PublicKey {
  keyId: string;
  key: string;
}

export type WriteResult = 'created' | 'updated';

export async function readPublicKey(octokit: Octokit, target: Target): Promise<PublicKey> {
  try {
    const { data } = await octokit.request(`GET ${targetBasePath(target)}/secrets/public-key`);
    const body = data as { key_id?: unknown; key?: unknown };
    if (typeof body.key_id !== 'string' || typeof body.key !== 'string') {
      throw new Error(`the public key of ${target.label} came without key_id and key`);
    }
    return { keyId: body.key_id, key: body.key };
  } catch (err) {
    throw describeGitHubError(err, target, { doing: 'read the secrets public key of', permission: 'Secrets' });
  }
}

/**
 * PUT answers 201 when the secret is new and 204 when it replaced one.
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
    return response.status === 201 ? 'created' : 'updated';
  } catch (err) {
    throw describeGitHubError(err, target, { doing: `write the secret ${name} in`, permission: 'Secrets' });
  }
}
