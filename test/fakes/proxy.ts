// A loopback forward proxy for tests of HTTPS_PROXY / HTTP_PROXY handling: CONNECT tunnels
// (what undici's ProxyAgent uses by default, for http and https targets alike) and absolute-form
// plain HTTP requests (ProxyAgent with proxyTunnel: false, and classic http_proxy clients).
// Only loopback targets are served; anything else is refused with 403, so no traffic can leave
// the machine even if a test points a client at a real host.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { listenOnLoopback } from './log.js';

export interface FakeProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The authority (host:port) of every CONNECT, in arrival order, refused ones included. */
  connects: string[];
  /** `METHOD absolute-URL` of every plain (non-CONNECT) request, in arrival order, refused ones included. */
  requests: string[];
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Headers meant for the proxy hop only (RFC 9110 7.6.1), never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !listed.has(name)) out[name] = value;
  }
  return out;
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  res.end(`${message}\n`);
}

/** Parses a CONNECT authority `host:port` (IPv6 in brackets); undefined if malformed. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1]!, port };
}

const unbracket = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

/** The loopback target of a CONNECT, or the status line that refuses it. */
function connectTarget(authority: string): { host: string; port: number } | string {
  const target = parseAuthority(authority);
  if (!target) return '400 Bad Request';
  if (!LOOPBACK_HOSTS.has(target.host)) return '403 Forbidden';
  return target;
}

export async function startFakeProxy(): Promise<FakeProxy> {
  const connects: string[] = [];
  const requests: string[] = [];
  // Tunnelled sockets leave the HTTP server's bookkeeping, so close() must destroy them itself.
  const sockets = new Set<Duplex>();
  const track = <T extends Duplex>(socket: T): T => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };

  function forward(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '';
    requests.push(`${req.method ?? 'GET'} ${target}`);
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      refuse(res, 400, 'proxy expects an absolute-form request target');
      return;
    }
    if (url.protocol !== 'http:') {
      refuse(res, 400, `proxy forwards only http: targets, got ${url.protocol}`);
      return;
    }
    if (!LOOPBACK_HOSTS.has(url.hostname)) {
      refuse(res, 403, `proxy refuses non-loopback target ${url.host}`);
      return;
    }
    const upstream = request(
      {
        host: unbracket(url.hostname),
        port: url.port || 80,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: { ...forwardHeaders(req.headers), host: url.host },
        agent: false,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, forwardHeaders(upstreamRes.headers));
        upstreamRes.pipe(res);
      },
    );
    upstream.on('socket', (socket) => track(socket));
    upstream.on('error', (error) => {
      if (!res.headersSent) refuse(res, 502, `proxy could not reach ${url.host}: ${error.message}`);
      else res.destroy();
    });
    req.pipe(upstream);
  }

  function tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    track(client);
    const authority = req.url ?? '';
    connects.push(authority);
    client.on('error', () => client.destroy());
    const reject = (status: string): void => {
      client.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const target = connectTarget(authority);
    if (typeof target === 'string') {
      reject(target);
      return;
    }
    let established = false;
    const upstream: Socket = track(connect({ host: unbracket(target.host), port: target.port }));
    upstream.once('connect', () => {
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (established) client.destroy();
      else reject('502 Bad Gateway');
    });
    client.on('close', () => upstream.destroy());
  }

  const server = createServer(forward);
  server.on('connect', tunnel);
  const port = await listenOnLoopback(server);

  let closing: Promise<void> | undefined;
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });

  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    requests,
    close: () => (closing ??= stop()),
  };
}
