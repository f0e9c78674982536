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
  return (await readVariableState(octokit, target, name))?.value;
}

/** A variable as GitHub shows it: its value, and when it was last written (ms; undefined when not said). */
export interface VariableState {
  value: string;
  updatedAt?: number;
}

/** The variable, or undefined when the target has no such variable. */
export async function readVariableState(
  octokit: Octokit,
  target: Target,
  name: string,
): Promise<VariableState | undefined> {
  try {
    const { data } = expectStatus(
      await octokit.request(`GET ${targetBasePath(target)}/variables/{name}`, { name }),
      [200],
    );
    const { value, updated_at: updated } = (data ?? {}) as { value?: unknown; updated_at?: unknown };
    if (typeof value !== 'string') return undefined;
    const updatedAt = typeof updated === 'string' ? Date.parse(updated) : Number.NaN;
    return { value: value.trim(), ...(Number.isNaN(updatedAt) ? {} : { updatedAt }) };
  } catch (err) {
    if (isGitHubNotFound(err)) return undefined;
    throw describeGitHubError(err, target, { doing: `read the variable ${name} of`, permission: 'Variables' });
  }
}

/**
 * Creates the variable only if it does not exist: GitHub answers 409 when it
 * does, which makes creating one an atomic test-and-set (the rotation lock).
 * https://docs.github.com/en/rest/actions/variables#create-a-repository-variable
 */
export async function createVariableIfAbsent(
  octokit: Octokit,
  target: Target,
  name: string,
  value: string,
  access?: OrgSecretAccess,
): Promise<'created' | 'exists'> {
  try {
    expectStatus(
      await octokit.request(`POST ${targetBasePath(target)}/variables`, createBody(name, value, access)),
      [201],
    );
    return 'created';
  } catch (err) {
    if (isRequestError(err) && err.status === 409) return 'exists';
    throw describeGitHubError(err, target, { doing: `create the variable ${name} in`, permission: 'Variables' });
  }
}

/** Deletes the variable (204); one that is already gone (GitHub's 404) is what was wanted. */
export async function deleteVariable(octokit: Octokit, target: Target, name: string): Promise<'deleted' | 'absent'> {
  try {
    expectStatus(await octokit.request(`DELETE ${targetBasePath(target)}/variables/{name}`, { name }), [204]);
    return 'deleted';
  } catch (err) {
    if (isGitHubNotFound(err)) return 'absent';
    throw describeGitHubError(err, target, { doing: `delete the variable ${name} in`, permission: 'Variables' });
  }
}

/** A new variable's body; a new organization variable gets the access it is given (the client secret's). */
function createBody(name: string, value: string, access?: OrgSecretAccess) {
  return {
    name,
    value,
    ...(access ? { visibility: access.visibility } : {}),
    ...(access?.selectedRepositoryIds ? { selected_repository_ids: access.selectedRepositoryIds } : {}),
  };
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
    expectStatus(await octokit.request(`POST ${base}/variables`, createBody(name, value, access)), [201]);
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
