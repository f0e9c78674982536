// GitHub's own local runner for actions (@github/local-action) imports src/main.ts and calls its
// exported run(), with its own stand-ins for @actions/core. The action must run under it, as it runs
// on GitHub, against the same loopback fakes.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { REPO_ROOT } from '../fakes/run-action.js';
import { onlyIssued, scenarioFor, storedCredential } from './helpers.js';

const LOCAL_ACTION = path.join(REPO_ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');

describe('GitHub local-action', () => {
  it('runs the exported run() of src/main.ts, which rotates and stores the credential', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const dir = await mkdtemp(path.join(tmpdir(), 'local-action-'));
    context.onTestFinished(() => rm(dir, { recursive: true, force: true }));
    // local-action reads the inputs from a dotenv file, named as the runner names them.
    const env = Object.entries(scenario.inputs).map(
      ([name, value]) => `INPUT_${name.toUpperCase()}=${value.replace(/\n/g, ',')}`,
    );
    const envFile = path.join(dir, '.env');
    await writeFile(envFile, `${env.join('\n')}\n`);

    // Asynchronously: the fakes answer from this very process.
    const run = await promisify(execFile)(process.execPath, [LOCAL_ACTION, 'run', REPO_ROOT, 'src/main.ts', envFile], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });

    const issued = onlyIssued(scenario);
    expect(run.stdout).toContain(`::set-output name=credential-id::${issued.id}`);
    expect(run.stdout).toContain('::set-output name=rotated::true');
    const stored = await storedCredential(scenario, 'acme/connectors');
    expect(stored.clientId).toBe(issued.clientId);
    expect(stored.clientSecret === issued.clientSecret, 'BATON_CLIENT_SECRET opens to the issued secret').toBe(true);
  });
});
