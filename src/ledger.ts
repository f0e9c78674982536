/**
 * The credential ledger (SPEC 4a): everything the action knows of the
 * credentials of one connector, so that no failure, re-run, race or change of
 * mode leaves a credential valid that nothing records, and none is revoked
 * while a consumer still uses it. It is modelled on AWS Secrets Manager's
 * staging labels (AWSPENDING, AWSCURRENT, AWSPREVIOUS):
 *
 *   pending   issued by a run, recorded before any target may hold it; the run
 *             has not handed it over (yet, or ever: it failed or was cancelled),
 *             so some targets may hold it
 *   current   every target holds it (its run wrote it everywhere, proved it and
 *             every deploy run succeeded)
 *   previous  replaced: no target holds it any more; valid until a run retires it
 *
 * A credential leaves the ledger only once ConductorOne confirms it is revoked
 * or gone. This module is pure: values and events in, a new ledger or a
 * decision out; the pipeline does the reading, writing and revoking
 * (ledger-store.ts, retire.ts). Its text form lives in the Actions variable
 * `credential-id-variable`; the README's "What the action remembers" shows it.
 */
import { isConductorOneId, isRfc3339 } from './conductorone/credential.js';
import { hasControlCharacters, serverText } from './redact.js';

export type CredentialState = 'pending' | 'current' | 'previous';

/** How the ledger came to know a credential. */
export type EntrySource =
  /** A run of this action issued it (RotateCredential). */
  | 'issued'
  /** The previous-credential-id input named it. */
  | 'given'
  /** A variable named it by its ID alone: before the ledger existed, or set by hand. */
  | 'adopted';

export interface LedgerEntry {
  id: string;
  state: CredentialState;
  source: EntrySource;
  /** When a run issued it (ms since the epoch). */
  issuedAt?: number;
  /** Which run issued it, as people name runs: "acme/rotation run 123 attempt 1". */
  issuedBy?: string;
  /** current: since when every target holds it. */
  heldSince?: number;
  /** previous: when it was replaced, i.e. when its successor was handed over. */
  replacedAt?: number;
  /** No target can hold it (it failed its proof, or nothing stored it): nobody can be using it. */
  storedNowhere?: boolean;
  /** Why the last run kept it, for people: in use, or a revoke that failed. */
  note?: string;
}

export interface Ledger {
  /** The connector whose credentials these are ("appId/connectorId"); a ledger serves one connector only. */
  connector: string;
  /** Grows by one with every write, so the newest of several copies can be told apart. */
  revision: number;
  entries: LedgerEntry[];
  /**
   * The credentials runs retired last (revoked, or found gone), newest last,
   * so that an ID named again (a previous-credential-id left set) is known to
   * be gone rather than taken in as one the targets hold.
   */
  retired?: string[];
}

/** How many retired IDs the ledger remembers. */
export const RETIRED_KEPT = 20;

export function emptyLedger(connector: string): Ledger {
  return { connector, revision: 0, entries: [] };
}

/** The format version this action writes and reads. */
export const LEDGER_VERSION = 1;

/** GitHub keeps at most 48 KB in a variable. */
export const MAX_LEDGER_BYTES = 48 * 1024;

/** Notes and run names are text from a variable anyone with write access may edit: short and one line. */
const MAX_TEXT = 200;

// ---- the text form -------------------------------------------------------------------------------

/** What one variable holds. */
export type VariableContent =
  | { kind: 'empty' }
  /** A credential ID alone: what the action wrote before the ledger, or what a person set by hand. */
  | { kind: 'id'; id: string }
  | { kind: 'ledger'; ledger: Ledger }
  /** Something the action cannot read; `problem` never quotes the value. */
  | { kind: 'unreadable'; problem: string };

interface EntryJson {
  id: string;
  state: CredentialState;
  source: EntrySource;
  issued?: string;
  by?: string;
  held?: string;
  replaced?: string;
  nowhere?: true;
  note?: string;
}

