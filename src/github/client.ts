import type { getOctokit } from '@actions/github';
import type { Http } from '../http.js';

type GitHubOctokit = ReturnType<typeof getOctokit>;

/** The part of Octokit the action uses. */
export type Octokit = Pick<GitHubOctokit, 'request' | 'paginate'>;

/**
 * Octokit from @actions/github, pointed at `github-api-url` (GHES:
 * https://HOST/api/v3) and sending through the action's HTTP policy, which
 * does the retrying and rate-limit waits.
 *
 * @actions/github (Octokit and its plugins) starts loading here, in a bundle
 * chunk of its own, and requests wait for it: the session creates the client
 * once the token request is on its way, so that the loading takes the time of
 * that round trip rather than adding to the start.
 */
export function createOctokit(token: string, apiUrl: URL, http: Http): Octokit {
  const loading = import('@actions/github').then(({ getOctokit }) =>
    getOctokit(token, {
      baseUrl: apiUrl.href.replace(/\/$/, ''),
      userAgent: 'conductorone-rotate-credential-action',
      request: { fetch: http.fetch },
    }),
  );
  // A failed load fails the first request; with no request, it is nobody's concern.
  loading.catch(() => {});
  const request = async (...args: Parameters<GitHubOctokit['request']>) => (await loading).request(...args);
  const paginate = async (...args: Parameters<GitHubOctokit['paginate']>) => (await loading).paginate(...args);
  return { request, paginate } as unknown as Octokit;
}
