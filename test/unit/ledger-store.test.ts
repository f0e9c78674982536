// Where the ledger lives (src/ledger-store.ts): read from the variable of every target (and, before the ledger,
// from <variable>_PREVIOUS), written home one revision on, read again once the lock is held, and the copies it
// replaced removed. GitHub is the shared MockAgent harness.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repositoryTarget, targetsFor } from '../../src/github/targets.js';
import { readVariableContent, recordIssued, serializeLedger, withoutTexts } from '../../src/ledger.js';
import {
  forgetfulStore,
  LedgerStore,
  LedgerUnreadableError,
  ledgerFits,
  ledgerFullMessage,
  ledgerHome,
  ledgerMirror,
  ledgerProblemMessage,
  legacyKeptName,
  lockName,
  readLedger,
} from '../../src/ledger-store.js';
import type { OrganizationTarget, Target } from '../../src/model.js';
import { createLimiter } from '../../src/pool.js';
import { CONNECTOR, current, ledgerOf } from './ledger-entries.js';
import { type MockApi, mockApi, NOW_MS, rejectionOf } from './mock-api.js';

const GH = 'https://api.github.com';
const NAME = 'C1_CREDENTIAL_ID';
const one = repositoryTarget({ owner: 'acme', repo: 'one' });
const two = repositoryTarget({ owner: 'acme', repo: 'two' });
const three = repositoryTarget({ owner: 'acme', repo: 'three' });
const variablePath = (target: Target, name = NAME) => `/repos/${target.label}/actions/variables/${name}`;
const iso = (ms: number) => new Date(ms).toISOString();

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

/** GET of a variable in a target: its value (with GitHub's updated_at), or 404. */
function serveVariable(target: Target, name: string, value: string | undefined, updatedAt?: string): void {
  api.agent
    .get(GH)
    .intercept({ path: variablePath(target, name), method: 'GET' })
    .reply(
      value === undefined
        ? api.answer(404, { message: 'Not Found' })
        : api.answer(200, {
            name,
            value,
            created_at: '2026-01-01T00:00:00Z',
            ...(updatedAt ? { updated_at: updatedAt } : {}),
          }),
    );
}

function read(targets: Target[] = [one, two]) {
  return readLedger({
    octokit: api.octokit(),
    targets,
    name: NAME,
    connector: CONNECTOR,
    readLimit: createLimiter(20),
    now: NOW_MS,
  });
}

const reads = () =>
  api
    .log()
    .filter((l) => l.startsWith('GET'))
    .sort();

describe('names beside the ledger', () => {
  it('keeps what next-run kept before the ledger in <variable>_PREVIOUS and the lock in <variable>_LOCK', () => {
    expect(legacyKeptName(NAME)).toBe('C1_CREDENTIAL_ID_PREVIOUS');
    expect(lockName(NAME)).toBe('C1_CREDENTIAL_ID_LOCK');
  });
});

