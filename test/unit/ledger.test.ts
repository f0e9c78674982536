// The credential ledger (src/ledger.ts, SPEC 4a): its text form, how it is read from the variables of every target,
// each transition, the retirement plan and the in-use guard. Everything here is pure: no clock, no request.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  adoptGiven,
  type CredentialState,
  type CredentialUse,
  currentCredential,
  discard,
  emptyLedger,
  find,
  handOver,
  held,
  isLedgerProblem,
  judgeUse,
  LEDGER_VERSION,
  type LedgerEntry,
  type LedgerProblem,
  ledgerFromVariables,
  nextRevision,
  planRetirement,
  RETIRED_KEPT,
  type RetirePolicy,
  readVariableContent,
  rebase,
  recordIssued,
  serializeLedger,
  settle,
  type VariableRead,
} from '../../src/ledger.js';
import { CONNECTOR, ledgerOf, previous } from './ledger-entries.js';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const KEEP = 6 * HOUR;

const NOW: RetirePolicy = { mode: 'now', keepMs: KEEP };
const NEXT_RUN: RetirePolicy = { mode: 'next-run', keepMs: KEEP };
const OFF: RetirePolicy = { mode: false, keepMs: KEEP };

/** The JSON text of a ledger as a person might have edited it. */
function ledgerText(credentials: unknown[], fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: 1, connector: CONNECTOR, revision: 3, credentials, ...fields });
}

/** The problem readVariableContent finds with a value, failing the test when it finds none. */
function problemOf(value: string): string {
  const content = readVariableContent(value);
  if (content.kind !== 'unreadable') throw new Error(`expected an unreadable value, got ${JSON.stringify(content)}`);
  return content.problem;
}