/** One line of compact JSON, fields in a fixed order, times as RFC 3339 (UTC, milliseconds). */
export function serializeLedger(ledger: Ledger): string {
  const credentials = ledger.entries.map((e): EntryJson => {
    const json: EntryJson = { id: e.id, state: e.state, source: e.source };
    if (e.issuedAt !== undefined) json.issued = isoTime(e.issuedAt);
    if (e.issuedBy) json.by = e.issuedBy;
    if (e.heldSince !== undefined) json.held = isoTime(e.heldSince);
    if (e.replacedAt !== undefined) json.replaced = isoTime(e.replacedAt);
    if (e.storedNowhere) json.nowhere = true;
    if (e.note) json.note = e.note;
    return json;
  });
  return JSON.stringify({
    version: LEDGER_VERSION,
    connector: ledger.connector,
    revision: ledger.revision,
    credentials,
    ...(ledger.retired?.length ? { retired: ledger.retired } : {}),
  });
}

const STATES: readonly string[] = ['pending', 'current', 'previous'] satisfies CredentialState[];
const SOURCES: readonly string[] = ['issued', 'given', 'adopted'] satisfies EntrySource[];

/** Reads a variable's value: empty, a credential ID, a ledger, or unreadable (never quoting it). */
export function readVariableContent(value: string | undefined): VariableContent {
  const text = (value ?? '').trim();
  if (text === '') return { kind: 'empty' };
  if (isConductorOneId(text)) return { kind: 'id', id: text };
  if (!text.startsWith('{')) return { kind: 'unreadable', problem: 'neither a credential ID nor a ledger' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', problem: 'a ledger that is not valid JSON' };
  }
  const read = readLedgerJson(json);
  return typeof read === 'string' ? { kind: 'unreadable', problem: read } : { kind: 'ledger', ledger: read };
}

/** A parsed ledger, or what is wrong with it. */
function readLedgerJson(json: unknown): Ledger | string {
  const problem = (what: string) => `a ledger with ${what}`;
  if (!isObject(json)) return problem('no fields');
  if (json.version !== LEDGER_VERSION) {
    return typeof json.version === 'number' && json.version > LEDGER_VERSION
      ? `a ledger of format ${json.version}, written by a newer version of the action`
      : problem('no "version": 1');
  }
  if (typeof json.connector !== 'string' || !/^[A-Za-z0-9._-]{1,128}\/[A-Za-z0-9._-]{1,128}$/.test(json.connector))
    return problem('no "connector" of the form appId/connectorId');
  if (!Number.isSafeInteger(json.revision) || (json.revision as number) < 0) return problem('no whole "revision"');
  if (!Array.isArray(json.credentials)) return problem('no "credentials" list');
  const entries = readEntries(json.credentials);
  if (typeof entries === 'string') return problem(entries);
  const retired = readRetired(json.retired);
  if (retired === undefined) return problem('a "retired" that is not a list of credential IDs');
  return {
    connector: json.connector,
    revision: json.revision as number,
    entries,
    ...(retired.length ? { retired: retired.slice(-RETIRED_KEPT) } : {}),
  };
}

/** The entries of a ledger, or what is wrong with them. */
function readEntries(items: unknown[]): LedgerEntry[] | string {
  const entries: LedgerEntry[] = [];
  for (const [index, item] of items.entries()) {
    const entry = readEntry(item);
    if (typeof entry === 'string') return `credential ${index + 1} ${entry}`;
    if (entries.some((e) => e.id === entry.id)) return `credential ${entry.id} listed twice`;
    entries.push(entry);
  }
  return entries;
}

/** The IDs retired last; undefined when `retired` is not a list of credential IDs. */
function readRetired(retired: unknown): string[] | undefined {
  if (retired === undefined) return [];
  if (!Array.isArray(retired) || !retired.every((id) => typeof id === 'string' && isConductorOneId(id)))
    return undefined;
  return retired as string[];
}

/** One entry of a ledger, or what is wrong with it. */
function readEntry(item: unknown): LedgerEntry | string {
  if (!isObject(item)) return 'not an object';
  const { id, state, source } = item;
  if (typeof id !== 'string' || !isConductorOneId(id)) return 'without a credential ID';
  if (typeof state !== 'string' || !STATES.includes(state))
    return `${id} with a "state" other than ${STATES.join(', ')}`;
  if (typeof source !== 'string' || !SOURCES.includes(source))
    return `${id} with a "source" other than ${SOURCES.join(', ')}`;
  const entry: LedgerEntry = { id, state: state as CredentialState, source: source as EntrySource };
  const problem = readTimes(item, entry) ?? readTexts(item, entry);
  if (problem) return `${id} ${problem}`;
  if (entry.state === 'previous' && entry.replacedAt === undefined) return `${id}, previous, without "replaced"`;
  return entry;
}

