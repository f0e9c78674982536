/**
 * npm run demo: the action's main job, locally, on an embedded default.
 *
 * Starts fake ConductorOne and GitHub servers on 127.0.0.1 (the same fakes the
 * end-to-end tests use), runs the bundled dist/index.js against them exactly
 * as the Actions runner would, then prints the run's log, its outputs and job
 * summary, and proof that the stored secrets open to the credential that
 * ConductorOne issued, that the previous credential (its ID in the
 * BATON_CREDENTIAL_ID variable, as set up for a first rotation) was revoked,
 * and that the ledger in that variable records the new one. No request leaves
 * the machine.
 */
import { createHash } from 'node:crypto';
import { requestClientToken } from '../test/fakes/conductorone.js';
import { repoScope } from '../test/fakes/github.js';
import { runAction } from '../test/fakes/run-action.js';
import { startScenario } from '../test/fakes/scenario.js';

const REPOSITORIES = ['acme/baton-okta', 'acme/baton-github'];

/** Enough to tell two secrets apart without printing either. */
const fingerprint = (value: string) => `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;

const VARIABLE = 'BATON_CREDENTIAL_ID';

const scenario = await startScenario({ repositories: Object.fromEntries(REPOSITORIES.map((r) => [r, 'write'])) });
let failed = false;
try {
  // The set-up of a first rotation: the credential made by hand, its ID in the variable of the first repository.
  const previous = await scenario.conductorOne.addCredential();
  scenario.github.presetVariable(repoScope(REPOSITORIES[0] as string), VARIABLE, previous.id);
  const inputs = { ...scenario.inputs, 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' };

  console.log(`# Before: the secrets hold credential ${previous.id} (recorded in the ${VARIABLE} variable)`);
  console.log('\n# Inputs (secrets elided)');
  for (const [name, value] of Object.entries(inputs)) {
    const shown = name === 'client-secret' || name === 'github-token' ? '***' : value.replace(/\n/g, ', ');
    console.log(`  ${name}: ${shown}`);
  }

  const result = await runAction({ inputs });
  console.log(`\n# Action log (node dist/index.js, exit code ${result.code})`);
  // The runner hides ::add-mask:: lines; the demo does not print their values either.
  process.stdout.write(
    result.stdout.replace(/^::add-mask::.*$/gm, '::add-mask::<value hidden by the runner>').replace(/^/gm, '  '),
  );
  if (result.stderr) process.stdout.write(result.stderr.replace(/^/gm, '  stderr: '));

  console.log('\n# Outputs');
  for (const [name, value] of Object.entries(result.outputs)) console.log(`  ${name}=${value}`);

  console.log('\n# Job summary');
  process.stdout.write(result.summary.replace(/^/gm, '  '));

  console.log('\n# Requests the fakes received');
  for (const r of scenario.conductorOne.requests) console.log(`  ConductorOne ${r.method} ${r.path} -> ${r.status}`);
  for (const r of scenario.github.requests) console.log(`  GitHub       ${r.method} ${r.path} -> ${r.status}`);

  console.log('\n# Proof');
  const issued = scenario.conductorOne.issued;
  const credential = issued[0];
  if (result.code !== 0 || issued.length !== 1 || !credential) {
    throw new Error(
      `expected one successful rotation; exit code ${result.code}, ${issued.length} credential(s) issued`,
    );
  }
  console.log(`  ConductorOne issued 1 credential: ${credential.id}, secret ${fingerprint(credential.clientSecret)}`);
  for (const repository of REPOSITORIES) {
    const storedId = await scenario.github.open(repoScope(repository), 'BATON_CLIENT_ID');
    const storedSecret = await scenario.github.open(repoScope(repository), 'BATON_CLIENT_SECRET');
    const ok = storedId === credential.clientId && storedSecret === credential.clientSecret;
    console.log(
      `  ${repository}: BATON_CLIENT_ID opens to ${storedId}; BATON_CLIENT_SECRET opens to ${fingerprint(storedSecret)} -> ${ok ? 'matches the issued credential' : 'MISMATCH'}`,
    );
    failed ||= !ok;
  }
  const login = await requestClientToken(
    scenario.conductorOne,
    credential.clientId,
    await scenario.github.open(repoScope(REPOSITORIES[0] as string), 'BATON_CLIENT_SECRET'),
  );
  console.log(
    `  The stored client ID and secret get a ConductorOne token: ${login.status === 200 ? 'yes' : `no (${login.status})`}`,
  );
  failed ||= login.status !== 200;
  const oldLogin = await requestClientToken(scenario.conductorOne, previous.clientId, previous.clientSecret);
  console.log(
    `  The previous credential ${previous.id} was revoked: ${previous.revoked && oldLogin.status === 401 ? 'yes, its secret no longer gets a token' : 'NO'}`,
  );
  failed ||= !previous.revoked || oldLogin.status !== 401;
  const home = REPOSITORIES[0] as string;
  const ledger = JSON.parse(scenario.github.variables.get(repoScope(home))?.get(VARIABLE)?.value ?? '{}') as {
    credentials?: Array<{ id: string; state: string }>;
  };
  const records = (ledger.credentials ?? []).map((c) => `${c.id} ${c.state}`);
  const recordsRight = records.length === 1 && records[0] === `${credential.id} current`;
  console.log(
    `  ${home}: the ledger in ${VARIABLE} records ${records.join(', ') || 'nothing'} -> ${recordsRight ? 'the new credential, for the next run to retire' : 'WRONG'}`,
  );
  failed ||= !recordsRight;
  const leaked = scenario.knownSecrets().filter((secret) =>
    [
      result.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
      result.stderr,
      result.summary,
      ...Object.values(result.outputs),
    ].some((text) => text.includes(secret)),
  );
  console.log(
    `  Secrets printed outside ::add-mask:: lines, outputs or summary: ${leaked.length === 0 ? 'none' : `${leaked.length} (LEAK)`}`,
  );
  failed ||= leaked.length > 0;
} catch (err) {
  failed = true;
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await scenario.close();
}
process.exitCode = failed ? 1 : 0;
