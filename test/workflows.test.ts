// Every workflow in .github/workflows, and every workflow the README shows, passes GitHub's own
// workflow validator (@actions/languageservice, what the Actions VS Code extension runs). Where a
// workflow uses this action, its `with:` keys must be inputs action.yml declares, and every
// required input must be given.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from '@actions/languageservice';
import { describe, expect, it } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parse } from 'yaml';
import { REPO_ROOT } from './fakes/run-action.js';

const WORKFLOWS = path.join(REPO_ROOT, '.github', 'workflows');
const THIS_ACTION = /^(\.\/|[\w.-]+\/conductorone-rotate-credential-action@)/;

interface ActionYml {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}
const action = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as ActionYml;

/**
 * The validator's errors and warnings for one workflow, as "line: message" (a
 * diagnostic without a severity is an error, as in LSP). Other actions' inputs
 * cannot be looked up here (no network), so only the structure, expressions
 * and this action's inputs (below) are checked.
 */
async function problems(name: string, text: string): Promise<string[]> {
  const document = TextDocument.create(`file:///.github/workflows/${name}`, 'yaml', 1, text);
  const diagnostics = await validate(document);
  return diagnostics
    .filter((d) => d.severity === undefined || d.severity <= 2)
    .map((d) => `${d.range.start.line + 1}: ${d.message}`);
}

type Step = { uses?: string; with?: Record<string, unknown> };

/** `with:` problems of each step that uses this action (the validator skips `uses: ./`). */
function inputProblems(text: string): string[] {
  const workflow = parse(text) as { jobs?: Record<string, { steps?: Step[] }> };
  const steps = Object.values(workflow.jobs ?? {}).flatMap((job) => job.steps ?? []);
  return steps.filter((step) => step.uses && THIS_ACTION.test(step.uses)).flatMap((step) => stepInputProblems(step));
}

function stepInputProblems(step: Step): string[] {
  const given = Object.keys(step.with ?? {});
  const unknown = given.filter((input) => !(input in action.inputs)).map((input) => `unknown input ${input}`);
  const missing = Object.entries(action.inputs)
    .filter(([input, spec]) => spec.required && !given.includes(input))
    .map(([input]) => `required input ${input} missing`);
  return [...unknown, ...missing];
}

const workflowFiles = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

/** The README's YAML blocks that are whole workflows (they have `jobs:`). */
function readmeWorkflows(): Array<{ name: string; text: string }> {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .filter((text) => /^jobs:/m.test(text))
    .map((text, index) => ({ name: `readme-${index + 1}.yml`, text }));
}

describe("workflows pass GitHub's workflow validator", () => {
  it('finds the workflows', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining(['ci.yml', 'check-dist.yml', 'codeql.yml', 'release.yml', 'self-test.yml']),
    );
  });

  for (const file of workflowFiles) {
    it(`.github/workflows/${file}`, async () => {
      const text = readFileSync(path.join(WORKFLOWS, file), 'utf8');
      expect(await problems(file, text)).toEqual([]);
      expect(inputProblems(text)).toEqual([]);
    });
  }

  it('every workflow in the README, with only the inputs action.yml declares', async () => {
    const workflows = readmeWorkflows();
    expect(workflows.length).toBeGreaterThan(2);
    for (const { name, text } of workflows) {
      expect({ name, problems: await problems(name, text), inputs: inputProblems(text) }).toEqual({
        name,
        problems: [],
        inputs: [],
      });
    }
  });

  it('catches a workflow mistake and an unknown input (the check itself works)', async () => {
    const broken = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: ./',
      '        with:',
      '          app-idd: x',
      '          bogus-key: 1',
    ].join('\n');
    expect(inputProblems(broken)).toContain('unknown input app-idd');
    expect(inputProblems(broken)).toContain('required input app-id missing');
    expect(
      await problems('broken.yml', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n'),
    ).not.toEqual([]);
  });
});
