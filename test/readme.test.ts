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

  // Long enough for the set-up of both sides, the recipes and the troubleshooting table a newcomer needs
  // in one place; the contents list keeps it navigable.
  it('fits in 650 lines and opens with a contents list after the first workflow and the two local commands', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(650);
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

/** Every step of every YAML block of the README: whole workflows' job steps, and blocks that are a list of steps. */
function readmeSteps(): Array<{ uses?: string; with?: Record<string, unknown>; matrix: boolean }> {
  const blocks = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => parse(m[1] as string) as unknown);
  return blocks.flatMap((block) => {
    if (Array.isArray(block)) return block.map((step) => ({ ...(step as object), matrix: false }));
    const jobs = (block as { jobs?: Record<string, { steps?: object[]; strategy?: { matrix?: unknown } }> }).jobs ?? {};
    return Object.values(jobs).flatMap((job) =>
      (job.steps ?? []).map((step) => ({ ...step, matrix: job.strategy?.matrix !== undefined })),
    );
  });
}

const THIS_ACTION = /^[\w.-]+\/conductorone-rotate-credential-action@/;

describe('README examples', () => {
  const steps = readmeSteps();
  const ours = steps.filter((step) => step.uses && THIS_ACTION.test(step.uses));

  it('record every credential and retire the one replaced, in every example that uses the action', () => {
    expect(ours.length).toBeGreaterThan(3);
    for (const step of ours) {
      expect(step.with?.['credential-id-variable'], JSON.stringify(step.with)).toBeTruthy();
      expect(['true', 'next-run', true]).toContain(step.with?.['revoke-previous']);
    }
  });

  it('give each connector of a matrix its own app and connector IDs', () => {
    const matrixSteps = ours.filter((step) => step.matrix);
    expect(matrixSteps.length).toBeGreaterThan(0);
    for (const step of matrixSteps) {
      expect(String(step.with?.['app-id'])).toContain('matrix.');
      expect(String(step.with?.['connector-id'])).toContain('matrix.');
    }
  });

  it('pin every other action by a full commit SHA, and this one to a commit, since no release exists', () => {
    const others = steps.filter((step) => step.uses && !THIS_ACTION.test(step.uses) && !step.uses.startsWith('./'));
    expect(others.length).toBeGreaterThan(0);
    for (const step of others) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
    for (const step of ours) expect(step.uses).toMatch(/@FULL_COMMIT_SHA$/);
    expect(readme).toContain('No release yet');
  });
});

describe('action.yml', () => {
  it('declares exactly the inputs the code reads', () => {
    const source = readFileSync(path.join(REPO_ROOT, 'src', 'inputs.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\bget\('([a-z-]+)'\)/g)].map((m) => m[1] as string));
    expect([...read].sort()).toEqual(Object.keys(action.inputs).sort());
  });
});
