/**
 * The pipeline, in order (SPEC 1): inputs -> authenticate + preflight ->
 * (dry run or not due: report and stop) -> rotate -> seal + write, with the
 * proof alongside -> record + revoke -> report. Everything it touches comes in
 * through RunContext, so tests drive it with a fake core and an undici
 * MockAgent.
 */
import { AccessTokenSource, ClientCredentialsTokenSource, FederationTokenSource, importSigningKey, type TokenSource } from './conductorone/auth.js';
import { ConductorOneClient, type RotatedCredential } from './conductorone/client.js';
import { proveCredential } from './conductorone/proof.js';
import { planDryRun } from './dry-run.js';
import { ActionError, errorMessage } from './errors.js';
import { rotationDue } from './expiry.js';
import { finishRotation, type FinishOutcome, type VariableOutcome } from './finish.js';
import { createOctokit } from './github/client.js';
import { loadSodium } from './github/seal.js';
import { targetsFor } from './github/targets.js';
import type { Http } from './http.js';
import { readInputs, type Inputs, type InputSource } from './inputs.js';
import { createLimiter } from './pool.js';
import { authenticateAndPreflight } from './preflight.js';
import {
  holdings,
  renderDryRunSummary,
  renderNotRotatedSummary,
  renderRotationSummary,
  renderSkippedSummary,
  setCredentialOutputs,
  targetsOutput,
  type ReportCore,
  type StepReport,
  type WriteOutcome,
} from './report.js';
import { writeEverywhere, type SecretToWrite } from './store.js';

export interface ActionCore extends InputSource, ReportCore {
  info(message: string): void;
  /** core.getIDToken: the workflow's GitHub OIDC token for an audience. */
  getIdToken(audience: string): Promise<string>;
  /** Appends Markdown to the job summary. */
  writeSummary(markdown: string): Promise<void>;
}

export interface RunContext {
  core: ActionCore;
  http: Http;
  /** Writes in flight at once; the benchmark varies it. Default WRITE_CONCURRENCY. */
  writeConcurrency?: number;
  now?: () => number;
}

/**
 * Writes (secret PUTs, variable updates) in flight at once. GitHub asks for no
 * bursts of concurrent writes; `npm run bench` measured 1, 2, 4 and 8 for 20
 * repositories x 2 secrets at 40 ms per request (README, "How it works"):
 * 4 keeps such a run at 10 write round trips while staying far below GitHub's
 * secondary limits (100 concurrent requests, 80 content-creating requests a
 * minute).
 */
export const WRITE_CONCURRENCY = 4;

/** Preflight reads in flight at once: enough for 20 targets in one round trip. */
export const READ_CONCURRENCY = 20;

export async function run(context: RunContext): Promise<void> {
  let issued = false;
  try {
    await rotateAndStore(context, () => {
      issued = true;
    });
  } catch (err) {
    // Before ConductorOne issued anything, a failure changed nothing: say so.
    if (!issued) {
      context.core.setOutput('rotated', 'false');
      await context.core.writeSummary(renderNotRotatedSummary(errorMessage(err)));
    }
    throw err;
  }
}

