/**
 * The pipeline, in order: inputs -> authenticate + preflight -> (dry run, or
 * not due: report and stop) -> rotate -> check + prove -> seal + write ->
 * record + revoke -> report. Nothing is written before the new credential is
 * known to work; a credential that cannot be used, or that no target could
 * store, is revoked again. Everything the pipeline touches comes in through
 * RunContext, so tests drive it with a fake core and an undici MockAgent.
 */

import { type ActionCore, guardCore } from './action-core.js';
import {
  AccessTokenSource,
  ClientCredentialsTokenSource,
  FederationTokenSource,
  importSigningKey,
  type TokenSource,
} from './conductorone/auth.js';
import { ConductorOneClient, MalformedCredentialError, type RotatedCredential } from './conductorone/client.js';
import { proveCredential } from './conductorone/proof.js';
import { planDryRun } from './dry-run.js';
import { ActionError, errorMessage } from './errors.js';
import { rotationDue } from './expiry.js';
import { finishRotation } from './finish.js';
import { createOctokit, type Octokit } from './github/client.js';
import { loadSodium } from './github/seal.js';
import { type Target, targetsFor } from './github/targets.js';
import type { Http } from './http.js';
import { type Inputs, readInputs } from './inputs.js';
import * as say from './messages.js';
import { createLimiter, type Limiter } from './pool.js';
import { authenticateAndPreflight, type Preflight } from './preflight.js';
import { RunProgress } from './progress.js';
import type { Redactor } from './redact.js';
import {
  type RotationReport,
  renderDiscardedSummary,
  renderDryRunSummary,
  renderNotRotatedSummary,
  renderRotationSummary,
  renderSkippedSummary,
  setCredentialOutputs,
  targetsOutput,
} from './report.js';
import { type SealedWrite, type SecretToWrite, sealEverywhere, type WriteOutcome, writeEverywhere } from './store.js';

export type { ActionCore } from './action-core.js';

export interface RunContext {
  core: ActionCore;
  http: Http;
  /** Writes in flight at once; the benchmark varies it. Default WRITE_CONCURRENCY. */
  writeConcurrency?: number;
  now?: () => number;
  /** Filled in as the run goes, so the entry point can report a cancelled run. */
  progress?: RunProgress;
  /** Remembers the run's secrets; the entry point redacts the final error with it. */
  redactor?: Redactor;
  /** Waits between the proof's attempts; tests shorten them. */
  proofRetryDelaysMs?: readonly number[];
}

/**
 * Writes (secret PUTs, variable updates) in flight at once. GitHub asks for no
 * bursts of concurrent writes; `npm run bench` measured 1, 2, 4 and 8 for 20
 * repositories x 2 secrets at 40 ms per request (README, "How many writes at
 * once"): 4 keeps such a run at 10 write round trips while staying far below
 * GitHub's secondary limits (100 concurrent requests, 80 content-creating
 * requests a minute).
 */
export const WRITE_CONCURRENCY = 4;

/** Reads in flight at once: enough for 20 targets in one round trip. */
export const READ_CONCURRENCY = 20;

/** What every step after the inputs works with. */
interface Session {
  core: ActionCore;
  http: Http;
  progress: RunProgress;
  inputs: Inputs;
  conductorOne: ConductorOneClient;
  octokit: Octokit;
  targets: Target[];
  secrets: SecretToWrite[];
  preflight: Preflight;
  readLimit: Limiter;
  concurrency: number;
  proofRetryDelaysMs?: readonly number[];
}

export async function run(context: RunContext): Promise<void> {
  const core = guardCore(context.core, context.redactor);
  const progress = context.progress ?? new RunProgress();
  try {
    await rotateAndStore({ ...context, core, progress });
  } catch (err) {
    // Before a usable credential existed, a failure changed nothing: say so.
    if (!progress.credentialId || progress.discarded) {
      core.setOutput('rotated', 'false');
      if (!(err instanceof DiscardedError)) await core.writeSummary(renderNotRotatedSummary(errorMessage(err)));
    }
    throw err;
  }
}

