import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { Agent, MockAgent, ProxyAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import {
  backoffMs,
  closeDispatcher,
  DEFAULT_RETRY_POLICY,
  Http,
  judgeResponse,
  type RetryPolicy,
  requestedWaitMs,
  warmHttpParser,
} from '../../src/http.js';
import { REPO_ROOT } from '../fakes/run-action.js';
import { type FakeClock, fakeClock } from './fake-clock.js';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const ORIGIN = 'https://api.example.com';

function headers(values: Record<string, string> = {}): Headers {
  return new Headers(values);
}

const policy: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxElapsedMs: 180_000,
};

describe('requestedWaitMs', () => {
  it('reads retry-after in seconds', () => {
    expect(requestedWaitMs(headers({ 'retry-after': '2' }), NOW)).toBe(2_000);
    expect(requestedWaitMs(headers({ 'retry-after': ' 1.5 ' }), NOW)).toBe(1_500);
    expect(requestedWaitMs(headers({ 'retry-after': '0' }), NOW)).toBe(0);
  });

  it('reads retry-after as an HTTP date, relative to now', () => {
    const in30s = new Date(NOW + 30_000).toUTCString();
    expect(requestedWaitMs(headers({ 'retry-after': in30s }), NOW)).toBe(30_000);
  });

  it('waits zero for a retry-after date in the past', () => {
    expect(requestedWaitMs(headers({ 'retry-after': new Date(NOW - 60_000).toUTCString() }), NOW)).toBe(0);
  });

  it('ignores a retry-after that is neither seconds nor a date', () => {
    expect(requestedWaitMs(headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
  });

  it('waits until x-ratelimit-reset, plus a second, when no requests remain', () => {
    const reset = NOW / 1000 + 42;
    expect(requestedWaitMs(headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }), NOW)).toBe(
      43_000,
    );
  });

  it('asks for no wait while requests remain, or when the reset is missing', () => {
    const reset = String(NOW / 1000 + 42);
    expect(requestedWaitMs(headers({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': reset }), NOW)).toBeUndefined();
    expect(requestedWaitMs(headers({ 'x-ratelimit-remaining': '0' }), NOW)).toBeUndefined();
    expect(requestedWaitMs(headers(), NOW)).toBeUndefined();
  });

  it('prefers retry-after over x-ratelimit-reset', () => {
    const reset = String(NOW / 1000 + 600);
    expect(
      requestedWaitMs(headers({ 'retry-after': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), NOW),
    ).toBe(3_000);
  });
});

describe('judgeResponse', () => {
  it('always retries 429 and 503, even for a request that is not idempotent', () => {
    for (const status of [429, 503]) {
      expect(judgeResponse(status, headers(), false, NOW)).toMatchObject({ retry: true });
      expect(judgeResponse(status, headers(), true, NOW)).toMatchObject({ retry: true });
    }
  });

  it('passes on the wait a 429 asks for', () => {
    expect(judgeResponse(429, headers({ 'retry-after': '7' }), false, NOW)).toEqual({
      retry: true,
      reason: 'rate limited (429)',
      waitMs: 7_000,
    });
    expect(judgeResponse(429, headers(), false, NOW)).toEqual({ retry: true, reason: 'rate limited (429)' });
  });

  it('retries 500, 502 and 504 only when the request is idempotent', () => {
    for (const status of [500, 502, 504]) {
      expect(judgeResponse(status, headers(), true, NOW)).toMatchObject({ retry: true });
      expect(judgeResponse(status, headers(), false, NOW)).toEqual({ retry: false });
    }
  });

  it('retries a 403 that carries retry-after', () => {
    expect(judgeResponse(403, headers({ 'retry-after': '5' }), true, NOW)).toEqual({
      retry: true,
      reason: 'rate limited (403)',
      waitMs: 5_000,
    });
  });

  it('retries a 403 with x-ratelimit-remaining 0 until the reset', () => {
    const h = headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 9) });
    expect(judgeResponse(403, h, true, NOW)).toEqual({ retry: true, reason: 'rate limited (403)', waitMs: 10_000 });
  });

  it("retries a bare 403 whose body mentions GitHub's secondary rate limit, waiting a minute", () => {
    const body = JSON.stringify({
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
    });
    expect(judgeResponse(403, headers(), true, NOW, body)).toEqual({
      retry: true,
      reason: 'secondary rate limit (403)',
      waitMs: 60_000,
    });
  });

  it('does not retry a 403 without rate-limit headers or message', () => {
    expect(judgeResponse(403, headers(), true, NOW, '{"message":"Resource not accessible by integration"}')).toEqual({
      retry: false,
    });
    expect(judgeResponse(403, headers(), true, NOW)).toEqual({ retry: false });
  });

  it('does not retry other client errors, nor 501', () => {
    for (const status of [400, 401, 404, 409, 422, 501]) {
      expect(judgeResponse(status, headers({ 'retry-after': '1' }), true, NOW)).toEqual({ retry: false });
    }
  });
});

describe('backoffMs', () => {
  it('doubles per attempt, with half of each step fixed and half jittered', () => {
    const half = () => 0.5;
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, policy, half))).toEqual([750, 1_500, 3_000, 6_000]);
  });

  it('ranges from half the step (random 0) to the whole step (random 1)', () => {
    expect(backoffMs(3, policy, () => 0)).toBe(2_000);
    expect(backoffMs(3, policy, () => 1)).toBe(4_000);
  });

  it('never exceeds maxDelayMs', () => {
    expect(backoffMs(30, { ...policy, maxDelayMs: 10_000 }, () => 1)).toBe(10_000);
  });
});

