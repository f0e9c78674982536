// One rotation at a time (src/lock.ts, SPEC 4a): the lock variable beside the ledger, taken by an atomic create
// (GitHub answers 409 when it exists), broken when it expired or an earlier attempt of the same run left it, and
// given back only while it is this run's. GitHub is the shared MockAgent harness; the lock's clock is injected.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repositoryTarget, targetsFor } from '../../src/github/targets.js';
import { LockHeldError, type LockOptions, RotationLock, type RunIdentity, runIdentity } from '../../src/lock.js';
import type { OrganizationTarget } from '../../src/model.js';
import { type MockApi, mockApi, NOW_MS, rejectionOf } from './mock-api.js';

const GH = 'https://api.github.com';
const NAME = 'C1_CREDENTIAL_ID_LOCK';
const VARIABLES = '/repos/acme/one/actions/variables';
const LOCK_PATH = `${VARIABLES}/${NAME}`;
const HOUR = 3_600_000;
const LIFETIME = HOUR + 30 * 60_000;
const home = repositoryTarget({ owner: 'acme', repo: 'one' });

const RUN_ENV: Record<string, string> = {
  GITHUB_REPOSITORY: 'acme/rotation',
  GITHUB_RUN_ID: '123',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_SERVER_URL: 'https://github.com',
};
const me = runIdentity((name) => RUN_ENV[name] ?? '');

let api: MockApi;
let now: number;

beforeEach(() => {
  api = mockApi();
  now = NOW_MS;
});

afterEach(async () => {
  await api.close();
});

