/**
 * One rotation at a time (SPEC 4a): a run holds a lock, the variable
 * `<credential-id-variable>_LOCK` beside the ledger, from before it rotates
 * until its last ledger write. Creating a variable is atomic (GitHub answers
 * 409 when it exists), so two runs can never both take it. A lock left by a
 * run that died (kill -9, a lost runner) expires; one left by an earlier
 * attempt of this same workflow run is over at once, since GitHub starts a
 * re-run only once the attempt before it has ended.
 * https://docs.github.com/en/rest/actions/variables#create-a-repository-variable
 */
import { randomBytes } from 'node:crypto';
import { ActionError } from './errors.js';
import type { Octokit } from './github/client.js';
import type { OrgSecretAccess } from './github/organization.js';
import { createVariableIfAbsent, deleteVariable, readVariableState } from './github/variables.js';
import type { Target } from './model.js';
import { hasControlCharacters, oneLine } from './redact.js';

/** An hour for everything a run does but wait for its deploy runs. */
export const LOCK_MARGIN_MS = 60 * 60 * 1000;

/** No lock holds longer than this, whatever it claims: three days of deploy wait and the margin. */
export const MAX_LOCK_MS = 72 * 60 * 60 * 1000 + LOCK_MARGIN_MS;

/** How long a run holds the lock at most: its deploy wait (bounded) and an hour for the rest. */
export function lockLifetimeMs(deployWaitMs: number): number {
  return Math.min(deployWaitMs + LOCK_MARGIN_MS, MAX_LOCK_MS);
}

/** Which run holds (or wants) the lock, as the workflow's environment tells. */
export interface RunIdentity {
  /** For people: "acme/rotation run 123 attempt 1", or "a run outside GitHub Actions". */
  label: string;
  /** The run's page, when it is a workflow run. */
  url?: string;
  repository?: string;
  runId?: string;
  attempt?: number;
}

/** The run from the runner's environment variables (GITHUB_REPOSITORY, GITHUB_RUN_ID, ...). */
export function runIdentity(getEnv: (name: string) => string): RunIdentity {
  const repository = getEnv('GITHUB_REPOSITORY');
  const runId = getEnv('GITHUB_RUN_ID');
  const attempt = Number(getEnv('GITHUB_RUN_ATTEMPT') || '1');
  if (!/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/.test(repository) || !/^\d{1,20}$/.test(runId)) {
    return { label: 'a run outside GitHub Actions' };
  }
  const server = getEnv('GITHUB_SERVER_URL') || 'https://github.com';
  const validAttempt = Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1;
  return {
    label: `${repository} run ${runId} attempt ${validAttempt}`,
    ...(/^https?:\/\/[^\s/]+$/.test(server)
      ? { url: `${server}/${repository}/actions/runs/${runId}/attempts/${validAttempt}` }
      : {}),
    repository,
    runId,
    attempt: validAttempt,
  };
}

/** What the lock variable holds. */
interface Holder extends RunIdentity {
  since: number;
  until: number;
  /** Tells this run's own lock from any other, e.g. after a retried create went through. */
  nonce: string;
}

/** The lock is held by another run; nothing was changed. */
export class LockHeldError extends ActionError {
  override readonly name = 'LockHeldError';
}

export interface LockOptions {
  octokit: Octokit;
  /** Where the ledger lives: the first target. */
  target: Target;
  /** `<credential-id-variable>_LOCK`. */
  name: string;
  identity: RunIdentity;
  /** How long the lock holds if its run dies without releasing it. */
  lifetimeMs: number;
  /** An organization variable needs an access; it gets the client secret's. */
  access?: OrgSecretAccess;
  now?: () => number;
}

export class RotationLock {
  private readonly nonce = randomBytes(12).toString('base64url');
  private held: Holder | undefined;
  /** Released while still being taken: a create that lands after that is deleted again at once. */
  private abandoned = false;

