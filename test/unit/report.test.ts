import { describe, expect, it } from 'vitest';
import { repositoryTarget } from '../../src/github/targets.js';
import {
  holdings,
  type IssuedCredential,
  renderDryRunSummary,
  renderNotRotatedSummary,
  renderRotationSummary,
  renderSkippedSummary,
  setCredentialOutputs,
  targetsOutput,
  type WriteOutcome,
} from '../../src/report.js';

const one = repositoryTarget({ owner: 'acme', repo: 'one' });
const two = repositoryTarget({ owner: 'acme', repo: 'two' });
const three = repositoryTarget({ owner: 'acme', repo: 'three' });

const credential: IssuedCredential = {
  id: 'cred-2',
  clientId: 'connector@acme.conductor.one/pcc',
  expiresTime: '2026-06-01T12:00:00Z',
};

function outcome(target: typeof one, secret: string, result: WriteOutcome['result'], error?: string): WriteOutcome {
  return error === undefined ? { target, secret, result } : { target, secret, result, error };
}

const allWritten: WriteOutcome[] = [
  outcome(one, 'BATON_CLIENT_ID', 'created'),
  outcome(one, 'BATON_CLIENT_SECRET', 'updated'),
  outcome(two, 'BATON_CLIENT_ID', 'updated'),
  outcome(two, 'BATON_CLIENT_SECRET', 'updated'),
];

const partlyFailed: WriteOutcome[] = [
  outcome(one, 'BATON_CLIENT_ID', 'updated'),
  outcome(one, 'BATON_CLIENT_SECRET', 'updated'),
  outcome(two, 'BATON_CLIENT_ID', 'failed', 'github-token cannot write the secret BATON_CLIENT_ID in acme/two (403)'),
  outcome(
    two,
    'BATON_CLIENT_SECRET',
    'failed',
    'github-token cannot write the secret BATON_CLIENT_SECRET in acme/two (403)',
  ),
  outcome(three, 'BATON_CLIENT_ID', 'updated'),
  outcome(three, 'BATON_CLIENT_SECRET', 'failed', 'GitHub could not write | with a pipe\nand a newline'),
];

describe('holdings', () => {
  it('says a target holds the new credential when every write succeeded', () => {
    expect(holdings(allWritten)).toEqual(
      new Map([
        ['acme/one', 'new credential'],
        ['acme/two', 'new credential'],
      ]),
    );
  });

  it('says a target holds the previous credential when every write failed, and mixed when some did', () => {
    expect(holdings(partlyFailed)).toEqual(
      new Map([
        ['acme/one', 'new credential'],
        ['acme/two', 'previous credential'],
        ['acme/three', 'mixed'],
      ]),
    );
  });

  it('keeps the order in which targets first appear', () => {
    expect([...holdings(partlyFailed).keys()]).toEqual(['acme/one', 'acme/two', 'acme/three']);
  });

  it('is empty for no outcomes', () => {
    expect(holdings([]).size).toBe(0);
  });
});

describe('targetsOutput', () => {
  it('lists one object per secret written, with created or updated', () => {
    expect(JSON.parse(targetsOutput(allWritten))).toEqual([
      { target: 'acme/one', secret: 'BATON_CLIENT_ID', result: 'created' },
      { target: 'acme/one', secret: 'BATON_CLIENT_SECRET', result: 'updated' },
      { target: 'acme/two', secret: 'BATON_CLIENT_ID', result: 'updated' },
      { target: 'acme/two', secret: 'BATON_CLIENT_SECRET', result: 'updated' },
    ]);
  });

  it('leaves out writes that failed, and their errors', () => {
    const output = targetsOutput(partlyFailed);
    expect(JSON.parse(output)).toEqual([
      { target: 'acme/one', secret: 'BATON_CLIENT_ID', result: 'updated' },
      { target: 'acme/one', secret: 'BATON_CLIENT_SECRET', result: 'updated' },
      { target: 'acme/three', secret: 'BATON_CLIENT_ID', result: 'updated' },
    ]);
    expect(output).not.toContain('403');
  });

  it('is an empty JSON array when nothing was written', () => {
    expect(targetsOutput([])).toBe('[]');
  });
});