describe('readLedger', () => {
  it('reads the ledger home and the variable of every other target, and not <variable>_PREVIOUS', async () => {
    const ledger = ledgerOf([current('cred-1')], 4);
    const value = serializeLedger(ledger);
    serveVariable(one, NAME, value);
    serveVariable(two, NAME, undefined);
    const found = await read();
    expect(found).toEqual({
      ledger,
      adopted: [],
      existed: true,
      strays: [],
      homeExists: true,
      homeValue: value,
      mirrorExists: false,
    });
    expect(reads()).toEqual([`GET ${variablePath(one)} 200`, `GET ${variablePath(two)} 404`]);
  });

  it('starts an empty ledger when no target has the variable, without reading <variable>_PREVIOUS', async () => {
    serveVariable(one, NAME, undefined);
    serveVariable(two, NAME, undefined);
    expect(await read()).toEqual({
      ledger: { connector: CONNECTOR, revision: 0, entries: [] },
      adopted: [],
      existed: false,
      strays: [],
      homeExists: false,
      homeValue: undefined,
      mirrorExists: false,
    });
    expect(api.requests).toHaveLength(2);
  });

  it('takes an empty variable in the home as existing (the next write updates it)', async () => {
    serveVariable(one, NAME, '   ');
    serveVariable(two, NAME, undefined);
    const found = await read();
    expect(found.homeExists).toBe(true);
    expect(found.homeValue).toBe('');
    expect(found.existed).toBe(false);
  });

  it('before the ledger: adopts the bare IDs and what <variable>_PREVIOUS kept, and lists every old variable to remove', async () => {
    serveVariable(one, NAME, 'cred-new');
    serveVariable(two, NAME, 'cred-new');
    serveVariable(one, legacyKeptName(NAME), 'cred-old', '2026-03-01T06:00:00Z');
    serveVariable(two, legacyKeptName(NAME), undefined);
    const found = await read();
    const adoptedCurrent = { id: 'cred-new', state: 'current', source: 'adopted' };
    const adoptedKept = { id: 'cred-old', state: 'previous', source: 'adopted', replacedAt: Date.UTC(2026, 2, 1, 6) };
    expect(found.ledger).toEqual({ connector: CONNECTOR, revision: 0, entries: [adoptedCurrent, adoptedKept] });
    expect(found.adopted).toEqual([
      { entry: adoptedCurrent, target: 'acme/one' },
      { entry: adoptedKept, target: 'acme/one' },
    ]);
    expect(found.existed).toBe(false);
    expect(found.homeExists).toBe(true);
    expect(found.homeValue).toBe('cred-new');
    // acme/two is the mirror: its copy stays, and is overwritten with the ledger at the end of the run.
    expect(found.mirrorExists).toBe(true);
    expect(found.strays).toEqual([{ target: one, name: legacyKeptName(NAME) }]);
    expect(reads()).toEqual(
      [
        `GET ${variablePath(one)} 200`,
        `GET ${variablePath(two)} 200`,
        `GET ${variablePath(one, legacyKeptName(NAME))} 200`,
        `GET ${variablePath(two, legacyKeptName(NAME))} 404`,
      ].sort(),
    );
  });

  it('counts what <variable>_PREVIOUS kept as replaced now when GitHub does not say when it was written', async () => {
    serveVariable(one, NAME, 'cred-new');
    serveVariable(one, legacyKeptName(NAME), 'cred-old');
    const found = await read([one]);
    expect(found.ledger.entries[1]).toEqual({
      id: 'cred-old',
      state: 'previous',
      source: 'adopted',
      replacedAt: NOW_MS,
    });
  });

  it('lists as strays the copies in targets past the home and the mirror, by name, however the targets are listed', async () => {
    const ledger = ledgerOf([current('cred-1')], 9);
    const four = repositoryTarget({ owner: 'acme', repo: 'four' });
    serveVariable(one, NAME, undefined);
    serveVariable(two, NAME, serializeLedger(ledger));
    serveVariable(three, NAME, '');
    serveVariable(four, NAME, 'cred-1');
    // Sorted by name: acme/four (home), acme/one (mirror), acme/three, acme/two.
    const found = await read([two, three, one, four]);
    expect(found.ledger).toEqual(ledger);
    expect(found.existed).toBe(true);
    expect(found.homeExists).toBe(true);
    expect(found.mirrorExists).toBe(false);
    expect(found.strays).toEqual([
      { target: three, name: NAME },
      { target: two, name: NAME },
    ]);
    expect(ledgerHome([two, three, one, four])).toBe(four);
    expect(ledgerMirror([two, three, one, four])).toBe(one);
    expect(api.requests).toHaveLength(4);
  });

  it('stops with one message naming the variable, the target and the problem, never quoting the value', async () => {
    serveVariable(one, NAME, serializeLedger(ledgerOf([current('cred-1')])));
    serveVariable(two, NAME, '{"version":1, secret-token:conductorone.com:v1:abcdefghijkl');
    const err = await rejectionOf(read());
    expect(err).toBeInstanceOf(LedgerUnreadableError);
    expect(err.message).toBe(
      'The variable C1_CREDENTIAL_ID in acme/two holds a ledger that is not valid JSON, which the action cannot read ' +
        'as its ledger: restore the value the last run left (its job summary lists every credential it recorded), or ' +
        'set it to the ID of the credential the secrets hold now to start the ledger again from that credential ' +
        '(see "What the action remembers" in the README).',
    );
    expect(api.requests).toHaveLength(2);
  });

  it("stops on another connector's ledger, asking for a variable per connector", async () => {
    serveVariable(one, NAME, serializeLedger({ connector: 'app-1/conn-2', revision: 1, entries: [] }));
    serveVariable(two, NAME, undefined);
    const err = await rejectionOf(read());
    expect(err).toBeInstanceOf(LedgerUnreadableError);
    expect(err.message).toBe(
      'The variable C1_CREDENTIAL_ID in acme/one holds the ledger of connector app-1/conn-2, not of this one: ' +
        'give each connector its own credential-id-variable (e.g. BATON_OKTA_CREDENTIAL_ID).',
    );
  });

  it('stops on a <variable>_PREVIOUS that is not a credential ID', async () => {
    serveVariable(one, NAME, 'cred-new');
    serveVariable(two, NAME, undefined);
    serveVariable(one, legacyKeptName(NAME), undefined);
    serveVariable(two, legacyKeptName(NAME), 'cred-a cred-b');
    const err = await rejectionOf(read());
    expect(err).toBeInstanceOf(LedgerUnreadableError);
    expect(err.message).toBe(
      'The variable C1_CREDENTIAL_ID_PREVIOUS in acme/two holds something that is not a credential ID, so the action ' +
        "cannot tell which credential an earlier run kept valid: set it to that credential's ID, or delete it once " +
        'that credential is revoked in ConductorOne.',
    );
    expect(err.message).not.toContain('cred-a');
  });

  it('reads a ledger too full for another credential, and says so (the run retires what is due first)', async () => {
    const entries = Array.from({ length: 700 }, (_, i) => ({
      id: `cred-${String(i).padStart(4, '0')}`,
      state: 'previous' as const,
      source: 'issued' as const,
      replacedAt: NOW_MS,
    }));
    const value = serializeLedger(ledgerOf(entries));
    expect(value.length + 1024).toBeGreaterThan(48 * 1024);
    serveVariable(one, NAME, value);
    const found = await read([one]);
    expect(ledgerFits(found.ledger)).toBe(false);
    expect(ledgerFullMessage(NAME, 'acme/one', found.ledger)).toBe(
      'The ledger in C1_CREDENTIAL_ID of acme/one records 700 credentials (700 replaced and still valid), too many to ' +
        'add another to one variable (GitHub keeps at most 48 KB), so nothing was rotated: set revoke-previous to true ' +
        'or next-run so that runs retire replaced credentials (the next run then retires them before it rotates), or ' +
        'revoke some in ConductorOne (a run then finds them gone and forgets them).',
    );
  });

  it('takes a ledger that leaves room for one more rotation as fitting', async () => {
    const entries = Array.from({ length: 500 }, (_, i) => ({
      id: `cred-${String(i).padStart(4, '0')}`,
      state: 'previous' as const,
      source: 'issued' as const,
      replacedAt: NOW_MS,
    }));
    const value = serializeLedger(ledgerOf(entries));
    expect(value.length + 1024).toBeLessThanOrEqual(48 * 1024);
    serveVariable(one, NAME, value);
    const found = await read([one]);
    expect(found.ledger.entries).toHaveLength(500);
    expect(ledgerFits(found.ledger)).toBe(true);
  });

  it('measures the ledger in bytes without its texts, which can be dropped when the whole would not fit', async () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({
      id: `cred-${String(i).padStart(4, '0')}`,
      state: 'previous' as const,
      source: 'issued' as const,
      replacedAt: NOW_MS,
      note: '€'.repeat(200),
    }));
    const value = serializeLedger(ledgerOf(entries));
    expect(value.length + 1024).toBeLessThanOrEqual(48 * 1024);
    expect(Buffer.byteLength(value, 'utf8')).toBeGreaterThan(48 * 1024);
    serveVariable(one, NAME, value);
    const found = await read([one]);
    expect(found.ledger.entries).toHaveLength(100);
    expect(ledgerFits(found.ledger)).toBe(true);
    const texts = serializeLedger(withoutTexts(found.ledger));
    expect(Buffer.byteLength(texts, 'utf8') + 1024).toBeLessThanOrEqual(48 * 1024);
    expect(texts).not.toContain('€');
  });

  // _PREVIOUS is read only while no ledger exists: one a failed tidy left behind is harmless (the ledger took in the
  // credential it named) and costs no read on every later run.
  it('once a ledger exists, neither reads nor removes a <variable>_PREVIOUS an earlier tidy failed to delete', async () => {
    serveVariable(one, NAME, serializeLedger(ledgerOf([current('cred-1')])));
    serveVariable(one, legacyKeptName(NAME), 'cred-old');
    const found = await read([one]);
    expect(found.strays).toEqual([]);
    expect(api.log()).toEqual([`GET ${variablePath(one)} 200`]);
  });

  it("fails with GitHub's reason when a variable cannot be read", async () => {
    api.agent
      .get(GH)
      .intercept({ path: variablePath(one), method: 'GET' })
      .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    serveVariable(two, NAME, undefined);
    const err = await rejectionOf(read());
    expect(err).not.toBeInstanceOf(LedgerUnreadableError);
    expect(err.message).toContain(`read the variable ${NAME} of acme/one`);
  });
});

