/**
 * Authenticate + preflight: everything that must be true before a credential
 * is rotated, checked at once. The ConductorOne token request and every GitHub
 * read run together: each target's secrets public key, an organization
 * secret's current visibility, the credential-id variable (and, with
 * revoke-previous: next-run, the one that keeps the credential before), every
 * deploy workflow; then, when needed, the current credential. A problem anywhere stops the run with every problem
 * listed, and nothing has changed.
 */

import type { TokenSource } from './conductorone/auth.js';
import type { ConductorOneClient } from './conductorone/client.js';
import { isConductorOneId } from './conductorone/credential.js';
import { type DeployFacts, startDeployChecks } from './deploy-preflight.js';
import { ActionError, errorMessage } from './errors.js';
import type { Octokit } from './github/client.js';
import { type OrgSecretAccess, resolveOrgSecretAccess } from './github/organization.js';
import { type PublicKey, readPublicKey } from './github/secrets.js';
import { readVariable } from './github/variables.js';
import { type Inputs, keptVariableName } from './inputs.js';
import type { CredentialInfo, PreviousCredential, Target } from './model.js';
import type { Limiter } from './pool.js';
import { oneLine } from './redact.js';

export interface PreflightContext {
  inputs: Inputs;
  tokenSource: TokenSource;
  conductorOne: ConductorOneClient;
  octokit: Octokit;
  targets: readonly Target[];
  /** The secret names to be written in every target. */
  secretNames: readonly string[];
  readLimit: Limiter;
}

export interface Preflight {
  publicKeys: Map<Target, PublicKey>;
  /** Organization targets only: what each secret's PUT must say about its access. */
  orgAccess: Map<Target, Map<string, OrgSecretAccess>>;
  /** With credential-id-variable: its value in each target (undefined: not set there). */
  variableValues: Map<Target, string | undefined>;
  previous: PreviousCredential;
  /** With revoke-previous: next-run: the `<variable>_PREVIOUS` value in each target, and the credential it names. */
  keptValues: Map<Target, string | undefined>;
  kept: PreviousCredential;
  /**
   * The previous credential as ConductorOne shows it, read when the run needs
   * it (rotate-if-expires-within, dry run): 'gone' when it no longer exists.
   */
  current?: CredentialInfo | 'gone';
  /** What the checks of deploy-workflows learned of each workflow (empty without deploy-workflows). */
  deployFacts: DeployFacts;
}

export async function authenticateAndPreflight(context: PreflightContext): Promise<Preflight> {
  const reads = startReads(context);
  const settled = await Promise.allSettled(Object.values(reads).flat());
  // A failed read also fails what waits on it (the previous ID, the current
  // credential) with the same error: each is reported once.
  const problems = [...new Set(settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])))];
  if (problems.length > 0) {
    const unexpected = problems.find((p) => !(p instanceof ActionError));
    if (unexpected !== undefined) throw unexpected;
    throw new ActionError(`Nothing was rotated. ${problems.map(errorMessage).join(' ')}`);
  }
  return collect(context.targets, reads);
}

/** Every read the preflight makes, started at once (through the read limiter where GitHub is asked). */
function startReads(context: PreflightContext) {
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
  const variable = inputs.credentialIdVariable;
  const readAll = (name: string) => targets.map((target) => readLimit(() => readVariable(octokit, target, name)));
  const variables = variable ? readAll(variable) : [];
  const keptVariable = keptVariableName(inputs);
  const keptReads = keptVariable ? readAll(keptVariable) : [];
  const kept = Promise.all(keptReads).then((values) => previousFromVariable(keptVariable, targets, values));
  const { deployWorkflows: workflows, deployInputs } = inputs;
  const deploy = startDeployChecks({ workflows, deployInputs, octokit, readLimit, orgAccess: Promise.all(access) });
  const previous: Promise<PreviousCredential> = inputs.previousCredentialId
    ? Promise.resolve({ id: inputs.previousCredentialId, source: 'previous-credential-id' })
    : Promise.all(variables).then((values) => previousFromVariable(variable, targets, values));
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
    variables,
    previous: [previous],
    current: [current],
    keptReads,
    kept: [kept],
    deploy: deploy.checks,
    deployFacts: [deploy.facts],
  };
}

/** The preflight's findings, once every read succeeded. */
async function collect(targets: readonly Target[], reads: ReturnType<typeof startReads>): Promise<Preflight> {
  const at = (index: number) => targets[index] as Target;
  const publicKeys = new Map((await Promise.all(reads.keys)).map((key, index) => [at(index), key]));
  const orgAccess = new Map<Target, Map<string, OrgSecretAccess>>();
  for (const { target, name, access } of await Promise.all(reads.access)) {
    orgAccess.set(target, (orgAccess.get(target) ?? new Map<string, OrgSecretAccess>()).set(name, access));
  }
  const variableValues = new Map((await Promise.all(reads.variables)).map((value, index) => [at(index), value]));
  const [previous] = await Promise.all(reads.previous);
  const [current] = await Promise.all(reads.current);
  const keptValues = new Map((await Promise.all(reads.keptReads)).map((value, index) => [at(index), value]));
  const [kept] = await Promise.all(reads.kept);
  const [deployFacts] = await Promise.all(reads.deployFacts);
  return {
    deployFacts: deployFacts as DeployFacts,
    publicKeys,
    orgAccess,
    variableValues,
    previous: previous as PreviousCredential,
    keptValues,
    kept: kept as PreviousCredential,
    ...(current !== undefined ? { current } : {}),
  };
}

/**
 * The variable's value is the credential the secrets hold. Targets that lack
 * it (newly added to the list) do not matter; targets that disagree do: the
 * action cannot know which credential is safe to revoke.
 */
function previousFromVariable(
  variable: string,
  targets: readonly Target[],
  values: ReadonlyArray<string | undefined>,
): PreviousCredential {
  const holders = new Map<string, string[]>();
  values.forEach((value, index) => {
    if (!value) return;
    const label = (targets[index] as Target).label;
    if (!isConductorOneId(value)) {
      // Quoted on one line and cut short: the value is whatever someone stored.
      const held = `The variable ${variable} in ${label} holds "${oneLine(value, 60)}"`;
      const fix = 'correct or delete it, or set previous-credential-id';
      throw new ActionError(`${held}, which is not a ConductorOne credential ID: ${fix}.`);
    }
    holders.set(value, [...(holders.get(value) ?? []), label]);
  });
  if (holders.size > 1) {
    const seen = [...holders]
      .map(([id, labels]) => `${labels.join(', ')} ${labels.length === 1 ? 'has' : 'have'} ${id}`)
      .join('; ');
    const problem = 'so the action cannot tell which credential is current';
    const fix = 'set previous-credential-id to the credential the secrets hold, or make the variables agree';
    throw new ActionError(`The variable ${variable} does not agree across targets (${seen}), ${problem}: ${fix}.`);
  }
  const [id] = holders.keys();
  return id ? { id, source: 'credential-id-variable' } : { id: '', source: 'none' };
}
