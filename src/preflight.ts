/**
 * Authenticate + preflight: everything that must be true before a credential
 * is rotated, checked at once. The ConductorOne token request and every GitHub
 * read run together: each target's secrets public key, an organization
 * secret's current visibility, the ledger (credential-id-variable, in every
 * target), every deploy workflow, and the rotation lock is taken beside them;
 * then, when needed, the current credential. A problem anywhere stops the run
 * with every problem listed, the lock given back, and nothing changed.
 */

import type { TokenSource } from './conductorone/auth.js';
import type { ConductorOneClient } from './conductorone/client.js';
import { type DeployFacts, startDeployChecks } from './deploy-preflight.js';
import { ActionError, errorMessage } from './errors.js';
import type { Octokit } from './github/client.js';
import { type OrgSecretAccess, resolveOrgSecretAccess } from './github/organization.js';
import { type PublicKey, readPublicKey } from './github/secrets.js';
import type { Inputs } from './inputs.js';
import { currentCredential } from './ledger.js';
import {
  forgetfulStore,
  type LedgerFound,
  LedgerStore,
  ledgerHome,
  ledgerMirror,
  lockName,
  readLedger,
} from './ledger-store.js';
import { lockLifetimeMs, RotationLock, type RunIdentity } from './lock.js';
import type { CredentialInfo, PreviousCredential, Target } from './model.js';
import type { Limiter } from './pool.js';

export interface PreflightContext {
  inputs: Inputs;
  tokenSource: TokenSource;
  conductorOne: ConductorOneClient;
  octokit: Octokit;
  targets: readonly Target[];
  /** The secret names to be written in every target. */
  secretNames: readonly string[];
  readLimit: Limiter;
  /** The run, as the lock names its holder. */
  identity: RunIdentity;
  /**
   * Hears of the lock the moment it is asked for: whatever ends the run from
   * then on (a failed read, the phase's bound, a cancellation) must give it back.
   */
  holdLock?(lock: RotationLock): void;
  now: () => number;
}

export interface Preflight {
  publicKeys: Map<Target, PublicKey>;
  /** Organization targets only: what each secret's PUT must say about its access. */
  orgAccess: Map<Target, Map<string, OrgSecretAccess>>;
  /** What the action remembers of the connector's credentials (see ledger.ts). */
  ledger: LedgerStore;
  /** Credentials the ledger took in from bare IDs (before the ledger, or set by hand), for the log. */
  adopted: LedgerFound['adopted'];
  /** The ledger knew no credential at all before this run, and previous-credential-id named none: a first rotation. */
  firstRotation: boolean;
  /** previous-credential-id named a credential the ledger records as replaced: ignored. */
  staleGiven?: { id: string; replacedAt?: number };
  /** This run's hold on `<credential-id-variable>_LOCK`; undefined without a variable, and in a dry run. */
  lock?: RotationLock;
  /** The credential every target holds, when the ledger knows it. */
  previous: PreviousCredential;
  /**
   * The previous credential as ConductorOne shows it, read when the run needs
   * it (rotate-if-expires-within, dry run): 'gone' when it no longer exists.
   */
  current?: CredentialInfo | 'gone';
  /** What the checks of deploy-workflows learned of each workflow (empty without deploy-workflows). */
  deployFacts: DeployFacts;
}

/** A lock outlives the longest a run may take: its deploy wait, and an hour for everything else. */
export function runLockLifetimeMs(inputs: Pick<Inputs, 'deployWorkflows' | 'deployTimeout'>): number {
  return lockLifetimeMs(inputs.deployWorkflows.length > 0 ? inputs.deployTimeout.ms : 0);
}

export async function authenticateAndPreflight(context: PreflightContext): Promise<Preflight> {
  const lock = lockFor(context);
  if (lock) context.holdLock?.(lock);
  const reads = startReads(context, lock);
  const settled = await Promise.allSettled(Object.values(reads).flat());
  // A failed read also fails what waits on it (the previous ID, the current
  // credential) with the same error: each is reported once.
  const problems = [...new Set(settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])))];
  if (problems.length > 0) {
    // The lock, if taken, is given back by whoever ends the run (see holdLock), outside this phase's bound.
    const unexpected = problems.find((p) => !(p instanceof ActionError));
    if (unexpected !== undefined) throw unexpected;
    throw new ActionError(`Nothing was rotated. ${problems.map(errorMessage).join(' ')}`);
  }
  return collect(context, reads, lock);
}

/** The rotation lock beside the ledger: taken by every run that may change something. */
function lockFor(context: PreflightContext): RotationLock | undefined {
  const { inputs, octokit, targets, identity, now } = context;
  const home = ledgerHome(targets);
  if (!inputs.credentialIdVariable || inputs.dryRun || !home) return undefined;
  return new RotationLock({
    octokit,
    target: home,
    name: lockName(inputs.credentialIdVariable),
    identity,
    lifetimeMs: runLockLifetimeMs(inputs),
    // An organization variable must say who may read it; the lock is only ever read by this action.
    ...(home.kind === 'organization' ? { access: { visibility: 'private', origin: 'new' } as const } : {}),
    now,
  });
}