describe('ledgerProblemMessage', () => {
  it('says how to recover a ledger that cannot be read', () => {
    expect(
      ledgerProblemMessage(NAME, { target: 'acme/one', variable: 'ledger', problem: 'a ledger with no "version": 1' }),
    ).toBe(
      'The variable C1_CREDENTIAL_ID in acme/one holds a ledger with no "version": 1, which the action cannot read as ' +
        'its ledger: restore the value the last run left (its job summary lists every credential it recorded), or set ' +
        'it to the ID of the credential the secrets hold now to start the ledger again from that credential ' +
        '(see "What the action remembers" in the README).',
    );
  });
});

describe('LedgerStore', () => {
  const ledger = ledgerOf([current('cred-1')], 4);

  function store(
    options: { exists?: boolean; value?: string | undefined; target?: Target; strays?: LedgerStore['strays'] } = {},
  ) {
    const exists = options.exists ?? true;
    return new LedgerStore(
      ledger,
      {
        octokit: api.octokit(),
        home: options.target ?? one,
        name: NAME,
        exists,
        value: 'value' in options ? options.value : exists ? serializeLedger(ledger) : undefined,
      },
      options.strays ?? [],
    );
  }

  const patch = (status = 204) =>
    api.agent
      .get(GH)
      .intercept({ path: variablePath(one), method: 'PATCH' })
      .reply(api.answer(status, status === 204 ? '' : { message: 'Not Found' }));
  const post = (status = 201) =>
    api.agent
      .get(GH)
      .intercept({ path: '/repos/acme/one/actions/variables', method: 'POST' })
      .reply(api.answer(status, status === 201 ? {} : { message: 'Already exists' }));
  const sent = (index: number) => JSON.parse(api.requests[index]?.body ?? '{}') as Record<string, unknown>;

  it('says where it remembers', () => {
    const s = store();
    expect(s.remembers).toBe(true);
    expect(s.variable).toBe(NAME);
    expect(s.home).toBe(one);
  });

  it('applies a transition to its ledger', () => {
    const s = store();
    s.apply((l) => recordIssued(l, 'cred-2', NOW_MS, 'run 2'));
    expect(s.ledger.entries.map((e) => [e.id, e.state])).toEqual([
      ['cred-1', 'current'],
      ['cred-2', 'pending'],
    ]);
  });

  it('adopts a given credential, and reports one the ledger records as replaced as stale', () => {
    const s = new LedgerStore(
      ledgerOf([{ id: 'cred-0', state: 'previous', source: 'issued', replacedAt: NOW_MS - 5 }]),
    );
    expect(s.adoptGiven('cred-0')).toEqual({ id: 'cred-0', replacedAt: NOW_MS - 5 });
    expect(s.adoptGiven('cred-9')).toBeUndefined();
    expect(s.ledger.entries.map((e) => [e.id, e.state, e.source])).toEqual([
      ['cred-0', 'previous', 'issued'],
      ['cred-9', 'current', 'given'],
    ]);
  });

  describe('save', () => {
    it('updates the home one revision on, and the next save one more', async () => {
      patch();
      patch();
      const s = store();
      expect(await s.save()).toBe('updated');
      expect(s.ledger.revision).toBe(5);
      expect(sent(0)).toEqual({ value: serializeLedger({ ...ledger, revision: 5 }) });
      s.apply((l) => recordIssued(l, 'cred-2', NOW_MS, 'run 2'));
      expect(await s.save()).toBe('updated');
      const second = readVariableContent(sent(1).value as string);
      expect(second.kind === 'ledger' && second.ledger.revision).toBe(6);
      expect(second.kind === 'ledger' && second.ledger.entries.map((e) => e.id)).toEqual(['cred-1', 'cred-2']);
      expect(api.log()).toEqual([`PATCH ${variablePath(one)} 204`, `PATCH ${variablePath(one)} 204`]);
    });

    it('creates the variable when the home does not have it, then updates it', async () => {
      post();
      patch();
      const s = store({ exists: false });
      expect(await s.save()).toBe('created');
      expect(await s.save()).toBe('updated');
      expect(sent(0)).toEqual({ name: NAME, value: serializeLedger({ ...ledger, revision: 5 }) });
      expect(api.log()).toEqual([`POST /repos/acme/one/actions/variables 201`, `PATCH ${variablePath(one)} 204`]);
    });

    it('creates the variable when someone deleted it since it was read', async () => {
      patch(404);
      post();
      expect(await store().save()).toBe('created');
      expect(api.log()).toEqual([`PATCH ${variablePath(one)} 404`, `POST /repos/acme/one/actions/variables 201`]);
    });

    it('gives a new organization variable the access it is given', async () => {
      const org = targetsFor({ kind: 'organization', organization: 'acme' }, [
        { owner: 'acme', repo: 'one' },
      ])[0] as OrganizationTarget;
      api.agent.get(GH).intercept({ path: '/orgs/acme/actions/variables', method: 'POST' }).reply(api.answer(201, {}));
      const s = new LedgerStore(ledger, {
        octokit: api.octokit(),
        home: org,
        name: NAME,
        access: { visibility: 'selected', selectedRepositoryIds: [11, 12], origin: 'kept' },
        exists: false,
        value: undefined,
      });
      expect(await s.save()).toBe('created');
      expect(sent(0)).toMatchObject({ name: NAME, visibility: 'selected', selected_repository_ids: [11, 12] });
    });

    it('keeps its ledger and revision when the write fails, so the caller can report it', async () => {
      api.agent
        .get(GH)
        .intercept({ path: variablePath(one), method: 'PATCH' })
        .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
      const s = store();
      const err = await rejectionOf(s.save());
      expect(err.message).toContain(`write the variable ${NAME} in acme/one`);
      expect(s.ledger.revision).toBe(4);
    });
  });

  describe('reread', () => {
    const other = ledgerOf([{ ...current('cred-1'), state: 'previous', replacedAt: NOW_MS }, current('cred-2')], 5);

    it('changes nothing when the home still holds what this run last saw', async () => {
      serveVariable(one, NAME, serializeLedger(ledger));
      const s = store();
      let rebuilt = 0;
      expect(
        await s.reread(() => {
          rebuilt++;
          return other;
        }),
      ).toBe(false);
      expect(rebuilt).toBe(0);
      expect(s.ledger).toBe(ledger);
    });

    it("changes nothing when the home holds what this run's own save wrote", async () => {
      patch();
      const s = store();
      await s.save();
      serveVariable(one, NAME, serializeLedger({ ...ledger, revision: 5 }));
      expect(await s.reread(() => other)).toBe(false);
    });

    it('takes the ledger another run wrote since, rebuilt from the new value', async () => {
      const value = serializeLedger(other);
      serveVariable(one, NAME, value);
      const s = store();
      const given: Array<string | undefined> = [];
      expect(
        await s.reread((v) => {
          given.push(v);
          return other;
        }),
      ).toBe(true);
      expect(given).toEqual([value]);
      expect(s.ledger).toBe(other);
      patch();
      await s.save();
      expect(sent(1).value).toBe(serializeLedger({ ...other, revision: 6 }));
    });

    it('notices a variable deleted since it was read, and creates it on the next save', async () => {
      serveVariable(one, NAME, undefined);
      const s = store();
      const given: Array<string | undefined> = [];
      expect(
        await s.reread((v) => {
          given.push(v);
          return ledgerOf([], 0);
        }),
      ).toBe(true);
      expect(given).toEqual([undefined]);
      post();
      expect(await s.save()).toBe('created');
    });

    it('notices a variable created since the preflight found none, and updates it on the next save', async () => {
      serveVariable(one, NAME, 'cred-7');
      const s = store({ exists: false });
      expect(await s.reread(() => other)).toBe(true);
      patch();
      expect(await s.save()).toBe('updated');
    });

    it('passes on a failed read', async () => {
      api.agent
        .get(GH)
        .intercept({ path: variablePath(one), method: 'GET' })
        .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
      await expect(store().reread(() => other)).rejects.toThrow(`read the variable ${NAME} of acme/one`);
    });
  });

  describe('tidy', () => {
    const del = (target: Target, name: string, status: number) =>
      api.agent
        .get(GH)
        .intercept({ path: variablePath(target, name), method: 'DELETE' })
        .reply(api.answer(status, status === 204 ? '' : { message: status === 404 ? 'Not Found' : 'Forbidden' }));

    it('removes every copy the ledger replaced, and reports each that could not be removed', async () => {
      del(two, NAME, 204);
      del(three, NAME, 403);
      del(one, legacyKeptName(NAME), 404);
      const s = store({
        strays: [
          { target: two, name: NAME },
          { target: three, name: NAME },
          { target: one, name: legacyKeptName(NAME) },
        ],
      });
      const untidy = await s.tidy(8);
      expect(untidy).toHaveLength(1);
      expect(untidy[0]?.target).toBe(three);
      expect(untidy[0]?.error).toContain(`delete the variable ${NAME} in acme/three`);
      expect(api.log().sort()).toEqual(
        [
          `DELETE ${variablePath(two)} 204`,
          `DELETE ${variablePath(three)} 403`,
          `DELETE ${variablePath(one, legacyKeptName(NAME))} 404`,
        ].sort(),
      );
    });

    it('has nothing to do without strays', async () => {
      expect(await store().tidy(8)).toEqual([]);
      expect(api.requests).toEqual([]);
    });
  });
});