describe('Http.send', () => {
  let agent: MockAgent;
  let clock: FakeClock;
  let logged: string[];

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    clock = fakeClock(NOW);
    logged = [];
  });

  afterEach(async () => {
    await agent.close();
  });

  function http(overrides: Partial<RetryPolicy> = {}): Http {
    return new Http({ dispatcher: agent, clock, policy: { ...policy, ...overrides }, log: (m) => logged.push(m) });
  }

  function counted(status: number, body = '', responseHeaders: Record<string, string> = {}) {
    let count = 0;
    return {
      get count() {
        return count;
      },
      reply: () => {
        count++;
        return { statusCode: status, data: body, responseOptions: { headers: responseHeaders } };
      },
    };
  }

  const get = { method: 'GET' };

  it('succeeds after a 503 with one backoff wait', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/thing' }).reply(503, 'busy');
    pool.intercept({ path: '/thing' }).reply(200, 'ok');
    const response = await http().send(`${ORIGIN}/thing`, get, { idempotent: true });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect(clock.waits).toEqual([750]);
    expect(logged).toEqual(['GET api.example.com/thing: unavailable (503); retrying in 0.8 s (attempt 2 of 4)']);
    agent.assertNoPendingInterceptors();
  });

  it('waits the 2000 ms a 429 retry-after: 2 asks for', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/thing', method: 'POST' }).reply(429, '', { headers: { 'retry-after': '2' } });
    pool.intercept({ path: '/thing', method: 'POST' }).reply(201, 'made');
    const response = await http().send(`${ORIGIN}/thing`, { method: 'POST', body: '{}' }, { idempotent: false });
    expect(response.status).toBe(201);
    expect(clock.waits).toEqual([2_000]);
    agent.assertNoPendingInterceptors();
  });

  it('returns the 429 without waiting when retry-after is longer than maxDelayMs', async () => {
    const reply = counted(429, 'slow down', { 'retry-after': '120' });
    agent.get(ORIGIN).intercept({ path: '/thing' }).reply(reply.reply).persist();
    const response = await http({ maxDelayMs: 60_000 }).send(`${ORIGIN}/thing`, get, { idempotent: true });
    expect(response.status).toBe(429);
    expect(await response.text()).toBe('slow down');
    expect(reply.count).toBe(1);
    expect(clock.waits).toEqual([]);
    expect(logged).toEqual([expect.stringContaining('asks to wait 120 s, longer than this action waits')]);
  });

  it('gives up after maxAttempts and returns the last response', async () => {
    const reply = counted(503, 'still down');
    agent.get(ORIGIN).intercept({ path: '/thing' }).reply(reply.reply).persist();
    const response = await http({ maxAttempts: 3 }).send(`${ORIGIN}/thing`, get, { idempotent: true });
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('still down');
    expect(reply.count).toBe(3);
    expect(clock.waits).toEqual([750, 1_500]);
  });

  it('retries a network error on an idempotent request', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/thing' }).replyWithError(new Error('socket hang up'));
    pool.intercept({ path: '/thing' }).reply(200, 'ok');
    const response = await http().send(`${ORIGIN}/thing`, get, { idempotent: true });
    expect(response.status).toBe(200);
    expect(clock.waits).toEqual([750]);
    agent.assertNoPendingInterceptors();
  });

  it('does not retry a network error on a non-idempotent request, and says it may have been processed', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/thing', method: 'POST' }).replyWithError(new Error('socket hang up'));
    const error = await http()
      .send(`${ORIGIN}/thing`, { method: 'POST', body: '{}' }, { idempotent: false })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).mayHaveBeenProcessed).toBe(true);
    expect((error as TransportError).message).toBe('POST api.example.com/thing failed: network error (socket hang up)');
    expect(clock.waits).toEqual([]);
    agent.assertNoPendingInterceptors();
  });

  it('retries a non-idempotent request whose connection was refused, since it was never sent', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/thing', method: 'POST' }).replyWithError(refused);
    pool.intercept({ path: '/thing', method: 'POST' }).reply(201, 'made');
    const response = await http().send(`${ORIGIN}/thing`, { method: 'POST', body: '{}' }, { idempotent: false });
    expect(response.status).toBe(201);
    expect(clock.waits).toEqual([750]);
  });

  it('reports a connection that was always refused as not processed, after every attempt', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    agent.get(ORIGIN).intercept({ path: '/thing', method: 'POST' }).replyWithError(refused).times(2);
    const error = await http({ maxAttempts: 2 })
      .send(`${ORIGIN}/thing`, { method: 'POST', body: '{}' }, { idempotent: false })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).mayHaveBeenProcessed).toBe(false);
    expect((error as TransportError).message).toBe(
      'POST api.example.com/thing failed: network error ECONNREFUSED after 2 attempts',
    );
    agent.assertNoPendingInterceptors();
  });

  it('throws a TransportError saying there was no answer when an attempt times out', async () => {
    agent.get(ORIGIN).intercept({ path: '/slow' }).reply(200, 'late').delay(200);
    const error = await http({ timeoutMs: 50, maxAttempts: 1 })
      .send(`${ORIGIN}/slow`, get, { idempotent: true })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).message).toMatch(/^GET api\.example\.com\/slow failed: no answer within/);
    expect((error as TransportError).mayHaveBeenProcessed).toBe(true);
  });

  it('stops retrying when the next wait would exceed maxElapsedMs', async () => {
    const reply = counted(503);
    agent.get(ORIGIN).intercept({ path: '/thing' }).reply(reply.reply).persist();
    // first wait 750 fits in 1000 ms; the second (1500) would not
    const response = await http({ maxElapsedMs: 1_000 }).send(`${ORIGIN}/thing`, get, { idempotent: true });
    expect(response.status).toBe(503);
    expect(reply.count).toBe(2);
    expect(clock.waits).toEqual([750]);
  });

  it('counts time spent outside waits against maxElapsedMs', async () => {
    const reply = counted(503);
    agent
      .get(ORIGIN)
      .intercept({ path: '/thing' })
      .reply(() => {
        clock.advance(900);
        return reply.reply();
      })
      .persist();
    const response = await http({ maxElapsedMs: 1_500 }).send(`${ORIGIN}/thing`, get, { idempotent: true });
    expect(response.status).toBe(503);
    expect(reply.count).toBe(1);
    expect(clock.waits).toEqual([]);
  });

  it('waits a minute on a 403 secondary rate limit, then succeeds', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/thing' }).reply(403, { message: 'You have exceeded a secondary rate limit.' });
    pool.intercept({ path: '/thing' }).reply(200, 'ok');
    const response = await http().send(`${ORIGIN}/thing`, get, { idempotent: true });
    expect(response.status).toBe(200);
    expect(clock.waits).toEqual([60_000]);
    expect(logged.join('\n')).not.toContain('You have exceeded');
  });

  it('returns a plain 403 at once, its body still readable', async () => {
    agent.get(ORIGIN).intercept({ path: '/thing' }).reply(403, { message: 'Resource not accessible by integration' });
    const response = await http().send(`${ORIGIN}/thing`, get, { idempotent: true });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Resource not accessible by integration' });
    expect(clock.waits).toEqual([]);
  });

  it('does not retry a 502 on a non-idempotent request', async () => {
    const reply = counted(502);
    agent.get(ORIGIN).intercept({ path: '/thing', method: 'POST' }).reply(reply.reply).persist();
    const response = await http().send(`${ORIGIN}/thing`, { method: 'POST', body: '{}' }, { idempotent: false });
    expect(response.status).toBe(502);
    expect(reply.count).toBe(1);
  });
});