/** Every read the preflight makes, started at once (through the read limiter where GitHub is asked). */
function startReads(context: PreflightContext, lock: RotationLock | undefined) {
  const { inputs, tokenSource, conductorOne, octokit, targets, secretNames, readLimit } = context;
  const { appId, connectorId } = inputs;
  const token = tokenSource.getToken();
  const connector = inputs.dryRun ? token.then(() => conductorOne.checkConnector(appId, connectorId)) : undefined;
  const keys = targets.map((target) => readLimit(() => readPublicKey(octokit, target)));
  const access = targets.flatMap((target) =>
    target.kind === 'organization'
      ? secretNames.map(async (name) => ({
          target,
          name,
          access: await resolveOrgSecretAccess(octokit, target, name, readLimit),
        }))
      : [],
  );
  const name = inputs.credentialIdVariable;
  const connectorKey = `${appId}/${connectorId}`;
  const found: Promise<LedgerFound | undefined> = name
    ? readLedger({ octokit, targets, name, connector: connectorKey, readLimit, now: context.now() })
    : Promise.resolve(undefined);
  const locked = lock ? lock.acquire() : Promise.resolve();
  const { deployWorkflows: workflows, deployInputs } = inputs;
  const deploy = startDeployChecks({ workflows, deployInputs, octokit, readLimit, orgAccess: Promise.all(access) });
  const previous: Promise<PreviousCredential> = found.then((ledger) => previousFrom(inputs, ledger));
  const needsCurrent = inputs.rotateIfExpiresWithin !== undefined || inputs.dryRun;
  const current = needsCurrent
    ? Promise.all([previous, token]).then(async ([{ id }]) =>
        id ? ((await conductorOne.getCredential(appId, connectorId, id)) ?? ('gone' as const)) : undefined,
      )
    : Promise.resolve(undefined);
  return {
    token: [token],
    connector: connector ? [connector] : [],
    keys,
    access,
    found: [found],
    locked: [locked],
    previous: [previous],
    current: [current],
    deploy: deploy.checks,
    deployFacts: [deploy.facts],
  };
}

/**
 * The credential the targets hold before this run: the ledger's current one,
 * unless previous-credential-id names one the ledger does not record as replaced.
 */
function previousFrom(inputs: Inputs, found: LedgerFound | undefined): PreviousCredential {
  const given = inputs.previousCredentialId;
  const entry = given && found ? found.ledger.entries.find((e) => e.id === given) : undefined;
  // One the ledger records as replaced, or retired already, is a previous-credential-id left set: stale.
  const stale = entry?.state === 'previous' || (given !== '' && found?.ledger.retired?.includes(given));
  if (given && !stale) return { id: given, source: 'previous-credential-id' };
  if (!found) return { id: '', source: 'none' };
  const current = currentCredential(found.ledger);
  return current.id
    ? { id: current.id, source: 'credential-id-variable' }
    : { id: '', source: 'none', why: current.why };
}

/** The preflight's findings, once every read succeeded. */
async function collect(
  context: PreflightContext,
  reads: ReturnType<typeof startReads>,
  lock: RotationLock | undefined,
): Promise<Preflight> {
  const { inputs, octokit, targets } = context;
  const at = (index: number) => targets[index] as Target;
  const publicKeys = new Map((await Promise.all(reads.keys)).map((key, index) => [at(index), key]));
  const orgAccess = new Map<Target, Map<string, OrgSecretAccess>>();
  for (const { target, name, access } of await Promise.all(reads.access)) {
    orgAccess.set(target, (orgAccess.get(target) ?? new Map<string, OrgSecretAccess>()).set(name, access));
  }
  const [found] = await Promise.all(reads.found);
  const [previous] = await Promise.all(reads.previous);
  const [current] = await Promise.all(reads.current);
  const connector = `${inputs.appId}/${inputs.connectorId}`;
  const home = ledgerHome(targets) as Target;
  const ledger = found
    ? new LedgerStore(
        found.ledger,
        {
          octokit,
          home,
          name: inputs.credentialIdVariable,
          // A new organization variable gets the access of the client secret beside it.
          ...withAccess(orgAccess.get(home)?.get(inputs.clientSecretSecretName)),
          exists: found.homeExists,
          value: found.homeValue,
          ...withMirror(ledgerMirror(targets), found.mirrorExists),
        },
        found.strays,
      )
    : forgetfulStore(connector);
  const firstRotation = ledger.remembers && ledger.ledger.entries.length === 0 && !inputs.previousCredentialId;
  const staleGiven = inputs.previousCredentialId ? ledger.adoptGiven(inputs.previousCredentialId) : undefined;
  const [deployFacts] = await Promise.all(reads.deployFacts);
  return {
    deployFacts: deployFacts as DeployFacts,
    publicKeys,
    orgAccess,
    ledger,
    adopted: found?.adopted ?? [],
    firstRotation,
    ...(staleGiven ? { staleGiven } : {}),
    ...(lock ? { lock } : {}),
    previous: previous as PreviousCredential,
    ...(current !== undefined ? { current } : {}),
  };
}

function withMirror(
  target: Target | undefined,
  exists: boolean | undefined,
): { mirror?: { target: Target; exists: boolean } } {
  return target ? { mirror: { target, exists: exists ?? false } } : {};
}

function withAccess(access: OrgSecretAccess | undefined): { access?: OrgSecretAccess } {
  return access ? { access } : {};
}
