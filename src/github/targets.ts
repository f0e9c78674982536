/**
 * A Target is one place GitHub keeps Actions secrets. Only repositories for
 * now; environments and organizations are further kinds of the same union,
 * each with its own REST routes.
 */
import type { Repository } from '../inputs.js';

export interface RepositoryTarget {
  kind: 'repository';
  owner: string;
  repo: string;
  /** How people name it in messages and the summary. */
  label: string;
}

export type Target = RepositoryTarget;

export function repositoryTarget({ owner, repo }: Repository): RepositoryTarget {
  return { kind: 'repository', owner, repo, label: `${owner}/${repo}` };
}