function lock(overrides: Partial<LockOptions> = {}): RotationLock {
  return new RotationLock({
    octokit: api.octokit(),
    target: home,
    name: NAME,
    identity: me,
    lifetimeMs: LIFETIME,
    now: () => now,
    ...overrides,
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A lock another run wrote, as this action writes one. */
function holderValue(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    run: 'acme/rotation run 99 attempt 1',
    url: 'https://github.com/acme/rotation/actions/runs/99/attempts/1',
    repository: 'acme/rotation',
    runId: '99',
    attempt: 1,
    since: iso(NOW_MS - 10 * 60_000),
    until: iso(NOW_MS + HOUR),
    nonce: 'someone-elses-nonce',
    ...fields,
  });
}

const pool = () => api.agent.get(GH);

function create(status: number, times = 1): void {
  const body = status === 409 ? { message: 'Already exists - Variable already exists' } : {};
  pool().intercept({ path: VARIABLES, method: 'POST' }).reply(api.answer(status, body)).times(times);
}

function read(value: string | (() => string) | 404, updatedAt = '2026-03-01T11:50:00Z'): void {
  pool()
    .intercept({ path: LOCK_PATH, method: 'GET' })
    .reply((opts) =>
      value === 404
        ? api.answer(404, { message: 'Not Found' })(opts)
        : api.answer(200, {
            name: NAME,
            value: typeof value === 'function' ? value() : value,
            created_at: updatedAt,
            updated_at: updatedAt,
          })(opts),
    );
}

function remove(status = 204): void {
  pool()
    .intercept({ path: LOCK_PATH, method: 'DELETE' })
    .reply(api.answer(status, status === 204 ? '' : { message: 'Not Found' }));
}

/** The value this run's first create sent: what a lock of its own holds. */
function sentValue(index = 0): string {
  const creates = api.requests.filter((r) => r.method === 'POST');
  return (JSON.parse(creates[index]?.body ?? '{}') as { value: string }).value;
}

describe('runIdentity', () => {
  it('names the workflow run, with its page, from the runner environment', () => {
    expect(me).toEqual({
      label: 'acme/rotation run 123 attempt 2',
      url: 'https://github.com/acme/rotation/actions/runs/123/attempts/2',
      repository: 'acme/rotation',
      runId: '123',
      attempt: 2,
    });
  });

  it('takes attempt 1 when the attempt is missing or not a positive whole number', () => {
    for (const attempt of ['', '0', '-1', 'two', '1.5']) {
      const identity = runIdentity((name) => (name === 'GITHUB_RUN_ATTEMPT' ? attempt : (RUN_ENV[name] ?? '')));
      expect(identity.attempt, attempt).toBe(1);
      expect(identity.label).toBe('acme/rotation run 123 attempt 1');
    }
  });

  it("links a GitHub Enterprise Server run to that server, and gives no link for a server URL it can't trust", () => {
    const ghes = runIdentity((name) =>
      name === 'GITHUB_SERVER_URL' ? 'https://ghe.acme.example' : (RUN_ENV[name] ?? ''),
    );
    expect(ghes.url).toBe('https://ghe.acme.example/acme/rotation/actions/runs/123/attempts/2');
    for (const server of ['https://ghe.acme.example/path', 'javascript:alert(1)', 'https://a b']) {
      const identity = runIdentity((name) => (name === 'GITHUB_SERVER_URL' ? server : (RUN_ENV[name] ?? '')));
      expect(identity.url, server).toBeUndefined();
      expect(identity.label).toBe('acme/rotation run 123 attempt 2');
    }
    expect(runIdentity((name) => (name === 'GITHUB_SERVER_URL' ? '' : (RUN_ENV[name] ?? ''))).url).toBe(
      'https://github.com/acme/rotation/actions/runs/123/attempts/2',
    );
  });

  it('is "a run outside GitHub Actions" without a valid repository and run ID', () => {
    expect(runIdentity(() => '')).toEqual({ label: 'a run outside GitHub Actions' });
    for (const [repository, runId] of [
      ['acme/rotation', 'abc'],
      ['acme', '123'],
      ['acme/rotation\n::error::x', '123'],
      ['acme/rotation', ''],
    ]) {
      const env: Record<string, string> = {
        ...RUN_ENV,
        GITHUB_REPOSITORY: repository ?? '',
        GITHUB_RUN_ID: runId ?? '',
      };
      expect(runIdentity((name) => env[name] ?? '')).toEqual({ label: 'a run outside GitHub Actions' });
    }
  });
});

describe('RotationLock.acquire', () => {
  it('creates the lock variable, naming this run, since now and until its lifetime ends', async () => {
    create(201);
    const held = lock();
    await held.acquire();
    expect(held.isHeld).toBe(true);
    expect(held.name).toBe(NAME);
    expect(api.log()).toEqual([`POST ${VARIABLES} 201`]);
    const body = JSON.parse(api.requests[0]?.body ?? '') as { name: string; value: string };
    expect(body.name).toBe(NAME);
    expect(Object.keys(body)).toEqual(['name', 'value']);
    const value = JSON.parse(body.value) as Record<string, unknown>;
    expect(value).toEqual({
      run: 'acme/rotation run 123 attempt 2',
      url: 'https://github.com/acme/rotation/actions/runs/123/attempts/2',
      repository: 'acme/rotation',
      runId: '123',
      attempt: 2,
      since: iso(NOW_MS),
      until: iso(NOW_MS + LIFETIME),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
    });
  });

  it('gives a new organization variable the access it is given', async () => {
    const org = targetsFor({ kind: 'organization', organization: 'acme' }, [
      { owner: 'acme', repo: 'one' },
    ])[0] as OrganizationTarget;
    pool().intercept({ path: '/orgs/acme/actions/variables', method: 'POST' }).reply(api.answer(201, {}));
    await lock({ target: org, access: { visibility: 'private', origin: 'new' } }).acquire();
    const body = JSON.parse(api.requests[0]?.body ?? '') as Record<string, unknown>;
    expect(body.visibility).toBe('private');
    expect(body.name).toBe(NAME);
  });

  it('names a run outside GitHub Actions without a link or run fields', async () => {
    create(201);
    await lock({ identity: runIdentity(() => '') }).acquire();
    const value = JSON.parse(sentValue()) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['run', 'since', 'until', 'nonce']);
    expect(value.run).toBe('a run outside GitHub Actions');
  });

  it('changes nothing while another run holds the lock, and names that run, its page and how long it holds', async () => {
    create(409);
    read(holderValue());
    const held = lock();
    const err = await rejectionOf(held.acquire());
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.message).toBe(
      'Another rotation of this connector, acme/rotation run 99 attempt 1 ' +
        '(https://github.com/acme/rotation/actions/runs/99/attempts/1), holds the lock C1_CREDENTIAL_ID_LOCK in acme/one ' +
        'since 2026-03-01T11:50:00.000Z (until 2026-03-01T13:00:00.000Z at the latest), so this run changed nothing: ' +
        'run this workflow again once that run is done; if that run is certainly over (killed, or its runner lost), ' +
        'delete the variable C1_CREDENTIAL_ID_LOCK in acme/one and run this workflow again; ' +
        'give the rotation workflow a concurrency group per connector so runs wait for each other.',
    );
    expect(api.log()).toEqual([`POST ${VARIABLES} 409`, `GET ${LOCK_PATH} 200`]);
    expect(held.isHeld).toBe(false);
  });

  it('holds against a later attempt of the same run, and against the same attempt (another job)', async () => {
    for (const attempt of [2, 3]) {
      create(409);
      read(holderValue({ run: `acme/rotation run 123 attempt ${attempt}`, runId: '123', attempt }));
      await expect(lock().acquire()).rejects.toBeInstanceOf(LockHeldError);
    }
    expect(api.log().filter((l) => l.startsWith('DELETE'))).toEqual([]);
  });

  it('holds against an earlier attempt of another run, or of the same run ID in another repository', async () => {
    create(409);
    read(holderValue({ runId: '122', attempt: 1 }));
    await expect(lock().acquire()).rejects.toBeInstanceOf(LockHeldError);
    create(409);
    read(holderValue({ repository: 'acme/other', runId: '123', attempt: 1 }));
    await expect(lock().acquire()).rejects.toBeInstanceOf(LockHeldError);
    expect(api.log().filter((l) => l.startsWith('DELETE'))).toEqual([]);
  });

  it('takes over at once a lock an earlier attempt of this same run left, however long it had to run', async () => {
    create(409);
    read(holderValue({ run: 'acme/rotation run 123 attempt 1', runId: '123', attempt: 1 }));
    remove();
    create(201);
    const held = lock();
    await held.acquire();
    expect(held.isHeld).toBe(true);
    expect(api.log()).toEqual([
      `POST ${VARIABLES} 409`,
      `GET ${LOCK_PATH} 200`,
      `DELETE ${LOCK_PATH} 204`,
      `POST ${VARIABLES} 201`,
    ]);
  });

  it('takes over an earlier attempt of this run whose lock does not say which attempt it was', async () => {
    create(409);
    const { attempt: _attempt, ...noAttempt } = JSON.parse(holderValue({ runId: '123' })) as Record<string, unknown>;
    read(JSON.stringify(noAttempt));
    remove();
    create(201);
    await lock().acquire();
    expect(api.log()).toContain(`DELETE ${LOCK_PATH} 204`);
  });

  it('breaks a lock whose run died: from the moment its "until" has passed', async () => {
    create(409);
    read(holderValue({ until: iso(NOW_MS + 1) }));
    await expect(lock().acquire()).rejects.toBeInstanceOf(LockHeldError);

    create(409);
    read(holderValue({ until: iso(NOW_MS) }));
    remove();
    create(201);
    const held = lock();
    await held.acquire();
    expect(held.isHeld).toBe(true);
    expect(api.log().slice(2)).toEqual([
      `POST ${VARIABLES} 409`,
      `GET ${LOCK_PATH} 200`,
      `DELETE ${LOCK_PATH} 204`,
      `POST ${VARIABLES} 201`,
    ]);
  });

  it('reads a value this action did not write as held for a lifetime from when GitHub says it was written', async () => {
    create(409);
    read('locked by hand', iso(NOW_MS - LIFETIME + 1));
    const err = await rejectionOf(lock().acquire());
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.message).toBe(
      'Another rotation of this connector holds the lock C1_CREDENTIAL_ID_LOCK in acme/one since ' +
        `${iso(NOW_MS - LIFETIME + 1)} (its value is not one this action wrote), so this run changed nothing: ` +
        'run this workflow again later; if that run is certainly over (killed, or its runner lost), delete the variable ' +
        'C1_CREDENTIAL_ID_LOCK in acme/one and run this workflow again; ' +
        'give the rotation workflow a concurrency group per connector so runs wait for each other.',
    );
    expect(err.message).not.toContain('locked by hand');

    create(409);
    read('locked by hand', iso(NOW_MS - LIFETIME));
    remove();
    create(201);
    await lock().acquire();
    expect(api.log().slice(-2)).toEqual([`DELETE ${LOCK_PATH} 204`, `POST ${VARIABLES} 201`]);
  });

  it('reads a lock with a damaged field as one this action did not write', async () => {
    for (const value of [
      holderValue({ since: 'yesterday' }),
      holderValue({ nonce: undefined }),
      holderValue({ run: 'run\n::error::forged' }),
      'null',
      '[1]',
    ]) {
      create(409);
      read(value);
      const err = await rejectionOf(lock().acquire());
      expect(err.message, value).toContain('(its value is not one this action wrote)');
      expect(err.message).not.toContain('forged');
    }
  });

  it('never puts a link in its message that the lock names but is not a web address', async () => {
    create(409);
    read(holderValue({ url: 'javascript:alert(1)' }));
    const err = await rejectionOf(lock().acquire());
    expect(err.message).toContain('Another rotation of this connector, acme/rotation run 99 attempt 1, holds the lock');
    expect(err.message).not.toContain('javascript');
  });

  it('counts a create whose answer was lost but which went through as its own lock', async () => {
    // The first create is answered 503 (retried, since GitHub cannot have acted, yet a proxy did pass it on);
    // the retry meets the variable the first one made, holding this run's own value.
    create(503);
    create(409);
    read(() => sentValue(0));
    const held = lock();
    await held.acquire();
    expect(held.isHeld).toBe(true);
    expect(api.log()).toEqual([`POST ${VARIABLES} 503`, `POST ${VARIABLES} 409`, `GET ${LOCK_PATH} 200`]);
    expect(sentValue(1)).toBe(sentValue(0));
  });

  it('tries again when the lock is released between its create and its read', async () => {
    create(409);
    read(404);
    create(201);
    const held = lock();
    await held.acquire();
    expect(held.isHeld).toBe(true);
    expect(api.log()).toEqual([`POST ${VARIABLES} 409`, `GET ${LOCK_PATH} 404`, `POST ${VARIABLES} 201`]);
  });

  it('gives up after three tries when another run takes the lock each time', async () => {
    for (let i = 0; i < 3; i++) {
      create(409);
      read(404);
    }
    const err = await rejectionOf(lock().acquire());
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.message).toBe(
      'Another rotation took the lock C1_CREDENTIAL_ID_LOCK in acme/one each time this run tried: run this workflow again once it is done.',
    );
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it("fails with GitHub's reason when the lock can neither be created nor read", async () => {
    pool()
      .intercept({ path: VARIABLES, method: 'POST' })
      .reply(api.answer(403, { message: 'Resource not accessible by integration' }));
    const err = await rejectionOf(lock().acquire());
    expect(err).not.toBeInstanceOf(LockHeldError);
    expect(err.message).toContain(NAME);
    expect(err.message).toContain('acme/one');
  });
});

