import type { getOctokit } from '@actions/github';
import { endpoint } from '@octokit/endpoint';
import type { Http, SendInit } from '../http.js';
import type { HttpResponse } from '../http-response.js';
import { USER_AGENT } from '../user-agent.js';
import { TokenRefusals } from './errors.js';
import { GitHubRateLimits } from './rate-limits.js';

type GitHubOctokit = ReturnType<typeof getOctokit>;

/** The part of Octokit the action uses. */
export type Octokit = Pick<GitHubOctokit, 'request' | 'paginate'>;

export interface OctokitOptions {
  /**
   * @actions/github starts loading once this settles (default: at once). The
   * session passes "the token request is on its way", so that loading it
   * takes the time of that round trip rather than delaying the request.
   */
  loadAfter?: Promise<unknown>;
  /** GitHub's rate-limit rules for the run's requests (default: a budget of the run's own). */
  limits?: GitHubRateLimits;
  /** Receives one line when GitHub's rate-limit budget holds requests back. */
  log?: (message: string) => void;
}

/** Sends one request through the action's HTTP policy, within GitHub's rate-limit rules. */
type Send = (input: string | URL, init?: SendInit) => Promise<HttpResponse>;

/**
 * Octokit from @actions/github, pointed at `github-api-url` (GHES:
 * https://HOST/api/v3) and sending through the action's HTTP policy, which
 * does the retrying and rate-limit waits.
 *
 * @actions/github (Octokit and its plugins) loads in a bundle chunk of its
 * own. A GET asked for before it has loaded (the preflight's reads) does not
 * wait for it: the request leaves at once, through the same HTTP policy, with
 * the URL and headers Octokit builds (@octokit/endpoint, Octokit's own
 * request builder), and Octokit, once loaded, is handed that response for
 * the same request instead of sending it again. So the reads travel while
 * Octokit loads, and Octokit still reads every answer and raises every error.
 */
export function createOctokit(token: string, apiUrl: URL, http: Http, options: OctokitOptions = {}): Octokit {
  const baseUrl = apiUrl.href.replace(/\/$/, '');
  // One set of GitHub's rate-limit rules for every request of the run: a limit pauses them all.
  const limits = options.limits ?? new GitHubRateLimits(http.clock, options.log);
  const send: Send = (input, init) => http.fetchThrough(input, init, limits);
  const early = new EarlyReads(token, baseUrl, send);
  let loaded = false;
  const load = () =>
    import('@actions/github').then(({ getOctokit }) => {
      loaded = true;
      // Octokit reads of an answer only what HttpResponse has (status, url, headers, text, arrayBuffer).
      const fetch = early.fetch as unknown as typeof globalThis.fetch;
      return getOctokit(token, { baseUrl, userAgent: USER_AGENT, request: { fetch } });
    });
  const loading = Promise.resolve(options.loadAfter).then(load, load);
  // A failed load fails the first request; with no request, it is nobody's concern.
  loading.catch(() => {});
  // github-token refused (401) is one problem however many requests meet it: one error for them all.
  const refusals = new TokenRefusals();
  const request = async (...args: Parameters<GitHubOctokit['request']>) => {
    if (!loaded) early.send(args[0], args[1]);
    return (await loading).request(...args).catch((err: unknown) => Promise.reject(refusals.of(err)));
  };
  const paginate = async (...args: Parameters<GitHubOctokit['paginate']>) =>
    (await loading).paginate(...args).catch((err: unknown) => Promise.reject(refusals.of(err)));
  return { request, paginate } as unknown as Octokit;
}

/** GETs sent before Octokit has loaded, each waiting for Octokit to ask for it once. */
class EarlyReads {
  private readonly sent = new Map<string, Promise<HttpResponse>>();
  private readonly headers: Record<string, string>;

  constructor(
    token: string,
    private readonly baseUrl: string,
    private readonly http: Send,
  ) {
    this.headers = {
      // What Octokit would add: @octokit/auth-token's prefix, and @octokit/core's user agent before its own part.
      authorization: token.split('.').length === 3 ? `bearer ${token}` : `token ${token}`,
      'user-agent': `${USER_AGENT} ${endpoint.DEFAULTS.headers['user-agent']}`,
    };
  }

  /** Sends `route` now when it is a GET not already on its way. */
  send(route: unknown, params: unknown): void {
    if (typeof route !== 'string' || !route.startsWith('GET ')) return;
    const { url, headers } = endpoint(route, {
      ...(params as Record<string, unknown> | undefined),
      baseUrl: this.baseUrl,
      headers: this.headers,
    });
    const key = `GET ${url}`;
    if (this.sent.has(key)) return;
    const response = this.http(url, { method: 'GET', headers: headers as Record<string, string> });
    // Octokit handles its failure when it takes it; one never taken is nobody's concern.
    response.catch(() => {});
    this.sent.set(key, response);
  }

  /** Octokit's fetch: the response already on its way for this request, else a new request. */
  readonly fetch = (input: string | URL, init: SendInit = {}): Promise<HttpResponse> => {
    const key = `${(init.method ?? 'GET').toUpperCase()} ${String(input)}`;
    const response = this.sent.get(key);
    if (!response) return this.http(input, init);
    this.sent.delete(key);
    return response;
  };
}
