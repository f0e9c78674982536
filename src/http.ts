/**
 * The one HTTP policy of the action: per-attempt timeouts, and bounded retries
 * with jittered exponential backoff that honours `retry-after` and GitHub's
 * `x-ratelimit-*` headers. Both the ConductorOne client and Octokit (through
 * its `request.fetch` option) send every request through here, so retries,
 * timeouts and proxy settings behave the same for both APIs. Requests go out
 * with undici's Dispatcher.request, answers come back read whole (see
 * http-response.ts for why not fetch).
 *
 * GitHub: "Handle rate limit errors appropriately" in
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Dispatcher } from 'undici';
import llhttp from 'undici/lib/llhttp/llhttp_simd-wasm.js';
import { TransportError } from './errors.js';
import { HttpResponse } from './http-response.js';
import { serverText } from './redact.js';
import { USER_AGENT } from './user-agent.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff step; doubles per attempt, with jitter. */
  baseDelayMs: number;
  /** Longest single wait accepted; a longer `retry-after` ends the retries. */
  maxDelayMs: number;
  /** Budget for all attempts and waits of one request. */
  maxElapsedMs: number;
  /** Time allowed for one attempt, headers and body. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxElapsedMs: 180_000,
  timeoutMs: 30_000,
};

/** Injected so tests never sleep and can pin the jitter. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

export interface HttpOptions {
  /** Sends every request: the proxy-aware agent of a run, a test's MockAgent. */
  dispatcher: Dispatcher;
  policy?: Partial<RetryPolicy>;
  clock?: Clock;
  /** Receives one line per retry. Never given a request or response body. */
  log?: (message: string) => void;
  /** The largest answer read, in bytes; a larger one ends the request (default MAX_ANSWER_BYTES). */
  maxAnswerBytes?: number;
  /** Sent as User-Agent by every request that names none (default USER_AGENT). */
  userAgent?: string;
}

/**
 * Every answer is read whole, so a server (or a proxy) that sends without end
 * must not fill the runner's memory. The largest the action asks for, a page
 * of 100 repositories, is under 1 MB.
 *
 * 8 MB (8,000,000 bytes) is also what parses: Octokit reads JSON with
 * json-with-bigint, which on Node 20 runs a regular expression over the text
 * that overflows the stack on a string of 8 MiB (8,388,574 characters) or
 * more, and then hands the answer back as a string instead of an object. No
 * answer within this limit can hold such a string (test/unit/http.test.ts
 * parses one at the limit through Octokit).
 */
export const MAX_ANSWER_BYTES = 8_000_000;

/** An answer larger than the limit: the request ends, and is not tried again (the server would say as much again). */
class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
}

/** The part of fetch's RequestInit the action and Octokit send: every body is text (JSON or a form). */
export interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | null;
  signal?: AbortSignal | null;
}

export interface SendOptions {
  /**
   * Whether sending the request twice is harmless. Requests that are not
   * (RotateCredential) are retried only when the server cannot have acted on
   * them: no connection was made, or it answered 429 or 503.
   */
  idempotent: boolean;
  /** The API's own rules for every attempt (GitHub's rate limits: github/rate-limits.ts). */
  throttle?: Throttle;
}

/**
 * What an API asks of its clients beyond retries: GitHub's rate-limit rules
 * (a budget of requests, a pause of every request once one is limited). Http
 * asks it before each attempt and shows it each answer that is not a success.
 */
export interface Throttle {
  /**
   * Waits (on the Http's clock) until an attempt of `method` may go, and
   * resolves with what to call once its answer is in. Rejects with
   * ThrottleWaitTooLong when it could not go before `deadlineAt`, or when a
   * limit the server set lasts past `limitWaitAt` (the longest a request
   * waits for one: a request that gave up on it says so once, and the others
   * do not wait it out silently).
   */
  admit(method: string, deadlineAt: number, limitWaitAt?: number): Promise<() => void>;
  /** The wait a rate-limited answer asks for (every request through the throttle then waits too), or undefined. */
  limited(
    answer: { status: number; headers: HeaderLookup; body: string | undefined },
    attempt: number,
    nowMs: number,
  ): { reason: string; waitMs: number } | undefined;
}