describe('Http.fetch (for Octokit)', () => {
  let agent: MockAgent;
  let clock: FakeClock;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    clock = fakeClock(NOW);
  });

  afterEach(async () => {
    await agent.close();
  });

  it('treats PUT as idempotent: a 502 is retried', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/secret', method: 'PUT' }).reply(502, 'bad gateway');
    pool.intercept({ path: '/secret', method: 'PUT' }).reply(204, '');
    const response = await new Http({ dispatcher: agent, clock, policy }).fetch(`${ORIGIN}/secret`, {
      method: 'PUT',
      body: '{}',
    });
    expect(response.status).toBe(204);
    expect(clock.waits).toEqual([750]);
    agent.assertNoPendingInterceptors();
  });

  it('treats POST as not idempotent: a 502 is returned as is', async () => {
    let count = 0;
    agent
      .get(ORIGIN)
      .intercept({ path: '/variables', method: 'POST' })
      .reply(() => {
        count++;
        return { statusCode: 502, data: 'bad gateway' };
      })
      .persist();
    const response = await new Http({ dispatcher: agent, clock, policy }).fetch(new URL(`${ORIGIN}/variables`), {
      method: 'post',
      body: '{}',
    });
    expect(response.status).toBe(502);
    expect(count).toBe(1);
    expect(clock.waits).toEqual([]);
  });

  it('defaults to GET, which is idempotent', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/key' }).reply(500, 'oops');
    pool.intercept({ path: '/key' }).reply(200, 'key');
    const response = await new Http({ dispatcher: agent, clock, policy }).fetch(`${ORIGIN}/key`);
    expect(await response.text()).toBe('key');
    agent.assertNoPendingInterceptors();
  });
  it('sends the method, headers and body as given, and hands back the status, headers and body', async () => {
    let seen: { method?: string; headers?: unknown; body?: unknown } = {};
    agent
      .get(ORIGIN)
      .intercept({ path: '/api/v1/rotate?x=1', method: 'POST' })
      .reply((opts) => {
        seen = opts;
        return {
          statusCode: 200,
          data: '{"ok":true}',
          responseOptions: { headers: { 'content-type': 'application/json', 'x-request-id': 'r1' } },
        };
      });
    const response = await new Http({ dispatcher: agent, clock, policy }).send(
      `${ORIGIN}/api/v1/rotate?x=1`,
      { method: 'post', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"a":1}' },
      { idempotent: false },
    );
    expect(seen.method).toBe('POST');
    expect(seen.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer t' });
    expect(seen.body).toBe('{"a":1}');
    expect(response).toMatchObject({ status: 200, ok: true, url: `${ORIGIN}/api/v1/rotate?x=1` });
    expect(response.headers.get('X-Request-Id')).toBe('r1');
    expect(await response.json()).toEqual({ ok: true });
  });

  it('never follows a redirect: the 3xx is the answer, and nothing is sent to its location', async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: '/token', method: 'POST' })
      .reply(307, '', { headers: { location: 'https://elsewhere.example.com/token' } });
    const response = await new Http({ dispatcher: agent, clock, policy }).send(
      `${ORIGIN}/token`,
      { method: 'POST', body: 'a=b' },
      { idempotent: true },
    );
    expect(response.status).toBe(307);
    expect(response.ok).toBe(false);
    expect(response.headers.get('location')).toBe('https://elsewhere.example.com/token');
    agent.assertNoPendingInterceptors();
  });

  it('ends a request whose answer grows past the limit, and does not try it again', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/exact' }).reply(200, 'x'.repeat(100));
    pool.intercept({ path: '/large' }).reply(200, 'x'.repeat(101));
    const limited = new Http({ dispatcher: agent, clock, policy, maxAnswerBytes: 100 });
    expect(await (await limited.send(`${ORIGIN}/exact`, {}, { idempotent: true })).text()).toHaveLength(100);
    const error = await limited.send(`${ORIGIN}/large`, {}, { idempotent: true }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).message).toBe(
      'GET api.example.com/large failed: the answer is larger than 100 bytes, more than any answer the action asks for',
    );
    expect((error as TransportError).mayHaveBeenProcessed).toBe(true);
    expect(clock.waits).toEqual([]);
    agent.assertNoPendingInterceptors();
  });

  it('counts reading the answer against the attempt time limit: a body that stops half-way times out', async () => {
    const sockets: Socket[] = [];
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"access_token":');
    });
    server.on('connection', (socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dispatcher = new Agent();
    const port = (server.address() as AddressInfo).port;
    const error = await new Http({ dispatcher, clock, policy: { ...policy, timeoutMs: 100, maxAttempts: 1 } })
      .send(`http://127.0.0.1:${port}/token`, { method: 'POST', body: 'a=b' }, { idempotent: true })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).message).toMatch(/failed: no answer within 100 ms$/);
    await closeDispatcher(dispatcher, 1_000);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('Http.withinDeadline: one deadline for a phase', () => {
  let agent: MockAgent;
  let clock: FakeClock;
  let logged: string[];
  let client: Http;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    clock = fakeClock(NOW);
    logged = [];
    client = new Http({ dispatcher: agent, clock, policy, log: (m) => logged.push(m) });
  });

  afterEach(async () => {
    await agent.close();
  });

  const http = () => client;
  const withinDeadline = <T>(deadline: { at: number; what: string }, work: () => Promise<T>) =>
    client.withinDeadline(deadline, work);
  const phase = (ms: number) => ({ at: NOW + ms, what: 'deploy-timeout (5s)' });

  it('sends nothing once the deadline has passed, and says which deadline ran out', async () => {
    const error = await withinDeadline(phase(0), () => http().send(`${ORIGIN}/thing`, {}, { idempotent: true })).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).message).toBe(
      'GET api.example.com/thing was not sent: deploy-timeout (5s) ran out',
    );
    expect((error as TransportError).deadlineRanOut).toBe(true);
    expect((error as TransportError).mayHaveBeenProcessed).toBe(false);
  });

  it('does not wait past the deadline for a retry-after it cannot honour: the phase ends there', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/thing' })
      .reply(429, 'slow down', { headers: { 'retry-after': '55' } });
    const error = await withinDeadline(phase(5_000), () =>
      http().send(`${ORIGIN}/thing`, {}, { idempotent: true }),
    ).catch((err: unknown) => err);
    expect((error as TransportError).message).toBe(
      'GET api.example.com/thing: rate limited (429), and the server asks to wait 55 s; deploy-timeout (5s) runs out first',
    );
    expect((error as TransportError).deadlineRanOut).toBe(true);
    expect(clock.waits).toEqual([]);
  });

  it('waits as asked when the wait fits before the deadline', async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/thing' }).reply(503, 'busy', { headers: { 'retry-after': '2' } });
    pool.intercept({ path: '/thing' }).reply(200, 'ok');
    const response = await withinDeadline(phase(5_000), () => http().send(`${ORIGIN}/thing`, {}, { idempotent: true }));
    expect(response.status).toBe(200);
    expect(clock.waits).toEqual([2_000]);
  });

  it('gives an attempt only what is left of the deadline, and then says the deadline ran out', async () => {
    agent.get(ORIGIN).intercept({ path: '/slow' }).reply(200, 'late').delay(2_000);
    const error = await withinDeadline({ at: NOW + 50, what: 'the checks before rotating (60 s)' }, () =>
      http().send(`${ORIGIN}/slow`, {}, { idempotent: true }),
    ).catch((err: unknown) => err);
    expect((error as TransportError).message).toBe(
      'GET api.example.com/slow got no answer: the checks before rotating (60 s) ran out',
    );
    expect((error as TransportError).deadlineRanOut).toBe(true);
    expect((error as TransportError).mayHaveBeenProcessed).toBe(true);
  });

  it('keeps an enclosing deadline that ends earlier', async () => {
    const error = await withinDeadline({ at: NOW, what: 'the outer phase' }, () =>
      withinDeadline(phase(5_000), () => http().send(`${ORIGIN}/thing`, {}, { idempotent: true })),
    ).catch((err: unknown) => err);
    expect((error as TransportError).message).toContain('the outer phase ran out');
  });

  it('bounds nothing outside the phase', async () => {
    agent.get(ORIGIN).intercept({ path: '/thing' }).reply(200, 'ok');
    await withinDeadline(phase(0), async () => {});
    expect((await http().send(`${ORIGIN}/thing`, {}, { idempotent: true })).status).toBe(200);
  });
});

