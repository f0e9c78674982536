// Runs the bundled action the way the GitHub runner does: `node dist/index.js` with a
// clean environment, inputs as INPUT_* variables and fresh file-command files.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TIMEOUT_MS = 60_000;

export interface RunActionOptions {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  /** Script to run; default dist/index.js in the repository root. */
  entry?: string;
  /** Working directory; default a fresh temp directory (the runner's workspace stands in). */
  cwd?: string;
  /** Called once the child runs, e.g. to cancel it with a signal as the runner does. */
  onStart?: (child: ChildProcess) => void;
  /** How long the child may run before it is killed (timedOut); default 60 s. */
  timeoutMs?: number;
}

export interface RunActionResult {
  /** null when the child was killed (see timedOut). */
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  timedOut: boolean;
  /** From spawning the process to its end: the action's own time, without this helper's file set-up. */
  elapsedMs: number;
}

/** The name @actions/core's getInput reads: spaces become _, hyphens are kept. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runAction(opts: RunActionOptions): Promise<RunActionResult> {
  const runnerTemp = await mkdtemp(path.join(tmpdir(), 'action-run-'));
  try {
    const outputFile = path.join(runnerTemp, 'github_output');
    const summaryFile = path.join(runnerTemp, 'step_summary.md');
    await writeFile(outputFile, '');
    await writeFile(summaryFile, '');

    // Only what the runner would give: no proxy variables, NODE_OPTIONS or tokens leak in from the test process.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? runnerTemp,
      GITHUB_ACTIONS: 'true',
      RUNNER_TEMP: runnerTemp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
    };
    for (const [name, value] of Object.entries(opts.inputs)) env[inputEnvName(name)] = value;
    Object.assign(env, opts.env);

    const entry = opts.entry ?? path.join(REPO_ROOT, 'dist', 'index.js');
    const { code, stdout, stderr, timedOut, elapsedMs } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
      timedOut: boolean;
      elapsedMs: number;
    }>((resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, [entry], {
        cwd: opts.cwd ?? runnerTemp,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      let killed = false;
      opts.onStart?.(child);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs ?? TIMEOUT_MS);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve({ code: exitCode, stdout: out, stderr: err, timedOut: killed, elapsedMs: performance.now() - started });
      });
    });

    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      timedOut,
      elapsedMs,
    };
  } finally {
    await rm(runnerTemp, { recursive: true, force: true });
  }
}

/**
 * Parses a GITHUB_OUTPUT file like the runner: `name<<DELIMITER` heredocs (what @actions/core
 * writes) and plain `name=value` lines. A line is plain when its first '=' comes before any '<<'.
 */
export function parseOutputFile(content: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      outputs[line.slice(0, equals)] = line.slice(equals + 1);
      continue;
    }
    if (heredoc <= 0) throw new Error(`GITHUB_OUTPUT line ${i + 1} is neither name=value nor name<<DELIMITER: ${line}`);
    const name = line.slice(0, heredoc);
    const delimiter = line.slice(heredoc + 2);
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: delimiter ${delimiter} for ${name} is never closed`);
    outputs[name] = value.join('\n');
  }
  return outputs;
}

/**
 * Where secrets appear in the given texts, ignoring `::add-mask::` lines (which must carry them).
 * Reports positions, never the secret itself, so a failing assertion does not print it.
 */
export function findLeaks(secrets: string[], texts: Record<string, string>): string[] {
  const leaks: string[] = [];
  secrets.forEach((secret, index) => {
    if (secret === '') return;
    for (const [textName, text] of Object.entries(texts)) {
      const visible = text
        .split(/\r?\n/)
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n');
      if (visible.includes(secret)) leaks.push(`secret #${index} (${secret.length} chars) appears in ${textName}`);
    }
  });
  return leaks;
}
