// What .github/workflows/self-test.yml does on GitHub's runner, done here: `npm run fakes` starts the
// loopback fakes and writes their URLs and a client as step outputs, the bundled action runs with
// them as its inputs, and the fakes' /check says the stored secrets open to the issued credential.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'vitest';
import { parse } from 'yaml';
import { parseOutputFile, REPO_ROOT, runAction } from '../fakes/run-action.js';

const TSX = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** What the runner passes for inputs a step leaves out: action.yml's defaults (those without an expression). */
function actionDefaults(): Record<string, string> {
  const action = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
  };
  return Object.fromEntries(
    Object.entries(action.inputs).flatMap(([name, input]) =>
      input.default !== undefined && !input.default.includes('${{') ? [[name, input.default]] : [],
    ),
  );
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      await readFile(file);
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${file} never appeared`);
}

describe('npm run fakes, as the self-test workflow uses it', () => {
  it('serves a rotation by the bundled action and confirms it through /check', async (context) => {
    const { expect } = context;
    const dir = await mkdtemp(path.join(tmpdir(), 'self-test-'));
    context.onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const outputsFile = path.join(dir, 'github_output');
    const ready = path.join(dir, 'ready');
    const fakes = spawn(
      process.execPath,
      [
        TSX,
        'scripts/fakes.ts',
        '--repositories',
        'acme/a,acme/b',
        '--outputs',
        outputsFile,
        '--ready',
        ready,
        '--inputs-file',
        path.join(dir, 'fakes.env'),
      ],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        // A group of its own: tsx runs the script in a child process, which a failed test must stop too.
        detached: true,
      },
    );
    const exited = new Promise<number | null>((resolve) => fakes.on('exit', (code) => resolve(code)));
    context.onTestFinished(() => {
      if (fakes.pid && fakes.exitCode === null) process.kill(-fakes.pid, 'SIGKILL');
    });
    let log = '';
    fakes.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    await waitFor(ready);

    const outputs = parseOutputFile(await readFile(outputsFile, 'utf8'));
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'app-id',
        'client-id',
        'client-secret',
        'connector-id',
        'control-url',
        'github-api-url',
        'github-token',
        'repositories',
        'server-url',
      ].sort(),
    );
    expect(log).not.toContain(outputs['client-secret']);
    const check = () =>
      fetch(`${outputs['control-url']}/check`).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as unknown,
      }));
    expect(await check()).toEqual({
      status: 409,
      body: { ok: false, problems: ['ConductorOne holds no valid credential that the action issued'] },
    });

    const { 'control-url': _control, ...given } = outputs;
    const result = await runAction({ inputs: { ...actionDefaults(), ...given } });

    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs.rotated).toBe('true');
    expect(await check()).toEqual({
      status: 200,
      body: { ok: true, credential: result.outputs['credential-id'], problems: [] },
    });

    fakes.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