/** A value frozen all the way down, so that a transition that mutates its input throws. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

describe('readVariableContent', () => {
  it('reads an absent, empty or blank value as empty', () => {
    expect(readVariableContent(undefined)).toEqual({ kind: 'empty' });
    expect(readVariableContent('')).toEqual({ kind: 'empty' });
    expect(readVariableContent('  \n\t ')).toEqual({ kind: 'empty' });
  });

  it('reads a bare credential ID, trimmed, as an ID', () => {
    expect(readVariableContent('2bXvQmZ8l0Qh3fE9xK1cR7tYw4A')).toEqual({
      kind: 'id',
      id: '2bXvQmZ8l0Qh3fE9xK1cR7tYw4A',
    });
    expect(readVariableContent(' cred-1\n')).toEqual({ kind: 'id', id: 'cred-1' });
  });

  it('reads a ledger with every field', () => {
    const value = ledgerText(
      [
        {
          id: 'cred-old',
          state: 'previous',
          source: 'issued',
          issued: '2026-02-01T00:00:00.000Z',
          by: 'acme/rotation run 911 attempt 1',
          replaced: '2026-03-01T11:00:00.000Z',
          nowhere: true,
          note: 'kept: used after it was replaced',
        },
        { id: 'cred-new', state: 'current', source: 'given', held: '2026-03-01T11:00:00+01:00' },
        { id: 'cred-odd', state: 'pending', source: 'adopted' },
      ],
      { revision: 12 },
    );
    expect(readVariableContent(value)).toEqual({
      kind: 'ledger',
      ledger: {
        connector: CONNECTOR,
        revision: 12,
        entries: [
          {
            id: 'cred-old',
            state: 'previous',
            source: 'issued',
            issuedAt: Date.UTC(2026, 1, 1),
            issuedBy: 'acme/rotation run 911 attempt 1',
            replacedAt: Date.UTC(2026, 2, 1, 11),
            storedNowhere: true,
            note: 'kept: used after it was replaced',
          },
          { id: 'cred-new', state: 'current', source: 'given', heldSince: Date.UTC(2026, 2, 1, 10) },
          { id: 'cred-odd', state: 'pending', source: 'adopted' },
        ],
      },
    });
  });

  it('reads a ledger with no credentials', () => {
    expect(readVariableContent(ledgerText([], { revision: 0 }))).toEqual({
      kind: 'ledger',
      ledger: { connector: CONNECTOR, revision: 0, entries: [] },
    });
  });

  describe('says why a value is unreadable', () => {
    it('neither an ID nor a ledger: text with spaces, a list, an ID with a bad first character', () => {
      for (const value of ['cred 1', 'cred-1, cred-2', '["cred-1"]', '-cred', '../cred', 'a'.repeat(129)]) {
        expect(problemOf(value), value).toBe('neither a credential ID nor a ledger');
      }
    });

    it('a ledger that is not valid JSON', () => {
      expect(problemOf('{"version": 1,')).toBe('a ledger that is not valid JSON');
      expect(problemOf("{version: 1, connector: 'app-1/conn-1'}")).toBe('a ledger that is not valid JSON');
    });

    it('a ledger written by a newer version of the action', () => {
      expect(problemOf(ledgerText([], { version: LEDGER_VERSION + 1 }))).toBe(
        `a ledger of format ${LEDGER_VERSION + 1}, written by a newer version of the action`,
      );
    });

    it('a ledger without version 1: missing, older, or not a number', () => {
      for (const version of [undefined, 0, '1', null, 0.5, -2]) {
        expect(problemOf(ledgerText([], { version })), String(version)).toBe('a ledger with no "version": 1');
      }
      expect(problemOf('{}')).toBe('a ledger with no "version": 1');
    });

    // Questionable: a version that is not a whole number is taken for a newer format, not for a damaged value.
    it('a fractional version above 1 is read as a newer format', () => {
      expect(problemOf(ledgerText([], { version: 1.5 }))).toBe(
        'a ledger of format 1.5, written by a newer version of the action',
      );
    });

    it('a ledger without a connector of the form appId/connectorId', () => {
      for (const connector of [undefined, '', 'app-1', 'app-1/conn-1/x', 'app 1/conn-1', '/conn-1', 7]) {
        expect(problemOf(ledgerText([], { connector })), String(connector)).toBe(
          'a ledger with no "connector" of the form appId/connectorId',
        );
      }
    });

    it('a ledger without a whole, non-negative revision', () => {
      for (const revision of [undefined, -1, 1.5, '3', null, Number.MAX_SAFE_INTEGER + 2]) {
        expect(problemOf(ledgerText([], { revision })), String(revision)).toBe('a ledger with no whole "revision"');
      }
    });

    it('a ledger without a credentials list', () => {
      for (const credentials of [undefined, {}, 'cred-1', null]) {
        expect(problemOf(ledgerText([], { credentials })), String(credentials)).toBe(
          'a ledger with no "credentials" list',
        );
      }
    });

    it('a credential that is not an object, counted from 1', () => {
      const ok = { id: 'cred-1', state: 'current', source: 'issued' };
      expect(problemOf(ledgerText(['cred-2']))).toBe('a ledger with credential 1 not an object');
      expect(problemOf(ledgerText([ok, null]))).toBe('a ledger with credential 2 not an object');
      expect(problemOf(ledgerText([ok, ['cred-2']]))).toBe('a ledger with credential 2 not an object');
    });

    it('a credential without a valid ID, never quoting what it holds instead', () => {
      for (const id of [undefined, '', 'cred 1', '::error::x', 42]) {
        const problem = problemOf(ledgerText([{ id, state: 'current', source: 'issued' }]));
        expect(problem, String(id)).toBe('a ledger with credential 1 without a credential ID');
      }
    });

    it('a credential with an unknown state or source', () => {
      expect(problemOf(ledgerText([{ id: 'cred-1', state: 'AWSCURRENT', source: 'issued' }]))).toBe(
        'a ledger with credential 1 cred-1 with a "state" other than pending, current, previous',
      );
      expect(problemOf(ledgerText([{ id: 'cred-1', source: 'issued' }]))).toBe(
        'a ledger with credential 1 cred-1 with a "state" other than pending, current, previous',
      );
      expect(problemOf(ledgerText([{ id: 'cred-1', state: 'current', source: 'hand' }]))).toBe(
        'a ledger with credential 1 cred-1 with a "source" other than issued, given, adopted',
      );
    });

    it('a time that is not RFC 3339, in each time field', () => {
      const base = { id: 'cred-1', state: 'previous', source: 'issued', replaced: '2026-03-01T12:00:00Z' };
      expect(problemOf(ledgerText([{ ...base, issued: 'yesterday' }]))).toBe(
        'a ledger with credential 1 cred-1 whose "issued" is not an RFC 3339 time',
      );
      expect(problemOf(ledgerText([{ ...base, held: T0 }]))).toBe(
        'a ledger with credential 1 cred-1 whose "held" is not an RFC 3339 time',
      );
      expect(problemOf(ledgerText([{ ...base, replaced: '2026-03-01 12:00:00' }]))).toBe(
        'a ledger with credential 1 cred-1 whose "replaced" is not an RFC 3339 time',
      );
      expect(problemOf(ledgerText([{ ...base, replaced: '2026-03-01T25:00:00Z' }]))).toBe(
        'a ledger with credential 1 cred-1 whose "replaced" is not an RFC 3339 time',
      );
    });

    // Questionable: isRfc3339 leaves the calendar to Date.parse, which takes 30 February for 2 March.
    it('an impossible calendar date (30 February) is read as the day it rolls over to', () => {
      const content = readVariableContent(
        ledgerText([{ id: 'cred-1', state: 'previous', source: 'issued', replaced: '2026-02-30T12:00:00Z' }]),
      );
      expect(content.kind === 'ledger' && content.ledger.entries[0]?.replacedAt).toBe(Date.UTC(2026, 2, 2, 12));
    });

    it('a run name or note that is not one short line of text', () => {
      const base = { id: 'cred-1', state: 'current', source: 'issued' };
      expect(problemOf(ledgerText([{ ...base, by: 'run 1\n::error::forged' }]))).toBe(
        'a ledger with credential 1 cred-1 whose "by" is not one short line of text',
      );
      expect(problemOf(ledgerText([{ ...base, by: 17 }]))).toBe(
        'a ledger with credential 1 cred-1 whose "by" is not one short line of text',
      );
      expect(problemOf(ledgerText([{ ...base, note: 'x'.repeat(201) }]))).toBe(
        'a ledger with credential 1 cred-1 whose "note" is not one short line of text',
      );
      expect(problemOf(ledgerText([{ ...base, note: 'kept\u2028again' }]))).toBe(
        'a ledger with credential 1 cred-1 whose "note" is not one short line of text',
      );
      // 200 characters is the most a note may have.
      expect(readVariableContent(ledgerText([{ ...base, note: 'x'.repeat(200) }])).kind).toBe('ledger');
    });

    it('a "nowhere" flag that is not true', () => {
      for (const nowhere of [false, 'true', 1]) {
        const value = ledgerText([
          { id: 'cred-1', state: 'previous', source: 'issued', replaced: '2026-03-01T12:00:00Z', nowhere },
        ]);
        expect(problemOf(value), String(nowhere)).toBe('a ledger with credential 1 cred-1 whose "nowhere" is not true');
      }
    });

    it('a previous credential without the time it was replaced', () => {
      expect(problemOf(ledgerText([{ id: 'cred-1', state: 'previous', source: 'issued' }]))).toBe(
        'a ledger with credential 1 cred-1, previous, without "replaced"',
      );
    });

    it('a credential listed twice', () => {
      const value = ledgerText([
        { id: 'cred-1', state: 'current', source: 'issued' },
        { id: 'cred-2', state: 'pending', source: 'issued' },
        { id: 'cred-1', state: 'previous', source: 'issued', replaced: '2026-03-01T12:00:00Z' },
      ]);
      expect(problemOf(value)).toBe('a ledger with credential cred-1 listed twice');
    });

    it('never quotes the value, even where a field holds a secret', () => {
      const secret = 'secret-token:conductorone.com:v1:eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5In0';
      for (const value of [
        ledgerText([], { connector: secret }),
        ledgerText([{ id: secret, state: 'current', source: 'issued' }]),
        ledgerText([{ id: 'cred-1', state: secret, source: 'issued' }]),
        ledgerText([{ id: 'cred-1', state: 'current', source: 'issued', note: `${secret}\n` }]),
        `{${secret}`,
        secret,
      ]) {
        expect(problemOf(value)).not.toContain('secret-token');
      }
    });
  });
});

describe('serializeLedger', () => {
  it('writes one line of JSON, fields in a fixed order, times in UTC with milliseconds', () => {
    const text = serializeLedger(
      ledgerOf(
        [
          {
            note: 'kept: in use',
            storedNowhere: true,
            replacedAt: T0 + 5,
            heldSince: T0 - HOUR,
            issuedBy: 'acme/rotation run 1 attempt 1',
            issuedAt: T0 - 2 * HOUR,
            source: 'issued',
            state: 'previous',
            id: 'cred-1',
          },
        ],
        7,
      ),
    );
    expect(text).toBe(
      '{"version":1,"connector":"app-1/conn-1","revision":7,"credentials":[{"id":"cred-1","state":"previous",' +
        '"source":"issued","issued":"2026-03-01T10:00:00.000Z","by":"acme/rotation run 1 attempt 1",' +
        '"held":"2026-03-01T11:00:00.000Z","replaced":"2026-03-01T12:00:00.005Z","nowhere":true,"note":"kept: in use"}]}',
    );
  });

  it('leaves out the fields an entry does not have (no empty run name, note or false flag)', () => {
    const text = serializeLedger(
      ledgerOf([{ id: 'cred-1', state: 'current', source: 'adopted', issuedBy: '', note: '', storedNowhere: false }]),
    );
    expect(JSON.parse(text).credentials).toEqual([{ id: 'cred-1', state: 'current', source: 'adopted' }]);
  });

  it('reads back exactly what it wrote (serialize, then read)', () => {
    const ledger = ledgerOf(
      [
        previous('cred-a', T0 - 3 * HOUR, { issuedAt: T0 - 50 * HOUR, issuedBy: 'acme/rotation run 7 attempt 2' }),
        previous('cred-b', T0 - HOUR, { storedNowhere: true, note: 'stored nowhere' }),
        { id: 'cred-c', state: 'current', source: 'given', heldSince: T0 - HOUR },
        { id: 'cred-d', state: 'pending', source: 'issued', issuedAt: T0 + 123 },
      ],
      41,
    );
    expect(readVariableContent(serializeLedger(ledger))).toEqual({ kind: 'ledger', ledger });
  });

  it('reads back what a run of transitions wrote, including notes cut to one line', () => {
    let ledger = recordIssued(emptyLedger(CONNECTOR), 'cred-1', T0, 'acme/rotation run 1 attempt 1');
    ledger = handOver(ledger, 'cred-1', T0 + MINUTE);
    ledger = recordIssued(ledger, 'cred-2', T0 + HOUR, `run\n${'y'.repeat(400)}`);
    ledger = handOver(ledger, 'cred-2', T0 + HOUR + MINUTE);
    ledger = settle(ledger, [
      { id: 'cred-1', result: 'failed', note: `revoke failed: ${'z'.repeat(500)}\nsecond line` },
    ]);
    ledger = nextRevision(nextRevision(ledger));
    const read = readVariableContent(serializeLedger(ledger));
    expect(read).toEqual({ kind: 'ledger', ledger });
    expect(ledger.revision).toBe(2);
  });
});

describe('ledgerFromVariables', () => {
  const read = (target: string, value: string | undefined, updatedAt?: number): VariableRead => ({
    target,
    value,
    ...(updatedAt !== undefined ? { updatedAt } : {}),
  });
  const found = (result: ReturnType<typeof ledgerFromVariables>) => {
    if (isLedgerProblem(result)) throw new Error(`expected a ledger, got ${JSON.stringify(result)}`);
    return result;
  };
  const problem = (result: ReturnType<typeof ledgerFromVariables>): LedgerProblem => {
    if (!isLedgerProblem(result)) throw new Error(`expected a problem, got ${JSON.stringify(result)}`);
    return result;
  };

  it('starts an empty ledger of the connector when no target holds anything', () => {
    expect(ledgerFromVariables(CONNECTOR, [read('acme/one', undefined), read('acme/two', '')], [], T0)).toEqual({
      ledger: { connector: CONNECTOR, revision: 0, entries: [] },
      adopted: [],
      existed: false,
    });
    expect(ledgerFromVariables(CONNECTOR, [], [], T0)).toEqual({
      ledger: emptyLedger(CONNECTOR),
      adopted: [],
      existed: false,
    });
  });

  it('takes the ledger of the home as it is', () => {
    const ledger = ledgerOf([{ id: 'cred-1', state: 'current', source: 'issued' }], 4);
    expect(ledgerFromVariables(CONNECTOR, [read('acme/one', serializeLedger(ledger))], [], T0)).toEqual({
      ledger,
      adopted: [],
      existed: true,
    });
  });

  it('adopts bare IDs as current credentials the targets may hold, each once, naming where it was', () => {
    const result = found(
      ledgerFromVariables(
        CONNECTOR,
        [read('acme/one', 'cred-1'), read('acme/two', 'cred-2'), read('acme/three', 'cred-1')],
        [],
        T0,
      ),
    );
    const one = { id: 'cred-1', state: 'current', source: 'adopted' };
    const two = { id: 'cred-2', state: 'current', source: 'adopted' };
    expect(result.ledger).toEqual({ connector: CONNECTOR, revision: 0, entries: [one, two] });
    expect(result.adopted).toEqual([
      { entry: one, target: 'acme/one' },
      { entry: two, target: 'acme/two' },
    ]);
    expect(result.existed).toBe(false);
    expect(currentCredential(result.ledger)).toEqual({ id: '', why: 'the targets may hold any of cred-1, cred-2' });
  });

  it('adopts a bare ID found beside a ledger only when the ledger does not know it', () => {
    const ledger = ledgerOf([previous('cred-old', T0 - HOUR), { id: 'cred-1', state: 'current', source: 'issued' }]);
    const result = found(
      ledgerFromVariables(
        CONNECTOR,
        [read('acme/one', serializeLedger(ledger)), read('acme/two', 'cred-old'), read('acme/three', 'cred-9')],
        [],
        T0,
      ),
    );
    expect(result.ledger.entries.map((e) => [e.id, e.state, e.source])).toEqual([
      ['cred-old', 'previous', 'issued'],
      ['cred-1', 'current', 'issued'],
      ['cred-9', 'current', 'adopted'],
    ]);
    expect(result.adopted.map((a) => [a.entry.id, a.target])).toEqual([['cred-9', 'acme/three']]);
    expect(result.existed).toBe(true);
  });

  it('takes the copy with the highest revision, wherever it is', () => {
    const older = ledgerOf([{ id: 'cred-1', state: 'current', source: 'issued' }], 5);
    const newer = ledgerOf([previous('cred-1', T0), { id: 'cred-2', state: 'current', source: 'issued' }], 6);
    const result = found(
      ledgerFromVariables(
        CONNECTOR,
        [read('acme/one', serializeLedger(older)), read('acme/two', serializeLedger(newer))],
        [],
        T0,
      ),
    );
    expect(result.ledger).toEqual(newer);
  });

  it('merges copies that disagree: every credential either records, each as far along as either has it', () => {
    // The home left the list and came back: its old copy (higher revision) and the newer copy written meanwhile.
    const old = ledgerOf(
      [
        previous('cred-0', T0 - 9 * HOUR),
        { id: 'cred-1', state: 'current', source: 'issued', heldSince: T0 - 8 * HOUR },
      ],
      8,
    );
    const newer = ledgerOf([previous('cred-1', T0 - HOUR), { id: 'cred-2', state: 'current', source: 'issued' }], 4);
    const result = found(
      ledgerFromVariables(
        CONNECTOR,
        [read('acme/one', serializeLedger(old)), read('acme/two', serializeLedger(newer))],
        [],
        T0,
      ),
    );
    expect(result.ledger).toEqual({
      connector: CONNECTOR,
      revision: 8,
      entries: [
        previous('cred-0', T0 - 9 * HOUR),
        previous('cred-1', T0 - HOUR),
        { id: 'cred-2', state: 'current', source: 'issued' },
      ],
    });
  });

  it('gives a copy that the caller may change without changing what it read', () => {
    const value = serializeLedger(ledgerOf([{ id: 'cred-1', state: 'current', source: 'issued' }]));
    const first = found(ledgerFromVariables(CONNECTOR, [read('acme/one', value)], [], T0));
    (first.ledger.entries[0] as LedgerEntry).state = 'previous';
    const second = found(ledgerFromVariables(CONNECTOR, [read('acme/one', value)], [], T0));
    expect(second.ledger.entries[0]?.state).toBe('current');
  });

  it('refuses a value it cannot read, naming the target and the problem', () => {
    const result = ledgerFromVariables(
      CONNECTOR,
      [read('acme/one', 'cred-1'), read('acme/two', 'not an id'), read('acme/three', '{oops')],
      [],
      T0,
    );
    expect(problem(result)).toEqual({
      target: 'acme/two',
      variable: 'ledger',
      problem: 'neither a credential ID nor a ledger',
    });
  });

  it("refuses another connector's ledger, in any target, naming that connector", () => {
    const mine = serializeLedger(ledgerOf([], 9));
    const theirs = serializeLedger(ledgerOf([], 1, 'app-1/conn-2'));
    expect(problem(ledgerFromVariables(CONNECTOR, [read('acme/one', mine), read('acme/two', theirs)], [], T0))).toEqual(
      {
        target: 'acme/two',
        variable: 'ledger',
        problem: 'the ledger of connector app-1/conn-2',
        otherConnector: 'app-1/conn-2',
      },
    );
  });

  it('adopts what <variable>_PREVIOUS kept as a previous credential, replaced when GitHub last wrote it', () => {
    const result = found(
      ledgerFromVariables(
        CONNECTOR,
        [read('acme/one', 'cred-new'), read('acme/two', 'cred-new')],
        [read('acme/one', 'cred-old', T0 - 2 * HOUR), read('acme/two', undefined)],
        T0,
      ),
    );
    const current = { id: 'cred-new', state: 'current', source: 'adopted' };
    const kept = { id: 'cred-old', state: 'previous', source: 'adopted', replacedAt: T0 - 2 * HOUR };
    expect(result.ledger.entries).toEqual([current, kept]);
    expect(result.adopted).toEqual([
      { entry: current, target: 'acme/one' },
      { entry: kept, target: 'acme/one' },
    ]);
  });

  it('counts a kept credential as replaced now when GitHub does not say when it was written', () => {
    const result = found(
      ledgerFromVariables(CONNECTOR, [read('acme/one', 'cred-new')], [read('acme/one', 'cred-old')], T0),
    );
    expect(find(result.ledger, 'cred-old')).toEqual({
      id: 'cred-old',
      state: 'previous',
      source: 'adopted',
      replacedAt: T0,
    });
  });

  it('adopts a kept credential found in several targets once, and not at all when it is also held', () => {
    const result = found(
      ledgerFromVariables(
        CONNECTOR,
        [read('acme/one', 'cred-new'), read('acme/two', 'cred-mid')],
        [
          read('acme/one', 'cred-old', T0 - HOUR),
          read('acme/two', 'cred-old', T0 - 3 * HOUR),
          read('acme/three', 'cred-mid'),
        ],
        T0,
      ),
    );
    expect(result.ledger.entries.map((e) => [e.id, e.state, e.replacedAt])).toEqual([
      ['cred-new', 'current', undefined],
      ['cred-mid', 'current', undefined],
      ['cred-old', 'previous', T0 - HOUR],
    ]);
  });

  it('refuses a <variable>_PREVIOUS that is not a credential ID', () => {
    for (const value of ['two words', serializeLedger(ledgerOf([]))]) {
      expect(
        problem(ledgerFromVariables(CONNECTOR, [read('acme/one', 'cred-1')], [read('acme/two', value)], T0)),
      ).toEqual({ target: 'acme/two', variable: 'kept', problem: 'not a credential ID' });
    }
  });
});

describe('rebase', () => {
  it("adds to another run's newer ledger every credential this run knew of that it does not record", () => {
    const newer = ledgerOf(
      [previous('cred-1', T0 - MINUTE), { id: 'cred-2', state: 'current', source: 'issued', heldSince: T0 - MINUTE }],
      8,
    );
    const known = ledgerOf(
      [
        { id: 'cred-1', state: 'current', source: 'issued' },
        previous('cred-0', T0 - HOUR, { source: 'adopted' }),
        { id: 'cred-9', state: 'current', source: 'given' },
      ],
      4,
    );
    const rebased = rebase(frozen(newer), frozen(known));
    expect(rebased).toEqual({
      connector: CONNECTOR,
      revision: 8,
      entries: [
        previous('cred-1', T0 - MINUTE),
        { id: 'cred-2', state: 'current', source: 'issued', heldSince: T0 - MINUTE },
        previous('cred-0', T0 - HOUR, { source: 'adopted' }),
        { id: 'cred-9', state: 'current', source: 'given' },
      ],
    });
    expect(rebased.entries[2]).not.toBe(known.entries[1]);
  });

  it('takes the newer ledger as it is when this run knew nothing else', () => {
    const newer = ledgerOf([{ id: 'cred-2', state: 'current', source: 'issued' }], 8);
    expect(rebase(newer, ledgerOf([{ id: 'cred-2', state: 'pending', source: 'issued' }]))).toEqual(newer);
    expect(rebase(newer, emptyLedger(CONNECTOR))).toEqual(newer);
  });
});

describe('what the ledger says', () => {
  it('finds an entry by ID', () => {
    const ledger = ledgerOf([{ id: 'cred-1', state: 'current', source: 'issued' }]);
    expect(find(ledger, 'cred-1')?.state).toBe('current');
    expect(find(ledger, 'cred-2')).toBeUndefined();
  });

  it('counts every current and pending credential as held, no previous one', () => {
    const ledger = ledgerOf([
      previous('cred-0', T0),
      { id: 'cred-1', state: 'current', source: 'issued' },
      { id: 'cred-2', state: 'pending', source: 'issued' },
    ]);
    expect(held(ledger).map((e) => e.id)).toEqual(['cred-1', 'cred-2']);
  });

  describe('currentCredential', () => {
    it('is the one current credential when nothing is pending', () => {
      const ledger = ledgerOf([previous('cred-0', T0), { id: 'cred-1', state: 'current', source: 'issued' }]);
      expect(currentCredential(ledger)).toEqual({ id: 'cred-1' });
    });

    it('is none while a rotation that did not finish may have left its credential in some targets', () => {
      const ledger = ledgerOf([
        { id: 'cred-1', state: 'current', source: 'issued' },
        { id: 'cred-2', state: 'pending', source: 'issued' },
        { id: 'cred-3', state: 'pending', source: 'issued' },
      ]);
      expect(currentCredential(ledger)).toEqual({
        id: '',
        why: 'the rotation that issued cred-2, cred-3 did not finish, so the targets may hold it',
      });
    });

    it('is none when the targets may hold several', () => {
      const ledger = ledgerOf([
        { id: 'cred-1', state: 'current', source: 'issued' },
        { id: 'cred-2', state: 'current', source: 'adopted' },
      ]);
      expect(currentCredential(ledger)).toEqual({ id: '', why: 'the targets may hold any of cred-1, cred-2' });
    });

    it('is none when only replaced credentials are known', () => {
      expect(currentCredential(ledgerOf([previous('cred-0', T0)]))).toEqual({
        id: '',
        why: 'no current credential is known',
      });
      expect(currentCredential(emptyLedger(CONNECTOR))).toEqual({ id: '', why: 'no current credential is known' });
    });
  });
});

describe('transitions', () => {
  const base = frozen(
    ledgerOf(
      [
        previous('cred-0', T0 - 10 * HOUR, { note: 'kept: used after it was replaced' }),
        { id: 'cred-1', state: 'current', source: 'issued', heldSince: T0 - 24 * HOUR, issuedAt: T0 - 25 * HOUR },
        { id: 'cred-2', state: 'pending', source: 'issued', issuedAt: T0 - HOUR, note: 'a write failed' },
      ],
      5,
    ),
  );

  describe('adoptGiven (previous-credential-id)', () => {
    it('changes nothing for a credential the ledger knows as current or pending', () => {
      expect(adoptGiven(base, 'cred-1')).toEqual({ ledger: base });
      expect(adoptGiven(base, 'cred-2')).toEqual({ ledger: base });
    });

    it('takes an unknown credential in as one the targets may hold', () => {
      const { ledger, stale } = adoptGiven(base, 'cred-9');
      expect(stale).toBeUndefined();
      expect(ledger.entries).toEqual([...base.entries, { id: 'cred-9', state: 'current', source: 'given' }]);
      expect(ledger.revision).toBe(5);
    });

    it('ignores, and reports as stale, a credential the ledger records as replaced', () => {
      expect(adoptGiven(base, 'cred-0')).toEqual({
        ledger: base,
        stale: { id: 'cred-0', replacedAt: T0 - 10 * HOUR },
      });
    });
  });

  describe('recordIssued', () => {
    it('records a new credential as pending, with when and by which run', () => {
      const ledger = recordIssued(base, 'cred-3', T0, 'acme/rotation run 123 attempt 1');
      expect(ledger.entries).toEqual([
        ...base.entries,
        { id: 'cred-3', state: 'pending', source: 'issued', issuedAt: T0, issuedBy: 'acme/rotation run 123 attempt 1' },
      ]);
      expect(ledger.revision).toBe(5);
    });

    it('is idempotent: recording the same credential again changes nothing', () => {
      const once = recordIssued(base, 'cred-3', T0, 'run A');
      expect(recordIssued(once, 'cred-3', T0 + HOUR, 'run B')).toBe(once);
      expect(recordIssued(base, 'cred-1', T0, 'run B')).toBe(base);
    });

    it('leaves out an empty run name, and keeps a long or multi-line one to one short line', () => {
      expect(find(recordIssued(base, 'cred-3', T0, ''), 'cred-3')).toEqual({
        id: 'cred-3',
        state: 'pending',
        source: 'issued',
        issuedAt: T0,
      });
      const by = find(recordIssued(base, 'cred-3', T0, `run\n::error::${'x'.repeat(300)}`), 'cred-3')?.issuedBy ?? '';
      expect(by).not.toMatch(/\n/);
      expect(by.length).toBeLessThanOrEqual(200);
      expect(by.startsWith('run ::error::')).toBe(true);
    });
  });

  describe('handOver', () => {
    it('makes the new credential current and replaces every other pending and current one at that moment', () => {
      const issued = recordIssued(base, 'cred-3', T0, 'run 3');
      const ledger = handOver(issued, 'cred-3', T0 + MINUTE);
      expect(ledger).toEqual({
        connector: CONNECTOR,
        revision: 5,
        entries: [
          previous('cred-0', T0 - 10 * HOUR, { note: 'kept: used after it was replaced' }),
          {
            id: 'cred-1',
            state: 'previous',
            source: 'issued',
            issuedAt: T0 - 25 * HOUR,
            heldSince: T0 - 24 * HOUR,
            replacedAt: T0 + MINUTE,
          },
          {
            id: 'cred-2',
            state: 'previous',
            source: 'issued',
            issuedAt: T0 - HOUR,
            note: 'a write failed',
            replacedAt: T0 + MINUTE,
          },
          {
            id: 'cred-3',
            state: 'current',
            source: 'issued',
            issuedAt: T0,
            issuedBy: 'run 3',
            heldSince: T0 + MINUTE,
          },
        ],
      });
      expect(currentCredential(ledger)).toEqual({ id: 'cred-3' });
    });

    it('leaves a credential replaced earlier as it was', () => {
      const ledger = handOver(base, 'cred-2', T0);
      expect(find(ledger, 'cred-0')).toBe(base.entries[0]);
    });

    it('clears what made a credential previous when it is handed over again (replaced, note, stored nowhere)', () => {
      const ledger = ledgerOf([previous('cred-1', T0 - HOUR, { storedNowhere: true, note: 'stored nowhere' })]);
      expect(handOver(ledger, 'cred-1', T0).entries).toEqual([
        { id: 'cred-1', state: 'current', source: 'issued', heldSince: T0 },
      ]);
    });
  });

  describe('discard', () => {
    it('drops a credential that was revoked', () => {
      const ledger = discard(recordIssued(base, 'cred-3', T0, 'run 3'), 'cred-3', true, T0 + 1);
      expect(ledger).toEqual(base);
    });

    it('keeps one that could not be revoked as previous and stored nowhere, replaced now, with why', () => {
      const ledger = discard(recordIssued(base, 'cred-3', T0, 'run 3'), 'cred-3', false, T0 + 1, 'stored\nnowhere');
      expect(find(ledger, 'cred-3')).toEqual({
        id: 'cred-3',
        state: 'previous',
        source: 'issued',
        issuedAt: T0,
        issuedBy: 'run 3',
        replacedAt: T0 + 1,
        storedNowhere: true,
        note: 'stored nowhere',
      });
      expect(ledger.entries.slice(0, 3)).toEqual(base.entries);
    });

    it('keeps the note a credential had when no new one is given', () => {
      expect(find(discard(base, 'cred-2', false, T0), 'cred-2')?.note).toBe('a write failed');
    });

    it('changes nothing for a credential the ledger does not know', () => {
      expect(discard(base, 'cred-9', false, T0)).toBe(base);
      expect(discard(base, 'cred-9', true, T0)).toEqual(base);
    });
  });

  it('nextRevision moves the revision on by one and nothing else', () => {
    expect(nextRevision(base)).toEqual({ ...base, revision: 6 });
  });

  it('every transition leaves the ledger it was given unchanged', () => {
    // `base` is frozen all the way down: a transition that changed it would throw.
    expect(() => {
      adoptGiven(base, 'cred-9');
      recordIssued(base, 'cred-9', T0, 'run');
      handOver(base, 'cred-2', T0);
      discard(base, 'cred-2', false, T0, 'why');
      discard(base, 'cred-2', true, T0);
      nextRevision(base);
      settle(base, [
        { id: 'cred-0', result: 'kept', note: 'in use' },
        { id: 'cred-1', result: 'revoked' },
      ]);
      rebase(base, frozen(ledgerOf([{ id: 'cred-9', state: 'current', source: 'adopted' }])));
    }).not.toThrow();
  });
});

describe('planRetirement', () => {
  const ledger = ledgerOf([
    previous('cred-long-ago', T0 - 7 * HOUR),
    previous('cred-just-now', T0 - MINUTE),
    previous('cred-proof-failed', T0 - MINUTE, { storedNowhere: true }),
    { id: 'cred-current', state: 'current', source: 'issued' },
    { id: 'cred-pending', state: 'pending', source: 'issued' },
  ]);
  const steps = (policy: RetirePolicy, now = T0) =>
    planRetirement(ledger, policy, now).map((s) => [s.entry.id, s.step, 'dueAt' in s ? s.dueAt : undefined]);

  it('never touches a credential a target may hold (current or pending)', () => {
    for (const policy of [OFF, NOW, NEXT_RUN]) {
      const ids = planRetirement(ledger, policy, T0).map((s) => s.entry.id);
      expect(ids).not.toContain('cred-current');
      expect(ids).not.toContain('cred-pending');
    }
  });

  it("waits for a credential another run issued and never handed over until that run's lock would have expired", () => {
    const WRITER = 90 * MINUTE;
    // A run issued it 10 minutes ago and may still be writing it; another one, issued long ago, is done.
    const unfinished = ledgerOf([
      { ...previous('cred-written-now', T0), issuedAt: T0 - 10 * MINUTE },
      { ...previous('cred-written-long-ago', T0), issuedAt: T0 - 2 * HOUR },
      { ...previous('cred-handed-over', T0), issuedAt: T0 - 10 * MINUTE, heldSince: T0 - 9 * MINUTE },
    ]);
    const plan = planRetirement(unfinished, { ...NOW, writerMs: WRITER }, T0);
    expect(
      plan.map((s) => [s.entry.id, s.step, 'dueAt' in s ? s.dueAt : undefined, 'why' in s ? s.why : undefined]),
    ).toEqual([
      ['cred-written-now', 'wait', T0 - 10 * MINUTE + WRITER, 'writer'],
      ['cred-written-long-ago', 'check', undefined, undefined],
      ['cred-handed-over', 'check', undefined, undefined],
    ]);
    // next-run: whichever comes later.
    const later = planRetirement(unfinished, { ...NEXT_RUN, writerMs: WRITER }, T0)[0];
    expect(later).toMatchObject({ step: 'wait', dueAt: T0 + KEEP, why: 'keep' });
  });

  it('keeps handOver from marking a credential never handed over as if it had been', () => {
    const issued = recordIssued(ledgerOf([]), 'cred-a', T0, 'run a');
    const replaced = handOver(recordIssued(issued, 'cred-b', T0 + MINUTE, 'run b'), 'cred-b', T0 + 2 * MINUTE);
    expect(find(replaced, 'cred-a')).toMatchObject({ state: 'previous', issuedAt: T0, replacedAt: T0 + 2 * MINUTE });
    expect(find(replaced, 'cred-a')?.heldSince).toBeUndefined();
  });

  it('stops the revision at the end of safe integers rather than write one it could not read back', () => {
    const last = { ...ledgerOf([]), revision: Number.MAX_SAFE_INTEGER };
    expect(nextRevision(last).revision).toBe(Number.MAX_SAFE_INTEGER);
    expect(readVariableContent(serializeLedger(nextRevision(last))).kind).toBe('ledger');
  });

  it('true: checks every replaced credential at once, however recently it was replaced', () => {
    expect(steps(NOW)).toEqual([
      ['cred-long-ago', 'check', undefined],
      ['cred-just-now', 'check', undefined],
      ['cred-proof-failed', 'check', undefined],
    ]);
  });

  it('next-run: waits until keep-previous-for has passed since the replacement, and says when that is', () => {
    expect(steps(NEXT_RUN)).toEqual([
      ['cred-long-ago', 'check', undefined],
      ['cred-just-now', 'wait', T0 - MINUTE + KEEP],
      ['cred-proof-failed', 'check', undefined],
    ]);
  });

  it('next-run: a credential is due at the very moment keep-previous-for has passed', () => {
    const at = T0 - MINUTE + KEEP;
    expect(steps(NEXT_RUN, at - 1)[1]).toEqual(['cred-just-now', 'wait', at]);
    expect(steps(NEXT_RUN, at)[1]).toEqual(['cred-just-now', 'check', undefined]);
  });

  it('next-run: checks a credential stored nowhere at once, since no consumer can hold it', () => {
    const plan = planRetirement(ledgerOf([previous('cred-x', T0, { storedNowhere: true })]), NEXT_RUN, T0);
    expect(plan).toEqual([{ entry: previous('cred-x', T0, { storedNowhere: true }), step: 'check' }]);
  });

  it('false: leaves every replaced credential valid, and lists each so the run can say so', () => {
    expect(steps(OFF).filter(([id]) => id !== 'cred-proof-failed')).toEqual([
      ['cred-long-ago', 'off', undefined],
      ['cred-just-now', 'off', undefined],
    ]);
  });

  it('false: still revokes a credential stored nowhere (its revoke failed when it was discarded)', () => {
    expect(steps(OFF)).toContainEqual(['cred-proof-failed', 'check', undefined]);
  });

  it('has nothing to plan for a ledger without replaced credentials', () => {
    expect(planRetirement(ledgerOf([{ id: 'cred-1', state: 'current', source: 'issued' }]), NOW, T0)).toEqual([]);
  });
});

describe('judgeUse (the in-use guard)', () => {
  const replacedAt = T0 - HOUR;
  const entry = previous('cred-old', replacedAt);
  const used = (lastUsedAt: number | undefined | 'unreadable'): CredentialUse => ({ lastUsedAt });

  it('finds nothing to do for a credential ConductorOne no longer has', () => {
    expect(judgeUse(entry, { gone: true }, NOW, T0)).toEqual({ verdict: 'gone' });
    expect(judgeUse(entry, { gone: true }, NEXT_RUN, T0)).toEqual({ verdict: 'gone' });
  });

  it('revokes a credential that was never used', () => {
    expect(judgeUse(entry, used(undefined), NOW, T0)).toEqual({ verdict: 'revoke' });
    expect(judgeUse(entry, used(undefined), NEXT_RUN, T0)).toEqual({ verdict: 'revoke' });
  });

  it('keeps a credential when ConductorOne does not say when it was last used', () => {
    const verdict = { verdict: 'keep', why: 'ConductorOne did not say when it was last used' };
    expect(judgeUse(entry, used('unreadable'), NOW, T0)).toEqual(verdict);
    expect(judgeUse(entry, used('unreadable'), NEXT_RUN, T0)).toEqual(verdict);
  });

  it('true: revokes nothing a consumer used after it was replaced', () => {
    expect(judgeUse(entry, used(replacedAt + 1), NOW, T0)).toEqual({
      verdict: 'keep',
      why: 'used after it was replaced',
      lastUsedAt: replacedAt + 1,
    });
  });

  it('true: revokes a credential last used before it was replaced, however recently', () => {
    expect(judgeUse(entry, used(replacedAt), NOW, T0)).toEqual({ verdict: 'revoke' });
    expect(judgeUse(entry, used(replacedAt - 1), NOW, T0)).toEqual({ verdict: 'revoke' });
  });

  it('true: revokes a credential used after its replacement once it has gone unused for keep-previous-for', () => {
    const lastUse = replacedAt + MINUTE;
    expect(judgeUse(entry, used(lastUse), NOW, lastUse + KEEP - 1).verdict).toBe('keep');
    expect(judgeUse(entry, used(lastUse), NOW, lastUse + KEEP)).toEqual({ verdict: 'revoke' });
  });

  it('next-run: keeps a credential used within keep-previous-for, even before its replacement', () => {
    const longAgo = previous('cred-old', T0 - 7 * HOUR);
    expect(judgeUse(longAgo, used(T0 - 7 * HOUR - MINUTE), NEXT_RUN, T0 - 2 * HOUR)).toEqual({
      verdict: 'keep',
      why: 'used within keep-previous-for',
      lastUsedAt: T0 - 7 * HOUR - MINUTE,
    });
    expect(judgeUse(longAgo, used(T0 - HOUR), NEXT_RUN, T0)).toEqual({
      verdict: 'keep',
      why: 'used after it was replaced',
      lastUsedAt: T0 - HOUR,
    });
  });

  it('next-run: revokes a credential that has been quiet for keep-previous-for', () => {
    const longAgo = previous('cred-old', T0 - 8 * HOUR);
    expect(judgeUse(longAgo, used(T0 - KEEP), NEXT_RUN, T0)).toEqual({ verdict: 'revoke' });
    expect(judgeUse(longAgo, used(T0 - KEEP + 1), NEXT_RUN, T0).verdict).toBe('keep');
  });

  it('keeps a credential whose last use ConductorOne puts ahead of the runner', () => {
    expect(judgeUse(entry, used(T0 + MINUTE), NEXT_RUN, T0).verdict).toBe('keep');
    expect(judgeUse(entry, used(T0 + MINUTE), NOW, T0).verdict).toBe('keep');
  });

  it('revokes a credential stored nowhere that only its proof used, before it was found unusable', () => {
    const nowhere = previous('cred-x', replacedAt, { storedNowhere: true });
    expect(judgeUse(nowhere, used(replacedAt - 1), NOW, T0)).toEqual({ verdict: 'revoke' });
    expect(judgeUse(nowhere, used(replacedAt - 1), NEXT_RUN, T0)).toEqual({ verdict: 'revoke' });
    expect(judgeUse(nowhere, used(undefined), NEXT_RUN, T0)).toEqual({ verdict: 'revoke' });
    expect(judgeUse(nowhere, used('unreadable'), NEXT_RUN, T0)).toEqual({ verdict: 'revoke' });
    expect(judgeUse(nowhere, { gone: true }, NEXT_RUN, T0)).toEqual({ verdict: 'gone' });
  });

  it('keeps a credential marked stored nowhere that was used after it was found unusable: someone has it', () => {
    const nowhere = previous('cred-x', replacedAt, { storedNowhere: true });
    expect(judgeUse(nowhere, used(replacedAt + 1), NOW, T0)).toEqual({
      verdict: 'keep',
      why: 'used after it was found unusable',
      lastUsedAt: replacedAt + 1,
    });
  });
});

describe('settle', () => {
  const ledger = frozen(
    ledgerOf([
      previous('cred-a', T0 - HOUR),
      previous('cred-b', T0 - HOUR),
      previous('cred-c', T0 - HOUR, { note: 'old note' }),
      previous('cred-d', T0 - HOUR, { note: 'revoke failed: 500' }),
      previous('cred-e', T0 - MINUTE),
      { id: 'cred-f', state: 'current', source: 'issued' },
    ]),
  );

  it('drops what was revoked or is gone, and records why the rest stayed', () => {
    const settled = settle(ledger, [
      { id: 'cred-a', result: 'revoked' },
      { id: 'cred-b', result: 'gone' },
      { id: 'cred-c', result: 'kept', note: 'kept: used after it was replaced (last used 2026-03-01T11:30:00.000Z)' },
      { id: 'cred-d', result: 'failed', note: 'revoke failed: ConductorOne could not revoke it (503)' },
    ]);
    expect(settled).toEqual({
      connector: CONNECTOR,
      revision: 1,
      entries: [
        previous('cred-c', T0 - HOUR, {
          note: 'kept: used after it was replaced (last used 2026-03-01T11:30:00.000Z)',
        }),
        previous('cred-d', T0 - HOUR, { note: 'revoke failed: ConductorOne could not revoke it (503)' }),
        previous('cred-e', T0 - MINUTE),
        { id: 'cred-f', state: 'current', source: 'issued' },
      ],
      retired: ['cred-a', 'cred-b'],
    });
  });

  it('remembers the last credentials it retired, at most RETIRED_KEPT, so a name given again is known to be gone', () => {
    let ledger = ledgerOf([]);
    for (let i = 0; i < RETIRED_KEPT + 5; i++) {
      ledger = settle({ ...ledger, entries: [previous(`cred-${i}`, T0)] }, [{ id: `cred-${i}`, result: 'revoked' }]);
    }
    expect(ledger.retired).toHaveLength(RETIRED_KEPT);
    expect(ledger.retired?.at(-1)).toBe(`cred-${RETIRED_KEPT + 4}`);
    expect(adoptGiven(ledger, `cred-${RETIRED_KEPT + 4}`)).toEqual({
      ledger,
      stale: { id: `cred-${RETIRED_KEPT + 4}` },
    });
    const read = readVariableContent(serializeLedger(ledger));
    expect(read.kind === 'ledger' && read.ledger.retired).toEqual(ledger.retired);
  });

  it('keeps a note to one short line with nothing shaped like a credential', () => {
    const settled = settle(ledger, [
      {
        id: 'cred-a',
        result: 'failed',
        note: `revoke failed:\nBearer abcdefghijklmnopqrstuvwxyz0123456789 ${'x'.repeat(300)}`,
      },
    ]);
    const note = find(settled, 'cred-a')?.note ?? '';
    expect(note).not.toMatch(/[\n\r]/);
    expect(note).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
    expect(note.length).toBeLessThanOrEqual(200);
    expect(note.startsWith('revoke failed: Bearer (redacted)')).toBe(true);
  });

  it('ignores results for credentials the ledger does not record, and changes nothing without results', () => {
    expect(settle(ledger, [{ id: 'cred-z', result: 'revoked' }])).toEqual(ledger);
    expect(settle(ledger, [])).toEqual(ledger);
  });
});

describe('the README\'s table of states ("What the action remembers")', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split('\n## What the action remembers\n')[1]?.split('\n## ')[0] ?? '';
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((row) =>
      row
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  const documented = rows.map(([state = '']) => state.replace(/^`|`$/g, ''));

  /** The states the module reads, in its order: its own refusal of any other state lists them. */
  function moduleStates(): string[] {
    const problem = problemOf(ledgerText([{ id: 'cred-1', state: 'no-such-state', source: 'issued' }]));
    const [, list = ''] = problem.split('with a "state" other than ');
    return list.split(', ');
  }

  // Checked by the compiler: adding a state to CredentialState without naming it here fails `npm run typecheck`.
  const typed: Record<CredentialState, true> = { pending: true, current: true, previous: true };

  it('lists exactly the states of the module, in its order', () => {
    expect(rows.length).toBeGreaterThan(0);
    expect(documented).toEqual(moduleStates());
    expect(documented).toEqual(Object.keys(typed));
  });

  it('says something of each state: what it means and what becomes of it', () => {
    for (const [state, meaning, becomes] of rows) {
      expect(meaning, state).toMatch(/\w{3,}/);
      expect(becomes, state).toMatch(/\w{3,}/);
    }
  });

  it('names only states the reader accepts: a ledger with one entry in each reads back', () => {
    const entries = documented.map(
      (state, index): LedgerEntry => ({
        id: `cred-${index}`,
        state: state as CredentialState,
        source: 'issued',
        ...(state === 'previous' ? { replacedAt: T0 } : {}),
      }),
    );
    const ledger = ledgerOf(entries);
    expect(readVariableContent(serializeLedger(ledger))).toEqual({ kind: 'ledger', ledger });
  });
});