/** The entry's times, into `entry`; what is wrong with them, if anything. */
function readTimes(item: Record<string, unknown>, entry: LedgerEntry): string | undefined {
  for (const [field, key] of [
    ['issued', 'issuedAt'],
    ['held', 'heldSince'],
    ['replaced', 'replacedAt'],
  ] as const) {
    const value = item[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !isRfc3339(value)) return `whose "${field}" is not an RFC 3339 time`;
    entry[key] = Date.parse(value);
  }
  return undefined;
}

/** The entry's texts and flag, into `entry`; what is wrong with them, if anything. */
function readTexts(item: Record<string, unknown>, entry: LedgerEntry): string | undefined {
  for (const [field, key] of [
    ['by', 'issuedBy'],
    ['note', 'note'],
  ] as const) {
    const value = item[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_TEXT || hasControlCharacters(value))
      return `whose "${field}" is not one short line of text`;
    entry[key] = value;
  }
  if (item.nowhere === undefined) return undefined;
  if (item.nowhere !== true) return 'whose "nowhere" is not true';
  entry.storedNowhere = true;
  return undefined;
}

// ---- reading the ledger from its variables -------------------------------------------------------

/** The credential-id variable (and, before the ledger, `<variable>_PREVIOUS`) as read in one target. */
export interface VariableRead {
  /** The target's label. */
  target: string;
  value: string | undefined;
  /** When GitHub says the variable was last written (ms); undefined when it does not say. */
  updatedAt?: number;
}

/** The ledger could not be read: one message names the target, the problem and the fix. */
export interface LedgerProblem {
  target: string;
  /** Which variable: the ledger itself, or `<variable>_PREVIOUS` from before the ledger. */
  variable: 'ledger' | 'kept';
  problem: string;
  /** The ledger of another connector: a variable shared by two connectors. */
  otherConnector?: string;
}

export interface FoundLedger {
  ledger: Ledger;
  /** Credentials named by a bare ID (before the ledger, or set by hand), now in the ledger, and where. */
  adopted: Array<{ entry: LedgerEntry; target: string }>;
  /** Whether any target held a ledger already (false: first run, or the first with the ledger). */
  existed: boolean;
}

/**
 * Builds one ledger from the credential-id variable of every target (the first
 * is the ledger's home) and, for a variable written before the ledger existed,
 * from `<variable>_PREVIOUS`. Nothing is lost: the newest ledger copy wins, and
 * any credential ID found elsewhere that it does not know joins it as a
 * credential the targets may hold, so the next hand-over replaces it and a
 * later run retires it.
 */
export function ledgerFromVariables(
  connector: string,
  reads: readonly VariableRead[],
  legacyKept: readonly VariableRead[] = [],
  now = Date.now(),
): FoundLedger | LedgerProblem {
  const contents = reads.map((read) => ({ read, content: readVariableContent(read.value) }));
  const problem = firstProblem(connector, contents);
  if (problem) return problem;
  const copies = contents.flatMap(({ content }) => (content.kind === 'ledger' ? [content.ledger] : []));
  let ledger = copies.length > 0 ? mergeCopies(copies) : emptyLedger(connector);
  const adopted: FoundLedger['adopted'] = [];
  const adopt = (entry: LedgerEntry, target: string) => {
    ledger = withEntry(ledger, entry);
    adopted.push({ entry, target });
  };
  for (const { read, content } of contents) {
    if (content.kind === 'id' && !find(ledger, content.id))
      adopt({ id: content.id, state: 'current', source: 'adopted' }, read.target);
  }
  for (const read of legacyKept) {
    const content = readVariableContent(read.value);
    if (content.kind === 'empty') continue;
    if (content.kind !== 'id') return { target: read.target, variable: 'kept', problem: 'not a credential ID' };
    // Kept by revoke-previous: next-run before the ledger; GitHub says since when.
    if (!find(ledger, content.id))
      adopt({ id: content.id, state: 'previous', source: 'adopted', replacedAt: read.updatedAt ?? now }, read.target);
  }
  return { ledger, adopted, existed: copies.length > 0 };
}

type ReadContent = { read: VariableRead; content: VariableContent };

