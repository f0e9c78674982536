// The bundle takes from undici only what bundle/undici.js exports (see that file): every value
// imported from 'undici' by src/ or by the @actions packages bundled with it must be there, or it
// would be undefined in dist/ while every test of src/ passes.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../fakes/run-action.js';

/** The files of a directory tree, relative to REPO_ROOT, whose names end in one of `extensions`. */
function files(dir: string, extensions: string[]): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return files(relative, extensions);
    return extensions.some((e) => entry.name.endsWith(e)) && !entry.name.endsWith('.d.ts') ? [relative] : [];
  });
}

/** Value names a file imports from 'undici' (type-only imports and names left out). */
function undiciImports(file: string): string[] {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  return [...text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+['"]undici['"]/g)].flatMap((m) =>
    m[1]
      ? []
      : (m[2] as string)
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name && !name.startsWith('type '))
          .map((name) => name.split(/\s+as\s+/)[0] as string),
  );
}

describe('the bundle', () => {
  const importers = [
    ...files('src', ['.ts']),
    ...files('node_modules/@actions/http-client/lib', ['.js']),
    ...files('node_modules/@actions/github/lib', ['.js']),
  ];
  const names = [...new Set(importers.flatMap(undiciImports))].sort();

  it('resolves undici to bundle/undici.js', () => {
    const config = readFileSync(path.join(REPO_ROOT, 'bundle/tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    expect(JSON.parse(config).compilerOptions.paths).toEqual({ undici: ['./undici.js'] });
    expect(readFileSync(path.join(REPO_ROOT, 'scripts/bundle.mjs'), 'utf8')).toContain('TS_NODE_PROJECT');
  });

  it('has every value imported from undici in bundle/undici.js, as the class or function undici exports', async () => {
    expect(names).toEqual(['EnvHttpProxyAgent', 'ProxyAgent', 'fetch']);
    const lean: Record<string, unknown> = await import('../../bundle/undici.js');
    const undici: Record<string, unknown> = await import('undici');
    for (const name of names) expect(typeof lean[name], name).toBe('function');
    expect(lean.EnvHttpProxyAgent).toBe(undici.EnvHttpProxyAgent);
    expect(lean.ProxyAgent).toBe(undici.ProxyAgent);
  });

  it("gives every dispatcher undici's request API, which the action's Http sends with", async () => {
    const lean: Record<string, unknown> = await import('../../bundle/undici.js');
    const { Agent } = await import('undici');
    expect(typeof (lean.EnvHttpProxyAgent as typeof Agent).prototype.request).toBe('function');
  });

  it("keeps undici's fetch out of the entry chunk: a run never loads it, yet it works when called", async () => {
    const chunks = readdirSync(path.join(REPO_ROOT, 'dist')).filter((f) => f.endsWith('.js'));
    const holding = chunks.filter((f) =>
      readFileSync(path.join(REPO_ROOT, 'dist', f), 'utf8').includes('fetch failed'),
    );
    expect(holding).toHaveLength(1);
    expect(holding[0]).not.toBe('index.js');
    const server = createServer((_req, res) => res.end('fetched'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const lean = (await import('../../bundle/undici.js')) as { fetch: typeof fetch };
      const response = await lean.fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await response.text()).toBe('fetched');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('holds none of the undici parts it does not use', () => {
    // Text each part carries that minifying keeps: mocks, WebSocket, EventSource, the cache API.
    const marks = [
      'UND_MOCK_ERR_MOCK_NOT_MATCHED',
      'Received network error or non-101 status code',
      'EventSource is experimental',
      'CacheStorage',
    ];
    for (const file of readdirSync(path.join(REPO_ROOT, 'dist')).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(path.join(REPO_ROOT, 'dist', file), 'utf8');
      for (const mark of marks) expect(text, `${file}: ${mark}`).not.toContain(mark);
    }
  });
});
