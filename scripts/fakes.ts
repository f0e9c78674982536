/**
 * npm run fakes: starts the loopback fakes of ConductorOne and GitHub (the
 * ones the tests use) and keeps them running, for trying the action by hand or
 * for a workflow that runs it the way users do (`uses: ./`, see
 * .github/workflows/self-test.yml).
 *
 * It writes the inputs that point the action at the fakes to a dotenv file
 * (default .tmp/fakes.env; fake credentials, written in full), as the runner
 * would pass them (INPUT_<NAME>), and prints the commands that run the bundled
 * action and @github/local-action with it. The README shows the same commands
 * (test/fakes-commands.test.ts runs them). With `--outputs FILE` it also
 * appends the inputs as `name=value` lines (pass $GITHUB_OUTPUT to make them
 * step outputs).
 *
 * A control server answers `GET /check`: 200 when ConductorOne holds exactly
 * one valid credential that it issued, every repository's secrets open to it,
 * and it gets a token; else 409 with the problems. `npm run fakes -- --check`
 * asks it, with the URL from the dotenv file, and says what it found.
 *
 * Usage: npm run fakes -- [--inputs-file FILE] [--outputs FILE] [--ready FILE] [--repositories a/b,c/d]
 *        npm run fakes -- --check [--inputs-file FILE]
 *   --ready FILE   touched once everything is written (a workflow waits on it)
 * Stops on SIGINT or SIGTERM.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { requestClientToken } from '../test/fakes/conductorone.js';
import { repoScope } from '../test/fakes/github.js';
import { listenOnLoopback, sendJson } from '../test/fakes/log.js';
import { inputEnvName } from '../test/fakes/run-action.js';
import { startScenario } from '../test/fakes/scenario.js';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index < 0 ? undefined : process.argv[index + 1];
}

const DEFAULT_ENV_FILE = path.join('.tmp', 'fakes.env');
const envFile = argument('--inputs-file') ?? DEFAULT_ENV_FILE;
/** The line of the dotenv file that tells `--check` where the control server is; the action ignores it. */
const CONTROL_URL = 'FAKES_CONTROL_URL';

if (process.argv.includes('--check')) await checkAndExit();

const repositories = (argument('--repositories') ?? 'acme/baton-connector').split(',').map((r) => r.trim());
const scenario = await startScenario({ repositories: Object.fromEntries(repositories.map((r) => [r, 'write'])) });
const VARIABLE = 'BATON_CREDENTIAL_ID';

/** ConductorOne holds one valid credential it issued, every repository opens to it, and it gets a token. */
async function check(): Promise<{ credential?: string; problems: string[] }> {
  const valid = scenario.conductorOne.issued.filter((c) => !c.revoked);
  const credential = valid.at(-1);
  if (!credential) return { problems: ['ConductorOne holds no valid credential that the action issued'] };
  const problems: string[] = [];
  if (valid.length > 1)
    problems.push(`ConductorOne holds ${valid.length} valid credentials that the action issued, not 1`);
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
  return { credential: credential.id, problems };
}

const control = createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/check') return sendJson(res, 404, { message: 'GET /check' });
  check().then(
    ({ credential, problems }) =>
      sendJson(res, problems.length ? 409 : 200, { ok: problems.length === 0, credential, problems }),
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

writeEnvFile();
const outputsFile = argument('--outputs');
if (outputsFile)
  appendFileSync(
    outputsFile,
    Object.entries(outputs)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(''),
  );

console.log('Loopback fakes of ConductorOne and GitHub are running (Ctrl-C to stop):');
for (const [name, value] of Object.entries(outputs)) {
  console.log(`  ${name}: ${name === 'client-secret' || name === 'github-token' ? '(hidden)' : value}`);
}
console.log(`\nThe inputs that point the action at them are in ${envFile}. In another terminal:\n`);
for (const [command, what] of commands()) console.log(`  ${command.padEnd(commandWidth())}  # ${what}`);
console.log('');

const readyFile = argument('--ready');
if (readyFile) writeFileSync(readyFile, `${process.pid}\n`);

const stop = () => {
  control.close();
  control.closeAllConnections();
  void scenario.close().finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

/**
 * The inputs a workflow would give, named as the runner passes them. The rest
 * comes from action.yml's defaults; the one repository is the one the
 * workflow runs in (GITHUB_REPOSITORY), several are listed.
 */
function writeEnvFile(): void {
  const inputs: Record<string, string> = {
    'app-id': outputs['app-id'] as string,
    'connector-id': outputs['connector-id'] as string,
    'client-id': scenario.clientId,
    'client-secret': scenario.clientSecret,
    'server-url': scenario.conductorOne.url,
    'github-token': scenario.githubToken,
    'github-api-url': scenario.github.url,
    'credential-id-variable': VARIABLE,
    'revoke-previous': 'true',
    ...(repositories.length > 1 ? { repositories: repositories.join(',') } : {}),
  };
  const lines = [
    '# Written by npm run fakes: the action pointed at its loopback fakes. The credentials are fake.',
    ...Object.entries(inputs).map(([name, value]) => `${inputEnvName(name)}=${value}`),
    `GITHUB_REPOSITORY=${repositories[0]}`,
    `${CONTROL_URL}=${controlUrl}`,
  ];
  mkdirSync(path.dirname(envFile), { recursive: true });
  writeFileSync(envFile, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** What to run against the fakes, in order, and what each does. */
function commands(): Array<[string, string]> {
  const check = `npm run fakes -- --check${envFile === DEFAULT_ENV_FILE ? '' : ` --inputs-file ${envFile}`}`;
  return [
    [
      `env INPUT_DRY-RUN=true node --env-file=${envFile} dist/index.js`,
      'a dry run: checks everything, changes nothing',
    ],
    [`node --env-file=${envFile} dist/index.js`, 'a rotation, as the runner runs the action'],
    [check, 'the secrets hold the one valid credential'],
    [`npx local-action run . src/main.ts ${envFile}`, "the next rotation, under GitHub's local-action"],
    [check, 'the secrets hold the new one, and the first is revoked'],
  ];
}

function commandWidth(): number {
  return Math.max(...commands().map(([command]) => command.length));
}

/** --check: asks the running fakes' control server, whose URL the dotenv file holds. */
async function checkAndExit(): Promise<never> {
  let url: string | undefined;
  try {
    const line = readFileSync(envFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${CONTROL_URL}=`));
    url = line?.slice(CONTROL_URL.length + 1);
  } catch {
    // reported below
  }
  if (!url) {
    console.error(`No ${CONTROL_URL} in ${envFile}: start the fakes first (npm run fakes).`);
    process.exit(2);
  }
  const response = await fetch(`${url}/check`).catch((error: unknown) => {
    console.error(`The fakes at ${url} do not answer (${String(error)}): are they still running (npm run fakes)?`);
    process.exit(2);
  });
  const result = (await response.json()) as { ok: boolean; credential?: string; problems: string[] };
  if (result.ok) console.log(`OK: every repository holds credential ${result.credential}, and it gets a token.`);
  else for (const problem of result.problems) console.log(`NOT OK: ${problem}`);
  process.exit(result.ok ? 0 : 1);
}
