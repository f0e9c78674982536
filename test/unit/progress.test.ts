import { describe, expect, it } from 'vitest';
import { cancelledMessage } from '../../src/messages.js';
import { RunProgress } from '../../src/progress.js';
import { renderCancelledSummary } from '../../src/report.js';

function progressWith(
  states: Record<string, Record<string, 'pending' | 'in flight' | 'stored' | 'failed'>>,
): RunProgress {
  const progress = new RunProgress();
  progress.issued('cred-new');
  progress.planWrites(
    Object.entries(states).flatMap(([target, secrets]) => Object.keys(secrets).map((secret) => ({ target, secret }))),
  );
  for (const [target, secrets] of Object.entries(states))
    for (const [secret, state] of Object.entries(secrets)) progress.write(target, secret, state);
  return progress;
}

describe('RunProgress.holdings', () => {
  it('says new only when every secret of a target was stored, previous when none was started or all failed, else unknown', () => {
    const progress = progressWith({
      'acme/a': { ID: 'stored', SECRET: 'stored' },
      'acme/b': { ID: 'pending', SECRET: 'failed' },
      'acme/c': { ID: 'stored', SECRET: 'in flight' },
      'acme/d': { ID: 'stored', SECRET: 'failed' },
    });
    expect(progress.holdings()).toEqual([
      { target: 'acme/a', holds: 'new' },
      { target: 'acme/b', holds: 'previous' },
      { target: 'acme/c', holds: 'unknown' },
      { target: 'acme/d', holds: 'unknown' },
    ]);
  });
});

describe('cancelledMessage', () => {
  it('says nothing changed before a credential was issued', () => {
    expect(cancelledMessage('SIGINT', new RunProgress())).toBe(
      'The run was cancelled (SIGINT) before ConductorOne issued a new credential: nothing was changed.',
    );
  });

  it('says the new credential is stored nowhere, and to revoke it, before any write', () => {
    const progress = new RunProgress();
    progress.issued('cred-new');
    expect(cancelledMessage('SIGTERM', progress)).toBe(
      'The run was cancelled (SIGTERM) after ConductorOne issued credential cred-new. No secret was written: every target still holds the previous credential, which stays valid. Credential cred-new is stored nowhere and recorded nowhere: revoke it in ConductorOne. Nothing was revoked.',
    );
  });

  it('says the next successful run retires the new credential when the ledger records it', () => {
    const progress = new RunProgress();
    progress.issued('cred-new');
    progress.recordedIn = 'the ledger in BATON_CREDENTIAL_ID of acme/a';
    expect(cancelledMessage('SIGTERM', progress)).toBe(
      'The run was cancelled (SIGTERM) after ConductorOne issued credential cred-new. No secret was written: every target still holds the previous credential, which stays valid. Credential cred-new is recorded in the ledger in BATON_CREDENTIAL_ID of acme/a: the next successful run replaces it and retires it. Nothing was revoked.',
    );
  });

  it('names the targets that hold the new credential, those that do not, and those that may', () => {
    const progress = progressWith({
      'acme/a': { ID: 'stored', SECRET: 'stored' },
      'acme/b': { ID: 'pending', SECRET: 'pending' },
      'acme/c': { ID: 'in flight', SECRET: 'pending' },
    });
    progress.previousRevoke = 'in flight';
    expect(cancelledMessage('SIGTERM', progress)).toBe(
      'The run was cancelled (SIGTERM) after ConductorOne issued credential cred-new. The new credential is stored in acme/a. acme/b still holds the previous credential. acme/c may hold either, or one secret of each (a write was under way). Run the workflow again to store one credential everywhere. Revoking replaced credentials was under way: check them in ConductorOne.',
    );
  });

  it('summarizes what each target holds', () => {
    const progress = progressWith({
      'acme/a': { ID: 'stored', SECRET: 'stored' },
      'acme/b': { ID: 'in flight', SECRET: 'stored' },
    });
    const md = renderCancelledSummary('cancelled', progress);
    expect(md).toContain('| acme/a | the new credential |');
    expect(md).toContain('| acme/b | **unknown**: a write was in flight, or only one secret was written |');
  });
});
