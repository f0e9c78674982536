/**
 * Who may use an organization secret. A PUT must state the visibility, and
 * GitHub applies whatever it is given, so an update that does not repeat the
 * current settings silently widens or narrows access (a known bug class:
 * `selected` reset to `private`). The current settings are read in the
 * preflight and written back unchanged unless the `visibility` input says
 * otherwise.
 * https://docs.github.com/en/rest/actions/secrets#create-or-update-an-organization-secret
 */
import type { Octokit } from './client.js';
import { describeGitHubError, isRequestError } from './errors.js';
import type { OrganizationTarget } from './targets.js';
import type { Visibility } from '../inputs.js';

export interface OrgSecretAccess {
  visibility: Visibility;
  /** Only with `selected`. */
  selectedRepositoryIds?: number[];
  /** Why these settings, for the summary: kept from the existing secret, set by the input, or the default of a new one. */
  origin: 'kept' | 'input' | 'new';
}

/** Reads one organization secret's current access and decides what the write sends. */
export async function resolveOrgSecretAccess(octokit: Octokit, target: OrganizationTarget, name: string): Promise<OrgSecretAccess> {
  const existing = await readExistingAccess(octokit, target, name);
  const wanted = target.visibility;
  if (wanted === undefined) return existing ? { ...existing, origin: 'kept' } : { visibility: 'private', origin: 'new' };
  if (wanted !== 'selected') return { visibility: wanted, origin: 'input' };
  // `selected` keeps the repositories a selected secret already has; otherwise
  // the `repositories` input names the ones to select.
  if (existing?.visibility === 'selected') return { ...existing, origin: 'kept' };
  return { visibility: 'selected', selectedRepositoryIds: await repositoryIdsOnce(octokit, target), origin: 'input' };
}

// Both secrets of a target may need the same lookup; it is made once per target.
const lookups = new WeakMap<OrganizationTarget, Promise<number[]>>();

function repositoryIdsOnce(octokit: Octokit, target: OrganizationTarget): Promise<number[]> {
  let ids = lookups.get(target);
  if (!ids) {
    ids = repositoryIds(octokit, target);
    lookups.set(target, ids);
  }
  return ids;
}

async function readExistingAccess(octokit: Octokit, target: OrganizationTarget, name: string): Promise<Omit<OrgSecretAccess, 'origin'> | undefined> {
  const attempt = { doing: `read the secret ${name} of`, permission: 'Secrets' } as const;
  let visibility: Visibility;
  try {
    const { data } = await octokit.request('GET /orgs/{org}/actions/secrets/{secret_name}', { org: target.org, secret_name: name });
    visibility = data.visibility;
  } catch (err) {
    if (isRequestError(err) && err.status === 404) return undefined; // a new secret
    throw describeGitHubError(err, target, attempt);
  }
  if (visibility !== 'selected') return { visibility };
  try {
    const repositories = await octokit.paginate('GET /orgs/{org}/actions/secrets/{secret_name}/repositories', {
      org: target.org,
      secret_name: name,
      per_page: 100,
    });
    return { visibility, selectedRepositoryIds: repositories.map((r) => Number(r.id)) };
  } catch (err) {
    throw describeGitHubError(err, target, { doing: `read the repositories selected for the secret ${name} of`, permission: 'Secrets' });
  }
}

async function repositoryIds(octokit: Octokit, target: OrganizationTarget): Promise<number[]> {
  return Promise.all(
    target.repositories.map(async ({ owner, repo }) => {
      try {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner, repo });
        return Number(data.id);
      } catch (err) {
        if (isRequestError(err) && err.status === 404) {
          throw describeGitHubError(err, { kind: 'repository', owner, repo, label: `${owner}/${repo}` }, { doing: 'read', permission: 'Metadata' });
        }
        throw describeGitHubError(err, target, { doing: `look up repository ${owner}/${repo} to select it for`, permission: 'Metadata' });
      }
    }),
  );
}
