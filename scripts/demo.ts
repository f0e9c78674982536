/**
 * npm run demo: one rotation, start to end, on an embedded example.
 *
 * Starts fake ConductorOne and GitHub servers on 127.0.0.1 (the same fakes the
 * end-to-end tests use) in the state a first rotation starts from: ConductorOne
 * has the credential made by hand, both repositories hold it in their secrets,
 * and the BATON_CREDENTIAL_ID variable of the first names it. It then runs the
 * bundled dist/index.js against them exactly as the Actions runner would, and
 * tells what happened in order: the run's log (without the `::add-mask::`
 * lines, which the runner never shows either), its outputs and job summary,
 * the requests each fake received, and proof that the stored secrets open to
 * the credential ConductorOne issued, that the previous credential was revoked
 * and that the ledger records the new one. No request leaves the machine.
 */
import { createHash } from 'node:crypto';
import { requestClientToken } from '../test/fakes/conductorone.js';
import { repoScope } from '../test/fakes/github.js';
import { runAction } from '../test/fakes/run-action.js';
import { startScenario } from '../test/fakes/scenario.js';

const REPOSITORIES = ['acme/baton-okta', 'acme/baton-github'];
const VARIABLE = 'BATON_CREDENTIAL_ID';
const HOME = REPOSITORIES[0] as string;

/** Enough to tell two secrets apart without printing either. */
const fingerprint = (value: string) => `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
const indent = (text: string) => text.replace(/\n$/, '').replace(/^/gm, '  ');

const scenario = await startScenario({ repositories: Object.fromEntries(REPOSITORIES.map((r) => [r, 'write'])) });
let failed = false;
try {
  // The set-up of a first rotation: the credential made by hand, held by both repositories, its ID in the
  // variable of the first (the ledger's home).
  const previous = await scenario.conductorOne.addCredential();
  for (const repository of REPOSITORIES) {
    scenario.github.presetSecret(repoScope(repository), 'BATON_CLIENT_ID', { value: previous.clientId });
    scenario.github.presetSecret(repoScope(repository), 'BATON_CLIENT_SECRET', { value: previous.clientSecret });
  }
  scenario.github.presetVariable(repoScope(HOME), VARIABLE, previous.id);
  const inputs = { ...scenario.inputs, 'credential-id-variable': VARIABLE, 'revoke-previous': 'true' };

  console.log('# 1. Before: the credential made by hand, and its ID in the variable');
  console.log(`  ConductorOne: credential ${previous.id} (client ID ${previous.clientId}) is valid.`);
  for (const repository of REPOSITORIES)
    console.log(`  ${repository}: BATON_CLIENT_ID and BATON_CLIENT_SECRET hold it.`);
  console.log(`  ${HOME}: ${VARIABLE} = ${previous.id} (the ledger starts from it).`);

  console.log('\n# 2. The workflow step: uses the action with these inputs (secrets elided)');
  for (const [name, value] of Object.entries(inputs)) {
    const shown = name === 'client-secret' || name === 'github-token' ? '***' : value.replace(/\n/g, ', ');
    console.log(`  ${name}: ${shown}`);
  }

  const result = await runAction({ inputs });
  const masks = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::')).length;
  const log = result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  console.log(`\n# 3. The run: node dist/index.js, as the runner starts it (exit code ${result.code})`);
  console.log(`  (${masks} ::add-mask:: lines, one per secret the moment it exists, are hidden here as on GitHub)`);
  console.log(indent(log));
  if (result.stderr) console.log(result.stderr.replace(/\n$/, '').replace(/^/gm, '  stderr: '));

  console.log('\n# 4. Its outputs (steps.<id>.outputs.*)');
  for (const [name, value] of Object.entries(result.outputs)) console.log(`  ${name}=${value}`);

  console.log('\n# 5. Its job summary (Markdown, as GitHub renders it on the run page)');
  console.log(indent(result.summary));

  console.log('\n# 6. The requests each fake received, in order');
  for (const r of scenario.conductorOne.requests) console.log(`  ConductorOne ${r.method} ${r.path} -> ${r.status}`);
  for (const r of scenario.github.requests) console.log(`  GitHub       ${r.method} ${r.path} -> ${r.status}`);

  console.log('\n# 7. After: checked through the fakes');
  const issued = scenario.conductorOne.issued;
  const credential = issued[0];
  if (result.code !== 0 || issued.length !== 1 || !credential) {
    throw new Error(
      `expected one successful rotation; exit code ${result.code}, ${issued.length} credential(s) issued`,
    );
  }
  console.log(`  ConductorOne issued 1 credential: ${credential.id}, secret ${fingerprint(credential.clientSecret)}.`);
  for (const repository of REPOSITORIES) {
    const storedId = await scenario.github.open(repoScope(repository), 'BATON_CLIENT_ID');
    const storedSecret = await scenario.github.open(repoScope(repository), 'BATON_CLIENT_SECRET');
    const ok = storedId === credential.clientId && storedSecret === credential.clientSecret;
    console.log(
      `  ${repository}: BATON_CLIENT_ID opens to ${storedId}, BATON_CLIENT_SECRET to ${fingerprint(storedSecret)}: ${ok ? 'the new credential' : 'MISMATCH'}.`,
    );
    failed ||= !ok;
  }
  const login = await requestClientToken(
    scenario.conductorOne,
    credential.clientId,
    await scenario.github.open(repoScope(REPOSITORIES[0] as string), 'BATON_CLIENT_SECRET'),
  );
  console.log(
    `  The stored client ID and secret get a ConductorOne token: ${login.status === 200 ? 'yes' : `no (${login.status})`}.`,
  );
  failed ||= login.status !== 200;
  const oldLogin = await requestClientToken(scenario.conductorOne, previous.clientId, previous.clientSecret);
  const revoked = previous.revoked && oldLogin.status === 401;
  console.log(
    `  The previous credential ${previous.id}: ${revoked ? 'revoked, its secret no longer gets a token' : 'STILL VALID'}.`,
  );
  failed ||= !revoked;
  const ledger = JSON.parse(scenario.github.variables.get(repoScope(HOME))?.get(VARIABLE)?.value ?? '{}') as {
    credentials?: Array<{ id: string; state: string }>;
  };
  const records = (ledger.credentials ?? []).map((c) => `${c.id} ${c.state}`);
  const recordsRight = records.length === 1 && records[0] === `${credential.id} current`;
  const next = recordsRight ? 'the new credential, for the next run to retire' : 'WRONG';
  console.log(`  ${HOME}: the ledger in ${VARIABLE} records ${records.join(', ') || 'nothing'}: ${next}.`);
  failed ||= !recordsRight;
  const printed = [log, result.stderr, result.summary, ...Object.values(result.outputs)];
  const leaked = scenario.knownSecrets().filter((secret) => printed.some((text) => text.includes(secret)));
  console.log(`  Secrets in the log, outputs or summary: ${leaked.length === 0 ? 'none' : `${leaked.length} (LEAK)`}.`);
  failed ||= leaked.length > 0;
} catch (err) {
  failed = true;
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await scenario.close();
}
process.exitCode = failed ? 1 : 0;
