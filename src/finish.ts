/**
 * The last steps of a rotation, run only once every write succeeded and the
 * new credential proved it works: record the new credential ID in the
 * credential-id variable of every target, and revoke the previous credential.
 * Both only move forward from a state in which every consumer already holds
 * the new credential, so they run side by side, and neither waits for the
 * other to succeed.
 *
 * Before either, the variable is read again: if another rotation recorded a
 * different credential while this one ran, the two runs' writes may have
 * interleaved, and neither the record nor the revoke would be safe.
 */
import type { ConductorOneClient, RevokeResult } from './conductorone/client.js';
import { errorMessage } from './errors.js';
import type { Octokit } from './github/client.js';
import { readVariable, writeVariable } from './github/variables.js';
import type { Inputs } from './inputs.js';
import type { RotatedCredential, Target } from './model.js';
import { type Limiter, settleWithConcurrency } from './pool.js';
import type { Preflight } from './preflight.js';

/** What the last steps need; a Session has it all. */
export interface FinishContext {
  inputs: Inputs;
  octokit: Octokit;
  conductorOne: ConductorOneClient;
  targets: readonly Target[];
  /** From the preflight: the variable in each target, each organization secret's access, the previous credential. */
  preflight: Pick<Preflight, 'variableValues' | 'orgAccess' | 'previous'>;
  concurrency: number;
  readLimit: Limiter;
}

export interface VariableOutcome {
  target: Target;
  result: 'created' | 'updated' | 'failed';
  error?: string;
}

export type RevokeOutcome =
  | { state: RevokeResult; id: string }
  | { state: 'failed'; id: string; error: string }
  /** revoke-previous is off, or no previous credential is known, or it is the new one, or another run interfered. */
  | { state: 'skipped'; id: string; why: string };

/** Another rotation changed the credential-id variable while this run ran. */
export interface Interference {
  /** Where the variable changed, what the preflight read there, and what it holds now. */
  changes: Array<{ target: Target; before: string; now: string }>;
}

export interface FinishOutcome {
  /** Undefined without credential-id-variable, or when another run interfered. */
  variables?: VariableOutcome[];
  revoke: RevokeOutcome;
  interference?: Interference;
  /** The variable could not be read again, so nothing was recorded or revoked. */
  recheckError?: string;
}

export async function finishRotation(context: FinishContext, credential: RotatedCredential): Promise<FinishOutcome> {
  let interference: Interference | undefined;
  try {
    interference = await recheckVariable(context, credential);
  } catch (err) {
    const recheckError = errorMessage(err);
    return {
      revoke: {
        state: 'skipped',
        id: context.preflight.previous.id,
        why: 'the credential-id variable could not be read again',
      },
      recheckError,
    };
  }
  if (interference) {
    return {
      revoke: {
        state: 'skipped',
        id: context.preflight.previous.id,
        why: 'another rotation changed the credential-id variable while this one ran',
      },
      interference,
    };
  }
  const [variables, revoke] = await Promise.all([
    recordCredentialId(context, credential),
    revokePrevious(context, credential),
  ]);
  return { ...(variables ? { variables } : {}), revoke };
}

/** Reads the variable again in every target; undefined when nobody else changed it. */
async function recheckVariable(
  context: FinishContext,
  credential: RotatedCredential,
): Promise<Interference | undefined> {
  const { inputs, octokit, targets, readLimit } = context;
  const { variableValues } = context.preflight;
  const name = inputs.credentialIdVariable;
  if (!name) return undefined;
  const now = await Promise.all(targets.map((target) => readLimit(() => readVariable(octokit, target, name))));
  const changes = targets.flatMap((target, index) => {
    const before = variableValues.get(target) ?? '';
    const current = now[index] ?? '';
    // A retried write of this very run may already have recorded its own credential.
    return current !== before && current !== credential.id ? [{ target, before, now: current }] : [];
  });
  return changes.length > 0 ? { changes } : undefined;
}

async function recordCredentialId(
  context: FinishContext,
  credential: RotatedCredential,
): Promise<VariableOutcome[] | undefined> {
  const { inputs, octokit, targets, concurrency } = context;
  const { variableValues, orgAccess } = context.preflight;
  const name = inputs.credentialIdVariable;
  if (!name) return undefined;
  const settled = await settleWithConcurrency(targets, concurrency, (target) =>
    // A new organization variable gets the access of the client secret beside it.
    writeVariable(
      octokit,
      target,
      name,
      credential.id,
      variableValues.get(target) !== undefined,
      orgAccess.get(target)?.get(inputs.clientSecretSecretName),
    ),
  );
  return settled.map((result, index) => {
    const target = targets[index] as Target;
    return result.status === 'fulfilled'
      ? { target, result: result.value }
      : { target, result: 'failed', error: errorMessage(result.reason) };
  });
}

async function revokePrevious(context: FinishContext, credential: RotatedCredential): Promise<RevokeOutcome> {
  const { inputs, conductorOne } = context;
  const { previous } = context.preflight;
  const id = previous.id;
  if (!inputs.revokePrevious) return { state: 'skipped', id, why: 'revoke-previous is off' };
  if (!id) {
    const held = inputs.credentialIdVariable ? ` (${inputs.credentialIdVariable} held no credential ID)` : '';
    return { state: 'skipped', id, why: `no previous credential is known yet${held}` };
  }
  if (id === credential.id) return { state: 'skipped', id, why: 'the previous credential ID is the new credential' };
  try {
    return { state: await conductorOne.revokeCredential(inputs.appId, inputs.connectorId, id), id };
  } catch (err) {
    return { state: 'failed', id, error: errorMessage(err) };
  }
}