async function rotateAndStore(context: RunContext, onIssued: () => void): Promise<void> {
  const { core, http } = context;
  const inputs = readInputs(core);
  const tokenSource = await createTokenSource(inputs, core, http);
  const conductorOne = new ConductorOneClient({ serverUrl: inputs.serverUrl, http, tokenSource, mask: (value) => core.setSecret(value) });
  const octokit = createOctokit(inputs.githubToken, inputs.githubApiUrl, http);
  const targets = targetsFor(inputs.scope, inputs.repositories);
  const secrets = secretsToWrite(inputs);
  const secretNames = secrets.map((s) => s.name);
  const concurrency = context.writeConcurrency ?? WRITE_CONCURRENCY;

  core.info(`Authenticating to ConductorOne at ${conductorOne.host} as ${tokenSource.description}; checking ${list(targets.map((t) => t.label))}.`);
  const preflight = await authenticateAndPreflight({ inputs, tokenSource, conductorOne, octokit, targets, secretNames, readLimit: createLimiter(READ_CONCURRENCY) });
  const { previous } = preflight;
  core.setOutput('previous-credential-id', previous.id);
  if (previous.id) core.info(`The secrets hold credential ${previous.id} (from ${previous.source}).`);

  const due = rotationDue(inputs.rotateIfExpiresWithin, previous, preflight.current, (context.now ?? Date.now)());
  if (inputs.dryRun) {
    core.setOutput('rotated', 'false');
    core.info('Dry run: the connector, the token and every target check out; nothing was changed.');
    await core.writeSummary(renderDryRunSummary(planDryRun(inputs, targets, secretNames, preflight, due)));
    return;
  }
  if (!due.due) {
    core.setOutput('rotated', 'false');
    core.info(`Not rotating: ${due.reason}.`);
    await core.writeSummary(renderSkippedSummary({ appId: inputs.appId, connectorId: inputs.connectorId, reason: `${due.reason}.` }));
    return;
  }

  if (inputs.rotateIfExpiresWithin) core.info(`Rotating: ${due.reason}.`);
  const rotation = conductorOne.rotateCredential(inputs.appId, inputs.connectorId);
  // Load the sealing library while RotateCredential is in flight, once the
  // request is on its way (a macrotask later), so it costs no wall time.
  setImmediate(() => void loadSodium().catch(() => {}));
  const credential = await rotation;
  onIssued();
  setCredentialOutputs(core, credential);
  core.info(`ConductorOne issued credential ${credential.id} (client ID ${credential.clientId}${credential.expiresTime ? `, expires ${credential.expiresTime}` : ''}).`);

  // The proof changes nothing, so it runs alongside the writes; what depends
  // on it (record, revoke) waits for both.
  const proof = inputs.verify ? settle(proveCredential(credential, { serverUrl: inputs.serverUrl, http, mask: (value) => core.setSecret(value) })) : undefined;
  const outcomes = await writeEverywhere({ octokit, targets, publicKeys: preflight.publicKeys, orgAccess: preflight.orgAccess, secrets, concurrency }, credential);
  const proofError = await proof;
  core.setOutput('targets', targetsOutput(outcomes));
  for (const o of outcomes) {
    if (o.result !== 'failed') core.info(`${o.target.label}: ${o.secret} ${o.result}${o.detail ? `, ${o.detail}` : ''}.`);
  }
  const report = { appId: inputs.appId, connectorId: inputs.connectorId, credential, previousId: previous.id, outcomes };
  const proofStep: StepReport = {
    step: 'Prove the new credential',
    result: !inputs.verify ? 'skipped (verify: false)' : proofError ? `**failed**: ${errorMessage(proofError)}` : 'passed: it got a ConductorOne token',
  };
  if (proofError === undefined && inputs.verify) core.info(`The new credential ${credential.id} authenticates to ConductorOne.`);

  const failures = outcomes.filter((o) => o.result === 'failed');
  if (failures.length > 0) {
    await core.writeSummary(renderRotationSummary({ ...report, steps: [proofStep, ...notRun(inputs, 'not every target holds the new credential')] }));
    throw new ActionError(partialFailureMessage(inputs, credential, outcomes, failures));
  }
  if (proofError !== undefined) {
    await core.writeSummary(renderRotationSummary({ ...report, unfinished: true, steps: [proofStep, ...notRun(inputs, 'the proof failed')] }));
    throw new ActionError(
      `${errorMessage(proofError)} It is already stored in ${list(targets.map((t) => t.label))}, whose consumers may fail to authenticate until a re-run succeeds. Nothing was revoked, so the previous credential stays valid${inputs.credentialIdVariable ? `, and ${inputs.credentialIdVariable} still names it` : ''}. Re-run the workflow; if the proof fails again, check the connector's credentials in ConductorOne.`,
    );
  }

  const finish = await finishRotation(
    { inputs, octokit, conductorOne, targets, variableValues: preflight.variableValues, orgAccess: preflight.orgAccess, previous, concurrency },
    credential,
  );
  core.setOutput('revoked-credential-id', finish.revoke.state === 'revoked' ? finish.revoke.id : '');
  logFinish(core, inputs, finish);
  const finishProblems = finishFailures(inputs, finish);
  await core.writeSummary(renderRotationSummary({ ...report, unfinished: finishProblems.length > 0, steps: [proofStep, ...finishSteps(inputs, finish)] }));
  if (finishProblems.length > 0) {
    throw new ActionError(`Credential ${credential.id} is stored in every target and proved it works, so the secrets are up to date; only this is left: ${finishProblems.join(' ')}`);
  }
}

/** The one ConductorOne authentication the inputs chose. */
async function createTokenSource(inputs: Inputs, core: ActionCore, http: Http): Promise<TokenSource> {
  const { auth, serverUrl } = inputs;
  const mask = (value: string) => core.setSecret(value);
  switch (auth.kind) {
    case 'client-credentials':
      // The key is loaded first, so a damaged secret is an input error, before any request.
      return new ClientCredentialsTokenSource({ clientId: auth.clientId, key: await importSigningKey(auth.privateJwk), serverUrl, http, mask });
    case 'federation':
      return new FederationTokenSource({ clientId: auth.clientId, audience: auth.audience, serverUrl, http, getIdToken: (audience) => core.getIdToken(audience), mask });
    case 'access-token':
      return new AccessTokenSource(auth.token);
  }
}

function secretsToWrite(inputs: Inputs): SecretToWrite[] {
  const secrets: SecretToWrite[] = [{ name: inputs.clientSecretSecretName, value: (c) => c.clientSecret }];
  if (inputs.clientIdSecretName) secrets.unshift({ name: inputs.clientIdSecretName, value: (c) => c.clientId });
  return secrets;
}

/** Resolves to the rejection reason, or undefined on success. */
async function settle(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err ?? new Error('failed');
  }
}

