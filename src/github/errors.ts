/**
 * Turns an Octokit failure into one sentence that says what went wrong, where,
 * and what to do about it. Response bodies are never quoted whole:
 * only GitHub's `message` field, which never holds a secret value.
 */
import { ActionError, TransportError } from '../errors.js';
import type { Target } from '../model.js';
import { serverText } from '../redact.js';

export interface GitHubAttempt {
  /** What was being done, ending in a preposition the target label follows: "write the secret X in". */
  doing: string;
  /** The fine-grained permission the request needs. */
  permission: 'Secrets' | 'Variables' | 'Metadata' | 'Actions' | 'Contents';
  /** The input that names the target, for a target that moved; default repositories (organization for one). */
  input?: string;
}

interface RequestErrorLike {
  status: number;
  message: string;
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
}

export function isRequestError(err: unknown): err is RequestErrorLike {
  return err instanceof Error && typeof (err as { status?: unknown }).status === 'number';
}

/**
 * GitHub's own 404 (a JSON body with `message`), not a proxy's page: only that
 * may mean "this secret or variable does not exist yet".
 */
export function isGitHubNotFound(err: unknown): boolean {
  if (!isRequestError(err) || err.status !== 404) return false;
  const data = err.response?.data as { message?: unknown } | undefined;
  return typeof data === 'object' && data !== null && typeof data.message === 'string';
}

/**
 * Octokit resolves every status below 400 (but 304) as a success, so a 3xx
 * (redirects are never followed) or an undocumented 2xx would pass for one.
 * Each request names the statuses GitHub documents; anything else is this.
 */
export class UndocumentedStatusError extends Error {
  override readonly name = 'UndocumentedStatusError';
  constructor(
    readonly status: number,
    readonly expected: readonly number[],
  ) {
    super(`status ${status}`);
  }
}

/** Passes a response on only when its status is one the API documents for the request. */
export function expectStatus<R extends { status: number }>(response: R, expected: readonly number[]): R {
  if (!expected.includes(response.status)) throw new UndocumentedStatusError(response.status, expected);
  return response;
}

/**
 * GitHub refused github-token itself (401): one problem, whichever targets
 * met it. Every request of one client that GitHub answers 401 throws the same
 * instance (see `TokenRefusals`), and each target that met it is added, so a
 * run that lists its problems says this once and names every target.
 */
export class TokenRefusedError extends ActionError {
  override readonly name = 'TokenRefusedError';
  /** As on Octokit's error: a refused request stored nothing. */
  readonly status = 401;
  private readonly targets: string[] = [];

  constructor(private readonly detail: string) {
    super('');
    this.compose();
  }

  /** Adds a target that met the refusal; returns this same error. */
  refusedFor(label: string): this {
    if (!this.targets.includes(label)) this.targets.push(label);
    this.compose();
    return this;
  }

  private compose(): void {
    const where = this.targets.length ? ` for ${this.targets.join(', ')}` : '';
    this.message = `GitHub refused github-token${where} (${this.detail}): it may be expired or revoked; ${CURRENT_TOKEN}.`;
  }
}

/** One client's GitHub 401s, as a single TokenRefusedError; any other error passes through. */
export class TokenRefusals {
  private refused: TokenRefusedError | undefined;

  of(err: unknown): unknown {
    if (!isRequestError(err) || err.status !== 401 || err instanceof TokenRefusedError) return err;
    this.refused ??= new TokenRefusedError(statusDetail(err));
    return this.refused;
  }
}

/** "401 Bad credentials": the status and GitHub's message, which is still a server's text: one line, nothing shaped like a credential. */
function statusDetail(err: RequestErrorLike): string {
  const data = err.response?.data as { message?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? serverText(data.message, 300) : '';
  return message ? `${err.status} ${message}` : `${err.status}`;
}

/** Whether a request ended because its phase's deadline (deploy-timeout, say) ran out; Octokit wraps it as a cause. */
export function deadlineRanOut(err: unknown): boolean {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return [err, cause].some((e) => e instanceof TransportError && e.deadlineRanOut);
}

/**
 * A limit GitHub still applied once the action stopped waiting: retry-after or
 * no requests remaining, a 429, or a 403 that names a secondary rate limit.
 */
function isRateLimited(err: RequestErrorLike, message: string): boolean {
  if (err.status === 429) return true;
  if (err.status !== 403) return false;
  const headers = err.response?.headers ?? {};
  const asked = headers['retry-after'] !== undefined || String(headers['x-ratelimit-remaining']) === '0';
  return asked || /secondary rate limit|abuse detection/i.test(message);
}

/** The parts of messages that several answers share. */
export const ANY_PROXY = 'any proxy between the runner and GitHub';
const CHECK_NETWORK = "Check github-api-url and the runner's network access.";
const CURRENT_TOKEN = 'pass a current GitHub App installation token or fine-grained token';
const NOT_GITHUB_TOKEN = 'the workflow GITHUB_TOKEN can never write secrets';

export function describeGitHubError(err: unknown, target: Target, attempt: GitHubAttempt): unknown {
  if (err instanceof TokenRefusedError) return err.refusedFor(target.label);
  // Octokit wraps whatever its fetch throws in a RequestError with status 500;
  // the real cause (no connection, a timeout) is what people need to see.
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof TransportError) err = cause;
  if (err instanceof TransportError && err.rateLimited) {
    const limited = `GitHub rate-limited the attempt to ${attempt.doing} ${target.label}: ${err.message}`;
    return new ActionError(`${limited}; re-run later.`, { cause: err });
  }
  if (err instanceof TransportError) {
    const unreachable = `Could not reach GitHub for ${target.label}: ${err.message}`;
    return new ActionError(`${unreachable}. ${CHECK_NETWORK}`, { cause: err });
  }
  if (err instanceof UndocumentedStatusError) return undocumentedStatus(err, target, attempt);
  if (!isRequestError(err)) return err;
  const what = `${attempt.doing} ${target.label}`;
  const data = err.response?.data as { message?: unknown } | undefined;
  // GitHub's message is still a server's text: one line, nothing shaped like a credential.
  const message = typeof data?.message === 'string' ? serverText(data.message, 300) : '';
  const detail = statusDetail(err);
  if (isRateLimited(err, message)) {
    return new ActionError(
      `GitHub rate-limited the attempt to ${what} (${detail}) longer than this action waits; re-run later.`,
    );
  }
  switch (err.status) {
    case 401:
      return new TokenRefusedError(detail).refusedFor(target.label);
    case 403:
      return new ActionError(`github-token cannot ${what} (${detail}): ${permissionFix(target, attempt.permission)}`);
    case 404:
      return new ActionError(notFound(target, detail));
    default:
      return new ActionError(`GitHub could not ${what} (${detail}).`);
  }
}

