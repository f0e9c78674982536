/**
 * An HTTP answer, read whole: the part of fetch's Response that the action
 * and Octokit's request (status, url, headers, text, json, arrayBuffer) use.
 *
 * Http sends with undici's Dispatcher.request, not undici's fetch: fetch and
 * the WHATWG streams, Request and body machinery behind it took about 15 ms
 * to load and to send a first request, on the critical path of every run,
 * for features an API client of two JSON services never uses (npm run bench;
 * CONTRIBUTING.md, "Where the time goes"). Every answer here is a small JSON
 * document, so it is read whole within the attempt's time limit.
 */

/** Response headers as undici's request() gives them: lowercase names, repeated ones as arrays. */
export type RawHeaders = Record<string, string | string[] | undefined>;

export class HttpResponse {
  readonly ok: boolean;
  readonly headers: ResponseHeaders;
  /** Never a stream: the answer was read whole (Octokit reads this only when asked not to parse). */
  readonly body = null;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    headers: RawHeaders | ResponseHeaders,
    private readonly bytes: Uint8Array,
  ) {
    this.ok = status >= 200 && status <= 299;
    this.headers = headers instanceof ResponseHeaders ? headers : new ResponseHeaders(headers);
  }

  /** UTF-8 with a leading BOM dropped and malformed bytes replaced, as fetch's text() decodes. */
  async text(): Promise<string> {
    return new TextDecoder().decode(this.bytes);
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.bytes.slice().buffer as ArrayBuffer;
  }

  clone(): HttpResponse {
    return new HttpResponse(this.url, this.status, this.statusText, this.headers, this.bytes);
  }
}

/** Read-only headers with fetch's Headers lookups: case-insensitive get and has, sorted iteration. */
export class ResponseHeaders implements Iterable<[string, string]> {
  private readonly byName = new Map<string, string>();

  constructor(raw: RawHeaders) {
    for (const [name, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      // Repeated headers are combined as fetch combines them.
      this.byName.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
    }
  }

  get(name: string): string | null {
    return this.byName.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  *entries(): IterableIterator<[string, string]> {
    yield* [...this.byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