describe('setCredentialOutputs', () => {
  it('sets credential-id, client-id, expires-at and rotated=true', () => {
    const outputs: Record<string, string> = {};
    setCredentialOutputs({ setOutput: (name, value) => (outputs[name] = value) }, credential);
    expect(outputs).toEqual({
      'credential-id': 'cred-2',
      'client-id': 'connector@acme.conductor.one/pcc',
      'expires-at': '2026-06-01T12:00:00Z',
      rotated: 'true',
    });
  });
});

describe('renderRotationSummary', () => {
  const report = { appId: 'app-1', connectorId: 'conn-1', credential, previousId: '', steps: [] };

  it('shows the credential and every write, without a "Now holds" table when all succeeded', () => {
    const md = renderRotationSummary({ ...report, outcomes: allWritten });
    expect(md).toContain('## ConductorOne credential rotated\n');
    expect(md).toContain('| Connector | `conn-1` (app `app-1`) |');
    expect(md).toContain('| Credential ID | `cred-2` |');
    expect(md).toContain('| Client ID | `connector@acme.conductor.one/pcc` |');
    expect(md).toContain('| Expires | 2026-06-01T12:00:00Z |');
    expect(md).toContain('| acme/one | `BATON_CLIENT_ID` | created |');
    expect(md).toContain('| acme/two | `BATON_CLIENT_SECRET` | updated |');
    expect(md).not.toContain('Now holds');
    expect(md).not.toContain('failed');
  });

  it('says "never" for a credential that does not expire', () => {
    expect(
      renderRotationSummary({ ...report, credential: { ...credential, expiresTime: '' }, outcomes: allWritten }),
    ).toContain('| Expires | never |');
  });

  it('on failure, heads with the failure and shows what each target now holds', () => {
    const md = renderRotationSummary({ ...report, outcomes: partlyFailed });
    expect(md).toContain('## ConductorOne credential rotated, but not stored everywhere');
    expect(md).toContain('| Target | Now holds |');
    expect(md).toContain('| acme/one | the new credential |');
    expect(md).toContain('| acme/two | the previous credential (still valid, nothing was revoked) |');
    expect(md).toMatch(/\| acme\/three \| \*\*mixed\*\*: .* \|/);
    expect(md).toContain(
      '| acme/two | `BATON_CLIENT_ID` | **failed**: github-token cannot write the secret BATON_CLIENT_ID in acme/two (403) |',
    );
  });

  it('escapes | and folds newlines so an error stays in its table cell', () => {
    const md = renderRotationSummary({ ...report, outcomes: partlyFailed });
    expect(md).toContain(
      '| acme/three | `BATON_CLIENT_SECRET` | **failed**: GitHub could not write \\| with a pipe and a newline |',
    );
    const rows = md.split('\n').filter((line) => line.startsWith('| acme/three | `BATON_CLIENT_SECRET`'));
    expect(rows).toHaveLength(1);
  });

  it('escapes | in the client ID and expiry cells', () => {
    const md = renderRotationSummary({
      ...report,
      credential: { id: 'c', clientId: 'a|b', expiresTime: 'x|y' },
      outcomes: allWritten,
    });
    expect(md).toContain('| Client ID | `a\\|b` |');
    expect(md).toContain('| Expires | x\\|y |');
  });
});