describe('RotationLock.stillHeld', () => {
  it('is false before the lock was taken, without a request', async () => {
    expect(await lock().stillHeld()).toBe(false);
    expect(api.requests).toEqual([]);
  });

  it("is true while the lock holds this run's value, false once it is gone or another run's", async () => {
    create(201);
    const held = lock();
    await held.acquire();
    read(() => sentValue(0));
    expect(await held.stillHeld()).toBe(true);
    read(404);
    expect(await held.stillHeld()).toBe(false);
    read(holderValue());
    expect(await held.stillHeld()).toBe(false);
    read('not json');
    expect(await held.stillHeld()).toBe(false);
  });

  it('tells two locks of the same run apart (each holds its own nonce)', async () => {
    create(201, 2);
    const first = lock();
    const second = lock();
    await first.acquire();
    await second.acquire();
    expect(sentValue(0)).not.toBe(sentValue(1));
    read(() => sentValue(1));
    expect(await first.stillHeld()).toBe(false);
  });
});

describe('RotationLock.release', () => {
  it('does nothing when the lock was never taken', async () => {
    await lock().release();
    expect(api.requests).toEqual([]);
  });

  it('deletes the lock before it expires, without reading it first, and only once', async () => {
    create(201);
    remove();
    const held = lock();
    await held.acquire();
    now += LIFETIME - 1;
    await held.release();
    await held.release();
    expect(held.isHeld).toBe(false);
    expect(api.log()).toEqual([`POST ${VARIABLES} 201`, `DELETE ${LOCK_PATH} 204`]);
    expect(await held.stillHeld()).toBe(false);
  });

  it('takes a lock that is already gone as released', async () => {
    create(201);
    remove(404);
    const held = lock();
    await held.acquire();
    await held.release();
    expect(api.log()).toEqual([`POST ${VARIABLES} 201`, `DELETE ${LOCK_PATH} 404`]);
  });

  it('past its expiry, deletes the lock only after reading that it is still its own', async () => {
    create(201);
    const held = lock();
    await held.acquire();
    now += LIFETIME;
    read(() => sentValue(0));
    remove();
    await held.release();
    expect(api.log()).toEqual([`POST ${VARIABLES} 201`, `GET ${LOCK_PATH} 200`, `DELETE ${LOCK_PATH} 204`]);
  });

  it('past its expiry, leaves alone the lock another run has taken since', async () => {
    create(201);
    const held = lock();
    await held.acquire();
    now += LIFETIME + 1;
    read(holderValue({ since: iso(now - 1), until: iso(now + HOUR) }));
    await held.release();
    expect(api.log()).toEqual([`POST ${VARIABLES} 201`, `GET ${LOCK_PATH} 200`]);
    expect(held.isHeld).toBe(false);
  });

  it("leaves alone, even before its expiry, a lock another run took once this run's was deleted by hand", async () => {
    create(201);
    const held = lock();
    await held.acquire();
    read(holderValue({ since: iso(now), until: iso(now + HOUR) }));
    expect(await held.stillHeld()).toBe(false);
    read(holderValue({ since: iso(now), until: iso(now + HOUR) }));
    remove();
    await held.release();
    expect(api.log().filter((l) => l.startsWith('DELETE'))).toEqual([]);
  });
});

describe('one rotation at a time', () => {
  it('lets exactly one of two runs take the lock: the second meets the first by name', async () => {
    const other: RunIdentity = runIdentity(
      (name) => ({ ...RUN_ENV, GITHUB_RUN_ID: '124', GITHUB_RUN_ATTEMPT: '1' })[name] ?? '',
    );
    create(201);
    const first = lock({ identity: other });
    await first.acquire();
    create(409);
    read(() => sentValue(0));
    const err = await rejectionOf(lock().acquire());
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.message).toContain(
      'acme/rotation run 124 attempt 1 (https://github.com/acme/rotation/actions/runs/124/attempts/1)',
    );
    expect(err.message).toContain(`since ${iso(NOW_MS)} (until ${iso(NOW_MS + LIFETIME)} at the latest)`);
  });
});
