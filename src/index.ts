/**
 * Entry point, run by the Actions runner as `node dist/index.js`. It only wires
 * the real world (the environment, @actions/core, an HTTP dispatcher) to
 * run(); the logic lives in run.ts.
 */
import * as core from '@actions/core';
import { EnvHttpProxyAgent } from 'undici';
import { ActionError } from './errors.js';
import { Http } from './http.js';
import { run } from './run.js';

// HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured for ConductorOne and GitHub
// alike (self-hosted runners behind a corporate proxy).
const dispatcher = new EnvHttpProxyAgent({ connect: { timeout: 10_000 } });
const http = new Http({ dispatcher, log: (message) => core.info(message) });

try {
  await run({
    core: {
      getInput: (name) => core.getInput(name),
      setSecret: (value) => core.setSecret(value),
      oidcAvailable: () => Boolean(process.env['ACTIONS_ID_TOKEN_REQUEST_URL']),
      getIdToken: (audience) => core.getIDToken(audience),
      setOutput: (name, value) => core.setOutput(name, value),
      info: (message) => core.info(message),
      writeSummary: async (markdown) => {
        // Outside a runner (a local try) there is no summary file to write.
        if (!process.env['GITHUB_STEP_SUMMARY']) return;
        try {
          await core.summary.addRaw(markdown, true).write();
        } catch (err) {
          core.warning(`Could not write the job summary: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
    },
    http,
  });
} catch (err) {
  // Expected failures are already one actionable sentence; a stack is shown
  // only when the run has step debug logging on (ACTIONS_STEP_DEBUG).
  if (core.isDebug() && err instanceof Error && err.stack) core.debug(err.stack);
  core.setFailed(err instanceof ActionError ? err.message : `Unexpected error: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  // Keep-alive sockets would hold the process open for seconds.
  await dispatcher.close().catch(() => {});
}