/** A value that cannot be read, or another connector's ledger: the first one found. */
function firstProblem(connector: string, contents: readonly ReadContent[]): LedgerProblem | undefined {
  for (const { read, content } of contents) {
    if (content.kind === 'unreadable') return { target: read.target, variable: 'ledger', problem: content.problem };
    if (content.kind === 'ledger' && content.ledger.connector !== connector)
      return {
        target: read.target,
        variable: 'ledger',
        problem: `the ledger of connector ${content.ledger.connector}`,
        otherConnector: content.ledger.connector,
      };
  }
  return undefined;
}

/** How far along a credential is: a copy that has it further along knows more of it. */
const PROGRESS: Record<CredentialState, number> = { pending: 0, current: 1, previous: 2 };

/**
 * Several copies (the home moved, or came back after it left the list): every
 * credential any of them records, each as the copy that has it furthest along
 * says (the one of the highest revision on a tie). A credential one copy
 * records and another does not may have been retired by the run that wrote
 * the other: it is kept all the same, and read as gone when it is retired
 * again. Nothing is dropped on the word of one copy.
 */
function mergeCopies(copies: readonly Ledger[]): Ledger {
  const byRevision = [...copies].sort((a, b) => b.revision - a.revision);
  const newest = byRevision[0] as Ledger;
  const merged = new Map<string, LedgerEntry>();
  for (const copy of byRevision) {
    for (const entry of copy.entries) {
      const known = merged.get(entry.id);
      if (!known || PROGRESS[entry.state] > PROGRESS[known.state]) merged.set(entry.id, { ...entry });
    }
  }
  const retired = [...new Set(byRevision.flatMap((c) => c.retired ?? []))].slice(-RETIRED_KEPT);
  return {
    connector: newest.connector,
    revision: Math.max(...copies.map((c) => c.revision)),
    entries: [...merged.values()],
    ...(retired.length ? { retired } : {}),
  };
}

export function isLedgerProblem(value: FoundLedger | LedgerProblem): value is LedgerProblem {
  return 'problem' in value;
}

/**
 * The ledger another run wrote home while this one waited for the lock, with
 * every credential this run knew of that it does not record: nothing is
 * dropped on the word of a value read later (one the other run revoked is read
 * as gone, and forgotten, when this run retires it).
 */
export function rebase(newer: Ledger, known: Ledger): Ledger {
  let ledger = cloneLedger(newer);
  for (const entry of known.entries) if (!find(ledger, entry.id)) ledger = withEntry(ledger, { ...entry });
  return ledger;
}

// ---- what the ledger says ------------------------------------------------------------------------

export function find(ledger: Ledger, id: string): LedgerEntry | undefined {
  return ledger.entries.find((e) => e.id === id);
}

/** Credentials some target may hold: every current and pending one. */
export function held(ledger: Ledger): LedgerEntry[] {
  return ledger.entries.filter((e) => e.state !== 'previous');
}

/**
 * The one credential every target holds, when the ledger knows it: exactly one
 * current credential and nothing pending. Otherwise why not.
 */
export function currentCredential(ledger: Ledger): { id: string; why?: string } {
  const pending = ledger.entries.filter((e) => e.state === 'pending');
  const current = ledger.entries.filter((e) => e.state === 'current');
  if (pending.length > 0) {
    const ids = pending.map((e) => e.id).join(', ');
    return { id: '', why: `the rotation that issued ${ids} did not finish, so the targets may hold it` };
  }
  if (current.length > 1) return { id: '', why: `the targets may hold any of ${current.map((e) => e.id).join(', ')}` };
  const [only] = current;
  return only ? { id: only.id } : { id: '', why: 'no current credential is known' };
}

// ---- transitions ---------------------------------------------------------------------------------

/**
 * previous-credential-id names the credential the secrets hold. One the ledger
 * already knows changes nothing; one it records as replaced is stale (the input
 * was left set), so it is ignored and the caller says so; an unknown one joins
 * as a credential the targets may hold.
 */
export function adoptGiven(
  ledger: Ledger,
  id: string,
): { ledger: Ledger; stale?: { id: string; replacedAt?: number } } {
  const known = find(ledger, id);
  if (known?.state === 'previous')
    return { ledger, stale: { id, ...(known.replacedAt !== undefined ? { replacedAt: known.replacedAt } : {}) } };
  if (known) return { ledger };
  // Retired by a run already: the input was left set after the first rotation.
  if (ledger.retired?.includes(id)) return { ledger, stale: { id } };
  return { ledger: withEntry(ledger, { id, state: 'current', source: 'given' }) };
}

