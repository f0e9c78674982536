/**
 * Where the ledger (ledger.ts) lives: the Actions variable
 * `credential-id-variable` of the first target (its home), beside the lock
 * (lock.ts). The preflight reads the variable in every target, so that a
 * ledger whose home moved (the list of repositories was reordered) and the
 * bare credential IDs an earlier version of the action wrote everywhere (with
 * `<variable>_PREVIOUS` for revoke-previous: next-run) are all found; once a
 * run has written the ledger home, those other copies are removed.
 *
 * Without credential-id-variable nothing is read or written: the ledger then
 * lives for one run only, and holds at most the previous-credential-id input.
 */
import { ActionError, errorMessage } from './errors.js';
import type { Octokit } from './github/client.js';
import type { OrgSecretAccess } from './github/organization.js';
import { deleteVariable, readVariableState, type VariableState, writeVariable } from './github/variables.js';
import {
  adoptGiven,
  type FoundLedger,
  isLedgerProblem,
  type Ledger,
  type LedgerProblem,
  ledgerFromVariables,
  MAX_LEDGER_BYTES,
  nextRevision,
  readVariableContent,
  serializeLedger,
  type VariableRead,
  withoutTexts,
} from './ledger.js';
import type { Target } from './model.js';
import { type Limiter, settleWithConcurrency } from './pool.js';

/** The ledger (or `<variable>_PREVIOUS`) holds a value the action cannot read: nothing may rotate. */
export class LedgerUnreadableError extends ActionError {
  override readonly name = 'LedgerUnreadableError';
}

/**
 * The ledger's home: of the targets, the one whose name sorts first, so that
 * the same targets listed in any order share one ledger and one lock.
 */
export function ledgerHome<T extends { label: string }>(targets: readonly T[]): T | undefined {
  return [...targets].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))[0];
}

