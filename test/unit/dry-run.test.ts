import { describe, expect, it } from 'vitest';
import { planDryRun } from '../../src/dry-run.js';
import type { Due } from '../../src/expiry.js';
import type { Octokit } from '../../src/github/client.js';
import type { OrgSecretAccess } from '../../src/github/organization.js';
import { environmentTarget, repositoryTarget, targetsFor } from '../../src/github/targets.js';
import { type Inputs, parseDeployWorkflows } from '../../src/inputs.js';
import type { LedgerEntry } from '../../src/ledger.js';
import { forgetfulStore, LedgerStore } from '../../src/ledger-store.js';
import type { OrganizationTarget, Target } from '../../src/model.js';
import type { Preflight } from '../../src/preflight.js';
import { parsedInputs } from './parsed-inputs.js';

const VARIABLE = 'C1_CREDENTIAL_ID';
const SECRET_NAMES = ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET'];
const one = repositoryTarget({ owner: 'acme', repo: 'one' });
const two = repositoryTarget({ owner: 'acme', repo: 'two' });
const org = targetsFor({ kind: 'organization', organization: 'acme' }, [
  { owner: 'acme', repo: 'one' },
])[0] as OrganizationTarget;
const DUE: Due = { due: true, reason: 'rotate-if-expires-within is not set' };

function inputs(overrides: Partial<Inputs> = {}): Inputs {
  return parsedInputs({ dryRun: true, ...overrides });
}

const NOW = Date.UTC(2026, 2, 1, 12);
const HOUR = 3_600_000;

function preflight(overrides: Partial<Preflight> = {}): Preflight {
  return {
    publicKeys: new Map(),
    orgAccess: new Map(),
    ledger: forgetfulStore('app-1/conn-1'),
    adopted: [],
    firstRotation: false,
    previous: { id: '', source: 'none' },
    deployFacts: new Map(),
    ...overrides,
  };
}

/** A ledger kept in VARIABLE of acme/one, holding these credentials. */
function remembered(entries: LedgerEntry[]): LedgerStore {
  const ledger = { connector: 'app-1/conn-1', revision: 3, entries };
  const write = { octokit: {} as Octokit, home: one, name: VARIABLE, exists: true, value: '' };
  return new LedgerStore(ledger, write);
}

/** Without a variable: what previous-credential-id told. */
function given(id: string): LedgerStore {
  const store = forgetfulStore('app-1/conn-1');
  store.adoptGiven(id);
  return store;
}

function plan(
  options: { inputs?: Inputs; targets?: Target[]; secretNames?: string[]; preflight?: Preflight; due?: Due } = {},
): readonly string[] {
  const context = {
    inputs: options.inputs ?? inputs(),
    targets: options.targets ?? [one, two],
    secrets: (options.secretNames ?? SECRET_NAMES).map((name) => ({ name })),
    preflight: options.preflight ?? preflight(),
  };
  return planDryRun(context, options.due ?? DUE, NOW).plan;
}

