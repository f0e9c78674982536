// Shared pieces of the loopback fakes: a request log, a fault-injection queue,
// uniform latency, and small body/response helpers. Each fake supplies only a
// handler that turns a fully read request into a Reply.
import { setMaxListeners } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** One line of the per-scenario request log (create-github-app-token style). */
export interface RequestLogEntry {
  method: string;
  /** The request target as received (path and query, still URL-encoded). */
  path: string;
  /** The status answered; 0 while pending or when a fault destroyed the socket. */
  status: number;
  /** Set when an injected fault touched this request, e.g. "status 503" or "delay 50ms, destroy". */
  fault?: string;
}

/**
 * When a logged request arrived and was answered, in performance.now()
 * milliseconds of the process that runs the fake (so entries of all fakes in
 * one process compare). Kept outside RequestLogEntry, whose shape tests
 * compare with toEqual.
 */
export interface RequestTiming {
  /** When the request line and headers had arrived, before its body was read. */
  arrivedAt: number;
  /** When the fake answered: after the latency, just before writing the response. Undefined while pending or when a fault destroyed the socket. */
  answeredAt?: number;
}

/**
 * What one logged request carried and what the fake answered, for tests that check the
 * bodies against an API description. Kept outside RequestLogEntry, like RequestTiming.
 */
export interface RequestExchange {
  requestHeaders: IncomingHttpHeaders;
  /** The request body as received; empty when there was none. */
  requestBody: Buffer;
  /** As written; undefined while pending or when a fault destroyed the socket. */
  response?: RenderedReply;
}

/** A Reply as it goes on the wire: every header (lowercased names) and the body text. */
export interface RenderedReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Fault {
  method?: string;
  /** A string matches the path exactly (without query); a RegExp is tested against it. */
  path: string | RegExp;
  /** How many matching requests this fault takes; default 1. */
  times?: number;
  /** Answer with this status instead of handling the request. */
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Wait before answering, or before passing through when there is no status. */
  delayMs?: number;
  /** Destroy the socket without a response: the client sees a network error. */
  destroy?: boolean;
  /** Runs when the fault takes a request, before anything else: e.g. another client changing the fake's state meanwhile. */
  effect?: (req: FakeRequest) => void;
  /** An answer made from the request (a body that echoes it, say); wins over status, headers and body. */
  reply?: (req: FakeRequest) => Reply;
  /** Send the answer's body one byte at a time, this many ms apart (a server or proxy that trickles). */
  trickleMs?: number;
}

/** A request after its body has been read completely. */
export interface FakeRequest {
  method: string;
  /** Pathname as received (URL-encoded), without query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** undefined => empty body; string => as is; anything else => JSON. */
  body?: unknown;
}

export type Handler = (req: FakeRequest) => Promise<Reply> | Reply;

/** Thrown by handlers to refuse a request; the server core turns it into the reply. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

/** Consumed in injection order: the first fault that matches a request takes it. */
export class FaultQueue {
  private readonly faults: Array<Fault & { remaining: number }> = [];

  inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** `paths` lets a fake match a fault with or without its path prefix (GHES /api/v3). */
  take(method: string, paths: string[]): Fault | undefined {
    const index = this.faults.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method) &&
        paths.some((p) => (typeof f.path === 'string' ? f.path === p : f.path.test(p))),
    );
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

function describeFault(f: Fault): string {
  const parts: string[] = [];
  if (f.delayMs) parts.push(`delay ${f.delayMs}ms`);
  if (f.trickleMs) parts.push(`trickle ${f.trickleMs}ms`);
  if (f.destroy) parts.push('destroy');
  else if (f.reply) parts.push('reply');
  else if (f.status !== undefined) parts.push(`status ${f.status}`);
  return parts.join(', ') || 'pass';
}

/** What a fault answers in place of the handler: its reply, else its status; undefined to let the handler answer. */
function faultReply(fault: Fault, request: FakeRequest): Reply | undefined {
  if (fault.reply) return fault.reply(request);
  if (fault.status === undefined) return undefined;
  return { status: fault.status, ...(fault.headers ? { headers: fault.headers } : {}), body: fault.body };
}

/** A handler's HttpError as its reply; anything else is a bug in the fake, answered 500. */
function errorReply(error: unknown): Reply {
  return error instanceof HttpError
    ? { status: error.status, body: error.body, ...(error.headers ? { headers: error.headers } : {}) }
    : { status: 500, body: { message: `fake server bug: ${String(error)}` } };
}

