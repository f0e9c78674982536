// HttpResponse stands in for fetch's Response wherever the action and Octokit read an answer:
// each reading must give what fetch's Response gives for the same bytes and headers.
import { describe, expect, it } from 'vitest';
import { HttpResponse } from '../../src/http-response.js';

const URL_ = 'https://api.github.com/repos/acme/connectors/actions/secrets/public-key';
const bytes = (text: string) => new TextEncoder().encode(text);

describe('HttpResponse', () => {
  it('reads its body as text, JSON and bytes, as often as asked', async () => {
    const response = new HttpResponse(URL_, 200, 'OK', {}, bytes('{"key_id":"k","key":"é"}'));
    expect(await response.text()).toBe('{"key_id":"k","key":"é"}');
    expect(await response.json()).toEqual({ key_id: 'k', key: 'é' });
    expect(new TextDecoder().decode(await response.arrayBuffer())).toBe('{"key_id":"k","key":"é"}');
    expect(await response.clone().json()).toEqual({ key_id: 'k', key: 'é' });
  });

  it('decodes text as fetch does: a leading BOM dropped, malformed UTF-8 replaced', async () => {
    const raw = new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xff, 0x62]);
    const ours = await new HttpResponse(URL_, 200, '', {}, raw).text();
    expect(ours).toBe(await new Response(raw).text());
    expect(ours).toBe('a\uFFFDb');
  });

  it('hands out a copy of its bytes, so a reader cannot change what the next one reads', async () => {
    const response = new HttpResponse(URL_, 200, '', {}, bytes('abc'));
    new Uint8Array(await response.arrayBuffer()).fill(0);
    expect(await response.text()).toBe('abc');
  });

  it('is ok for 2xx only', () => {
    const ok = (status: number) => new HttpResponse(URL_, status, '', {}, bytes('')).ok;
    expect([ok(199), ok(200), ok(204), ok(299), ok(300), ok(304), ok(404), ok(503)]).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('keeps its url, status and status text, and has no stream body', () => {
    const response = new HttpResponse(URL_, 404, 'Not Found', {}, bytes(''));
    expect(response).toMatchObject({ url: URL_, status: 404, statusText: 'Not Found', body: null });
  });
});

describe("HttpResponse's headers", () => {
  const raw = {
    'content-type': 'application/json; charset=utf-8',
    'x-ratelimit-remaining': '0',
    link: ['<https://api.github.com/x?page=2>; rel="next"', '<https://api.github.com/x?page=5>; rel="last"'],
    'x-absent': undefined,
  };

  it('looks names up regardless of case, as fetch does', () => {
    const headers = new HttpResponse(URL_, 200, '', raw, bytes('')).headers;
    expect(headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(headers.get('X-RateLimit-Remaining')).toBe('0');
    expect(headers.has('LINK')).toBe(true);
    expect(headers.get('retry-after')).toBeNull();
    expect(headers.has('x-absent')).toBe(false);
  });

  it("combines a repeated header and iterates sorted by name, as fetch's Headers do", () => {
    const ours = new HttpResponse(URL_, 200, '', raw, bytes('')).headers;
    const theirs = new Headers();
    for (const [name, value] of Object.entries(raw)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) theirs.append(name, one);
    }
    expect([...ours]).toEqual([...theirs]);
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
  });
});