async function rotateAndStore(context: RunContext & { core: ActionCore; progress: RunProgress }): Promise<void> {
  const { core } = context;
  const inputs = readInputs(core);
  for (const { title, message } of say.inputWarnings(inputs)) core.warning(message, title);
  const session = await prepare(context, inputs);
  if (await reportIfNotRotating(session, context.now ?? Date.now)) return;

  const credential = await issueCredential(session);
  const writes = await proveAndSeal(session, credential);
  setCredentialOutputs(core, credential);
  const outcomes = await store(session, credential, writes);
  await finish(session, credential, outcomes);
}

/** Inputs are valid: authenticate, and check every target before anything changes. */
async function prepare(
  context: RunContext & { core: ActionCore; progress: RunProgress },
  inputs: Inputs,
): Promise<Session> {
  const { core, http } = context;
  const tokenSource = await createTokenSource(inputs, core, http);
  const conductorOne = new ConductorOneClient({
    serverUrl: inputs.serverUrl,
    http,
    tokenSource,
    mask: (value) => core.setSecret(value),
  });
  const octokit = createOctokit(inputs.githubToken, inputs.githubApiUrl, http);
  const targets = targetsFor(inputs.scope, inputs.repositories);
  const secrets = secretsToWrite(inputs);
  const readLimit = createLimiter(READ_CONCURRENCY);
  core.info(
    `Authenticating to ConductorOne at ${conductorOne.host} as ${tokenSource.description}; checking ${say.list(targets.map((t) => t.label))}.`,
  );
  const preflight = await authenticateAndPreflight({
    inputs,
    tokenSource,
    conductorOne,
    octokit,
    targets,
    secretNames: secrets.map((s) => s.name),
    readLimit,
  });
  core.setOutput('previous-credential-id', preflight.previous.id);
  if (preflight.previous.id)
    core.info(`The secrets hold credential ${preflight.previous.id} (from ${preflight.previous.source}).`);
  return {
    core,
    http,
    progress: context.progress,
    inputs,
    conductorOne,
    octokit,
    targets,
    secrets,
    preflight,
    readLimit,
    concurrency: context.writeConcurrency ?? WRITE_CONCURRENCY,
    ...(context.proofRetryDelaysMs ? { proofRetryDelaysMs: context.proofRetryDelaysMs } : {}),
  };
}

/** A dry run, or a credential not due yet: report and stop. */
async function reportIfNotRotating(
  { core, inputs, targets, secrets, preflight }: Session,
  now: () => number,
): Promise<boolean> {
  const due = rotationDue(inputs.rotateIfExpiresWithin, preflight.previous, preflight.current, now());
  if (inputs.dryRun) {
    core.setOutput('rotated', 'false');
    core.info('Dry run: the connector, the token and every target check out; nothing was changed.');
    await core.writeSummary(
      renderDryRunSummary(
        planDryRun(
          inputs,
          targets,
          secrets.map((s) => s.name),
          preflight,
          due,
        ),
      ),
    );
    return true;
  }
  if (!due.due) {
    core.setOutput('rotated', 'false');
    core.info(`Not rotating: ${due.reason}.`);
    await core.writeSummary(
      renderSkippedSummary({ appId: inputs.appId, connectorId: inputs.connectorId, reason: `${due.reason}.` }),
    );
    return true;
  }
  if (inputs.rotateIfExpiresWithin) core.info(`Rotating: ${due.reason}.`);
  return false;
}

