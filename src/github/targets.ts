/**
 * The targets of a run (see Target in model.ts), and the REST base path of
 * each: every kind has its own, and everything below it (public-key,
 * secrets/{name}, variables/{name}) is the same for all three.
 * https://docs.github.com/en/rest/actions/secrets
 */
import type { EnvironmentTarget, Repository, RepositoryTarget, SecretScope, Target } from '../model.js';

/** One target per repository, or one per repository's environment, or the organization. */
export function targetsFor(scope: SecretScope, repositories: readonly Repository[]): Target[] {
  switch (scope.kind) {
    case 'repository':
      return repositories.map(repositoryTarget);
    case 'environment':
      return repositories.map((repository) => environmentTarget(repository, scope.environment));
    case 'organization':
      return [
        {
          kind: 'organization',
          org: scope.organization,
          ...(scope.visibility ? { visibility: scope.visibility } : {}),
          repositories: [...repositories],
          label: `organization ${scope.organization}`,
        },
      ];
  }
}

export function repositoryTarget({ owner, repo }: Repository): RepositoryTarget {
  return { kind: 'repository', owner, repo, label: `${owner}/${repo}` };
}

export function environmentTarget({ owner, repo }: Repository, environment: string): EnvironmentTarget {
  return { kind: 'environment', owner, repo, environment, label: `${owner}/${repo} environment ${environment}` };
}

/**
 * The REST base of a target's Actions secrets and variables. Every name is
 * URL-encoded: environment names may hold spaces and other characters.
 */
export function targetBasePath(target: Target): string {
  switch (target.kind) {
    case 'repository':
      return `/repos/${encodeURIComponent(target.owner)}/${encodeURIComponent(target.repo)}/actions`;
    case 'environment': {
      const repository = `/repos/${encodeURIComponent(target.owner)}/${encodeURIComponent(target.repo)}`;
      return `${repository}/environments/${encodeURIComponent(target.environment)}`;
    }
    case 'organization':
      return `/orgs/${encodeURIComponent(target.org)}/actions`;
  }
}
