// Retiring replaced credentials (src/retire.ts): the pipeline's side of planRetirement and judgeUse. Each due
// credential is read (lastUsedAt), then revoked unless a consumer may still use it; every credential ends in one
// outcome, and only what ConductorOne confirms revoked or gone leaves the ledger. ConductorOne is the shared
// MockAgent harness, on its fake clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessTokenSource } from '../../src/conductorone/auth.js';
import { ConductorOneClient } from '../../src/conductorone/client.js';
import { type Ledger, type LedgerEntry, type RetirePolicy, settle } from '../../src/ledger.js';
import { type RetireContext, type RetireOutcome, retireReplaced, retireResults } from '../../src/retire.js';
import { ledgerOf as ledgerWith, previous } from './ledger-entries.js';
import { type MockApi, mockApi, NOW_MS } from './mock-api.js';

const C1 = 'https://acme.conductor.one';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const KEEP = 6 * HOUR;
const path = (id: string) => `/api/v1/apps/app-1/connectors/conn-1/credentials/${id}`;
const iso = (ms: number) => new Date(ms).toISOString();

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

function context(policy: RetirePolicy): RetireContext {
  const tokenSource = new AccessTokenSource('c1-access-token');
  return {
    conductorOne: new ConductorOneClient({ serverUrl: new URL(C1), http: api.http(), tokenSource, mask: () => {} }),
    appId: 'app-1',
    connectorId: 'conn-1',
    policy,
    now: () => api.clock.now(),
  };
}

const ledgerOf = (entries: LedgerEntry[]): Ledger => ledgerWith(entries, 3);

/** GET one credential: ConductorOne's answer with its lastUsedAt (null: never used), or an error status. */
function serveRead(id: string, lastUsedAt: string | null | number, headers: Record<string, string> = {}): void {
  api.agent
    .get(C1)
    .intercept({ path: path(id), method: 'GET' })
    .reply(
      api.answer(
        200,
        { credential: { id, clientId: `${id}@acme.conductor.one/ccc`, expiresTime: null, lastUsedAt } },
        headers,
      ),
    );
}

function serveStatus(id: string, method: 'GET' | 'POST', status: number, body: unknown): void {
  api.agent
    .get(C1)
    .intercept({ path: path(id), method })
    .reply(api.answer(status, body));
}

function serveRevoke(id: string): void {
  serveStatus(id, 'POST', 200, { credential: { id } });
}

const summary = (outcomes: RetireOutcome[]) =>
  outcomes.map((o) => {
    const { entry, ...rest } = o;
    return { id: entry.id, ...rest };
  });

