// The README's way from a clone to runs against the fakes: `npm run fakes` prints the commands that
// run the bundled action and @github/local-action against it, and the README shows the same ones.
// This test starts `npm run fakes` as a newcomer would, checks that the README shows exactly the
// commands it prints, then runs each, in order, as the README says, and checks what each did.
import { type ChildProcess, exec, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { REPO_ROOT } from './fakes/run-action.js';

/** Where the README and `npm run fakes` put the dotenv file; the test uses a file of its own. */
const README_ENV_FILE = '.tmp/fakes.env';

/** The printed command lines: indented, after the "In another terminal" line, up to the blank line. */
function printedCommands(stdout: string): string[] {
  const after = stdout.split('In another terminal:\n')[1] ?? '';
  return after
    .split('\n\n')
    .filter((block) => block.trim())[0]!
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The command of a line, without its `# what it does`. */
const commandOf = (line: string) => line.replace(/\s+#.*$/, '');
/** A line with its padding collapsed, to compare the README with the printed lines. */
const normalized = (line: string) => line.replace(/\s+/g, ' ').trim();

/** The README's block of commands against the fakes: the ```sh block that uses the dotenv file. */
function readmeCommands(readme: string): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const block = blocks.find((b) => b.includes(`--env-file=${README_ENV_FILE}`));
  if (!block) throw new Error(`README.md has no sh block that runs the action with --env-file=${README_ENV_FILE}`);
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

async function startFakes(envFile: string, ready: string): Promise<{ child: ChildProcess; stdout: () => string }> {
  // Its own process group, so that the test can stop npm and what it started, as Ctrl-C does.
  const child = spawn('npm', ['run', 'fakes', '--', '--inputs-file', envFile, '--ready', ready], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  let exited = false;
  child.on('exit', () => (exited = true));
  for (let i = 0; i < 300 && !exited; i++) {
    if (
      await readFile(ready).then(
        () => true,
        () => false,
      )
    )
      return { child, stdout: () => out };
    await sleep(100);
  }
  throw new Error(`npm run fakes did not start:\n${out}`);
}

describe('README: runs against npm run fakes', () => {
  it('shows the commands npm run fakes prints, and each of them works: dry run, rotation, check, local-action, check', {
    timeout: 120_000,
  }, async (context) => {
    const { expect } = context;
    const dir = await mkdtemp(path.join(tmpdir(), 'fakes-'));
    context.onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const envFile = path.join(dir, 'fakes.env');
    const { child, stdout } = await startFakes(envFile, path.join(dir, 'ready'));
    context.onTestFinished(() => {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    });

    const printed = printedCommands(stdout());
    const asInReadme = printed.map((line) =>
      normalized(line.replaceAll(` --inputs-file ${envFile}`, '').replaceAll(envFile, README_ENV_FILE)),
    );
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readmeCommands(readme).map(normalized)).toEqual(asInReadme);

    const outputs: string[] = [];
    for (const line of printed) {
      const { stdout: out } = await promisify(exec)(commandOf(line), {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        shell: '/bin/bash',
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir },
      });
      outputs.push(out);
    }
    const [dryRun, rotation, firstCheck, localAction, secondCheck] = outputs as [
      string,
      string,
      string,
      string,
      string,
    ];
    expect(dryRun).toContain('Dry run: the connector, the token and every target check out; nothing was changed.');
    expect(rotation).toMatch(/ConductorOne issued credential (\w+)/);
    const first = /ConductorOne issued credential (\w+)/.exec(rotation)?.[1];
    expect(firstCheck).toContain(`OK: every repository holds credential ${first}`);
    expect(localAction).toContain(`Revoked ${first}, which no target holds any more.`);
    const second = /ConductorOne issued credential (\w+)/.exec(localAction)?.[1];
    expect(second).not.toBe(first);
    expect(secondCheck).toContain(`OK: every repository holds credential ${second}`);
  });
});
