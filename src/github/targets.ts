/**
 * A Target is one place GitHub keeps Actions secrets and variables: a
 * repository, an environment of a repository, or an organization. Each kind
 * has its own REST base path; everything below it (public-key, secrets/{name},
 * variables/{name}) is the same for all three.
 * https://docs.github.com/en/rest/actions/secrets
 */
import type { Repository, SecretScope, Visibility } from '../inputs.js';

interface TargetBase {
  /** How people name it in messages, the summary and the `targets` output. */
  label: string;
}

export interface RepositoryTarget extends TargetBase {
  kind: 'repository';
  owner: string;
  repo: string;
}

export interface EnvironmentTarget extends TargetBase {
  kind: 'environment';
  owner: string;
  repo: string;
  environment: string;
}

export interface OrganizationTarget extends TargetBase {
  kind: 'organization';
  org: string;
  /** The `visibility` input; undefined keeps each existing secret's visibility. */
  visibility?: Visibility;
  /**
   * For a `selected` secret that does not exist yet or is not `selected` now:
   * the repositories to give it (the `repositories` input).
   */
  repositories: Repository[];
}

export type Target = RepositoryTarget | EnvironmentTarget | OrganizationTarget;

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
  const e = encodeURIComponent;
  switch (target.kind) {
    case 'repository':
      return `/repos/${e(target.owner)}/${e(target.repo)}/actions`;
    case 'environment':
      return `/repos/${e(target.owner)}/${e(target.repo)}/environments/${e(target.environment)}`;
    case 'organization':
      return `/orgs/${e(target.org)}/actions`;
  }
}