/** A throttle could not let a request go before its deadline. */
export class ThrottleWaitTooLong extends Error {
  override readonly name = 'ThrottleWaitTooLong';
  /** Set when what stands in the way is a limit the server set (until then), not the run's own budget. */
  constructor(readonly limitedUntil?: number) {
    super('the wait is too long');
  }
}

/**
 * A bound on a phase of the run: every request sent while it runs, each
 * attempt, each retry and each wait a server asks for, ends by `at` (see
 * Http.withinDeadline).
 */
export interface Deadline {
  /** Clock time (ms). */
  at: number;
  /** What runs out then, for messages: "deploy-timeout (30m)". */
  what: string;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);

// Connection errors that prove the request never reached the server.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * TLS fails during the handshake, before the request is written: OpenSSL's
 * ERR_SSL_* and Node's ERR_TLS_* codes, and certificate verification errors.
 * https://nodejs.org/api/errors.html#nodejs-error-codes
 */
function isTlsHandshakeFailure(code: string): boolean {
  return /^(ERR_SSL_|ERR_TLS_)|CERT/.test(code);
}

/** GitHub's secondary rate limit without headers: wait at least a minute. */
const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000;

/** A request across its attempts. */
interface InFlight {
  /** "METHOD host/path", for the retry log; never a query or a body. */
  label: string;
  method: string;
  /** When its first attempt was let go (waits for a throttle before it do not count). */
  started: number;
  idempotent: boolean;
  /** The phase's deadline (see withinDeadline), when there is one. */
  deadline: Deadline | undefined;
  throttle: Throttle | undefined;
  /** Whether an attempt may have reached the server: false only while every attempt provably was not sent. */
  mayHaveReached: boolean;
}

/** After one attempt: the answer to hand back, or a wait before the next attempt (`limit`: a rate limit's, asked by the throttle). */
type Next = { response: HttpResponse } | { reason: string; waitMs: number; limit?: boolean };

/** What the retry policy reads of an answer's headers. */
export type HeaderLookup = { get(name: string): string | null };

export type Verdict = { retry: false } | { retry: true; reason: string; waitMs?: number };

/**
 * Decides whether a response is worth another attempt, and how long the
 * server asked us to wait. `body` is only consulted for GitHub's secondary
 * rate limit message on a bare 403; it is never logged.
 */
export function judgeResponse(
  status: number,
  headers: HeaderLookup,
  idempotent: boolean,
  nowMs: number,
  body?: string,
): Verdict {
  const asked = requestedWaitMs(headers, nowMs);
  if (status === 429) return { retry: true, reason: 'rate limited (429)', ...optional(asked) };
  if (status === 403) {
    if (asked !== undefined) return { retry: true, reason: 'rate limited (403)', waitMs: asked };
    if (body && /secondary rate limit/i.test(body)) {
      return { retry: true, reason: 'secondary rate limit (403)', waitMs: SECONDARY_RATE_LIMIT_WAIT_MS };
    }
    return { retry: false };
  }
  if (status === 503) return { retry: true, reason: 'unavailable (503)', ...optional(asked) };
  if (idempotent && (status === 500 || status === 502 || status === 504)) {
    return { retry: true, reason: `server error (${status})`, ...optional(asked) };
  }
  return { retry: false };
}

function optional(waitMs: number | undefined): { waitMs?: number } {
  return waitMs === undefined ? {} : { waitMs };
}