describe('an attempt queued behind a proxy that never answers its CONNECT', () => {
  it("ends at the attempt time limit, not at undici's five-minute headers timeout", async () => {
    const sockets: Socket[] = [];
    const proxy = createServer();
    proxy.on('connect', (_req, socket: Socket) => sockets.push(socket));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const dispatcher = new ProxyAgent(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    const started = Date.now();
    const error = await new Http({ dispatcher, policy: { ...policy, timeoutMs: 300, maxAttempts: 1 } })
      .send('http://127.0.0.1:9/never', {}, { idempotent: true })
      .catch((err: unknown) => err);
    expect((error as TransportError).message).toBe('GET 127.0.0.1:9/never failed: no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sockets.length).toBe(1);
    await closeDispatcher(dispatcher, 1_000);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  });
});

describe('closeDispatcher', () => {
  it('ends a request that waits on a server that never answers, as a stalled proxy would', async () => {
    // A server that accepts the request and never answers, like a stalled proxy tunnel.
    const sockets: Socket[] = [];
    const server = createServer(() => {});
    server.on('connection', (socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dispatcher = new Agent();
    const port = (server.address() as AddressInfo).port;
    const pending = new Http({ dispatcher, clock: fakeClock(NOW), policy: { ...policy, maxAttempts: 1 } })
      .send(`http://127.0.0.1:${port}/`, {}, { idempotent: true })
      .then(
        () => 'answered',
        () => 'failed',
      );
    await new Promise((resolve) => setTimeout(resolve, 50));

    const closed = await Promise.race([
      closeDispatcher(dispatcher, 5_000).then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still open'), 5_000)),
    ]);

    expect(closed).toBe('closed');
    expect(await pending).toBe('failed');
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('ends an idle dispatcher at once', async () => {
    const dispatcher = new Agent();
    await closeDispatcher(dispatcher, 10_000);
    expect(dispatcher.destroyed).toBe(true);
  });
});

describe('a TLS handshake that fails', () => {
  it('proves the request was never sent, so even a request that is not idempotent is retried', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const clock = fakeClock(NOW);
    const tls = Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/rotate', method: 'POST' }).replyWithError(tls);
    pool.intercept({ path: '/rotate', method: 'POST' }).reply(200, '{}');
    const http = new Http({ dispatcher: agent, clock, policy });
    const response = await http.send(`${ORIGIN}/rotate`, { method: 'POST', body: '{}' }, { idempotent: false });
    expect(response.status).toBe(200);
    expect(clock.waits).toHaveLength(1);
    await agent.close();
  });
});

describe('warmHttpParser', () => {
  it("compiles the very bytes undici's HTTP/1.1 client compiles at its first connection", async () => {
    // If undici moved or renamed its parser, the warm-up would compile nothing it uses.
    const clientH1 = readFileSync(path.join(REPO_ROOT, 'node_modules/undici/lib/dispatcher/client-h1.js'), 'utf8');
    expect(clientH1).toContain("require('../llhttp/llhttp_simd-wasm.js')");
    const { default: wasm } = await import('undici/lib/llhttp/llhttp_simd-wasm.js');
    expect([...wasm.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]); // the WebAssembly magic number
    expect(() => warmHttpParser()).not.toThrow();
  });
});
