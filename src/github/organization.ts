/**
 * Who may use an organization secret. A PUT must state the visibility, and
 * GitHub applies whatever it is given, so an update that does not repeat the
 * current settings silently widens or narrows access (a known bug class:
 * `selected` reset to `private`). The current settings are read in the
 * preflight and written back unchanged unless the `visibility` input says
 * otherwise.
 * https://docs.github.com/en/rest/actions/secrets#create-or-update-an-organization-secret
 */
import { ActionError } from '../errors.js';
import { type OrganizationTarget, VISIBILITIES, type Visibility } from '../model.js';
import type { Limiter } from '../pool.js';
import type { Octokit } from './client.js';
import { describeGitHubError, expectStatus, isGitHubNotFound } from './errors.js';

export interface OrgSecretAccess {
  visibility: Visibility;
  /** Only with `selected`. */
  selectedRepositoryIds?: number[];
  /**
   * Why these settings, for the summary: kept from the existing secret, set by
   * the input, or the default of a new one.
   */
  origin: 'kept' | 'input' | 'new';
}

/**
 * Reads one organization secret's current access and decides what the write
 * sends. Every request it makes goes through `limit`, one slot each, so an
 * organization with hundreds of selected repositories never sends them all
 * at once.
 */
export async function resolveOrgSecretAccess(
  octokit: Octokit,
  target: OrganizationTarget,
  name: string,
  limit: Limiter,
): Promise<OrgSecretAccess> {
  const existing = await readExistingAccess(octokit, target, name, limit);
  const wanted = target.visibility;
  if (wanted === undefined)
    return existing ? { ...existing, origin: 'kept' } : { visibility: 'private', origin: 'new' };
  if (wanted !== 'selected') return { visibility: wanted, origin: 'input' };
  // `selected` keeps the repositories a selected secret already has; otherwise
  // the `repositories` input names the ones to select.
  if (existing?.visibility === 'selected') return { ...existing, origin: 'kept' };
  return {
    visibility: 'selected',
    selectedRepositoryIds: await repositoryIdsOnce(octokit, target, limit),
    origin: 'input',
  };
}

// Both secrets of a target may need the same lookup; it is made once per target.
const lookups = new WeakMap<OrganizationTarget, Promise<number[]>>();

function repositoryIdsOnce(octokit: Octokit, target: OrganizationTarget, limit: Limiter): Promise<number[]> {
  let ids = lookups.get(target);
  if (!ids) {
    ids = repositoryIds(octokit, target, limit);
    lookups.set(target, ids);
  }
  return ids;
}

async function readExistingAccess(
  octokit: Octokit,
  target: OrganizationTarget,
  name: string,
  limit: Limiter,
): Promise<Omit<OrgSecretAccess, 'origin'> | undefined> {
  const attempt = { doing: `read the secret ${name} of`, permission: 'Secrets' } as const;
  let visibility: unknown;
  try {
    const { data } = await limit(async () =>
      expectStatus(
        await octokit.request('GET /orgs/{org}/actions/secrets/{secret_name}', { org: target.org, secret_name: name }),
        [200],
      ),
    );
    visibility = (data as { visibility?: unknown } | undefined)?.visibility;
  } catch (err) {
    if (isGitHubNotFound(err)) return undefined; // a new secret
    throw describeGitHubError(err, target, attempt);
  }
  if (typeof visibility !== 'string' || !VISIBILITIES.includes(visibility)) {
    const expected = 'a visibility of all, private or selected';
    throw new ActionError(
      `GitHub answered the read of the secret ${name} of ${target.label} without ${expected}: check github-api-url.`,
    );
  }
  if (visibility !== 'selected') return { visibility: visibility as Visibility };
  let repositories: Array<{ id?: unknown } | null>;
  try {
    // Pages are read one after the other, so the whole listing holds one slot.
    repositories = await limit(() =>
      octokit.paginate('GET /orgs/{org}/actions/secrets/{secret_name}/repositories', {
        org: target.org,
        secret_name: name,
        per_page: 100,
      }),
    );
  } catch (err) {
    throw describeGitHubError(err, target, {
      doing: `read the repositories selected for the secret ${name} of`,
      permission: 'Secrets',
    });
  }
  return { visibility: 'selected', selectedRepositoryIds: repositories.map((r) => repositoryId(r?.id, target)) };
}

/** A repository ID as GitHub gives it (a number; the API also accepts digit strings). */
function repositoryId(id: unknown, target: OrganizationTarget): number {
  const value = typeof id === 'string' && /^\d{1,16}$/.test(id) ? Number(id) : id;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ActionError(
      `GitHub answered a repository lookup for ${target.label} without a numeric repository ID: check github-api-url.`,
    );
  }
  return value;
}

async function repositoryIds(octokit: Octokit, target: OrganizationTarget, limit: Limiter): Promise<number[]> {
  return Promise.all(
    target.repositories.map(async ({ owner, repo }) => {
      try {
        const { data } = await limit(async () =>
          expectStatus(await octokit.request('GET /repos/{owner}/{repo}', { owner, repo }), [200]),
        );
        return repositoryId((data as { id?: unknown } | undefined)?.id, target);
      } catch (err) {
        if (err instanceof ActionError) throw err;
        if (isGitHubNotFound(err)) {
          throw describeGitHubError(
            err,
            { kind: 'repository', owner, repo, label: `${owner}/${repo}` },
            { doing: 'read', permission: 'Metadata' },
          );
        }
        throw describeGitHubError(err, target, {
          doing: `look up repository ${owner}/${repo} to select it for`,
          permission: 'Metadata',
        });
      }
    }),
  );
}