/** RotateCredential issued `id`: recorded as pending, before any target may hold it. */
export function recordIssued(ledger: Ledger, id: string, now: number, issuedBy: string): Ledger {
  if (find(ledger, id)) return ledger;
  const entry: LedgerEntry = { id, state: 'pending', source: 'issued', issuedAt: now };
  if (issuedBy) entry.issuedBy = oneLineText(issuedBy);
  return withEntry(ledger, entry);
}

/**
 * Every target holds `id`, proved, and every deploy run succeeded: it becomes
 * current, and every other credential a target may have held is replaced now.
 */
export function handOver(ledger: Ledger, id: string, now: number): Ledger {
  return mapEntries(ledger, (e) => {
    if (e.id === id) return { ...without(e, 'replacedAt', 'note', 'storedNowhere'), state: 'current', heldSince: now };
    if (e.state === 'previous') return e;
    // heldSince stays: a credential replaced without ever having been handed over has none.
    return { ...e, state: 'previous', replacedAt: now };
  });
}

/**
 * A new credential no target holds or may hold (it failed its check or proof,
 * or every target refused it): gone when revoked, otherwise kept as a previous
 * credential stored nowhere, which the next successful run revokes at once.
 */
export function discard(ledger: Ledger, id: string, revoked: boolean, now: number, note = ''): Ledger {
  if (revoked) return { ...ledger, entries: ledger.entries.filter((e) => e.id !== id) };
  if (!find(ledger, id)) return ledger;
  return mapEntries(ledger, (e) =>
    e.id === id
      ? {
          ...without(e, 'heldSince'),
          state: 'previous',
          replacedAt: now,
          storedNowhere: true,
          ...(note ? { note: oneLineText(note) } : {}),
        }
      : e,
  );
}

/**
 * The ledger without its texts (notes, and who issued each credential): what
 * must fit in a variable. When the whole does not, this is written instead:
 * the texts are for people, the states and times are what runs need.
 */
export function withoutTexts(ledger: Ledger): Ledger {
  return mapEntries(ledger, (e) => without(e, 'note', 'issuedBy'));
}

/** The ledger as written next: one revision on (a revision at the end of safe integers stays there). */
export function nextRevision(ledger: Ledger): Ledger {
  return { ...ledger, revision: Math.min(ledger.revision + 1, Number.MAX_SAFE_INTEGER) };
}

// ---- retiring replaced credentials ---------------------------------------------------------------

/** revoke-previous and keep-previous-for, as the retirement rules need them. */
export interface RetirePolicy {
  /** false: revoke nothing; 'now': revoke once replaced; 'next-run': once replaced at least keepMs ago. */
  mode: false | 'now' | 'next-run';
  keepMs: number;
  /**
   * How long a run may hold the rotation lock. A credential another run issued
   * and never handed over may still be being written by that run (its lock
   * taken over, or deleted by hand) for that long after it was issued: until
   * then, it is not revoked.
   */
  writerMs?: number;
}

export type RetireStep =
  /** Due: read its last use, then revoke it unless a consumer still uses it. */
  | { entry: LedgerEntry; step: 'check' }
  /** Not due before `dueAt`: next-run's keep-previous-for, or its run may still be writing it ('writer'). */
  | { entry: LedgerEntry; step: 'wait'; dueAt: number; why: 'keep' | 'writer' }
  /** revoke-previous is off: it stays valid, and the run says so. */
  | { entry: LedgerEntry; step: 'off' };

/** What to do with each replaced credential now. Credentials a target may hold are never touched. */
export function planRetirement(ledger: Ledger, policy: RetirePolicy, now: number): RetireStep[] {
  return ledger.entries
    .filter((e) => e.state === 'previous')
    .map((entry): RetireStep => {
      // Stored nowhere: no consumer can have it, so it goes whatever the mode (its discard promised so).
      if (entry.storedNowhere) return { entry, step: 'check' };
      if (policy.mode === false) return { entry, step: 'off' };
      const writerDue = unfinished(entry) ? (entry.issuedAt as number) + (policy.writerMs ?? 0) : 0;
      const keepDue = policy.mode === 'next-run' ? (entry.replacedAt ?? now) + policy.keepMs : 0;
      if (now >= writerDue && now >= keepDue) return { entry, step: 'check' };
      return keepDue >= writerDue
        ? { entry, step: 'wait', dueAt: keepDue, why: 'keep' }
        : { entry, step: 'wait', dueAt: writerDue, why: 'writer' };
    });
}

