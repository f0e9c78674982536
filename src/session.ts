/**
 * Opening a run: once the inputs are valid, build the ConductorOne and GitHub
 * clients and check everything a rotation needs (the token, every target, the
 * variable, the current credential) before anything changes. What it returns
 * is what every later step of the pipeline works with.
 */
import type { ActionCore } from './action-core.js';
import { tokenSourceFor, tokenUrl } from './conductorone/auth.js';
import { ConductorOneClient } from './conductorone/client.js';
import { createOctokit, type Octokit } from './github/client.js';
import { targetsFor } from './github/targets.js';
import { type Http, whenSent } from './http.js';
import type { Inputs } from './inputs.js';
import { type RotationLock, type RunIdentity, runIdentity } from './lock.js';
import * as say from './messages.js';
import type { Target } from './model.js';
import { BEFORE_ROTATING, withinPhase } from './phase.js';
import { createLimiter, type Limiter } from './pool.js';
import { authenticateAndPreflight, type Preflight } from './preflight.js';
import type { RunProgress } from './progress.js';
import { type SecretToWrite, secretsToWrite } from './store.js';

/**
 * Writes (secret PUTs, variable updates) in flight at once. GitHub asks for no
 * bursts of concurrent writes; `npm run bench` measured 4, 8 and 10 for 20
 * repositories x 2 secrets at 40 ms per request (CONTRIBUTING.md, "How many
 * writes at once"): 8 takes such a run, rotation and proof included, to 5
 * write round trips and clearly under half the time jpoehnelt/secrets-sync-action needs
 * to write the same secrets to the same list of repositories (4 only just, 0.48), while
 * staying far below GitHub's secondary limits (100 concurrent requests, 80
 * content-creating requests a minute); 10 saves one round trip more for a
 * quarter more burst.
 */
export const WRITE_CONCURRENCY = 8;

/** Reads in flight at once: enough for 20 targets in one round trip. */
export const READ_CONCURRENCY = 20;

/** What every step after the inputs works with. */
export interface Session {
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
  /** The run, as the ledger and the lock name it. */
  identity: RunIdentity;
  now: () => number;
  proofRetryDelaysMs?: readonly number[];
}

export interface SessionOptions {
  core: ActionCore;
  http: Http;
  progress: RunProgress;
  writeConcurrency?: number;
  now?: () => number;
  proofRetryDelaysMs?: readonly number[];
}

/**
 * Authenticates, and checks every target before anything changes; any problem stops the run here,
 * and so does BEFORE_ROTATING running out.
 */
export function openSession(options: SessionOptions, inputs: Inputs): Promise<Session> {
  return withinPhase(options.http, BEFORE_ROTATING, () => open(options, inputs));
}

async function open(options: SessionOptions, inputs: Inputs): Promise<Session> {
  const { core, http } = options;
  const mask = (value: string) => core.setSecret(value);
  const getIdToken = (audience: string) => core.getIdToken(audience);
  const tokenSource = await tokenSourceFor(inputs.auth, { serverUrl: inputs.serverUrl, http, getIdToken, mask });
  const conductorOne = new ConductorOneClient({ serverUrl: inputs.serverUrl, http, tokenSource, mask });
  const targets = targetsFor(inputs.scope, inputs.repositories);
  const secrets = secretsToWrite(inputs);
  const readLimit = createLimiter(READ_CONCURRENCY);
  const checking = say.commaList(targets.map((t) => t.label));
  core.info(
    `Authenticating to ConductorOne at ${conductorOne.host} as ${tokenSource.description}; checking ${checking}.`,
  );
  // The token request and GitHub's reads leave first (the reads before Octokit has loaded: see
  // createOctokit); once the token request is written, @actions/github and then what output
  // needs load while they are all in flight.
  const token = whenSent(() => tokenSource.getToken(), tokenUrl(inputs.serverUrl));
  const octokit = createOctokit(inputs.githubToken, inputs.githubApiUrl, http, {
    loadAfter: token.sent,
    log: core.info,
  });
  void token.sent.then(() => core.preload?.());
  const secretNames = secrets.map((s) => s.name);
  const identity = runIdentity(core.getEnv);
  const now = options.now ?? Date.now;
  const holdLock = (lock: RotationLock) => options.progress.holdLock(lock);
  const context = {
    inputs,
    tokenSource,
    conductorOne,
    octokit,
    targets,
    secretNames,
    readLimit,
    identity,
    now,
    holdLock,
  };
  const preflight = await authenticateAndPreflight(context);
  options.progress.holdLock(preflight.lock);
  const { previous } = preflight;
  core.setOutput('previous-credential-id', previous.id);
  for (const line of say.preflightLog(inputs, preflight)) core.info(line);
  for (const { title, message } of say.preflightWarnings(preflight)) core.warning(message, title);
  return {
    ...options,
    identity,
    now,
    inputs,
    conductorOne,
    octokit,
    targets,
    secrets,
    preflight,
    readLimit,
    concurrency: options.writeConcurrency ?? WRITE_CONCURRENCY,
  };
}