describe('forgetfulStore (no credential-id-variable)', () => {
  it('remembers nothing beyond the run: no variable, no home, no request', async () => {
    const s = forgetfulStore(CONNECTOR);
    expect(s.remembers).toBe(false);
    expect(s.variable).toBe('');
    expect(s.home).toBeUndefined();
    expect(s.ledger).toEqual({ connector: CONNECTOR, revision: 0, entries: [] });
    s.apply((l) => recordIssued(l, 'cred-1', NOW_MS, 'run 1'));
    expect(await s.save()).toBe('not remembered');
    expect(await s.reread(() => ledgerOf([]))).toBe(false);
    expect(await s.tidy(8)).toEqual([]);
    expect(s.ledger.revision).toBe(0);
    expect(s.ledger.entries.map((e) => e.id)).toEqual(['cred-1']);
    expect(api.requests).toEqual([]);
  });

  it('still holds a given previous-credential-id for the run', () => {
    const s = forgetfulStore(CONNECTOR);
    expect(s.adoptGiven('cred-0')).toBeUndefined();
    expect(s.ledger.entries).toEqual([{ id: 'cred-0', state: 'current', source: 'given' }]);
  });
});

describe('a ledger copied home from another target keeps the times it had', () => {
  it('writes back exactly what it read, one revision on', async () => {
    const moved = ledgerOf(
      [
        { id: 'cred-0', state: 'previous', source: 'issued', replacedAt: Date.parse('2026-02-01T00:00:00.123Z') },
        { id: 'cred-1', state: 'current', source: 'issued', heldSince: Date.parse('2026-02-01T00:00:00.123Z') },
      ],
      9,
    );
    serveVariable(one, NAME, undefined);
    serveVariable(two, NAME, serializeLedger(moved));
    const found = await read();
    const s = new LedgerStore(found.ledger, {
      octokit: api.octokit(),
      home: one,
      name: NAME,
      exists: found.homeExists,
      value: found.homeValue,
    });
    api.agent
      .get(GH)
      .intercept({ path: '/repos/acme/one/actions/variables', method: 'POST' })
      .reply(api.answer(201, {}));
    expect(await s.save()).toBe('created');
    const body = JSON.parse(api.requests.at(-1)?.body ?? '{}') as { value: string };
    expect(body.value).toBe(serializeLedger({ ...moved, revision: 10 }));
    expect(body.value).toContain(`"replaced":"${iso(Date.parse('2026-02-01T00:00:00.123Z'))}"`);
  });
});