  constructor(private readonly options: LockOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** Takes the lock, breaking one that has expired or that an earlier attempt of this run left. */
  async acquire(): Promise<void> {
    const { octokit, target, name } = this.options;
    const now = this.now();
    const mine: Holder = {
      ...this.options.identity,
      since: now,
      until: now + this.options.lifetimeMs,
      nonce: this.nonce,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await this.create(mine)) === 'created') return this.took(mine);
      const existing = await readVariableState(octokit, target, name);
      if (existing === undefined) continue; // released meanwhile: try again
      const holder = parseHolder(existing.value);
      // A create retried after a lost answer had gone through.
      if (holder?.nonce === this.nonce) return this.took(mine);
      const stale = staleBecause(holder, existing.updatedAt, this.options.identity, now, this.options.lifetimeMs);
      if (!stale) throw new LockHeldError(heldMessage(this.options, holder, existing.updatedAt));
      await deleteVariable(octokit, target, name);
    }
    throw new LockHeldError(
      `Another rotation took the lock ${name} in ${target.label} each time this run tried: run this workflow again once it is done.`,
    );
  }

  /** The lock is this run's; unless the run ended meanwhile, then it is given back at once. */
  private async took(mine: Holder): Promise<void> {
    this.held = mine;
    if (!this.abandoned) return;
    await this.release();
    throw new LockHeldError(`The run ended while it took the lock ${this.options.name}, which was given back.`);
  }

  /**
   * Creates the lock. A create that failed (a 500, say) may still have gone
   * through: then the lock is read back, and one holding this run's nonce is
   * this run's, so that no run leaves behind a lock it does not know it holds.
   */
  private async create(mine: Holder): Promise<'created' | 'exists'> {
    const { octokit, target, name, access } = this.options;
    try {
      return await createVariableIfAbsent(octokit, target, name, serializeHolder(mine), access);
    } catch (err) {
      const existing = await readVariableState(octokit, target, name).catch(() => undefined);
      if (parseHolder(existing?.value ?? '')?.nonce === this.nonce) return 'created';
      throw err;
    }
  }

  /** Whether the lock is still this run's: someone may have deleted it by hand, or it expired and another run took it. */
  async stillHeld(): Promise<boolean> {
    if (!this.held) return false;
    const existing = await readVariableState(this.options.octokit, this.options.target, this.options.name);
    const mine = parseHolder(existing?.value ?? '')?.nonce === this.nonce;
    // Lost is lost: whoever holds it now, release() must not delete their lock.
    if (!mine) this.held = undefined;
    return mine;
  }

  /**
   * Gives the lock up. Past its expiry another run may hold it by now, so then
   * it is read first and deleted only if it is still this run's.
   */
  async release(): Promise<void> {
    this.abandoned = true;
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    if (this.now() >= held.until) {
      const existing = await readVariableState(this.options.octokit, this.options.target, this.options.name);
      if (parseHolder(existing?.value ?? '')?.nonce !== this.nonce) return;
    }
    await deleteVariable(this.options.octokit, this.options.target, this.options.name);
  }

  get isHeld(): boolean {
    return this.held !== undefined;
  }

  /** When the lock this run holds expires by itself; undefined when it holds none. */
  get expiresAt(): number | undefined {
    return this.held?.until;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function serializeHolder(holder: Holder): string {
  return JSON.stringify({
    run: holder.label,
    ...(holder.url ? { url: holder.url } : {}),
    ...(holder.repository ? { repository: holder.repository, runId: holder.runId, attempt: holder.attempt } : {}),
    since: new Date(holder.since).toISOString(),
    until: new Date(holder.until).toISOString(),
    nonce: holder.nonce,
  });
}

/** The holder a lock names; undefined when it is not a lock this action wrote (read as held until it expires). */
function parseHolder(value: string): Holder | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const text = (field: string) => {
    const v = json[field];
    return typeof v === 'string' && v.length <= 300 && !hasControlCharacters(v) ? v : undefined;
  };
  const since = Date.parse(text('since') ?? '');
  const until = Date.parse(text('until') ?? '');
  const label = text('run');
  const nonce = text('nonce');
  if (!label || !nonce || Number.isNaN(since) || Number.isNaN(until)) return undefined;
  const url = text('url');
  const repository = text('repository');
  const runId = text('runId');
  const attempt = json.attempt;
  return {
    label,
    since,
    until,
    nonce,
    ...(url && /^https?:\/\/[^\s<>()|[\]`]+$/.test(url) ? { url } : {}),
    ...(repository ? { repository } : {}),
    ...(runId ? { runId } : {}),
    ...(typeof attempt === 'number' && Number.isSafeInteger(attempt) ? { attempt } : {}),
  };
}

/** Why an existing lock no longer holds, or undefined while it does. */
function staleBecause(
  holder: Holder | undefined,
  updatedAt: number | undefined,
  me: RunIdentity,
  now: number,
  lifetimeMs: number,
): string | undefined {
  if (!holder) {
    // Not a lock this action wrote: it holds for a lock's lifetime from when it was written.
    return updatedAt !== undefined && now >= updatedAt + lifetimeMs ? 'expired' : undefined;
  }
  // A lock claims at most MAX_LOCK_MS, from when it says it was taken and from when GitHub says it was written.
  const until = Math.min(
    holder.until,
    holder.since + MAX_LOCK_MS,
    (updatedAt ?? Number.POSITIVE_INFINITY) + MAX_LOCK_MS,
  );
  if (now >= until) return 'expired';
  const earlierAttempt =
    me.repository !== undefined &&
    holder.repository === me.repository &&
    holder.runId === me.runId &&
    (holder.attempt ?? 0) < (me.attempt ?? 0);
  return earlierAttempt ? 'an earlier attempt of this run' : undefined;
}

function heldMessage(options: LockOptions, holder: Holder | undefined, updatedAt: number | undefined): string {
  const { name, target } = options;
  const where = `${name} in ${target.label}`;
  const clear = `if that run is certainly over (killed, or its runner lost), delete the variable ${where} and run this workflow again`;
  const concurrency = 'give the rotation workflow a concurrency group per connector so runs wait for each other';
  if (!holder) {
    const since = updatedAt !== undefined ? ` since ${new Date(updatedAt).toISOString()}` : '';
    return [
      `Another rotation of this connector holds the lock ${where}${since}`,
      `(its value is not one this action wrote), so this run changed nothing:`,
      `run this workflow again later; ${clear}; ${concurrency}.`,
    ].join(' ');
  }
  const who = oneLine(holder.label, 120) + (holder.url ? ` (${holder.url})` : '');
  return [
    `Another rotation of this connector, ${who}, holds the lock ${where}`,
    `since ${new Date(holder.since).toISOString()} (until ${new Date(holder.until).toISOString()} at the latest),`,
    `so this run changed nothing: run this workflow again once that run is done; ${clear}; ${concurrency}.`,
  ].join(' ');
}
