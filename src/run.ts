/**
 * The pipeline, in order: inputs -> authenticate + preflight -> rotate ->
 * seal + write -> report. Everything it touches comes in through RunContext,
 * so tests drive it with a fake core and an undici MockAgent.
 */
import { AccessTokenSource, ClientCredentialsTokenSource, FederationTokenSource, importSigningKey, type TokenSource } from './conductorone/auth.js';
import { ConductorOneClient, type RotatedCredential } from './conductorone/client.js';
import { ActionError, errorMessage } from './errors.js';
import { createOctokit, type Octokit } from './github/client.js';
import { loadSodium, sealSecret } from './github/seal.js';
import { readPublicKey, writeSecret, type PublicKey } from './github/secrets.js';
import { repositoryTarget, type Target } from './github/targets.js';
import type { Http } from './http.js';
import { readInputs, type Inputs, type InputSource } from './inputs.js';
import { settleWithConcurrency } from './pool.js';
import {
  holdings,
  renderNotRotatedSummary,
  renderRotationSummary,
  setCredentialOutputs,
  targetsOutput,
  type ReportCore,
  type WriteOutcome,
} from './report.js';

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
}

/**
 * GitHub asks integrations not to burst concurrent writes; a few in flight
 * keep a multi-repository run quick without tripping secondary rate limits.
 */
export const WRITE_CONCURRENCY = 4;

interface SecretToWrite {
  name: string;
  value(credential: RotatedCredential): string;
}

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

async function rotateAndStore({ core, http }: RunContext, onIssued: () => void): Promise<void> {
  const inputs = readInputs(core);
  const tokenSource = await createTokenSource(inputs, core, http);
  const conductorOne = new ConductorOneClient({ serverUrl: inputs.serverUrl, http, tokenSource, mask: (value) => core.setSecret(value) });
  const octokit = createOctokit(inputs.githubToken, inputs.githubApiUrl, http);
  const targets = inputs.repositories.map(repositoryTarget);

  core.info(`Authenticating to ConductorOne at ${conductorOne.host} as ${tokenSource.description}; reading the secrets public key of ${list(targets.map((t) => t.label))}.`);
  const publicKeys = await authenticateAndPreflight(tokenSource.getToken(), octokit, targets);

  const rotation = conductorOne.rotateCredential(inputs.appId, inputs.connectorId);
  // Load the sealing library while RotateCredential is in flight, once the
  // request is on its way (a macrotask later), so it costs no wall time.
  setImmediate(() => void loadSodium().catch(() => {}));
  const credential = await rotation;
  onIssued();
  setCredentialOutputs(core, credential);
  core.info(`ConductorOne issued credential ${credential.id} (client ID ${credential.clientId}${credential.expiresTime ? `, expires ${credential.expiresTime}` : ''}).`);

  const outcomes = await writeEverywhere(octokit, targets, publicKeys, secretsToWrite(inputs), credential);
  core.setOutput('targets', targetsOutput(outcomes));
  for (const o of outcomes) {
    if (o.result !== 'failed') core.info(`${o.target.label}: ${o.secret} ${o.result}.`);
  }
  await core.writeSummary(renderRotationSummary({ appId: inputs.appId, connectorId: inputs.connectorId, credential, outcomes }));

  const failures = outcomes.filter((o) => o.result === 'failed');
  if (failures.length > 0) throw new ActionError(partialFailureMessage(credential, outcomes, failures));
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

/**
 * The token request and every public-key read run together: a bad token or an
 * unreadable target is found before anything is rotated, and every problem is
 * reported at once rather than one per run.
 */
async function authenticateAndPreflight(token: Promise<string>, octokit: Octokit, targets: readonly Target[]): Promise<Map<Target, PublicKey>> {
  const [auth, ...keys] = await Promise.allSettled([token, ...targets.map((target) => readPublicKey(octokit, target))]);
  const problems: unknown[] = [];
  if (auth?.status === 'rejected') problems.push(auth.reason);
  const publicKeys = new Map<Target, PublicKey>();
  keys.forEach((result, index) => {
    if (result.status === 'rejected') problems.push(result.reason);
    else publicKeys.set(targets[index] as Target, result.value as PublicKey);
  });
  if (problems.length === 0) return publicKeys;
  const unexpected = problems.find((p) => !(p instanceof ActionError));
  if (unexpected !== undefined) throw unexpected;
  throw new ActionError(`Nothing was rotated. ${problems.map(errorMessage).join(' ')}`);
}

function secretsToWrite(inputs: Inputs): SecretToWrite[] {
  const secrets: SecretToWrite[] = [{ name: inputs.clientSecretSecretName, value: (c) => c.clientSecret }];
  if (inputs.clientIdSecretName) secrets.unshift({ name: inputs.clientIdSecretName, value: (c) => c.clientId });
  return secrets;
}

async function writeEverywhere(
  octokit: Octokit,
  targets: readonly Target[],
  publicKeys: Map<Target, PublicKey>,
  secrets: readonly SecretToWrite[],
  credential: RotatedCredential,
): Promise<WriteOutcome[]> {
  const writes = targets.flatMap((target) => secrets.map((secret) => ({ target, secret })));
  const settled = await settleWithConcurrency(writes, WRITE_CONCURRENCY, async ({ target, secret }) => {
    const publicKey = publicKeys.get(target) as PublicKey;
    const sealed = await sealSecret(secret.value(credential), publicKey.key);
    return writeSecret(octokit, target, secret.name, sealed, publicKey);
  });
  return settled.map((result, index) => {
    const { target, secret } = writes[index] as (typeof writes)[number];
    if (result.status === 'fulfilled') return { target, secret: secret.name, result: result.value };
    return { target, secret: secret.name, result: 'failed', error: errorMessage(result.reason) };
  });
}

function partialFailureMessage(credential: RotatedCredential, outcomes: readonly WriteOutcome[], failures: readonly WriteOutcome[]): string {
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
  return parts.join(' ');
}

function list(items: readonly string[]): string {
  return items.join(', ');
}
