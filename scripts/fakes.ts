/**
 * npm run fakes: starts the loopback fakes of ConductorOne and GitHub (the
 * ones the tests use) and keeps them running, for a workflow that runs this
 * action the way users do (`uses: ./`, see .github/workflows/self-test.yml)
 * or for trying the action by hand.
 *
 * It prints the fakes' URLs and a registered API client, and with
 * `--outputs FILE` appends them as `name=value` lines (pass $GITHUB_OUTPUT to
 * make them step outputs). A control server answers `GET /check`: 200 when
 * every repository's secrets open to the one credential ConductorOne issued
 * and that credential gets a token, else 409 with the problems.
 *
 * Usage: npm run fakes -- [--outputs FILE] [--ready FILE] [--repositories a/b,c/d]
 *   --ready FILE   touched once the outputs are written (a workflow waits on it)
 * Stops on SIGINT or SIGTERM.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { requestClientToken } from '../test/fakes/conductorone.js';
import { repoScope } from '../test/fakes/github.js';
import { listenOnLoopback, sendJson } from '../test/fakes/log.js';
import { startScenario } from '../test/fakes/scenario.js';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index < 0 ? undefined : process.argv[index + 1];
}

const repositories = (argument('--repositories') ?? 'acme/baton-connector').split(',').map((r) => r.trim());
const scenario = await startScenario({ repositories: Object.fromEntries(repositories.map((r) => [r, 'write'])) });

/** Every repository opens to the issued credential, and that credential authenticates. */
async function check(): Promise<string[]> {
  const issued = scenario.conductorOne.issued;
  const credential = issued.at(-1);
  if (!credential) return ['ConductorOne issued no credential'];
  const problems: string[] = issued.length > 1 ? [`ConductorOne issued ${issued.length} credentials, not 1`] : [];
  for (const repository of repositories) {
    try {
      const clientId = await scenario.github.open(repoScope(repository), 'BATON_CLIENT_ID');
      const clientSecret = await scenario.github.open(repoScope(repository), 'BATON_CLIENT_SECRET');
      if (clientId !== credential.clientId) problems.push(`${repository}: BATON_CLIENT_ID is not the issued client ID`);
      if (clientSecret !== credential.clientSecret)
        problems.push(`${repository}: BATON_CLIENT_SECRET is not the issued secret`);
    } catch (error) {
      problems.push(`${repository}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const login = await requestClientToken(scenario.conductorOne, credential.clientId, credential.clientSecret);
  if (login.status !== 200) problems.push(`the issued credential does not get a token (${login.status})`);
  return problems;
}

const control = createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/check') return sendJson(res, 404, { message: 'GET /check' });
  check().then(
    (problems) => sendJson(res, problems.length ? 409 : 200, { ok: problems.length === 0, problems }),
    (error: unknown) => sendJson(res, 500, { ok: false, problems: [String(error)] }),
  );
});
const controlUrl = `http://127.0.0.1:${await listenOnLoopback(control)}`;

const outputs: Record<string, string> = {
  'server-url': scenario.conductorOne.url,
  'github-api-url': scenario.github.url,
  'github-token': scenario.githubToken,
  'client-id': scenario.clientId,
  'client-secret': scenario.clientSecret,
  'app-id': scenario.inputs['app-id'] as string,
  'connector-id': scenario.inputs['connector-id'] as string,
  repositories: repositories.join(','),
  'control-url': controlUrl,
};

// Fake credentials, but treated as real ones: hidden in a runner's log.
if (process.env.GITHUB_ACTIONS)
  for (const secret of [scenario.clientSecret, scenario.githubToken]) console.log(`::add-mask::${secret}`);
console.log('Loopback fakes of ConductorOne and GitHub are running (Ctrl-C to stop):');
for (const [name, value] of Object.entries(outputs)) {
  console.log(`  ${name}: ${name === 'client-secret' || name === 'github-token' ? '(hidden)' : value}`);
}

const outputsFile = argument('--outputs');
if (outputsFile)
  appendFileSync(
    outputsFile,
    Object.entries(outputs)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(''),
  );
const readyFile = argument('--ready');
if (readyFile) writeFileSync(readyFile, `${process.pid}\n`);

const stop = () => {
  control.close();
  control.closeAllConnections();
  void scenario.close().finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
