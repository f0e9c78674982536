// Ledgers and their entries as the unit tests of the ledger, its store and retirement build them
// (src/ledger.ts): the connector the mock API answers for, one entry per state the tests start from.
import type { Ledger, LedgerEntry } from '../../src/ledger.js';

export const CONNECTOR = 'app-1/conn-1';

export function ledgerOf(entries: LedgerEntry[], revision = 1, connector = CONNECTOR): Ledger {
  return { connector, revision, entries };
}

export const current = (id: string): LedgerEntry => ({ id, state: 'current', source: 'issued' });

export const previous = (id: string, replacedAt: number, extra: Partial<LedgerEntry> = {}): LedgerEntry => ({
  id,
  state: 'previous',
  source: 'issued',
  replacedAt,
  ...extra,
});