/** The steps after the writes that a failure before them kept from running. */
function notRun(inputs: Inputs, because: string): StepReport[] {
  const steps: StepReport[] = [];
  if (inputs.credentialIdVariable) steps.push({ step: `Record the credential ID in ${inputs.credentialIdVariable}`, result: `not done: ${because}` });
  if (inputs.revokePrevious) steps.push({ step: 'Revoke the previous credential', result: `not done: ${because}; the previous credential stays valid` });
  return steps;
}

function finishSteps(inputs: Inputs, finish: FinishOutcome): StepReport[] {
  const steps: StepReport[] = [];
  if (finish.variables) {
    steps.push({
      step: `Record the credential ID in ${inputs.credentialIdVariable}`,
      result: describeVariableOutcomes(finish.variables),
    });
  }
  const { revoke } = finish;
  const step = revoke.id ? `Revoke the previous credential \`${revoke.id}\`` : 'Revoke the previous credential';
  switch (revoke.state) {
    case 'revoked':
      steps.push({ step, result: 'revoked' });
      break;
    case 'already revoked':
      steps.push({ step, result: 'already revoked (ConductorOne no longer has it)' });
      break;
    case 'failed':
      steps.push({ step, result: `**failed**: ${revoke.error}` });
      break;
    case 'skipped':
      steps.push({ step, result: `not done: ${revoke.why}` });
      break;
  }
  return steps;
}

/** "updated in acme/a, acme/b; created in acme/c", or counts once the lists get long. */
function describeVariableOutcomes(outcomes: readonly VariableOutcome[]): string {
  const groups = new Map<string, string[]>();
  for (const o of outcomes) {
    const key = o.result === 'failed' ? `**failed**: ${o.error ?? ''}` : o.result;
    groups.set(key, [...(groups.get(key) ?? []), o.target.label]);
  }
  return [...groups].map(([result, labels]) => `${result} in ${labels.length > 5 ? `${labels.length} targets` : list(labels)}`).join('; ');
}

function logFinish(core: ActionCore, inputs: Inputs, finish: FinishOutcome): void {
  for (const v of finish.variables ?? []) {
    if (v.result !== 'failed') core.info(`${v.target.label}: variable ${inputs.credentialIdVariable} ${v.result}.`);
  }
  const { revoke } = finish;
  if (revoke.state === 'revoked') core.info(`Revoked the previous credential ${revoke.id}.`);
  if (revoke.state === 'already revoked') core.info(`The previous credential ${revoke.id} was already revoked.`);
  if (revoke.state === 'skipped' && inputs.revokePrevious) core.info(`Nothing revoked: ${revoke.why}.`);
}

function finishFailures(inputs: Inputs, finish: FinishOutcome): string[] {
  const problems: string[] = [];
  const failed = (finish.variables ?? []).filter((v) => v.result === 'failed');
  if (failed.length > 0) {
    problems.push(
      `the variable ${inputs.credentialIdVariable} could not be updated in ${list(failed.map((v) => v.target.label))} (${[...new Set(failed.map((v) => v.error))].join(' ')}); until it is, the next run cannot tell which credential to revoke: set it to the new credential ID, or re-run.`,
    );
  }
  if (finish.revoke.state === 'failed') {
    problems.push(`revoking the previous credential ${finish.revoke.id} failed (${finish.revoke.error}); revoke it in ConductorOne, or re-run with previous-credential-id: ${finish.revoke.id}.`);
  }
  return problems;
}

function partialFailureMessage(inputs: Inputs, credential: RotatedCredential, outcomes: readonly WriteOutcome[], failures: readonly WriteOutcome[]): string {
  const held = holdings(outcomes);
  const labelsHolding = (holding: string) => [...held].filter(([, h]) => h === holding).map(([label]) => label);
  const failedTargets = [...new Set(failures.map((f) => f.target.label))];
  const parts = [
    `Credential ${credential.id} was issued but could not be stored in ${list(failedTargets)}.`,
    ...[...new Set(failures.map((f) => f.error ?? ''))],
  ];
  const fresh = labelsHolding('new credential');
  const old = labelsHolding('previous credential');
  const mixed = labelsHolding('mixed');
  if (fresh.length) parts.push(`The new credential is stored in ${list(fresh)}.`);
  if (old.length) parts.push(`${list(old)} still ${old.length === 1 ? 'holds' : 'hold'} the previous credential, which was not revoked and stays valid.`);
  if (mixed.length) parts.push(`${list(mixed)} ${mixed.length === 1 ? 'holds' : 'hold'} a new and an old secret that do not match: its consumers fail until a re-run succeeds.`);
  parts.push('Fix the cause and re-run the workflow.');
  if (inputs.revokePrevious) {
    parts.push(`Once a re-run has stored a newer credential everywhere, credential ${credential.id} is held by no target: revoke it in ConductorOne.`);
  }
  return parts.join(' ');
}

function list(items: readonly string[]): string {
  return items.join(', ');
}
