// lastUsedAt on the runner's clock (src/conductorone/client.ts getCredential): the in-use guard compares
// ConductorOne's lastUsedAt with times the runner took (when a credential was replaced), so the answer's Date
// header corrects it, by an offset from 2 s (less is the header's rounding) to an hour (more is a wild server).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessTokenSource } from '../../src/conductorone/auth.js';
import { ConductorOneClient } from '../../src/conductorone/client.js';
import { type MockApi, mockApi, NOW_MS } from './mock-api.js';

const C1 = 'https://acme.conductor.one';
const CREDENTIAL = '/api/v1/apps/app-1/connectors/conn-1/credentials/cred-old';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** When ConductorOne says the credential was last used, by its own clock. */
const USED = Date.UTC(2026, 2, 1, 11, 0, 0);

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

function client(): ConductorOneClient {
  return new ConductorOneClient({
    serverUrl: new URL(C1),
    http: api.http(),
    tokenSource: new AccessTokenSource('c1-access-token'),
    mask: () => {},
  });
}

/** The credential read, answered with `lastUsedAt` (omitted when undefined) and ConductorOne's Date header. */
function serve(lastUsedAt: unknown, date?: string, status = 200): void {
  api.agent
    .get(C1)
    .intercept({ path: CREDENTIAL, method: 'GET' })
    .reply(
      api.answer(
        status,
        status === 200
          ? {
              credential: {
                id: 'cred-old',
                clientId: 'c@acme.conductor.one/ccc',
                ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
              },
            }
          : { code: 14, message: 'unavailable' },
        date === undefined ? {} : { date },
      ),
    );
}

/** ConductorOne's clock `offset` ms from the runner's, as a Date header (whole seconds). */
const serverDate = (offset: number) => new Date(NOW_MS + offset).toUTCString();

async function lastUsedAt() {
  return (await client().getCredential('app-1', 'conn-1', 'cred-old'))?.lastUsedAt;
}

describe("getCredential: lastUsedAt on the runner's clock", () => {
  it('takes lastUsedAt as it is when the answer has no Date header', async () => {
    serve(new Date(USED).toISOString());
    expect(await lastUsedAt()).toBe(USED);
  });

  it('never moves lastUsedAt earlier, even when ConductorOne runs ahead: a use made older could get it revoked', async () => {
    serve(new Date(USED).toISOString(), serverDate(10 * MINUTE));
    expect(await lastUsedAt()).toBe(USED);
    serve(new Date(USED).toISOString(), serverDate(55 * MINUTE));
    expect(await lastUsedAt()).toBe(USED);
  });

  it('moves lastUsedAt on by how far ConductorOne runs behind', async () => {
    serve(new Date(USED).toISOString(), serverDate(-10 * MINUTE));
    expect(await lastUsedAt()).toBe(USED + 10 * MINUTE);
  });

  it('ignores an offset under 2 s: the header has whole seconds, so that is its rounding', async () => {
    serve(new Date(USED).toISOString(), serverDate(SECOND));
    expect(await lastUsedAt()).toBe(USED);
    serve(new Date(USED).toISOString(), serverDate(-SECOND));
    expect(await lastUsedAt()).toBe(USED);
  });

  it('corrects by an offset of exactly 2 s and of exactly an hour', async () => {
    serve(new Date(USED).toISOString(), serverDate(-2 * SECOND));
    expect(await lastUsedAt()).toBe(USED + 2 * SECOND);
    serve(new Date(USED).toISOString(), serverDate(-HOUR));
    expect(await lastUsedAt()).toBe(USED + HOUR);
  });

  it('ignores an offset over an hour: a server with a wild clock must not move lastUsedAt by days', async () => {
    serve(new Date(USED).toISOString(), serverDate(HOUR + SECOND));
    expect(await lastUsedAt()).toBe(USED);
    serve(new Date(USED).toISOString(), serverDate(-3 * 24 * HOUR));
    expect(await lastUsedAt()).toBe(USED);
  });

  it('ignores a Date header it cannot read', async () => {
    serve(new Date(USED).toISOString(), 'the day after tomorrow');
    expect(await lastUsedAt()).toBe(USED);
  });

  it("measures the offset against the runner's clock when the answer arrives, after any retry", async () => {
    // The first answer is a 503; the retry waits 750 ms on the fake clock. The second answer's Date says 11:54:59
    // (whole seconds), which is 5 min 1.75 s behind the runner's clock, then at 12:00:00.750.
    serve(undefined, undefined, 503);
    serve(new Date(USED).toISOString(), serverDate(-(5 * MINUTE + SECOND)));
    expect(await lastUsedAt()).toBe(USED + (5 * MINUTE + SECOND + 750));
    expect(api.clock.now()).toBe(NOW_MS + 750);
  });

  it('reads lastUsedAt with a fraction or a zone offset, as RFC 3339 allows', async () => {
    serve('2026-03-01T12:00:00.250+01:00');
    expect(await lastUsedAt()).toBe(USED + 250);
  });

  it('has no lastUsedAt for a credential that was never used (absent, null or empty)', async () => {
    for (const value of [undefined, null, '']) {
      serve(value, serverDate(10 * MINUTE));
      expect(await client().getCredential('app-1', 'conn-1', 'cred-old'), String(value)).toEqual({
        id: 'cred-old',
        expiresTime: '',
      });
    }
  });

  it('marks a lastUsedAt that is not an RFC 3339 time unreadable, never quoting it', async () => {
    for (const value of ['yesterday', '2026-03-01 11:00:00', 1772362800, { seconds: 1 }, '2026-03-01T25:00:00Z']) {
      serve(value, serverDate(10 * MINUTE));
      const info = await client().getCredential('app-1', 'conn-1', 'cred-old');
      expect(info, JSON.stringify(value)).toEqual({ id: 'cred-old', expiresTime: '', lastUsedAt: 'unreadable' });
    }
  });

  // Questionable: isRfc3339 leaves the calendar to Date.parse, which takes 30 February for 2 March.
  it('reads an impossible calendar date (30 February) as the day it rolls over to', async () => {
    serve('2026-02-30T11:00:00Z');
    expect(await lastUsedAt()).toBe(Date.UTC(2026, 2, 2, 11, 0, 0));
  });

  it('says nothing of the last use of a credential ConductorOne shows deleted', async () => {
    api.agent
      .get(C1)
      .intercept({ path: CREDENTIAL, method: 'GET' })
      .reply(
        api.answer(200, {
          credential: { id: 'cred-old', lastUsedAt: new Date(USED).toISOString(), deletedAt: '2026-03-01T11:30:00Z' },
        }),
      );
    expect(await client().getCredential('app-1', 'conn-1', 'cred-old')).toBeUndefined();
  });
});
