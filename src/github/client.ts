import { getOctokit } from '@actions/github';
import type { Http } from '../http.js';

export type Octokit = ReturnType<typeof getOctokit>;

/**
 * Octokit from @actions/github, pointed at `github-api-url` (GHES:
 * https://HOST/api/v3) and sending through the action's HTTP policy, which
 * does the retrying and rate-limit waits.
 */
export function createOctokit(token: string, apiUrl: URL, http: Http): Octokit {
  return getOctokit(token, {
    baseUrl: apiUrl.href.replace(/\/$/, ''),
    userAgent: 'conductorone-rotate-credential-action',
    request: { fetch: http.fetch },
  });
}