export interface FakeServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  origin: string;
  port: number;
  requests: RequestLogEntry[];
  /** Arrival and answer times of an entry of `requests`; undefined for any other object. */
  timing(entry: RequestLogEntry): RequestTiming | undefined;
  /** The bodies (and headers) an entry of `requests` exchanged; undefined for any other object. */
  exchange(entry: RequestLogEntry): RequestExchange | undefined;
  inject(fault: Fault): void;
  close(): Promise<void>;
}

export interface FakeServerOptions {
  handle: Handler;
  /** Wait this long before writing every response (the benchmark uses 40 ms). */
  latencyMs?: number;
  /** Faults given without this prefix still match (e.g. '/api/v3'). */
  pathPrefix?: string;
  /**
   * Headers for every response, computed once per answer (e.g. GitHub's rate-limit
   * counters). A reply's or fault's own header of the same name wins.
   */
  headers?: () => Record<string, string>;
}

export async function startFakeServer(opts: FakeServerOptions): Promise<FakeServer> {
  const requests: RequestLogEntry[] = [];
  const timings = new WeakMap<RequestLogEntry, RequestTiming>();
  const exchanges = new WeakMap<RequestLogEntry, RequestExchange>();
  const faults = new FaultQueue();
  const latencyMs = opts.latencyMs ?? 0;
  const prefix = opts.pathPrefix ?? '';
  // Aborted on close, so a parked delay never keeps a demo or benchmark process alive.
  const closed = new AbortController();
  // Every parked delay listens on it: 20 concurrent requests are not a leak.
  setMaxListeners(0, closed.signal);
  const wait = (ms: number) => sleep(ms, undefined, { signal: closed.signal });
  // Node's timers run on libuv's cached millisecond clock and may fire up to
  // about 1 ms early by performance.now(): wait out the rest, so every answer
  // takes at least the latency as timing() reports it.
  async function waitAtLeast(ms: number): Promise<void> {
    const until = performance.now() + ms;
    for (let left = ms; left > 0; left = until - performance.now()) await wait(Math.ceil(left));
  }

  async function respond(res: ServerResponse, entry: RequestLogEntry, reply: Reply): Promise<void> {
    if (latencyMs > 0) await waitAtLeast(latencyMs);
    // Record before writing, so the log is complete as soon as the client has its answer.
    entry.status = reply.status;
    const timing = timings.get(entry);
    if (timing) timing.answeredAt = performance.now();
    if (process.env.FAKES_DEBUG && reply.status >= 400) {
      process.stderr.write(`[fake] ${entry.method} ${entry.path} -> ${reply.status} ${JSON.stringify(reply.body)}\n`);
    }
    const rendered = renderReply(withDefaultHeaders(reply));
    const exchange = exchanges.get(entry);
    if (exchange) exchange.response = rendered;
    if (res.destroyed) return; // the client gave up (timeout); nothing to write to
    writeRendered(res, rendered);
  }

  function withDefaultHeaders(reply: Reply): Reply {
    if (!opts.headers) return reply;
    const own = new Set(Object.keys(reply.headers ?? {}).map((name) => name.toLowerCase()));
    const defaults = Object.entries(opts.headers()).filter(([name]) => !own.has(name.toLowerCase()));
    return { ...reply, headers: { ...Object.fromEntries(defaults), ...reply.headers } };
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const target = req.url ?? '/';
    const entry: RequestLogEntry = { method, path: target, status: 0 };
    // Logged on arrival, so the log shows the order the client issued requests in.
    requests.push(entry);
    timings.set(entry, { arrivedAt: performance.now() });
    const body = await readBody(req);
    exchanges.set(entry, { requestHeaders: req.headers, requestBody: body });
    const url = new URL(target, 'http://fake.invalid');
    const path = url.pathname;

    const candidates = prefix && path.startsWith(prefix) ? [path, path.slice(prefix.length) || '/'] : [path];
    const fault = faults.take(method, candidates);
    const request: FakeRequest = { method, path, query: url.searchParams, headers: req.headers, body };
    if (fault && (await applyFault(fault, request, entry, req, res))) return;
    await respond(res, entry, await handled(request));
  }

  /** Carries out a fault that took a request; true when it answered or dropped it, false to pass it on to the handler. */
  async function applyFault(
    fault: Fault,
    request: FakeRequest,
    entry: RequestLogEntry,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<boolean> {
    entry.fault = describeFault(fault);
    fault.effect?.(request);
    if (fault.delayMs) await wait(fault.delayMs);
    if (fault.destroy) {
      req.socket.destroy();
      return true;
    }
    const reply = faultReply(fault, request);
    if (!reply) return false;
    if (fault.trickleMs) await trickle(res, entry, reply, fault.trickleMs);
    else await respond(res, entry, reply);
    return true;
  }

  /** Writes the headers at once, then the body a byte at a time, until it is done or the client gives up. */
  async function trickle(res: ServerResponse, entry: RequestLogEntry, reply: Reply, everyMs: number): Promise<void> {
    const rendered = renderReply(reply);
    entry.status = reply.status;
    res.writeHead(rendered.status, rendered.headers);
    const body = Buffer.from(rendered.body);
    for (let i = 0; i < body.length && !res.destroyed; i++) {
      res.write(body.subarray(i, i + 1));
      await wait(everyMs).catch(() => {});
      if (closed.signal.aborted) return;
    }
    if (!res.destroyed) res.end();
  }

  /** The handler's answer; what it throws becomes the reply too, so every request is answered. */
  async function handled(request: FakeRequest): Promise<Reply> {
    try {
      return await opts.handle(request);
    } catch (error) {
      return errorReply(error);
    }
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (closed.signal.aborted) return;
      if (!res.headersSent && !res.destroyed)
        writeReply(res, withDefaultHeaders({ status: 500, body: { message: String(error) } }));
    });
  });
  const port = await listenOnLoopback(server);

  // Idempotent, so a test may close explicitly and again in afterEach.
  let closing: Promise<void> | undefined;
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      closed.abort();
      server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets (and requests parked in a delay) would otherwise hold close() open.
      server.closeAllConnections();
    });

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    timing: (entry) => {
      const timing = timings.get(entry);
      return timing && { ...timing };
    },
    exchange: (entry) => exchanges.get(entry),
    inject: (fault) => faults.inject(fault),
    close: () => (closing ??= stop()),
  };
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The media type without parameters, lowercased: 'application/json; charset=utf-8' -> 'application/json'. */
export function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses a JSON body; throws an Error whose message says what is wrong (the fakes map it to their error shape). */
export function readJson(req: FakeRequest): unknown {
  const type = mediaType(req.headers);
  if (type !== 'application/json') {
    throw new Error(`expected content-type application/json, got ${type || 'none'}`);
  }
  try {
    return JSON.parse(req.body.toString('utf8')) as unknown;
  } catch {
    throw new Error('body is not valid JSON');
  }
}