/** A credential a run issued and never handed over: that run may have been writing it to the targets. */
function unfinished(entry: LedgerEntry): boolean {
  return entry.source === 'issued' && entry.heldSince === undefined && entry.issuedAt !== undefined;
}

/** ConductorOne's view of a credential before a revoke. */
export type CredentialUse =
  | { gone: true }
  /** lastUsedAt in ms on the runner's clock; undefined: never used; 'unreadable': the answer did not say. */
  | { gone?: false; lastUsedAt: number | undefined | 'unreadable' };

export type UseVerdict =
  | { verdict: 'gone' }
  | { verdict: 'revoke' }
  /** The in-use guard keeps it: a consumer may still use it. */
  | { verdict: 'keep'; why: string; lastUsedAt?: number };

/**
 * The in-use guard. With `now` (revoke-previous: true) a credential is kept
 * when a consumer used it after it was replaced, until it has gone unused for
 * keep-previous-for; with `next-run`, when it was used within keep-previous-for.
 * A credential stored nowhere has no consumer: its only use was the proof.
 */
export function judgeUse(entry: LedgerEntry, use: CredentialUse, policy: RetirePolicy, now: number): UseVerdict {
  if (use.gone) return { verdict: 'gone' };
  const { lastUsedAt } = use;
  // Stored nowhere: its only use was the proof, before it was discarded. A use after that means someone has it.
  if (entry.storedNowhere) {
    const usedSince = typeof lastUsedAt === 'number' && lastUsedAt > (entry.replacedAt ?? 0);
    return usedSince ? { verdict: 'keep', why: 'used after it was found unusable', lastUsedAt } : { verdict: 'revoke' };
  }
  if (lastUsedAt === 'unreadable') return { verdict: 'keep', why: 'ConductorOne did not say when it was last used' };
  if (lastUsedAt === undefined) return { verdict: 'revoke' };
  const recently = now - lastUsedAt < policy.keepMs;
  const afterReplacement = lastUsedAt > (entry.replacedAt ?? 0);
  if (recently && (policy.mode === 'next-run' || afterReplacement)) {
    const why = afterReplacement ? 'used after it was replaced' : 'used within keep-previous-for';
    return { verdict: 'keep', why, lastUsedAt };
  }
  return { verdict: 'revoke' };
}

/** How one retirement ended, for settle(). */
export type RetireResult =
  | { id: string; result: 'revoked' | 'gone' }
  | { id: string; result: 'kept' | 'failed'; note: string };

/** Revoked and vanished credentials leave the ledger; kept and failed ones stay, with why. */
export function settle(ledger: Ledger, results: readonly RetireResult[]): Ledger {
  const byId = new Map(results.map((r) => [r.id, r]));
  const entries = ledger.entries.flatMap((e) => {
    const r = byId.get(e.id);
    if (!r) return [e];
    return 'note' in r ? [{ ...e, note: oneLineText(r.note) }] : [];
  });
  const gone = results.filter((r) => !('note' in r) && find(ledger, r.id)).map((r) => r.id);
  const retired = [...(ledger.retired ?? []).filter((id) => !gone.includes(id)), ...gone].slice(-RETIRED_KEPT);
  return { ...ledger, entries, ...(retired.length ? { retired } : {}) };
}

// ---- helpers -------------------------------------------------------------------------------------

function withEntry(ledger: Ledger, entry: LedgerEntry): Ledger {
  return { ...ledger, entries: [...ledger.entries, entry] };
}

function mapEntries(ledger: Ledger, map: (e: LedgerEntry) => LedgerEntry): Ledger {
  return { ...ledger, entries: ledger.entries.map(map) };
}

function cloneLedger(ledger: Ledger): Ledger {
  return { ...ledger, entries: ledger.entries.map((e) => ({ ...e })) };
}

function without<K extends keyof LedgerEntry>(entry: LedgerEntry, ...keys: K[]): Omit<LedgerEntry, K> {
  const copy = { ...entry };
  for (const key of keys) delete copy[key];
  return copy;
}

/** A text bound for the ledger: one line, short, nothing shaped like a credential. */
function oneLineText(text: string): string {
  return serverText(text, MAX_TEXT);
}

/** Milliseconds kept: keep-previous-for is a promise of "at least", not "about". */
function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