describe('renderRotationSummary: previous credential, detail and steps', () => {
  const report = { appId: 'app-1', connectorId: 'conn-1', credential, previousId: '', steps: [] };

  it('names the previous credential when it is known, and says "not known" otherwise', () => {
    expect(renderRotationSummary({ ...report, previousId: 'cred-1', outcomes: allWritten })).toContain(
      '| Previous credential | `cred-1` |',
    );
    expect(renderRotationSummary({ ...report, outcomes: allWritten })).toContain('| Previous credential | not known |');
  });

  it("adds the detail of a write after its result, e.g. an organization secret's visibility", () => {
    const org: WriteOutcome[] = [
      {
        target: one,
        secret: 'BATON_CLIENT_ID',
        result: 'updated',
        access: { visibility: 'selected', selectedRepositoryIds: [1, 2], origin: 'kept' },
      },
      { target: one, secret: 'BATON_CLIENT_SECRET', result: 'created' },
    ];
    const md = renderRotationSummary({ ...report, outcomes: org });
    expect(md).toContain('| acme/one | `BATON_CLIENT_ID` | updated, visibility selected, 2 repositories (kept) |');
    expect(md).toContain('| acme/one | `BATON_CLIENT_SECRET` | created |');
  });

  it("keeps a failed write's error with |, a newline, a link or a tag inside its cell, inert", () => {
    const md = renderRotationSummary({
      ...report,
      outcomes: [{ target: one, secret: 'S', result: 'failed', error: 'a|b\nc [x](https://evil.example) <img src=x>' }],
    });
    expect(md).toContain('| acme/one | `S` | **failed**: a\\|b c \\[x\\](https://evil.example) &lt;img src=x&gt; |');
  });

  it("shows a failed write's error, not its detail", () => {
    const md = renderRotationSummary({
      ...report,
      outcomes: [
        {
          target: one,
          secret: 'S',
          result: 'failed',
          error: 'refused (403)',
          access: { visibility: 'all', origin: 'kept' },
        },
      ],
    });
    expect(md).toContain('| acme/one | `S` | **failed**: refused (403) |');
    expect(md).not.toContain('visibility all');
  });

  it('lists each step after the writes with its result, in the order given', () => {
    const steps = [
      { step: 'Prove the new credential', result: 'passed: it got a ConductorOne token' },
      { step: 'Revoke the previous credential cred-1', result: 'revoked' },
    ];
    const md = renderRotationSummary({ ...report, outcomes: allWritten, steps });
    const lines = md.split('\n');
    const header = lines.indexOf('| Step | Result |');
    expect(header).toBeGreaterThan(lines.indexOf('| acme/two | `BATON_CLIENT_SECRET` | updated |'));
    expect(lines.slice(header, header + 4)).toEqual([
      '| Step | Result |',
      '|---|---|',
      '| Prove the new credential | passed: it got a ConductorOne token |',
      '| Revoke the previous credential cred-1 | revoked |',
    ]);
  });

  it('has no steps table when no step is given', () => {
    expect(renderRotationSummary({ ...report, outcomes: allWritten })).not.toContain('| Step |');
  });

  it('keeps a step result with | or a newline inside its cell', () => {
    const md = renderRotationSummary({
      ...report,
      outcomes: allWritten,
      steps: [{ step: 'Revoke', result: '**failed**: no | way\nat all' }],
    });
    expect(md).toContain('| Revoke | **failed**: no \\| way at all |');
  });

  it('heads an unfinished rotation as stored but not finished', () => {
    const md = renderRotationSummary({ ...report, outcomes: allWritten, unfinished: true });
    expect(md.split('\n')[0]).toBe('## ConductorOne credential rotated and stored, but not finished');
    expect(md).not.toContain('Now holds');
  });

  it('heads a finished rotation as rotated when unfinished is false', () => {
    expect(renderRotationSummary({ ...report, outcomes: allWritten, unfinished: false }).split('\n')[0]).toBe(
      '## ConductorOne credential rotated',
    );
  });

  it('heads with the failed writes when writes failed, even if also unfinished', () => {
    const md = renderRotationSummary({ ...report, outcomes: partlyFailed, unfinished: true });
    expect(md.split('\n')[0]).toBe('## ConductorOne credential rotated, but not stored everywhere');
    expect(md).not.toContain('but not finished');
  });
});