/** The targets, sorted by name: the ledger's home first, its mirror second. */
function homeFirst<T extends { label: string }>(targets: readonly T[]): T[] {
  return [...targets].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/**
 * The ledger's mirror: the target whose name sorts second keeps a copy, written
 * at the end of every run that writes the ledger home, so that a ledger whose
 * home leaves the list of targets is still found (and the copies merged).
 */
export function ledgerMirror<T extends { label: string }>(targets: readonly T[]): T | undefined {
  return homeFirst(targets)[1];
}

/** `<credential-id-variable>_PREVIOUS`: where revoke-previous: next-run kept a credential before the ledger. */
export function legacyKeptName(variable: string): string {
  return `${variable}_PREVIOUS`;
}

/** `<credential-id-variable>_LOCK`: one rotation at a time. */
export function lockName(variable: string): string {
  return `${variable}_LOCK`;
}

/** Room kept, in bytes, for the entry a rotation adds (its texts may be dropped: see withoutTexts). */
const ROOM_FOR_A_ROTATION = 1024;

/** The ledger as its variable holds it: whole, or without its texts when whole it would not fit. */
function variableValue(ledger: Ledger): string {
  const whole = serializeLedger(ledger);
  return Buffer.byteLength(whole) <= MAX_LEDGER_BYTES ? whole : serializeLedger(withoutTexts(ledger));
}

export interface LedgerReadContext {
  octokit: Octokit;
  targets: readonly Target[];
  /** credential-id-variable. */
  name: string;
  /** "appId/connectorId". */
  connector: string;
  readLimit: Limiter;
  now: number;
}

/** A variable the ledger replaced, to remove once the ledger is home. */
export interface StrayVariable {
  target: Target;
  name: string;
}

/** What the preflight found: the ledger, and whether its home already has the variable. */
export interface LedgerFound extends FoundLedger {
  /** The variable in every target but the home and the mirror, and `<variable>_PREVIOUS` anywhere, where they hold a value. */
  strays: StrayVariable[];
  homeExists: boolean;
  /** Whether the mirror (see ledgerMirror) has the variable; undefined when there is no mirror. */
  mirrorExists?: boolean;
  /** The value the home holds, to tell whether another run changed it since. */
  homeValue: string | undefined;
}

/**
 * Reads the credential-id variable in every target and, only when none holds
 * a ledger yet but some hold a bare credential ID (an earlier version of the
 * action), `<variable>_PREVIOUS` as well. A value the action cannot read stops
 * the run before anything rotates.
 */
export async function readLedger(context: LedgerReadContext): Promise<LedgerFound> {
  const { octokit, name, readLimit, connector, now } = context;
  const targets = homeFirst(context.targets);
  const readAll = (variable: string) =>
    Promise.all(targets.map((target) => readLimit(() => readVariableState(octokit, target, variable))));
  const states = await readAll(name);
  const reads = toReads(targets, states);
  const kinds = reads.map((r) => readVariableContent(r.value).kind);
  const beforeLedger = kinds.includes('id') && !kinds.includes('ledger') && !kinds.includes('unreadable');
  const kept = beforeLedger ? toReads(targets, await readAll(legacyKeptName(name))) : [];
  const found = ledgerFromVariables(connector, reads, kept, now);
  if (isLedgerProblem(found)) throw new LedgerUnreadableError(ledgerProblemMessage(name, found));
  // GitHub's limit is in bytes, not characters; the texts can always be dropped, the rest cannot.
  const strays = [
    ...targets.flatMap((target, index) => (index > 1 && states[index] !== undefined ? [{ target, name }] : [])),
    ...targets.flatMap((target, index) =>
      kept[index]?.value !== undefined ? [{ target, name: legacyKeptName(name) }] : [],
    ),
  ];
  return {
    ...found,
    strays,
    homeExists: states[0] !== undefined,
    homeValue: states[0]?.value,
    ...(targets.length > 1 ? { mirrorExists: states[1] !== undefined } : {}),
  };
}

/** Whether one more credential fits in the variable (GitHub keeps at most 48 KB; texts can be dropped). */
export function ledgerFits(ledger: Ledger): boolean {
  return Buffer.byteLength(serializeLedger(withoutTexts(ledger))) + ROOM_FOR_A_ROTATION <= MAX_LEDGER_BYTES;
}

/** The ledger holds too many credentials for one more: what to do. */
export function ledgerFullMessage(name: string, home: string, ledger: Ledger): string {
  const left = ledger.entries.filter((e) => e.state === 'previous').length;
  return [
    `The ledger in ${name} of ${home} records ${ledger.entries.length} credentials (${left} replaced and still valid),`,
    'too many to add another to one variable (GitHub keeps at most 48 KB), so nothing was rotated:',
    'set revoke-previous to true or next-run so that runs retire replaced credentials (the next run then retires',
    'them before it rotates), or revoke some in ConductorOne (a run then finds them gone and forgets them).',
  ].join(' ');
}

function toReads(targets: readonly Target[], states: ReadonlyArray<VariableState | undefined>): VariableRead[] {
  return targets.map((target, index) => {
    const state = states[index];
    return {
      target: target.label,
      value: state?.value,
      ...(state?.updatedAt !== undefined ? { updatedAt: state.updatedAt } : {}),
    };
  });
}

/** One sentence: which variable, where, what is wrong with it, and how to recover. */
export function ledgerProblemMessage(name: string, found: LedgerProblem): string {
  if (found.variable === 'kept') {
    const kept = legacyKeptName(name);
    return [
      `The variable ${kept} in ${found.target} holds something that is ${found.problem},`,
      `so the action cannot tell which credential an earlier run kept valid:`,
      `set it to that credential's ID, or delete it once that credential is revoked in ConductorOne.`,
    ].join(' ');
  }
  if (found.otherConnector) {
    return [
      `The variable ${name} in ${found.target} holds ${found.problem}, not of this one:`,
      'give each connector its own credential-id-variable (e.g. BATON_OKTA_CREDENTIAL_ID).',
    ].join(' ');
  }
  return [
    `The variable ${name} in ${found.target} holds ${found.problem}, which the action cannot read as its ledger:`,
    'restore the value the last run left (its job summary lists every credential it recorded),',
    'or set it to the ID of the credential the secrets hold now to start the ledger again from that credential',
    '(see "What the action remembers" in the README).',
  ].join(' ');
}

export interface LedgerWriteContext {
  octokit: Octokit;
  /** The ledger's home: the target whose name sorts first. */
  home: Target;
  /** Its mirror, written at the end of a run; undefined with one target. */
  mirror?: { target: Target; exists: boolean };
  name: string;
  /** An organization variable gets the access of the client secret. */
  access?: OrgSecretAccess;
}

/**
 * The ledger of one run: read by the preflight, changed by the pipeline's
 * events (ledger.ts transitions), and written to its home when the pipeline
 * says so. Without a variable it is never written.
 */
export class LedgerStore {
  private exists: boolean;
  private lastWritten: string | undefined;

  constructor(
    public ledger: Ledger,
    private readonly write?: LedgerWriteContext & { exists: boolean; value: string | undefined },
    /** The variables the ledger replaced (see LedgerFound.strays). */
    readonly strays: readonly StrayVariable[] = [],
  ) {
    this.exists = write?.exists ?? false;
    this.lastWritten = write?.value;
  }

  /** Whether runs remember: credential-id-variable is set. */
  get remembers(): boolean {
    return this.write !== undefined;
  }

  get variable(): string {
    return this.write?.name ?? '';
  }

  get home(): Target | undefined {
    return this.write?.home;
  }

  /** Applies a transition of ledger.ts. */
  apply(transition: (ledger: Ledger) => Ledger): void {
    this.ledger = transition(this.ledger);
  }

  /** previous-credential-id: see adoptGiven. Returns the stale ID and when it was replaced, if it is one. */
  adoptGiven(id: string): { id: string; replacedAt?: number } | undefined {
    const { ledger, stale } = adoptGiven(this.ledger, id);
    this.ledger = ledger;
    return stale;
  }

  /**
   * Reads the home again, once this run holds the lock: another run may have
   * written it between the preflight's read and the lock. Resolves with whether
   * it changed; `rebuild` then makes the ledger again from the new value.
   */
  async reread(rebuild: (value: string | undefined) => Ledger): Promise<boolean> {
    if (!this.write) return false;
    const state = await readVariableState(this.write.octokit, this.write.home, this.write.name);
    if ((state?.value ?? undefined) === (this.lastWritten ?? undefined)) return false;
    this.exists = state !== undefined;
    this.lastWritten = state?.value;
    this.ledger = rebuild(state?.value);
    return true;
  }

  /**
   * Writes the ledger to its home, one revision on (nothing to do without a
   * variable), and to the mirror beside it. The mirror is a copy for the day
   * the home leaves the list: failing to write it fails nothing.
   */
  async save(): Promise<'created' | 'updated' | 'not remembered'> {
    const { write } = this;
    if (!write) return 'not remembered';
    const next = nextRevision(this.ledger);
    const value = variableValue(next);
    const { mirror } = write;
    const [result] = await Promise.all([
      writeVariable(write.octokit, write.home, write.name, value, this.exists, write.access),
      mirror
        ? writeVariable(write.octokit, mirror.target, write.name, value, mirror.exists, write.access).then(
            () => {
              mirror.exists = true;
            },
            () => {},
          )
        : undefined,
    ]);
    this.ledger = next;
    this.exists = true;
    this.lastWritten = value;
    return result;
  }

  /** Whether one more credential fits (see ledgerFits). */
  fits(): boolean {
    return ledgerFits(this.ledger);
  }

  /**
   * Once the ledger is home: removes the copies it replaced (the variable in
   * other targets, and `<variable>_PREVIOUS` anywhere). Each failure is
   * reported, none is fatal: the ledger already records every credential they
   * named. The next run finds a copy of the variable again and removes it then;
   * a `_PREVIOUS` left behind is never read again once the ledger exists.
   */
  async tidy(concurrency: number): Promise<Array<{ target: Target; error: string }>> {
    const { write } = this;
    if (!write || this.strays.length === 0) return [];
    const settled = await settleWithConcurrency(this.strays, concurrency, ({ target, name }) =>
      deleteVariable(write.octokit, target, name),
    );
    return settled.flatMap((result, index) =>
      result.status === 'rejected'
        ? [{ target: (this.strays[index] as StrayVariable).target, error: errorMessage(result.reason) }]
        : [],
    );
  }
}

/** A store for a run without credential-id-variable: it remembers nothing beyond the run. */
export function forgetfulStore(connector: string): LedgerStore {
  return new LedgerStore({ connector, revision: 0, entries: [] });
}
