/**
 * The Actions variable that records which credential the secrets hold
 * (`credential-id-variable`), so the next run knows what to revoke:
 * ConductorOne cannot list a connector's credentials.
 * https://docs.github.com/en/rest/actions/variables
 */

import type { Target } from '../model.js';
import type { Octokit } from './client.js';
import { describeGitHubError, expectStatus, isGitHubNotFound, isRequestError } from './errors.js';
import type { OrgSecretAccess } from './organization.js';
import { targetBasePath } from './targets.js';

/** The variable's value, or undefined when the target has no such variable yet. */
export async function readVariable(octokit: Octokit, target: Target, name: string): Promise<string | undefined> {
  try {
    const { data } = expectStatus(
      await octokit.request(`GET ${targetBasePath(target)}/variables/{name}`, { name }),
      [200],
    );
    const value = (data as { value?: unknown } | undefined)?.value;
    return typeof value === 'string' ? value.trim() : undefined;
  } catch (err) {
    if (isGitHubNotFound(err)) return undefined;
    throw describeGitHubError(err, target, { doing: `read the variable ${name} of`, permission: 'Variables' });
  }
}

/**
 * Updates the variable (204), or creates it (201) when it does not exist.
 * Either request may meet the other case (someone created or deleted it since
 * the preflight, or a retried create already went through), so each falls
 * back to the other once. A new organization variable gets the same access as
 * the secrets.
 */
export async function writeVariable(
  octokit: Octokit,
  target: Target,
  name: string,
  value: string,
  exists: boolean,
  access?: OrgSecretAccess,
): Promise<'created' | 'updated'> {
  const base = targetBasePath(target);
  const update = async () => {
    expectStatus(await octokit.request(`PATCH ${base}/variables/{name}`, { name, value }), [204]);
    return 'updated' as const;
  };
  const create = async () => {
    const body = {
      name,
      value,
      ...(access ? { visibility: access.visibility } : {}),
      ...(access?.selectedRepositoryIds ? { selected_repository_ids: access.selectedRepositoryIds } : {}),
    };
    expectStatus(await octokit.request(`POST ${base}/variables`, body), [201]);
    return 'created' as const;
  };
  try {
    if (exists) {
      try {
        return await update();
      } catch (err) {
        if (isGitHubNotFound(err)) return await create();
        throw err;
      }
    }
    try {
      return await create();
    } catch (err) {
      if (isRequestError(err) && err.status === 409) return await update();
      throw err;
    }
  } catch (err) {
    throw describeGitHubError(err, target, { doing: `write the variable ${name} in`, permission: 'Variables' });
  }
}
