// What the entry point does without @actions/core (read inputs, mask secrets) must be exactly what
// @actions/core does, and output that waits for @actions/core must come out, in order.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { getInput, INPUT_DEFAULTS, LazyCore, mask } from '../../src/lazy-core.js';
import { inputEnvName, REPO_ROOT } from '../fakes/run-action.js';

const action = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
};

/** What `write` prints to stdout. */
function printed(write: () => void): string {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    write();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('mask', () => {
  it("writes the ::add-mask:: line @actions/core's setSecret writes, escaping included", () => {
    for (const value of ['plain', 'per%cent', 'two\nlines', 'cr\r\nlf', 'a::b,c=d', '%0A', ' spaced ', ''])
      expect(
        printed(() => mask(value)),
        JSON.stringify(value),
      ).toBe(printed(() => core.setSecret(value)));
  });
});

describe('getInput', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("reads INPUT_<NAME> as @actions/core's getInput does: upper case, spaces as _, trimmed, empty when unset", () => {
    vi.stubEnv('INPUT_CLIENT-ID', '  name@acme.conductor.one/spc \n');
    vi.stubEnv('INPUT_SOME_NAME', 'spaced');
    vi.stubEnv('INPUT_EMPTY', '');
    for (const name of ['client-id', 'Client-Id', 'some name', 'empty', 'never-set'])
      expect(getInput(name), name).toBe(core.getInput(name));
    expect(getInput('client-id')).toBe('name@acme.conductor.one/spc');
  });

  it('knows every non-empty default of action.yml, and no other', () => {
    const defaults = Object.entries(action.inputs).filter(([, input]) => input.default);
    expect(INPUT_DEFAULTS).toEqual(Object.fromEntries(defaults.map(([name, input]) => [name, input.default])));
  });

  it('gives an input that is not set its action.yml default, as the runner does; one set empty stays empty', () => {
    for (const name of Object.keys(action.inputs)) vi.stubEnv(inputEnvName(name), undefined);
    vi.stubEnv('GITHUB_REPOSITORY', 'acme/connectors');
    vi.stubEnv('GITHUB_API_URL', 'https://ghes.example/api/v3');
    expect(getInput('client-secret-secret-name')).toBe('BATON_CLIENT_SECRET');
    expect(getInput('deploy-timeout')).toBe('30m');
    expect(getInput('verify')).toBe('true');
    // ${{ github.repository }} and ${{ github.api_url }}: the values the runner gives every step.
    expect(getInput('repositories')).toBe('acme/connectors');
    expect(getInput('github-api-url')).toBe('https://ghes.example/api/v3');
    expect(getInput('client-id')).toBe('');
    vi.stubEnv('INPUT_CLIENT-ID-SECRET-NAME', '');
    expect(getInput('client-id-secret-name')).toBe('');
  });
});

describe('LazyCore', () => {
  it('runs the calls made before loading once it loads, in order, and later calls at once', async () => {
    const failed = vi.fn();
    const lazy = new LazyCore(failed);
    const seen: string[] = [];
    lazy.use(() => seen.push('first'));
    lazy.use(() => seen.push('second'));
    expect(seen).toEqual([]);
    const loaded = await lazy.load();
    expect(loaded.setOutput).toBe(core.setOutput);
    expect(seen).toEqual(['first', 'second']);
    lazy.use(() => seen.push('third'));
    expect(seen).toEqual(['first', 'second', 'third']);
    expect(await lazy.load()).toBe(loaded);
    expect(failed).not.toHaveBeenCalled();
  });

  it('reports a waiting call that throws, and still runs the calls after it', async () => {
    const failed = vi.fn();
    const lazy = new LazyCore(failed);
    const seen: string[] = [];
    const problem = new Error('no output file');
    lazy.use(() => {
      throw problem;
    });
    lazy.use(() => seen.push('after'));
    await lazy.load();
    expect(failed).toHaveBeenCalledWith(expect.objectContaining({ setFailed: core.setFailed }), problem);
    expect(seen).toEqual(['after']);
  });
});