describe('planDryRun: the plan', () => {
  it('without rotate-if-expires-within, starts with RotateCredential for the connector', () => {
    expect(plan()[0]).toBe('Call RotateCredential for connector `conn-1`, which issues a new client ID and secret.');
  });

  it('says why it would rotate when rotate-if-expires-within found the credential due', () => {
    const due: Due = { due: true, reason: 'the current credential cred-1 expires 2026-03-10T00:00:00Z, within 30d' };
    const steps = plan({ inputs: inputs({ rotateIfExpiresWithin: { text: '30d', ms: 30 * 86_400_000 } }), due });
    expect(steps[0]).toBe('Rotate, since the current credential cred-1 expires 2026-03-10T00:00:00Z, within 30d.');
    expect(steps[1]).toMatch(/^Call RotateCredential/);
  });

  it('says it would skip the rotation while it is not due, and still lists the steps that would run once it is', () => {
    const due: Due = {
      due: false,
      reason:
        'the current credential cred-1 expires 2026-09-01T00:00:00Z, later than 30d from now (2026-03-31T12:00:00Z)',
    };
    const steps = plan({ inputs: inputs({ rotateIfExpiresWithin: { text: '30d', ms: 30 * 86_400_000 } }), due });
    expect(steps[0]).toBe(
      'Skip rotation: the current credential cred-1 expires 2026-09-01T00:00:00Z, later than 30d from now (2026-03-31T12:00:00Z). The steps below would run once it is due.',
    );
    expect(steps[1]).toMatch(/^Call RotateCredential/);
    expect(steps.join('\n')).not.toContain('Rotate, since');
  });

  it('names both secrets and counts the targets', () => {
    expect(plan()).toContain(
      'Write `BATON_CLIENT_ID` and `BATON_CLIENT_SECRET` to 2 targets, at most a few writes at a time.',
    );
  });

  it('names the one target, and only the client secret when the client ID is not stored', () => {
    expect(
      plan({
        targets: [environmentTarget({ owner: 'acme', repo: 'one' }, 'prod')],
        secretNames: ['BATON_CLIENT_SECRET'],
      }),
    ).toContain('Write `BATON_CLIENT_SECRET` to acme/one environment prod, at most a few writes at a time.');
  });

  it('says it would prove the new credential before anything is written with verify on, and only check it with verify off', () => {
    expect(plan()).toContain(
      'Prove the new credential by getting a ConductorOne token with it, before anything is written.',
    );
    const off = plan({ inputs: inputs({ verify: false }) });
    expect(off).toContain('Check the new credential, without proving it (verify: false).');
    expect(off.join('\n')).not.toContain('Prove the new credential');
  });

  it('says it would record the new credential in the ledger, beside the proof and before any write', () => {
    const steps = plan({
      inputs: inputs({ credentialIdVariable: VARIABLE }),
      preflight: preflight({ ledger: remembered([{ id: 'cred-1', state: 'current', source: 'issued' }]) }),
    });
    expect(steps[1]).toBe(
      `Record the new credential in the ledger in ${VARIABLE} of acme/one (as pending), beside the proof and before any write.`,
    );
  });

  it('says nothing about a ledger without credential-id-variable', () => {
    expect(plan().join('\n')).not.toContain('Record');
  });

  it('says it would revoke nothing when no previous credential is known', () => {
    expect(plan().at(-1)).toBe(
      'Revoke nothing: no previous credential is known (set credential-id-variable, or previous-credential-id).',
    );
    const empty = preflight({ ledger: remembered([]) });
    expect(
      plan({ inputs: inputs({ revokePrevious: 'now', credentialIdVariable: VARIABLE }), preflight: empty }).at(-1),
    ).toBe(`Revoke nothing: the ledger in ${VARIABLE} of acme/one records no other credential.`);
  });

  it('says it would leave the replaced credential valid when revoke-previous is off', () => {
    const steps = plan({ preflight: preflight({ ledger: given('cred-1') }) });
    expect(steps.at(-1)).toBe('Leave `cred-1`, replaced by the new credential, valid (revoke-previous is off).');
  });

  it('says it would revoke the replaced credential after the writes and the proof, unless the in-use guard keeps it', () => {
    const steps = plan({
      inputs: inputs({ revokePrevious: 'now' }),
      preflight: preflight({ ledger: given('cred-1') }),
    });
    expect(steps.at(-1)).toBe(
      'Revoke `cred-1`, replaced by the new credential, once every write and the proof succeeded, unless ConductorOne shows a consumer still uses it (the in-use guard).',
    );
  });

  it('says the previous credential no longer exists when ConductorOne did not find it', () => {
    const steps = plan({
      inputs: inputs({ revokePrevious: 'now' }),
      preflight: preflight({
        ledger: given('cred-1'),
        previous: { id: 'cred-1', source: 'previous-credential-id' },
        current: 'gone',
      }),
    });
    expect(steps.at(-1)).toContain(
      'Revoke `cred-1` (it no longer exists in ConductorOne), replaced by the new credential',
    );
  });

  it('revokes every replaced credential the ledger records, and what a run that did not finish left', () => {
    const ledger = remembered([
      { id: 'cred-0', state: 'previous', source: 'issued', replacedAt: NOW - 2 * HOUR },
      { id: 'cred-1', state: 'current', source: 'issued' },
      { id: 'cred-2', state: 'pending', source: 'issued' },
    ]);
    const steps = plan({
      inputs: inputs({ revokePrevious: 'now', credentialIdVariable: VARIABLE }),
      preflight: preflight({ ledger }),
    });
    expect(steps.filter((s) => s.startsWith('Revoke')).map((s) => s.split(' ')[1])).toEqual([
      '`cred-0`,',
      '`cred-1`,',
      '`cred-2`,',
    ]);
    expect(steps.join('\n')).toContain(`Revoke \`cred-0\`, replaced ${new Date(NOW - 2 * HOUR).toISOString()}`);
  });

  it('orders the steps: rotate, record, prove, write, revoke', () => {
    const steps = plan({
      inputs: inputs({ revokePrevious: 'now', credentialIdVariable: VARIABLE }),
      preflight: preflight({ ledger: remembered([{ id: 'cred-1', state: 'current', source: 'issued' }]) }),
    });
    expect(steps.map((s) => s.split(' ')[0])).toEqual(['Call', 'Record', 'Prove', 'Write', 'Revoke']);
  });
});