/** `retry-after` (seconds or HTTP date), else `x-ratelimit-reset` when no requests remain. */
export function requestedWaitMs(headers: HeaderLookup, nowMs: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const value = retryAfter.trim();
    if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  if (headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs) + 1_000;
  }
  return undefined;
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class Http {
  readonly policy: RetryPolicy;
  /** Also the proof's clock, so tests never sleep. */
  readonly clock: Clock;
  private readonly log: (message: string) => void;
  private readonly dispatcher: Dispatcher;
  private readonly maxAnswerBytes: number;
  private readonly userAgent: string;
  private phaseDeadline: Deadline | undefined;

  constructor(options: HttpOptions) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? (() => {});
    this.dispatcher = options.dispatcher;
    this.maxAnswerBytes = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
    this.userAgent = options.userAgent ?? USER_AGENT;
  }

  /**
   * Runs a phase of the pipeline with every request sent until it ends,
   * directly or through Octokit, bounded by `deadline` (a phase it runs in
   * that ends earlier still holds). The pipeline runs its phases one after the
   * other, so the deadline is the Http's while the phase runs, not carried by
   * an AsyncLocalStorage: on Node 20 one in use hooks every promise the process
   * makes, which cost a 20-repository run about 13 ms (npm run bench).
   */
  async withinDeadline<T>(deadline: Deadline, work: () => Promise<T>): Promise<T> {
    const outer = this.phaseDeadline;
    this.phaseDeadline = outer && outer.at < deadline.at ? outer : deadline;
    try {
      return await work();
    } finally {
      this.phaseDeadline = outer;
    }
  }

  /** The deadline of the phase running now, if any. */
  get deadline(): Deadline | undefined {
    return this.phaseDeadline;
  }

  /** A fetch for Octokit's `request.fetch`: idempotency follows the method. */
  readonly fetch = (input: string | URL, init: SendInit = {}): Promise<HttpResponse> => this.fetchThrough(input, init);

  /** Octokit's fetch with an API's own rules (GitHub's rate limits): idempotency follows the method. */
  fetchThrough(input: string | URL, init: SendInit = {}, throttle?: Throttle): Promise<HttpResponse> {
    const method = (init.method ?? 'GET').toUpperCase();
    const idempotent = IDEMPOTENT_METHODS.has(method);
    return this.send(String(input), init, { idempotent, ...(throttle ? { throttle } : {}) });
  }

  async send(url: string, init: SendInit, options: SendOptions): Promise<HttpResponse> {
    const { host, pathname } = new URL(url);
    const method = (init.method ?? 'GET').toUpperCase();
    const request: InFlight = {
      label: `${method} ${host}${pathname}`,
      method,
      started: Number.NaN,
      idempotent: options.idempotent,
      deadline: this.phaseDeadline,
      throttle: options.throttle,
      mayHaveReached: false,
    };
    for (let attempt = 1; ; attempt++) {
      const release = await this.admit(request);
      let next: Next;
      try {
        next = await this.tryOnce(url, init, request, attempt);
      } finally {
        release();
      }
      if ('response' in next) return next.response;
      await this.wait(request, next.reason, attempt, next.waitMs);
    }
  }

  /**
   * Before an attempt: the phase's deadline must leave time for it, and the
   * throttle (GitHub's rate limits) must let it go; returns what to call once
   * its answer is in.
   */
  private async admit(request: InFlight): Promise<() => void> {
    const ranOut = () => this.ranOut(request, 'was not sent');
    if (request.deadline && this.clock.now() >= request.deadline.at) throw ranOut();
    const limitWaitAt = (Number.isNaN(request.started) ? this.clock.now() : request.started) + this.policy.maxElapsedMs;
    const release = request.throttle
      ? await request.throttle
          .admit(request.method, request.deadline?.at ?? Number.POSITIVE_INFINITY, limitWaitAt)
          .catch((err: unknown) => {
            if (!(err instanceof ThrottleWaitTooLong)) throw err;
            if (err.limitedUntil === undefined) throw ranOut();
            const until = new Date(err.limitedUntil).toISOString();
            const asked = `GitHub asked every request of this run to wait until ${until}, longer than this action waits`;
            throw new TransportError(`${request.label} was not sent: ${asked}`, false, { rateLimited: true });
          })
      : noop;
    if (Number.isNaN(request.started)) request.started = this.clock.now();
    return release;
  }

  /** The error that ends a request when its phase's deadline has run out. */
  private ranOut(request: InFlight, what: string): TransportError {
    const phase = request.deadline?.what ?? 'the time allowed';
    return new TransportError(`${request.label} ${what}: ${phase} ran out`, request.mayHaveReached, {
      deadlineRanOut: true,
    });
  }

  /**
   * One attempt: the answer to return, or why and how long to wait before the
   * next; throws when giving up on a network failure.
   */
  private async tryOnce(url: string, init: SendInit, request: InFlight, attempt: number): Promise<Next> {
    const last = attempt >= this.policy.maxAttempts;
    let response: HttpResponse;
    try {
      response = await this.attempt(url, init, this.attemptLimit(request));
    } catch (err) {
      return this.afterFailure(err, request, attempt);
    }
    request.mayHaveReached = true;
    if (response.ok || last) return { response };
    const next = await this.afterAnswer(response, request, attempt);
    if ('response' in next || this.mayWait(request, next)) return next;
    if (!this.fitsDeadline(request, next.waitMs) && this.mayWait({ ...request, deadline: undefined }, next)) {
      // Only the phase's deadline stands in the way: the phase is over, not the server's answer.
      const asked = `${next.reason}, and the server asks to wait ${Math.ceil(next.waitMs / 1000)} s`;
      const ranOut = `${request.label}: ${asked}; ${request.deadline?.what} runs out first`;
      throw new TransportError(ranOut, true, { deadlineRanOut: true, rateLimited: Boolean(next.limit) });
    }
    return { response };
  }

  /** After an answer that is not a success: whether to try again, and after how long. */
  private async afterAnswer(response: HttpResponse, request: InFlight, attempt: number): Promise<Next> {
    const rateLimited = response.status === 403 || response.status === 429;
    const body = rateLimited ? await response.text() : undefined;
    const now = this.clock.now();
    const limit = request.throttle?.limited({ status: response.status, headers: response.headers, body }, attempt, now);
    if (limit) return { ...limit, limit: true };
    const verdict = judgeResponse(response.status, response.headers, request.idempotent, now, body);
    if (!verdict.retry) return { response };
    return { reason: verdict.reason, waitMs: verdict.waitMs ?? backoffMs(attempt, this.policy, this.clock.random) };
  }

  /** Whether a wait fits: the longest single wait (for a server's own ask), the request's budget and the deadline. */
  private mayWait(request: InFlight, next: { reason: string; waitMs: number; limit?: boolean }): boolean {
    const { waitMs } = next;
    const tooLong = !next.limit && waitMs > this.policy.maxDelayMs;
    if (!tooLong && this.withinBudget(request, waitMs)) return true;
    if (this.fitsDeadline(request, waitMs)) {
      const asked = `the server asks to wait ${Math.ceil(waitMs / 1000)} s, longer than this action waits`;
      this.log(`${request.label}: ${next.reason}; ${asked}, so it gives up`);
    }
    return false;
  }

  /** After an attempt that got no answer: a wait before the next attempt, or the TransportError that ends the request. */
  private afterFailure(err: unknown, request: InFlight, attempt: number): Next {
    if (err instanceof AnswerTooLargeError) throw new TransportError(`${request.label} failed: ${err.message}`, true);
    const failure = describeFailure(err, this.policy.timeoutMs);
    if (!failure.notSent) request.mayHaveReached = true;
    if (failure.deadlineRanOut) throw this.ranOut(request, `got ${failure.text}`);
    const waitMs = backoffMs(attempt, this.policy, this.clock.random);
    const last = attempt >= this.policy.maxAttempts;
    if (last || !(request.idempotent || failure.notSent) || !this.withinBudget(request, waitMs)) {
      const tries = attempt === 1 ? '' : ` after ${attempt} attempts`;
      const processed = request.mayHaveReached;
      throw new TransportError(`${request.label} failed: ${failure.text}${tries}`, processed, { cause: err });
    }
    return { reason: failure.text, waitMs };
  }

  /** How long one attempt may take: the policy's time limit, or what is left of the deadline when that is less. */
  private attemptLimit(request: InFlight): AttemptLimit {
    const left = request.deadline ? request.deadline.at - this.clock.now() : Number.POSITIVE_INFINITY;
    if (left < this.policy.timeoutMs) return { ms: Math.max(0, left), deadline: true };
    return { ms: this.policy.timeoutMs, deadline: false };
  }

  /**
   * One request, its answer read whole, within the attempt's time limit. The
   * limit is a timer of its own, not only an abort signal: a request queued
   * behind a proxy tunnel that never opens (a CONNECT that gets no answer) is
   * not ended by its signal until undici's 300-second headers timeout.
   */
  private async attempt(url: string, init: SendInit, limit: AttemptLimit): Promise<HttpResponse> {
    const timeout = new AbortController();
    const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new AttemptTimeoutError(limit);
        timeout.abort(error);
        reject(error);
      }, limit.ms);
    });
    const exchange = this.exchange(url, init, signal);
    // Once the timer has won, the exchange's own failure (its abort) is nobody's concern.
    exchange.catch(noop);
    try {
      return await Promise.race([exchange, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends with undici's request API and reads the answer whole. */
  private async exchange(url: string, init: SendInit, signal: AbortSignal): Promise<HttpResponse> {
    const target = new URL(url);
    // request() never follows a redirect: a credential request answered by a
    // 3xx (a proxy, a captive portal, a moved API) must not be replayed to
    // another host, and its 3xx is not a documented success.
    const answer = await this.dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: (init.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers: withUserAgent(init.headers, this.userAgent),
      body: init.body ?? null,
      signal,
    });
    const bytes = await readWhole(answer.body, this.maxAnswerBytes);
    return new HttpResponse(url, answer.statusCode, answer.statusText ?? '', answer.headers, bytes);
  }

  private withinBudget(request: InFlight, waitMs: number): boolean {
    const inBudget = this.clock.now() - request.started + waitMs <= this.policy.maxElapsedMs;
    return inBudget && this.fitsDeadline(request, waitMs);
  }

  private fitsDeadline(request: InFlight, waitMs: number): boolean {
    return !request.deadline || this.clock.now() + waitMs < request.deadline.at;
  }

  private async wait(request: InFlight, reason: string, attempt: number, waitMs: number): Promise<void> {
    const next = `attempt ${attempt + 1} of ${this.policy.maxAttempts}`;
    this.log(`${request.label}: ${reason}; retrying in ${(waitMs / 1000).toFixed(1)} s (${next})`);
    await this.clock.sleep(waitMs);
  }
}

/** How long one attempt may take, and whether that is the phase's deadline rather than the policy's limit. */
interface AttemptLimit {
  ms: number;
  deadline: boolean;
}

/** An attempt that ran out of time (its name is what describeFailure looks for). */
class AttemptTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(readonly limit: AttemptLimit) {
    super('the attempt ran out of time');
  }
}

