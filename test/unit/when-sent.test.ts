// whenSent says when a request is on its way, so that the pipeline starts loading what comes next
// during its round trip: after the request is written, never before it, and never not at all.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Http, whenSent } from '../../src/http.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A loopback server that holds every request until `answer()` is called; `arrived` resolves on the first. */
async function heldServer() {
  let arrivedResolve: () => void = () => {};
  const arrived = new Promise<void>((resolve) => {
    arrivedResolve = resolve;
  });
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    held.push(res);
    arrivedResolve();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const answer = () => {
    for (const res of held.splice(0)) res.end('{}');
  };
  /** Resolves once `count` requests are being held. */
  const holding = async (count: number) => {
    while (held.length < count) await new Promise((resolve) => setImmediate(resolve));
  };
  return { url: `http://127.0.0.1:${port}/token`, arrived, answer, holding };
}

function http(): Http {
  const dispatcher = new Agent();
  closers.push(() => dispatcher.close());
  return new Http({ dispatcher });
}

describe('whenSent', () => {
  it('resolves sent once the request is written, while it waits for its answer', async () => {
    const server = await heldServer();
    const client = http();
    const { result, sent } = whenSent(() =>
      client.send(server.url, { method: 'POST', body: 'a=b' }, { idempotent: true }),
    );
    let answered = false;
    void result.then(() => {
      answered = true;
    });
    await sent;
    await server.arrived;
    expect(answered).toBe(false);
    server.answer();
    expect((await result).status).toBe(200);
  });

  it('given a URL, waits for the request to that URL, not for another one written before it', async () => {
    const server = await heldServer();
    const client = http();
    let go: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      go = resolve;
    });
    const { result, sent } = whenSent(async () => {
      await ready;
      return client.send(server.url, { method: 'POST', body: 'a=b' }, { idempotent: true });
    }, new URL(server.url));
    let isSent = false;
    void sent.then(() => {
      isSent = true;
    });
    const other = client.send(server.url.replace(/token$/, 'other'), {}, { idempotent: true });
    await server.arrived;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(isSent).toBe(false);
    go();
    await sent;
    await server.holding(2);
    server.answer();
    expect((await other).status).toBe(200);
    expect((await result).status).toBe(200);
  });

  it('resolves sent when the request fails before it is written, or when no request is made', async () => {
    const failing = whenSent(() => Promise.reject(new Error('no connection')));
    await failing.sent;
    await expect(failing.result).rejects.toThrow('no connection');
    const none = whenSent(async () => 'ready');
    await none.sent;
    expect(await none.result).toBe('ready');
  });

  it('turns a start that throws at once into a rejected result', async () => {
    const { result, sent } = whenSent((): Promise<string> => {
      throw new Error('bad input');
    });
    await sent;
    await expect(result).rejects.toThrow('bad input');
  });
});
