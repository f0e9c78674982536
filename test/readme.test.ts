// The README is what users act on: its inputs and outputs tables must say exactly what action.yml
// declares (names, required, defaults), and action.yml must declare exactly the inputs the code reads.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './fakes/run-action.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const action = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, unknown>;
};

/** The rows of the table under a `## heading`, as cells without the surrounding pipes. */
function table(heading: string): string[][] {
  const section = readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  return rows.slice(2).map((row) =>
    row
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim()),
  );
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, '');

describe('README', () => {
  it('lists every input of action.yml, in its order, with its default or "required"', () => {
    const rows = table('Inputs');
    expect(rows.map(([name]) => unquote(name ?? ''))).toEqual(Object.keys(action.inputs));
    for (const [name = '', shown = ''] of rows) {
      const input = action.inputs[unquote(name)];
      const expected = input?.required ? 'required' : input?.default ? `\`${input.default}\`` : '';
      expect(shown, unquote(name)).toBe(expected);
    }
  });

  it('lists every output of action.yml, in its order', () => {
    expect(table('Outputs').map(([name]) => unquote(name ?? ''))).toEqual(Object.keys(action.outputs));
  });

  it('fits in 400 lines and opens with a contents list after the first workflow and the two local commands', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(400);
    const contents = readme.indexOf('\n## Contents\n');
    expect(contents).toBeGreaterThan(0);
    expect(readme.indexOf('npm run demo')).toBeLessThan(contents);
    expect(readme.indexOf('npm test')).toBeLessThan(contents);
    expect(readme.indexOf('```yaml')).toBeLessThan(readme.indexOf('npm run demo'));
  });

  it('links only to headings it has', () => {
    const anchors = new Set(
      [...readme.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .replace(/\s/g, '-'),
      ),
    );
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((link) => !anchors.has(link))).toEqual([]);
  });
});

describe('action.yml', () => {
  it('declares exactly the inputs the code reads', () => {
    const source = readFileSync(path.join(REPO_ROOT, 'src', 'inputs.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\bget\('([a-z-]+)'\)/g)].map((m) => m[1] as string));
    expect([...read].sort()).toEqual(Object.keys(action.inputs).sort());
  });
});