describe('renderSkippedSummary', () => {
  it('says the credential is not due, names the connector and the reason, and that nothing changed', () => {
    const md = renderSkippedSummary({
      appId: 'app-1',
      connectorId: 'conn-1',
      reason: 'the current credential cred-1 expires 2026-09-01T00:00:00Z, later than 30d from now.',
    });
    expect(md.split('\n')[0]).toBe('## ConductorOne credential not due for rotation');
    expect(md).toContain(
      'Connector `conn-1` (app `app-1`): the current credential cred-1 expires 2026-09-01T00:00:00Z, later than 30d from now.',
    );
    expect(md).toContain('Nothing was rotated, written or revoked.');
    expect(md).not.toContain('| Target |');
  });

  it('keeps the reason on one line, with | escaped', () => {
    const md = renderSkippedSummary({ appId: 'app-1', connectorId: 'conn-1', reason: 'a | b\nc' });
    expect(md).toContain('Connector `conn-1` (app `app-1`): a \\| b c\n');
  });
});

describe('renderDryRunSummary', () => {
  const dryRun = {
    appId: 'app-1',
    connectorId: 'conn-1',
    plan: [
      'Call RotateCredential for connector `conn-1`.',
      'Prove the new credential.',
      'Revoke nothing (revoke-previous is off).',
    ],
    writes: [
      { target: 'acme/one', secret: 'BATON_CLIENT_ID', detail: 'yes' },
      {
        target: 'organization acme',
        secret: 'BATON_CLIENT_SECRET',
        detail: 'yes, visibility selected, 2 repositories (kept)',
      },
    ],
  };

  it('heads as a dry run, names the connector and says nothing was changed', () => {
    const md = renderDryRunSummary(dryRun);
    expect(md.split('\n')[0]).toBe('## ConductorOne credential rotation: dry run');
    expect(md).toContain(
      'Connector `conn-1` (app `app-1`) exists, the token can authenticate, and every target below is readable. Nothing was changed.',
    );
  });

  it('lists every target and secret with what would be written there', () => {
    const lines = renderDryRunSummary(dryRun).split('\n');
    const header = lines.indexOf('| Target | Secret | Would write |');
    expect(lines.slice(header, header + 4)).toEqual([
      '| Target | Secret | Would write |',
      '|---|---|---|',
      '| acme/one | `BATON_CLIENT_ID` | yes |',
      '| organization acme | `BATON_CLIENT_SECRET` | yes, visibility selected, 2 repositories (kept) |',
    ]);
  });

  it('numbers the plan in order, after the table', () => {
    const md = renderDryRunSummary(dryRun);
    expect(md).toContain(
      [
        'A real run would:',
        '',
        '1. Call RotateCredential for connector `conn-1`.',
        '2. Prove the new credential.',
        '3. Revoke nothing (revoke-previous is off).',
      ].join('\n'),
    );
    expect(md.indexOf('A real run would:')).toBeGreaterThan(md.indexOf('| organization acme |'));
  });

  it('keeps a target or detail with | or a newline inside its cell', () => {
    const md = renderDryRunSummary({
      ...dryRun,
      writes: [{ target: 'odd|target', secret: 'S', detail: 'yes,\nreally' }],
    });
    expect(md).toContain('| odd\\|target | `S` | yes, really |');
  });
});

describe('renderNotRotatedSummary', () => {
  it('gives the reason in one line and says nothing was changed', () => {
    const md = renderNotRotatedSummary('Nothing was rotated. Repository acme/x | was\nnot found');
    expect(md).toContain('## ConductorOne credential not rotated');
    expect(md).toContain('Nothing was rotated. Repository acme/x \\| was not found');
    expect(md).toContain('No secret was changed, and the previous credential is still valid.');
  });
});