describe('retireReplaced', () => {
  it('revokes a due credential that no consumer ever used: read first, then revoke', async () => {
    serveRead('cred-old', null);
    serveRevoke('cred-old');
    const outcomes = await retireReplaced(
      context({ mode: 'now', keepMs: KEEP }),
      ledgerOf([previous('cred-old', NOW_MS)]),
    );
    expect(summary(outcomes)).toEqual([{ id: 'cred-old', outcome: 'revoked' }]);
    expect(api.log()).toEqual([`GET ${path('cred-old')} 200`, `POST ${path('cred-old')} 200`]);
    expect(api.requests[1]?.headers.authorization).toBe('Bearer c1-access-token');
  });

  it('revokes nothing a consumer used after it was replaced (revoke-previous: true)', async () => {
    const replacedAt = NOW_MS - 10_000;
    serveRead('cred-old', iso(replacedAt + 5_000));
    const outcomes = await retireReplaced(
      context({ mode: 'now', keepMs: KEEP }),
      ledgerOf([previous('cred-old', replacedAt)]),
    );
    expect(summary(outcomes)).toEqual([
      { id: 'cred-old', outcome: 'kept', why: 'used after it was replaced', lastUsedAt: replacedAt + 5_000 },
    ]);
    expect(api.log()).toEqual([`GET ${path('cred-old')} 200`]);
  });

  it('revokes a credential last used before it was replaced (revoke-previous: true)', async () => {
    const replacedAt = NOW_MS - 10_000;
    serveRead('cred-old', iso(replacedAt - 1_000));
    serveRevoke('cred-old');
    const outcomes = await retireReplaced(
      context({ mode: 'now', keepMs: KEEP }),
      ledgerOf([previous('cred-old', replacedAt)]),
    );
    expect(summary(outcomes)).toEqual([{ id: 'cred-old', outcome: 'revoked' }]);
  });

  it('next-run: waits, without a request, for a credential replaced less than keep-previous-for ago', async () => {
    serveRead('cred-due', iso(NOW_MS - KEEP - MINUTE));
    serveRevoke('cred-due');
    const outcomes = await retireReplaced(
      context({ mode: 'next-run', keepMs: KEEP }),
      ledgerOf([previous('cred-due', NOW_MS - KEEP), previous('cred-recent', NOW_MS - HOUR)]),
    );
    expect(summary(outcomes)).toEqual([
      { id: 'cred-due', outcome: 'revoked' },
      { id: 'cred-recent', outcome: 'waiting', dueAt: NOW_MS - HOUR + KEEP, why: 'keep' },
    ]);
    expect(api.log()).toEqual([`GET ${path('cred-due')} 200`, `POST ${path('cred-due')} 200`]);
  });

  it('next-run: keeps a due credential a consumer used within keep-previous-for', async () => {
    serveRead('cred-due', iso(NOW_MS - HOUR));
    const outcomes = await retireReplaced(
      context({ mode: 'next-run', keepMs: KEEP }),
      ledgerOf([previous('cred-due', NOW_MS - 7 * HOUR)]),
    );
    expect(summary(outcomes)).toEqual([
      { id: 'cred-due', outcome: 'kept', why: 'used after it was replaced', lastUsedAt: NOW_MS - HOUR },
    ]);
  });

  it('false: leaves every replaced credential valid without a request', async () => {
    const outcomes = await retireReplaced(
      context({ mode: false, keepMs: KEEP }),
      ledgerOf([previous('cred-a', NOW_MS - 30 * HOUR), previous('cred-b', NOW_MS)]),
    );
    expect(summary(outcomes)).toEqual([
      { id: 'cred-a', outcome: 'left valid' },
      { id: 'cred-b', outcome: 'left valid' },
    ]);
    expect(api.requests).toEqual([]);
  });

  it('revokes a credential stored nowhere even with revoke-previous: false', async () => {
    serveRead('cred-unproved', null);
    serveRevoke('cred-unproved');
    const outcomes = await retireReplaced(
      context({ mode: false, keepMs: KEEP }),
      ledgerOf([previous('cred-unproved', NOW_MS - HOUR, { storedNowhere: true, note: 'stored nowhere' })]),
    );
    expect(summary(outcomes)).toEqual([{ id: 'cred-unproved', outcome: 'revoked' }]);
  });

  it('never reads or revokes a credential a target may hold', async () => {
    const outcomes = await retireReplaced(
      context({ mode: 'now', keepMs: 0 }),
      ledgerOf([
        { id: 'cred-current', state: 'current', source: 'issued' },
        { id: 'cred-pending', state: 'pending', source: 'issued' },
      ]),
    );
    expect(outcomes).toEqual([]);
    expect(api.requests).toEqual([]);
  });

  it('finds a credential ConductorOne no longer has (its 404, or deleted) gone, without a revoke', async () => {
    serveStatus('cred-a', 'GET', 404, { code: 5, message: 'credential not found' });
    serveStatus('cred-b', 'GET', 200, { credential: { id: 'cred-b', deletedAt: '2026-02-01T00:00:00Z' } });
    const outcomes = await retireReplaced(
      context({ mode: 'now', keepMs: KEEP }),
      ledgerOf([previous('cred-a', NOW_MS), previous('cred-b', NOW_MS)]),
    );
    expect(summary(outcomes)).toEqual([
      { id: 'cred-a', outcome: 'gone' },
      { id: 'cred-b', outcome: 'gone' },
    ]);
    expect(api.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('counts a revoke that ConductorOne answers with its own 404 as gone', async () => {
    serveRead('cred-old', null);
    serveStatus('cred-old', 'POST', 404, { code: 5, message: 'not found' });
    const outcomes = await retireReplaced(
      context({ mode: 'now', keepMs: KEEP }),
      ledgerOf([previous('cred-old', NOW_MS)]),
    );
    expect(summary(outcomes)).toEqual([{ id: 'cred-old', outcome: 'gone' }]);
  });

  it('keeps a credential whose last use ConductorOne gives in a form it cannot read', async () => {
    serveRead('cred-old', 'last tuesday');
    const outcomes = await retireReplaced(
      context({ mode: 'now', keepMs: KEEP }),
      ledgerOf([previous('cred-old', NOW_MS)]),
    );
    expect(summary(outcomes)).toEqual([
      { id: 'cred-old', outcome: 'kept', why: 'ConductorOne did not say when it was last used' },
    ]);
    expect(api.requests).toHaveLength(1);
  });

  it('revokes a credential stored nowhere even though the proof used it a moment before it was found unusable', async () => {
    serveRead('cred-unproved', iso(NOW_MS - 3_000));
    serveRevoke('cred-unproved');
    const outcomes = await retireReplaced(
      context({ mode: 'next-run', keepMs: KEEP }),
      ledgerOf([previous('cred-unproved', NOW_MS - 2_000, { storedNowhere: true })]),
    );
    expect(summary(outcomes)).toEqual([{ id: 'cred-unproved', outcome: 'revoked' }]);
  });

  it('records a failed read or a failed revoke as failed, and goes on with the others', async () => {
    serveStatus('cred-a', 'GET', 403, { code: 7, message: 'permission denied' });
    serveRead('cred-b', null);
    serveStatus('cred-b', 'POST', 403, { code: 7, message: 'permission denied' });
    serveRead('cred-c', null);
    serveRevoke('cred-c');
    const outcomes = await retireReplaced(
      context({ mode: 'now', keepMs: KEEP }),
      ledgerOf([previous('cred-a', NOW_MS), previous('cred-b', NOW_MS), previous('cred-c', NOW_MS)]),
    );
    expect(summary(outcomes)).toEqual([
      {
        id: 'cred-a',
        outcome: 'failed',
        error: expect.stringMatching(
          /^access-token may not read credential cred-a of connector conn-1 \(403 Forbidden: permission denied\): give /,
        ),
      },
      {
        id: 'cred-b',
        outcome: 'failed',
        error: expect.stringMatching(
          /^access-token may not revoke credential cred-b of connector conn-1 \(403 Forbidden: permission denied\): give /,
        ),
      },
      { id: 'cred-c', outcome: 'revoked' },
    ]);
    expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      path('cred-b'),
      path('cred-c'),
    ]);
  });

  it('reads every due credential at once rather than one after another', async () => {
    api.agent
      .get(C1)
      .intercept({ path: path('cred-a'), method: 'GET' })
      .reply(
        ...api.answerWhen(() => api.requests.length >= 2, 200, { credential: { id: 'cred-a', lastUsedAt: null } }),
      );
    serveRead('cred-b', null);
    serveRevoke('cred-a');
    serveRevoke('cred-b');
    await retireReplaced(
      context({ mode: 'now', keepMs: KEEP }),
      ledgerOf([previous('cred-a', NOW_MS), previous('cred-b', NOW_MS)]),
    );
    expect(api.events.slice(0, 2)).toEqual([`> GET ${path('cred-a')}`, `> GET ${path('cred-b')}`]);
  });

  describe("judges a consumer's last use on the runner's clock", () => {
    const replacedAt = NOW_MS - 10 * MINUTE;

    it('keeps a credential whose last use a clock running ahead puts after its replacement: a Date header never makes a use older', async () => {
      // ConductorOne says 12:10 when the runner says 12:00, and last use 11:55 by its clock. Its Date header could say
      // that was 11:45 on the runner's, before the replacement at 11:50; but a header that lies that way would get a
      // credential in use revoked, so the use is taken at its word.
      serveRead('cred-old', iso(NOW_MS - 5 * MINUTE), { date: new Date(NOW_MS + 10 * MINUTE).toUTCString() });
      const outcomes = await retireReplaced(
        context({ mode: 'now', keepMs: KEEP }),
        ledgerOf([previous('cred-old', replacedAt)]),
      );
      expect(summary(outcomes)).toEqual([
        { id: 'cred-old', outcome: 'kept', why: 'used after it was replaced', lastUsedAt: NOW_MS - 5 * MINUTE },
      ]);
      expect(api.log().filter((l) => l.startsWith('POST'))).toEqual([]);
    });

    it('keeps a credential used after its replacement by a clock that runs 10 minutes behind', async () => {
      serveRead('cred-old', iso(NOW_MS - 15 * MINUTE), { date: new Date(NOW_MS - 10 * MINUTE).toUTCString() });
      const outcomes = await retireReplaced(
        context({ mode: 'now', keepMs: KEEP }),
        ledgerOf([previous('cred-old', replacedAt)]),
      );
      expect(summary(outcomes)).toEqual([
        { id: 'cred-old', outcome: 'kept', why: 'used after it was replaced', lastUsedAt: NOW_MS - 5 * MINUTE },
      ]);
    });
  });
});

describe('retireResults', () => {
  const entry = (id: string) => previous(id, NOW_MS);

  it('turns each outcome into what the ledger records: gone ones leave, kept and failed ones say why', () => {
    const outcomes: RetireOutcome[] = [
      { entry: entry('cred-a'), outcome: 'revoked' },
      { entry: entry('cred-b'), outcome: 'gone' },
      {
        entry: entry('cred-c'),
        outcome: 'kept',
        why: 'used after it was replaced',
        lastUsedAt: Date.UTC(2026, 2, 1, 11, 30),
      },
      { entry: entry('cred-d'), outcome: 'kept', why: 'ConductorOne did not say when it was last used' },
      { entry: entry('cred-e'), outcome: 'failed', error: 'ConductorOne could not revoke credential cred-e (503).' },
      { entry: entry('cred-f'), outcome: 'waiting', dueAt: NOW_MS + HOUR, why: 'keep' },
      { entry: entry('cred-g'), outcome: 'left valid' },
    ];
    expect(retireResults(outcomes)).toEqual([
      { id: 'cred-a', result: 'revoked' },
      { id: 'cred-b', result: 'gone' },
      { id: 'cred-c', result: 'kept', note: 'kept: used after it was replaced (last used 2026-03-01T11:30:00.000Z)' },
      { id: 'cred-d', result: 'kept', note: 'kept: ConductorOne did not say when it was last used' },
      { id: 'cred-e', result: 'failed', note: 'not retired: ConductorOne could not revoke credential cred-e (503).' },
    ]);
  });

  // A failed read (GET lastUsedAt) and a failed revoke both leave it recorded, noted by what failed.
  it("notes a failed read of the last use as not retired, with the read's error", () => {
    const [result] = retireResults([
      { entry: entry('cred-a'), outcome: 'failed', error: 'access-token may not read credential cred-a' },
    ]);
    expect(result).toEqual({
      id: 'cred-a',
      result: 'failed',
      note: 'not retired: access-token may not read credential cred-a',
    });
  });

  it('leaves in the ledger, settled, exactly the credentials ConductorOne did not confirm revoked or gone', async () => {
    serveRead('cred-a', null);
    serveRevoke('cred-a');
    serveStatus('cred-b', 'GET', 404, { code: 5, message: 'not found' });
    serveRead('cred-c', iso(NOW_MS - MINUTE));
    serveStatus('cred-d', 'GET', 403, { code: 7, message: 'permission denied' });
    const ledger = ledgerOf([
      previous('cred-a', NOW_MS - HOUR),
      previous('cred-b', NOW_MS - HOUR),
      previous('cred-c', NOW_MS - HOUR),
      previous('cred-d', NOW_MS - HOUR),
      { id: 'cred-new', state: 'current', source: 'issued', heldSince: NOW_MS - HOUR },
    ]);
    const settled = settle(ledger, retireResults(await retireReplaced(context({ mode: 'now', keepMs: KEEP }), ledger)));
    expect(settled.entries.map((e) => [e.id, e.note])).toEqual([
      ['cred-c', `kept: used after it was replaced (last used ${iso(NOW_MS - MINUTE)})`],
      [
        'cred-d',
        expect.stringMatching(
          /^not retired: access-token may not read credential cred-d of connector conn-1 \(403 Forbidden: permission denied\)/,
        ),
      ],
      ['cred-new', undefined],
    ]);
    expect(settled.entries[1]?.note?.length).toBeLessThanOrEqual(200);
  });
});