/** Parses an application/x-www-form-urlencoded body, refusing repeated fields (they would be ambiguous). */
export function readForm(req: FakeRequest): Map<string, string> {
  const type = mediaType(req.headers);
  if (type !== 'application/x-www-form-urlencoded') {
    throw new Error(`expected content-type application/x-www-form-urlencoded, got ${type || 'none'}`);
  }
  const form = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(req.body.toString('utf8'))) {
    if (form.has(key)) throw new Error(`form field ${key} is repeated`);
    form.set(key, value);
  }
  return form;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Renders a Reply: JSON for objects, raw for strings, nothing for undefined or 204. */
export function renderReply(reply: Reply): RenderedReply {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.headers ?? {})) headers[name.toLowerCase()] = value;
  let payload = '';
  if (reply.body !== undefined && reply.status !== 204 && reply.status !== 304) {
    const hasType = 'content-type' in headers;
    if (typeof reply.body === 'string') {
      payload = reply.body;
      if (!hasType) headers['content-type'] = 'text/plain; charset=utf-8';
    } else {
      payload = JSON.stringify(reply.body);
      if (!hasType) headers['content-type'] = 'application/json; charset=utf-8';
    }
  }
  // RFC 9110 forbids Content-Length on 204; Node sends none for it by itself.
  if (reply.status !== 204 && reply.status !== 304) headers['content-length'] = String(Buffer.byteLength(payload));
  return { status: reply.status, headers, body: payload };
}

function writeRendered(res: ServerResponse, rendered: RenderedReply): void {
  res.writeHead(rendered.status, rendered.headers);
  res.end(rendered.body);
}

/** Writes a Reply (see renderReply). */
export function writeReply(res: ServerResponse, reply: Reply): void {
  writeRendered(res, renderReply(reply));
}

/** Convenience for the fakes' own handlers and for ad-hoc servers in tests. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  writeReply(res, { status, body, ...(headers ? { headers } : {}) });
}

/** Listens on a free port of 127.0.0.1 (never another address) and returns the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
