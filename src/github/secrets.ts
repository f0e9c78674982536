/**
 * Reading a target's secrets public key and writing one sealed secret.
 * https://docs.github.com/en/rest/actions/secrets
 */
import { ActionError, TransportError } from '../errors.js';
import type { Octokit } from './client.js';
import type { Target } from './targets.js';

export interface PublicKey {
  keyId: string;
  key: string;
}

export type WriteResult = 'created' | 'updated';

export async function readPublicKey(octokit: Octokit, target: Target): Promise<PublicKey> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
      owner: target.owner,
      repo: target.repo,
    });
    return { keyId: data.key_id, key: data.key };
  } catch (err) {
    throw describeGitHubError(err, 'read', target);
  }
}

/** PUT answers 201 when the secret is new and 204 when it replaced one. */
export async function writeSecret(
  octokit: Octokit,
  target: Target,
  name: string,
  encryptedValue: string,
  publicKey: PublicKey,
): Promise<WriteResult> {
  try {
    const response = await octokit.request('PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}', {
      owner: target.owner,
      repo: target.repo,
      secret_name: name,
      encrypted_value: encryptedValue,
      key_id: publicKey.keyId,
    });
    return response.status === 201 ? 'created' : 'updated';
  } catch (err) {
    throw describeGitHubError(err, 'write', target, name);
  }
}

interface RequestErrorLike {
  status: number;
  message: string;
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
}

function isRequestError(err: unknown): err is RequestErrorLike {
  return err instanceof Error && typeof (err as { status?: unknown }).status === 'number';
}

/** Turns an Octokit failure into one sentence that says what to do. */
export function describeGitHubError(err: unknown, doing: 'read' | 'write', target: Target, secret?: string): unknown {
  // Octokit wraps whatever its fetch throws in a RequestError with status 500;
  // the real cause (no connection, a timeout) is what people need to see.
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof TransportError) err = cause;
  if (err instanceof TransportError) {
    return new ActionError(`Could not reach GitHub for ${target.label}: ${err.message}. Check github-api-url and the runner's network access.`, { cause: err });
  }
  if (!isRequestError(err)) return err;
  const data = err.response?.data as { message?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message : '';
  const detail = message ? `${err.status} ${message}` : `${err.status}`;
  const what = doing === 'read' ? 'read the secrets public key of' : `write the secret ${secret ?? ''} in`;
  const headers = err.response?.headers ?? {};
  if ((err.status === 403 || err.status === 429) && (headers['retry-after'] !== undefined || String(headers['x-ratelimit-remaining']) === '0')) {
    return new ActionError(`GitHub rate-limited the attempt to ${what} ${target.label} (${detail}) longer than this action waits; re-run later.`);
  }
  switch (err.status) {
    case 401:
      return new ActionError(`GitHub refused github-token (${detail}): it may be expired or revoked; pass a current GitHub App installation token or fine-grained token.`);
    case 403:
      return new ActionError(
        `github-token cannot ${what} ${target.label} (${detail}): give the token the Secrets read and write permission on that repository; the workflow GITHUB_TOKEN can never write secrets.`,
      );
    case 404:
      return new ActionError(
        `Repository ${target.label} was not found, or github-token cannot see it (${detail}): check the name in repositories and that the token (GitHub App installation or fine-grained token) includes that repository.`,
      );
    default:
      return new ActionError(`GitHub could not ${what} ${target.label} (${detail}).`);
  }
}