/** RotateCredential, and the check that its answer is a credential the action can store. */
async function issueCredential(session: Session): Promise<RotatedCredential> {
  const { core, inputs, conductorOne, progress } = session;
  const rotation = conductorOne.rotateCredential(inputs.appId, inputs.connectorId);
  // Load the sealing library while RotateCredential is in flight, once the
  // request is on its way (a macrotask later), so it costs no wall time.
  setImmediate(() => void loadSodium().catch(() => {}));
  try {
    const credential = await rotation;
    progress.issued(credential.id);
    core.info(
      `ConductorOne issued credential ${credential.id} (client ID ${credential.clientId}${credential.expiresTime ? `, expires ${credential.expiresTime}` : ''}).`,
    );
    return credential;
  } catch (err) {
    if (!(err instanceof MalformedCredentialError)) throw err;
    if (err.credentialId) progress.issued(err.credentialId);
    return discard(session, err.credentialId ?? '', err.message);
  }
}

/**
 * Before any write: prove the new credential gets a ConductorOne token (with
 * verify), and seal every value for its target. Either failing means the
 * credential must not reach any consumer.
 */
async function proveAndSeal(session: Session, credential: RotatedCredential): Promise<SealedWrite[]> {
  const { core, http, inputs, targets, secrets, preflight } = session;
  const proof = inputs.verify
    ? proveCredential(credential, {
        serverUrl: inputs.serverUrl,
        http,
        mask: (value) => core.setSecret(value),
        log: (message) => core.info(message),
        ...(session.proofRetryDelaysMs ? { retryDelaysMs: session.proofRetryDelaysMs } : {}),
      })
    : Promise.resolve();
  const sealing = sealEverywhere(
    { targets, publicKeys: preflight.publicKeys, orgAccess: preflight.orgAccess, secrets },
    credential,
  );
  const [proved, sealed] = await Promise.allSettled([proof, sealing]);
  if (proved.status === 'rejected' || sealed.status === 'rejected') {
    // Even a failure nobody expected leaves a credential that nothing holds: revoke it all the same.
    const failure: unknown = proved.status === 'rejected' ? proved.reason : (sealed as PromiseRejectedResult).reason;
    return discard(
      session,
      credential.id,
      failure instanceof ActionError ? failure.message : `Unexpected error: ${errorMessage(failure)}.`,
      failure,
    );
  }
  if (inputs.verify) core.info(`The new credential ${credential.id} authenticates to ConductorOne.`);
  return sealed.value;
}

/** Writes every secret. A credential no target could store is revoked; a partial failure fails the run, naming each target. */
async function store(
  session: Session,
  credential: RotatedCredential,
  writes: readonly SealedWrite[],
): Promise<WriteOutcome[]> {
  const { core, inputs, octokit, progress } = session;
  const outcomes = await writeEverywhere({ octokit, concurrency: session.concurrency, progress }, writes);
  core.setOutput('targets', targetsOutput(outcomes));
  for (const o of outcomes) if (o.result !== 'failed') core.info(`${o.target.label}: ${o.secret} ${o.result}.`);
  const failures = outcomes.filter((o) => o.result === 'failed');
  if (failures.length === 0) return outcomes;
  if (failures.length === outcomes.length && failures.every((f) => f.mayBeStored === false)) {
    return discard(session, credential.id, say.storedNowhereReason(credential, failures));
  }
  const steps = [say.proofStep(inputs), ...say.stepsNotRun(inputs, 'not every target holds the new credential')];
  await core.writeSummary(renderRotationSummary({ ...rotationReport(session, credential, outcomes), steps }));
  throw new ActionError(say.partialFailureMessage(inputs, credential, outcomes, failures));
}