describe('planDryRun: the writes', () => {
  it('lists every secret of every target, target by target, as "yes"', () => {
    const report = planDryRun(
      {
        inputs: inputs(),
        targets: [one, two],
        secrets: SECRET_NAMES.map((name) => ({ name })),
        preflight: preflight(),
      },
      DUE,
      NOW,
    );
    expect(report.writes).toEqual([
      { target: 'acme/one', secret: 'BATON_CLIENT_ID', detail: 'yes' },
      { target: 'acme/one', secret: 'BATON_CLIENT_SECRET', detail: 'yes' },
      { target: 'acme/two', secret: 'BATON_CLIENT_ID', detail: 'yes' },
      { target: 'acme/two', secret: 'BATON_CLIENT_SECRET', detail: 'yes' },
    ]);
    expect(report).toMatchObject({ appId: 'app-1', connectorId: 'conn-1' });
  });

  it("describes each organization secret's access: kept, from the input, or the default of a new secret", () => {
    const access = new Map<string, OrgSecretAccess>([
      ['BATON_CLIENT_ID', { visibility: 'selected', selectedRepositoryIds: [11], origin: 'kept' }],
      ['BATON_CLIENT_SECRET', { visibility: 'private', origin: 'new' }],
    ]);
    const report = planDryRun(
      {
        inputs: inputs(),
        targets: [org],
        secrets: SECRET_NAMES.map((name) => ({ name })),
        preflight: preflight({ orgAccess: new Map([[org, access]]) }),
      },
      DUE,
      NOW,
    );
    expect(report.writes).toEqual([
      {
        target: 'organization acme',
        secret: 'BATON_CLIENT_ID',
        detail: 'yes, visibility selected, 1 repository (kept)',
      },
      {
        target: 'organization acme',
        secret: 'BATON_CLIENT_SECRET',
        detail: 'yes, visibility private (default for a new secret)',
      },
    ]);
  });

  it('says when the visibility input sets the access, with the number of selected repositories', () => {
    const access = new Map<string, OrgSecretAccess>([
      ['BATON_CLIENT_SECRET', { visibility: 'selected', selectedRepositoryIds: [11, 12, 13], origin: 'input' }],
    ]);
    const context = {
      inputs: inputs(),
      targets: [org],
      secrets: [{ name: 'BATON_CLIENT_SECRET' }],
      preflight: preflight({ orgAccess: new Map([[org, access]]) }),
    };
    const report = planDryRun(context, DUE, NOW);
    expect(report.writes).toEqual([
      {
        target: 'organization acme',
        secret: 'BATON_CLIENT_SECRET',
        detail: 'yes, visibility selected, 3 repositories (from the visibility input)',
      },
    ]);
  });
});

describe('planDryRun: deploy-workflows and revoke-previous: next-run', () => {
  it('says it would dispatch the deploy workflows, wait, and revoke only after every run succeeded', () => {
    const deployWorkflows = parseDeployWorkflows('acme/ops/.github/workflows/deploy.yml@main');
    const steps = plan({
      inputs: inputs({ deployWorkflows, revokePrevious: 'now', deployTimeout: { text: '45m', ms: 2_700_000 } }),
      preflight: preflight({ ledger: given('cred-1') }),
    });
    expect(steps).toContain(
      'Dispatch the deploy workflows `acme/ops/.github/workflows/deploy.yml@main`, and wait up to 45m for every run to conclude success; otherwise revoke nothing.',
    );
    expect(steps.at(-1)).toContain(
      'Revoke `cred-1`, replaced by the new credential, once every write, the proof and every deploy run succeeded',
    );
  });

  it('next-run: says it would revoke what was replaced at least keep-previous-for ago, and keep the rest', () => {
    const ledger = remembered([
      { id: 'cred-0', state: 'previous', source: 'issued', replacedAt: NOW - 7 * HOUR },
      { id: 'cred-9', state: 'previous', source: 'issued', replacedAt: NOW - HOUR },
      { id: 'cred-1', state: 'current', source: 'issued' },
    ]);
    const steps = plan({
      inputs: inputs({ revokePrevious: 'next-run', credentialIdVariable: VARIABLE }),
      preflight: preflight({ ledger }),
    });
    expect(steps.slice(-3)).toEqual([
      `Revoke \`cred-0\`, replaced ${new Date(NOW - 7 * HOUR).toISOString()}, once every write and the proof succeeded, unless ConductorOne shows a consumer still uses it (the in-use guard).`,
      `Keep \`cred-9\`, replaced ${new Date(NOW - HOUR).toISOString()}, valid until at least ${new Date(NOW + 5 * HOUR).toISOString()} (keep-previous-for 6h).`,
      `Keep \`cred-1\`, replaced by the new credential, valid until at least ${new Date(NOW + 6 * HOUR).toISOString()} (keep-previous-for 6h).`,
    ]);
  });
});
