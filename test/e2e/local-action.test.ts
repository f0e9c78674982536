// GitHub's own local runner for actions (@github/local-action) imports src/main.ts and calls its
// exported run(), with its own stand-ins for @actions/core. The action must run under it as it runs
// on GitHub, against the same loopback fakes: inputs left out get action.yml's defaults, secrets
// stay out of the output, and a failed run makes local-action fail.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it, type TestContext } from 'vitest';
import { inputEnvName, REPO_ROOT } from '../fakes/run-action.js';
import { onlyIssued, scenarioFor, storedCredential } from './helpers.js';

const LOCAL_ACTION = path.join(REPO_ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');

interface LocalRun {
  code: number;
  stdout: string;
}

/** `local-action run . src/main.ts .env`, with the .env holding these variables, as CONTRIBUTING.md runs it. */
async function localAction(context: TestContext, variables: Record<string, string>): Promise<LocalRun> {
  const dir = await mkdtemp(path.join(tmpdir(), 'local-action-'));
  context.onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const envFile = path.join(dir, '.env');
  const lines = Object.entries(variables).map(([name, value]) => `${name}=${value.replace(/\n/g, ',')}`);
  await writeFile(envFile, `${lines.join('\n')}\n`);
  try {
    // Asynchronously: the fakes answer from this very process.
    const run = await promisify(execFile)(process.execPath, [LOCAL_ACTION, 'run', '.', 'src/main.ts', envFile], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });
    return { code: 0, stdout: run.stdout };
  } catch (err) {
    const failed = err as { code?: unknown; stdout?: string };
    if (typeof failed.code !== 'number') throw err;
    return { code: failed.code, stdout: failed.stdout ?? '' };
  }
}

/** The inputs a workflow gives, as the dotenv file names them; the rest is left to action.yml's defaults. */
function inputsOf(inputs: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [inputEnvName(name), inputs[name] ?? '']));
}

/** The README's minimal inputs, and the two URLs that point them at the fakes. */
const MINIMAL = [
  'app-id',
  'connector-id',
  'client-id',
  'client-secret',
  'github-token',
  'server-url',
  'github-api-url',
];

describe('GitHub local-action', () => {
  it('runs run() of src/main.ts with the minimal inputs: action.yml gives the rest, the secrets are stored', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    // repositories defaults to ${{ github.repository }}: the repository the workflow runs in.
    const run = await localAction(context, {
      ...inputsOf(scenario.inputs, MINIMAL),
      GITHUB_REPOSITORY: 'acme/connectors',
    });

    expect(run.code, run.stdout).toBe(0);
    const issued = onlyIssued(scenario);
    expect(run.stdout).toContain(`::set-output name=credential-id::${issued.id}`);
    expect(run.stdout).toContain('::set-output name=rotated::true');
    const stored = await storedCredential(scenario, 'acme/connectors');
    expect(stored.clientId).toBe(issued.clientId);
    expect(stored.clientSecret === issued.clientSecret, 'BATON_CLIENT_SECRET opens to the issued secret').toBe(true);
    // Masks go through local-action's setSecret, which hides them as the runner hides ::add-mask:: lines.
    expect(run.stdout).not.toContain('::add-mask::');
    const shown = scenario.knownSecrets().filter((secret) => run.stdout.includes(secret));
    expect(shown.length, 'secrets in local-action output').toBe(0);
  });

  it('fails when the run fails, with the error the runner would show', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const run = await localAction(context, {
      ...inputsOf({ ...scenario.inputs, 'github-token': 'ghs_revoked0000000000000000000000000000' }, MINIMAL),
      GITHUB_REPOSITORY: 'acme/connectors',
    });

    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('Nothing was rotated. GitHub refused github-token');
    expect(scenario.conductorOne.issued).toEqual([]);
  });
});