/** Record the new credential ID and revoke the previous credential, then report. */
async function finish(
  session: Session,
  credential: RotatedCredential,
  outcomes: readonly WriteOutcome[],
): Promise<void> {
  const { core, inputs, octokit, conductorOne, targets, preflight, progress, readLimit } = session;
  if (inputs.revokePrevious) progress.previousRevoke = 'in flight';
  const outcome = await finishRotation(
    {
      inputs,
      octokit,
      conductorOne,
      targets,
      variableValues: preflight.variableValues,
      orgAccess: preflight.orgAccess,
      previous: preflight.previous,
      concurrency: session.concurrency,
      readLimit,
    },
    credential,
  );
  progress.previousRevoke = outcome.revoke.state === 'revoked' ? 'revoked' : '';
  core.setOutput('revoked-credential-id', outcome.revoke.state === 'revoked' ? outcome.revoke.id : '');
  for (const line of say.finishLog(inputs, outcome)) core.info(line);
  if (outcome.interference)
    core.warning(
      say.interferenceWarning(inputs, credential, outcome.interference),
      'Another rotation ran at the same time',
    );
  const problems = say.finishProblems(inputs, outcome);
  const steps = [say.proofStep(inputs), ...say.finishSteps(inputs, outcome)];
  await core.writeSummary(
    renderRotationSummary({ ...rotationReport(session, credential, outcomes), unfinished: problems.length > 0, steps }),
  );
  if (problems.length > 0) {
    throw new ActionError(
      `Credential ${credential.id} is stored in every target and proved it works, so the secrets are up to date; only this is left: ${problems.join(' ')}`,
    );
  }
}

/** A failure that ended the run after an unusable credential was revoked again; its summary is written. */
class DiscardedError extends ActionError {
  override readonly name = 'DiscardedError';
}

/**
 * The new credential was never stored anywhere and must not be: revoke it,
 * so no unusable or orphaned credential stays valid, and fail.
 */
async function discard(session: Session, credentialId: string, reason: string, cause?: unknown): Promise<never> {
  const { core, inputs, conductorOne, progress } = session;
  progress.discarded = true;
  let revoke: Parameters<typeof say.discardOutcome>[2] = 'no id';
  if (credentialId) {
    try {
      revoke = await conductorOne.revokeCredential(inputs.appId, inputs.connectorId, credentialId);
    } catch (err) {
      revoke = { error: errorMessage(err) };
    }
  }
  const outcome = say.discardOutcome(inputs.connectorId, credentialId, revoke);
  await core.writeSummary(
    renderDiscardedSummary({
      appId: inputs.appId,
      connectorId: inputs.connectorId,
      credentialId,
      reason,
      revoke: outcome,
    }),
  );
  throw new DiscardedError(say.discardMessage(reason, outcome), { cause });
}

function rotationReport(
  session: Session,
  credential: RotatedCredential,
  outcomes: readonly WriteOutcome[],
): Omit<RotationReport, 'steps'> {
  const { inputs, preflight } = session;
  return {
    appId: inputs.appId,
    connectorId: inputs.connectorId,
    credential,
    previousId: preflight.previous.id,
    outcomes,
  };
}

/** The one ConductorOne authentication the inputs chose. */
async function createTokenSource(inputs: Inputs, core: ActionCore, http: Http): Promise<TokenSource> {
  const { auth, serverUrl } = inputs;
  const mask = (value: string) => core.setSecret(value);
  switch (auth.kind) {
    case 'client-credentials':
      // The key is loaded first, so a damaged secret is an input error, before any request.
      return new ClientCredentialsTokenSource({
        clientId: auth.clientId,
        key: await importSigningKey(auth.privateJwk),
        serverUrl,
        http,
        mask,
      });
    case 'federation':
      return new FederationTokenSource({
        clientId: auth.clientId,
        audience: auth.audience,
        serverUrl,
        http,
        getIdToken: (audience) => core.getIdToken(audience),
        mask,
      });
    case 'access-token':
      return new AccessTokenSource(auth.token);
  }
}

function secretsToWrite(inputs: Inputs): SecretToWrite[] {
  const secrets: SecretToWrite[] = [{ name: inputs.clientSecretSecretName, value: (c) => c.clientSecret }];
  if (inputs.clientIdSecretName) secrets.unshift({ name: inputs.clientIdSecretName, value: (c) => c.clientId });
  return secrets;
}
