import { MockAgent } from 'undici';
import { createOctokit, type Octokit } from '../../src/github/client.js';
import { DEFAULT_RETRY_POLICY, Http } from '../../src/http.js';
import { type FakeClock, fakeClock } from './fake-clock.js';

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

type InterceptOptions = { method: string; path: string; headers?: unknown; body?: unknown };

/**
 * A MockAgent, the fake clock and a request log for one test: every reply made
 * with `answer` records what was sent, so tests can assert paths, bodies and order.
 */
export interface MockApi {
  agent: MockAgent;
  clock: FakeClock;
  requests: Recorded[];
  http(): Http;
  octokit(apiUrl?: string): Octokit;
  answer(
    status: number,
    data?: unknown,
    headers?: Record<string, string>,
  ): (opts: InterceptOptions) => {
    statusCode: number;
    data: string;
    responseOptions: { headers: Record<string, string> };
  };
  /**
   * Arguments for `.reply(...)` that hold the answer until `ready()` holds (or
   * a thousand event-loop turns pass), then twenty turns more: whatever the
   * code sends while it waits for this answer arrives before it is given.
   */
  answerWhen(
    ready: () => boolean,
    status: number,
    data?: unknown,
  ): [number, (opts: InterceptOptions) => Promise<string>, { headers: Record<string, string> }];
  /** "METHOD path status" per request, in order of arrival. */
  log(): string[];
  /** "> METHOD path" when a request arrived and "< METHOD path status" when it was answered, in order. */
  events: string[];
  close(): Promise<void>;
}

export const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0);
export const GITHUB_TOKEN = 'ghs_installationtoken';

export function mockApi(): MockApi {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const clock = fakeClock(NOW_MS);
  const requests: Recorded[] = [];
  const statuses: number[] = [];
  const events: string[] = [];
  const record = (opts: InterceptOptions, status: number): Recorded => {
    const recorded: Recorded = {
      method: opts.method,
      path: opts.path,
      headers: headersOf(opts.headers),
      body: typeof opts.body === 'string' ? opts.body : '',
    };
    requests.push(recorded);
    statuses.push(status);
    events.push(`> ${opts.method} ${opts.path}`);
    return recorded;
  };
  const http = () => new Http({ dispatcher: agent, clock, policy: DEFAULT_RETRY_POLICY });
  return {
    agent,
    clock,
    requests,
    http,
    octokit: (apiUrl = 'https://api.github.com') => createOctokit(GITHUB_TOKEN, new URL(apiUrl), http()),
    answer(status, data = '', headers = {}) {
      return (opts) => {
        record(opts, status);
        events.push(`< ${opts.method} ${opts.path} ${status}`);
        const json = typeof data !== 'string';
        return {
          statusCode: status,
          data: json ? JSON.stringify(data) : (data as string),
          responseOptions: {
            headers: { ...(json ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers },
          },
        };
      };
    },
    answerWhen(ready, status, data: unknown = '') {
      const json = typeof data !== 'string';
      const headers: Record<string, string> = json ? { 'content-type': 'application/json; charset=utf-8' } : {};
      return [
        status,
        async (opts) => {
          record(opts, status);
          for (let i = 0; i < 1000 && !ready(); i++) await turn();
          for (let i = 0; i < 20; i++) await turn();
          events.push(`< ${opts.method} ${opts.path} ${status}`);
          return json ? JSON.stringify(data) : (data as string);
        },
        { headers },
      ];
    },
    log: () => requests.map((r, i) => `${r.method} ${r.path} ${statuses[i]}`),
    events,
    close: () => agent.close(),
  };
}

/** The headers a request was sent with, names lowercased: undici hands them over as a Headers or a plain object. */
export function headersOf(raw: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw instanceof Headers) {
    raw.forEach((value, name) => {
      headers[name] = value;
    });
  } else if (raw && typeof raw === 'object') {
    for (const [name, value] of Object.entries(raw)) headers[name.toLowerCase()] = String(value);
  }
  return headers;
}

/** One event-loop turn: lets the code under test run on, without waiting on any clock. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error(`expected a rejection, but it resolved with ${JSON.stringify(value)}`);
}

/** How many times `needle` occurs in `text`. */
export function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
