// The source tree keeps its layers: the domain model imports nothing of ours, the ConductorOne and
// GitHub clients import only the model and the leaf utilities beside them, the entry file only
// starts main, and no module imports itself back through others.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
/** Leaf modules any layer may use: they import nothing of ours but one another. */
const LEAVES = ['model.ts', 'http.ts', 'http-response.ts', 'errors.ts', 'redact.ts', 'pool.ts', 'user-agent.ts'];

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [path.relative(SRC, full)] : [];
  });
}

/** The modules of ours a file imports (type-only imports included), as paths relative to src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/g)].map(
    (m) => m[1] as string,
  );
  // package.json (the version in the User-Agent) is data, not a module of ours.
  return specifiers
    .filter((s) => !s.endsWith('.json'))
    .map((s) => path.normalize(path.join(path.dirname(file), s)).replace(/\.js$/, '.ts'));
}

const graph = new Map(sourceFiles().map((file) => [file, importsOf(file)]));

describe('the layers of src/', () => {
  it('reads every module', () => {
    expect(graph.size).toBeGreaterThan(20);
    for (const imports of graph.values()) for (const target of imports) expect(graph.has(target), target).toBe(true);
  });

  it('keeps the domain model free of imports of ours', () => {
    expect(graph.get('model.ts')).toEqual([]);
  });

  it('lets the leaf utilities import nothing of ours but one another', () => {
    for (const leaf of LEAVES)
      expect(
        graph.get(leaf)?.filter((i) => !LEAVES.includes(i)),
        leaf,
      ).toEqual([]);
  });

  it('lets github/ and conductorone/ import only their own folder, the model and the leaf utilities', () => {
    for (const [file, imports] of graph) {
      const folder = file.split(path.sep)[0];
      if (folder !== 'github' && folder !== 'conductorone') continue;
      const outside = imports.filter((i) => !i.startsWith(`${folder}${path.sep}`) && !LEAVES.includes(i));
      expect(outside, file).toEqual([]);
    }
  });

  it('has an entry file that only starts main', () => {
    expect(graph.get('index.ts')).toEqual(['main.ts']);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (trail.includes(file)) {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
    };
    for (const file of graph.keys()) visit(file, []);
    expect([...new Set(cycles)]).toEqual([]);
  });
});