/** The request's headers, with a User-Agent unless they name one (Octokit names its own). */
function withUserAgent(headers: Record<string, string> = {}, userAgent: string): Record<string, string> {
  const named = Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent');
  return named ? { ...headers } : { 'user-agent': userAgent, ...headers };
}

/** An answer's body, read to its end, unless it grows past `limit` bytes. */
async function readWhole(body: AsyncIterable<Uint8Array> & { destroy(): void }, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      const most = limit % 1_000_000 === 0 ? `${limit / 1_000_000} MB` : `${limit} bytes`;
      throw new AnswerTooLargeError(`the answer is larger than ${most}, more than any answer the action asks for`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function describeFailure(err: unknown, timeoutMs: number): { text: string; notSent: boolean; deadlineRanOut?: true } {
  if (err instanceof AttemptTimeoutError && err.limit.deadline)
    return { text: 'no answer', notSent: false, deadlineRanOut: true };
  const name = err instanceof Error || err instanceof DOMException ? err.name : '';
  if (name === 'TimeoutError')
    return {
      text: `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`,
      notSent: false,
    };
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const code = cause?.code ?? (err as { code?: string } | undefined)?.code;
  if (code) return { text: `network error ${code}`, notSent: NOT_SENT_CODES.has(code) || isTlsHandshakeFailure(code) };
  const message = cause?.message ?? (err instanceof Error ? err.message : String(err));
  // An error's text may quote what was sent (a header value, say): one line, no credential.
  return { text: `network error (${serverText(message, 200)})`, notSent: false };
}

/**
 * Ends every connection of a dispatcher, within `boundMs`. It destroys rather
 * than closes: close() waits for every open request, and a request stalled in
 * a proxy tunnel may never end; undici's Agent also forgets its connections
 * as soon as close() starts, so a destroy() after it cannot end that request.
 * The run has awaited every request it cares about by the time this is called
 * (or is being cancelled), so nothing of value is cut short.
 */
export async function closeDispatcher(dispatcher: Dispatcher, boundMs: number): Promise<void> {
  const expired = new Promise<void>((resolve) => setTimeout(resolve, boundMs).unref());
  await Promise.race([dispatcher.destroy().catch(() => {}), expired]);
}

/** undici publishes on it just before it writes a request to its socket (docs/api/DiagnosticsChannel.md). */
const SEND_HEADERS = 'undici:client:sendHeaders';

/**
 * Starts a request with `start`, and says when it is on its way: `sent`
 * resolves a macrotask after the next request of this process is written to
 * its socket (with `url`, the next request to that URL), or once `result`
 * settles if that comes first (a request that fails before it is written, or
 * a call that needs none). Work started after `sent` runs while the request
 * is in flight instead of delaying it.
 */
export function whenSent<T>(start: () => Promise<T>, url?: URL): { result: Promise<T>; sent: Promise<void> } {
  let written: () => void = noop;
  const onWrite = (message: unknown) => {
    if (url && !isRequestTo(message, url)) return;
    unsubscribe(SEND_HEADERS, onWrite);
    setImmediate(written);
  };
  const write = new Promise<void>((resolve) => {
    written = resolve;
  });
  subscribe(SEND_HEADERS, onWrite);
  const result = (async () => start())();
  const settled = result.then(noop, noop);
  void settled.then(() => unsubscribe(SEND_HEADERS, onWrite));
  return { result, sent: Promise.race([write, settled]) };
}

/**
 * Whether a sendHeaders message is about a request to `url`: its origin and
 * path, or the whole URL as the path (a plain-HTTP request through a proxy).
 */
function isRequestTo(message: unknown, url: URL): boolean {
  const request = (message as { request?: { origin?: unknown; path?: unknown } } | undefined)?.request;
  const path = String(request?.path);
  if (path === url.href) return true;
  return path === url.pathname + url.search && String(request?.origin).replace(/\/$/, '') === url.origin;
}

function noop(): void {}

/**
 * Starts compiling undici's HTTP parser (llhttp, WebAssembly) on V8's
 * background threads. undici compiles it synchronously when it opens its
 * first connection, on the main thread and on the critical path of the run;
 * V8 keeps compiled modules by their bytes, so that compile then finds this
 * one done. Nothing depends on it: if it fails, undici compiles as before.
 */
export function warmHttpParser(): void {
  // The WebAssembly global has no value type in @types/node's globals.
  const { WebAssembly: wasm } = globalThis as unknown as {
    WebAssembly: { compile(bytes: Uint8Array): Promise<unknown> };
  };
  wasm.compile(llhttp).catch(() => {});
}