/**
 * What to grant, in the words of GitHub's settings pages:
 * https://docs.github.com/en/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens
 */
function permissionFix(target: Target, permission: GitHubAttempt['permission']): string {
  if (permission === 'Metadata') return 'give the token read access to that repository (Metadata read).';
  // Dispatching and reading workflow runs: the workflow GITHUB_TOKEN can do it in its own repository.
  if (permission === 'Actions') return `give the token the Actions read and write permission on ${target.label}.`;
  if (permission === 'Contents') return `give the token the Contents read permission on ${target.label}.`;
  if (target.kind === 'organization') {
    const grant = `the organization ${permission} read and write permission (GitHub App or fine-grained token)`;
    return `give the token ${grant}, or admin:org for a classic token; ${NOT_GITHUB_TOKEN}.`;
  }
  if (target.kind === 'environment') {
    // Environment secrets and variables are governed by the Environments permission.
    const grant = `the Environments read and write permission on ${target.owner}/${target.repo}`;
    return `give the token ${grant}; ${NOT_GITHUB_TOKEN}.`;
  }
  return `give the token the ${permission} read and write permission on that repository; ${NOT_GITHUB_TOKEN}.`;
}

/** An answer whose status GitHub does not document for the request: a moved target, a redirect, a proxy's page. */
function undocumentedStatus(err: UndocumentedStatusError, target: Target, attempt: GitHubAttempt): ActionError {
  if (err.status === 301 || err.status === 308) return new ActionError(movedMessage(target, err.status, attempt));
  const redirect = err.status >= 300 && err.status < 400 ? ' (a redirect, which the action never follows)' : '';
  return new ActionError(
    [
      `GitHub answered the attempt to ${attempt.doing} ${target.label} with status ${err.status}${redirect},`,
      `not the documented ${err.expected.join(' or ')}, so it did not count as done:`,
      `check github-api-url and ${ANY_PROXY}.`,
    ].join(' '),
  );
}

/**
 * A renamed or transferred repository (or a renamed organization) answers 301
 * with its new location, which the action never follows: it says the target
 * moved, and where to change its name.
 * https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#301-moved-permanently
 */
function movedMessage(target: Target, status: number, attempt: GitHubAttempt): string {
  const input = attempt.input ?? (target.kind === 'organization' ? 'organization' : 'repositories');
  const what =
    target.kind === 'organization' ? `Organization ${target.org}` : `Repository ${target.owner}/${target.repo}`;
  const how = target.kind === 'organization' ? 'renamed' : 'renamed or transferred';
  return [
    `${what} moved (${status}): GitHub answered the attempt to ${attempt.doing} ${target.label} with its new location,`,
    `which the action never follows, so it did not count as done. It was ${how}: use its new name in ${input}.`,
  ].join(' ');
}

function notFound(target: Target, detail: string): string {
  switch (target.kind) {
    case 'repository':
      return [
        `Repository ${target.label} was not found, or github-token cannot see it (${detail}):`,
        'check the name in repositories and that the token (GitHub App installation or fine-grained token)',
        'includes that repository.',
      ].join(' ');
    case 'environment':
      return [
        `Environment "${target.environment}" was not found in ${target.owner}/${target.repo},`,
        `or github-token cannot see that repository (${detail}):`,
        'create the environment under Settings > Environments, or fix environment or repositories.',
      ].join(' ');
    case 'organization':
      return [
        `Organization ${target.org} was not found, or github-token cannot see its secrets (${detail}):`,
        'check organization, and give the token the organization Secrets permission (admin:org for a classic token).',
      ].join(' ');
  }
}
