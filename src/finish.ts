/**
 * The last steps of a rotation, run only once every write succeeded, the new
 * credential proved it works and every deploy run succeeded: record the new
 * credential ID in the credential-id variable of every target, and revoke the
 * previous credential. With revoke-previous: next-run the credential this run
 * replaced stays valid for one more rotation: it is recorded in the variable
 * `<credential-id-variable>_PREVIOUS`, and the one recorded there before is
 * revoked instead, so exactly two credentials are valid at any time.
 * Both only move forward from a state in which every consumer already holds
 * the new credential, so they run side by side, and neither waits for the
 * other to succeed.
 *
 * Before either, the variable is read again: if another rotation recorded a
 * different credential while this one ran, the two runs' writes may have
 * interleaved, and neither the record nor the revoke would be safe.
 */
import type { ConductorOneClient, RevokeResult } from './conductorone/client.js';
import { isConductorOneId } from './conductorone/credential.js';
import { errorMessage } from './errors.js';
import type { Octokit } from './github/client.js';
import { readVariable, writeVariable } from './github/variables.js';
import { type Inputs, keptVariableName } from './inputs.js';
import type { RotatedCredential, Target } from './model.js';
import { type Limiter, settleWithConcurrency } from './pool.js';
import type { Preflight } from './preflight.js';
import { oneLine } from './redact.js';

/** What the last steps need; a Session has it all. */
export interface FinishContext {
  inputs: Inputs;
  octokit: Octokit;
  conductorOne: ConductorOneClient;
  targets: readonly Target[];
  /** From the preflight: the variable in each target, each organization secret's access, the previous credential. */
  preflight: Pick<Preflight, 'variableValues' | 'orgAccess' | 'previous' | 'keptValues' | 'kept'>;
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
  /**
   * Where the variable changed, what the preflight read there, and what it
   * holds now: a credential ID, or another value quoted (never trusted).
   */
  changes: Array<{ target: Target; before: string; now: string }>;
}

export interface FinishOutcome {
  /** Undefined without credential-id-variable, or when another run interfered. */
  variables?: VariableOutcome[];
  /** revoke-previous: next-run: recording the replaced credential in `<variable>_PREVIOUS`. */
  keptVariables?: VariableOutcome[];
  revoke: RevokeOutcome;
  interference?: Interference;
  /** The variable could not be read again, so nothing was recorded or revoked. */
  recheckError?: string;
}

export async function finishRotation(context: FinishContext, credential: RotatedCredential): Promise<FinishOutcome> {
  const skipped = (why: string): RevokeOutcome => ({ state: 'skipped', id: context.preflight.previous.id, why });
  let interference: Interference | undefined;
  try {
    interference = await recheckVariable(context, credential);
  } catch (err) {
    return { revoke: skipped('the credential-id variable could not be read again'), recheckError: errorMessage(err) };
  }
  if (interference) {
    return { revoke: skipped('another rotation changed the credential-id variable while this one ran'), interference };
  }
  const [variables, keptVariables, revoke] = await Promise.all([
    recordVariable(context, context.inputs.credentialIdVariable, credential.id, context.preflight.variableValues),
    recordKeptCredential(context, credential),
    revokePrevious(context, credential),
  ]);
  return { ...(variables ? { variables } : {}), ...(keptVariables ? { keptVariables } : {}), revoke };
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
    return current !== before && current !== credential.id ? [{ target, before, now: shownValue(current) }] : [];
  });
  return changes.length > 0 ? { changes } : undefined;
}

/**
 * What another run (or a person) left in the variable, fit for a message: a
 * credential ID as it is, anything else quoted on one line and cut short.
 */
function shownValue(value: string): string {
  return value === '' || isConductorOneId(value) ? value : `"${oneLine(value, 60)}"`;
}

/** Writes `value` to the variable `name` in every target; undefined when there is no variable to write. */
async function recordVariable(
  context: FinishContext,
  name: string,
  value: string,
  current: ReadonlyMap<Target, string | undefined>,
): Promise<VariableOutcome[] | undefined> {
  const { inputs, octokit, targets, concurrency } = context;
  const { orgAccess } = context.preflight;
  if (!name || !value) return undefined;
  const settled = await settleWithConcurrency(targets, concurrency, (target) =>
    // A new organization variable gets the access of the client secret beside it.
    writeVariable(
      octokit,
      target,
      name,
      value,
      current.get(target) !== undefined,
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

/** next-run: the credential this run replaced is kept for one more rotation, and recorded for it. */
function recordKeptCredential(context: FinishContext, credential: RotatedCredential) {
  const { previous, keptValues } = context.preflight;
  const replaced = previous.id === credential.id ? '' : previous.id;
  return recordVariable(context, keptVariableName(context.inputs), replaced, keptValues);
}

/** The credential to revoke: the one replaced (now), or the one kept from the rotation before (next-run). */
function toRevoke(context: FinishContext): { id: string; unknown: string } {
  const { inputs } = context;
  const { previous, kept } = context.preflight;
  if (inputs.revokePrevious === 'next-run') {
    const variable = keptVariableName(inputs);
    return { id: kept.id, unknown: `no credential was kept from the rotation before (${variable} held none)` };
  }
  const held = inputs.credentialIdVariable ? ` (${inputs.credentialIdVariable} held no credential ID)` : '';
  return { id: previous.id, unknown: `no previous credential is known yet${held}` };
}

async function revokePrevious(context: FinishContext, credential: RotatedCredential): Promise<RevokeOutcome> {
  const { inputs, conductorOne } = context;
  const { id, unknown } = toRevoke(context);
  if (!inputs.revokePrevious) return { state: 'skipped', id, why: 'revoke-previous is off' };
  if (!id) return { state: 'skipped', id, why: unknown };
  if (id === credential.id) return { state: 'skipped', id, why: 'the previous credential ID is the new credential' };
  if (id === context.preflight.previous.id && inputs.revokePrevious === 'next-run') {
    return {
      state: 'skipped',
      id,
      why: 'it is the credential this run replaced, which stays valid until the next run',
    };
  }
  try {
    return { state: await conductorOne.revokeCredential(inputs.appId, inputs.connectorId, id), id };
  } catch (err) {
    return { state: 'failed', id, error: errorMessage(err) };
  }
}
