import { describe, expect, it } from 'vitest';
import { rotationDue } from '../../src/expiry.js';
import type { Duration } from '../../src/inputs.js';
import type { CredentialInfo, PreviousCredential } from '../../src/model.js';

const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0);
const DAY_MS = 86_400_000;
const THIRTY_DAYS: Duration = { text: '30d', ms: 30 * DAY_MS };
const previous: PreviousCredential = { id: 'cred-1', source: 'credential-id-variable' };

function credential(expiresTime: string): CredentialInfo {
  return { id: 'cred-1', expiresTime };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('rotationDue', () => {
  it('is due on every run when rotate-if-expires-within is not set, whatever the credential', () => {
    const due = rotationDue(undefined, previous, credential(iso(NOW_MS + 365 * DAY_MS)), NOW_MS);
    expect(due).toEqual({ due: true, reason: 'rotate-if-expires-within is not set' });
  });

  it('is not due while the credential expires later than the window', () => {
    const due = rotationDue(THIRTY_DAYS, previous, credential('2026-04-01T12:00:00Z'), NOW_MS);
    expect(due.due).toBe(false);
    expect(due.reason).toBe(
      'the current credential cred-1 expires 2026-04-01T12:00:00Z, later than 30d from now (2026-03-31T12:00:00Z)',
    );
  });

  it('is not due one second after the end of the window', () => {
    expect(rotationDue(THIRTY_DAYS, previous, credential(iso(NOW_MS + THIRTY_DAYS.ms + 1_000)), NOW_MS).due).toBe(
      false,
    );
  });

  it('is due when the credential expires exactly at the end of the window', () => {
    const due = rotationDue(THIRTY_DAYS, previous, credential('2026-03-31T12:00:00Z'), NOW_MS);
    expect(due).toEqual({
      due: true,
      reason: 'the current credential cred-1 expires 2026-03-31T12:00:00Z, within 30d',
    });
  });

  it('is due when the credential expires inside the window', () => {
    expect(rotationDue(THIRTY_DAYS, previous, credential(iso(NOW_MS + THIRTY_DAYS.ms - 1_000)), NOW_MS).due).toBe(true);
    expect(rotationDue(THIRTY_DAYS, previous, credential(iso(NOW_MS + DAY_MS)), NOW_MS).due).toBe(true);
  });

  it('is due when the credential has already expired', () => {
    expect(rotationDue(THIRTY_DAYS, previous, credential(iso(NOW_MS - DAY_MS)), NOW_MS).due).toBe(true);
  });

  it('compares instants, not strings: an expiry with an offset is read as the moment it names', () => {
    // 2026-04-01T02:00:00+14:00 is 2026-03-31T12:00:00Z: exactly the end of the window.
    expect(rotationDue(THIRTY_DAYS, previous, credential('2026-04-01T02:00:00+14:00'), NOW_MS).due).toBe(true);
    // 2026-03-31T08:00:01-04:00 is 2026-03-31T12:00:01Z: one second past it.
    expect(rotationDue(THIRTY_DAYS, previous, credential('2026-03-31T08:00:01-04:00'), NOW_MS).due).toBe(false);
  });

  it('reads an expiry with nanoseconds, as protobuf JSON writes timestamps', () => {
    expect(rotationDue(THIRTY_DAYS, previous, credential('2026-03-31T11:59:59.999999999Z'), NOW_MS).due).toBe(true);
    expect(rotationDue(THIRTY_DAYS, previous, credential('2026-03-31T12:00:01.123456789Z'), NOW_MS).due).toBe(false);
  });

  it('is not due for a credential that does not expire, and says how to rotate anyway', () => {
    const due = rotationDue(THIRTY_DAYS, previous, credential(''), NOW_MS);
    expect(due.due).toBe(false);
    expect(due.reason).toContain('cred-1 does not expire');
    expect(due.reason).toContain('remove rotate-if-expires-within');
  });

  it('is due when ConductorOne gave an expiry that is not RFC 3339, without quoting it', () => {
    const due = rotationDue(THIRTY_DAYS, previous, { id: 'cred-1', expiresTime: '', expiryUnreadable: true }, NOW_MS);
    expect(due).toEqual({ due: true, reason: 'ConductorOne gave an expiry for cred-1 that is not an RFC 3339 time' });
  });

  it('is due when the current credential no longer exists in ConductorOne', () => {
    const due = rotationDue(THIRTY_DAYS, previous, 'gone', NOW_MS);
    expect(due).toEqual({ due: true, reason: 'the current credential cred-1 no longer exists in ConductorOne' });
    expect(rotationDue(THIRTY_DAYS, previous, undefined, NOW_MS).due).toBe(true);
  });

  it('is due when no current credential is known', () => {
    const due = rotationDue(THIRTY_DAYS, { id: '', source: 'none' }, undefined, NOW_MS);
    expect(due).toEqual({ due: true, reason: 'no current credential is known' });
  });
});
