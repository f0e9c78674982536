import { describe, expect, it } from 'vitest';
import { planDryRun } from '../../src/dry-run.js';
import type { Due } from '../../src/expiry.js';
import type { OrgSecretAccess } from '../../src/github/organization.js';
import { environmentTarget, repositoryTarget, targetsFor } from '../../src/github/targets.js';
import { type Inputs, parseDeployWorkflows } from '../../src/inputs.js';
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

function preflight(overrides: Partial<Preflight> = {}): Preflight {
  return {
    publicKeys: new Map(),
    orgAccess: new Map(),
    variableValues: new Map(),
    previous: { id: '', source: 'none' },
    keptValues: new Map(),
    kept: { id: '', source: 'none' },
    deployFacts: new Map(),
    ...overrides,
  };
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
  return planDryRun(context, options.due ?? DUE).plan;
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

  it('says it would record the new ID in the variable, with each distinct current value and "not set"', () => {
    const steps = plan({
      inputs: inputs({ credentialIdVariable: VARIABLE }),
      preflight: preflight({
        variableValues: new Map<Target, string | undefined>([
          [one, 'cred-1'],
          [two, undefined],
        ]),
        previous: { id: 'cred-1', source: 'credential-id-variable' },
      }),
    });
    expect(steps).toContain(
      `Record the new credential ID in the variable \`${VARIABLE}\` of every target (now: cred-1, not set).`,
    );
  });

  it('lists a value the targets share once', () => {
    const steps = plan({
      inputs: inputs({ credentialIdVariable: VARIABLE }),
      preflight: preflight({
        variableValues: new Map([
          [one, 'cred-1'],
          [two, 'cred-1'],
        ]),
        previous: { id: 'cred-1', source: 'credential-id-variable' },
      }),
    });
    expect(steps.join('\n')).toContain('(now: cred-1).');
  });

  it('says nothing about a variable without credential-id-variable', () => {
    expect(plan().join('\n')).not.toContain('Record');
  });

  it('says it would revoke nothing when revoke-previous is off and no previous credential is known', () => {
    expect(plan().at(-1)).toBe('Revoke nothing (revoke-previous is off).');
  });

  it('says it would leave a known previous credential valid when revoke-previous is off, with its expiry', () => {
    const steps = plan({
      preflight: preflight({
        previous: { id: 'cred-1', source: 'previous-credential-id' },
        current: { id: 'cred-1', expiresTime: '2026-09-01T00:00:00Z' },
      }),
    });
    const last = steps.at(-1)!;
    expect(last).toMatch(
      /^Leave the previous credential `cred-1` \(from previous-credential-id\), which expires 2026-09-01T00:00:00Z,? valid \(revoke-previous is off\)\.$/,
    );
  });

  it('says it would revoke the previous credential after the writes and the proof, naming where its ID came from and its expiry', () => {
    const steps = plan({
      inputs: inputs({ revokePrevious: 'now', credentialIdVariable: VARIABLE }),
      preflight: preflight({
        variableValues: new Map([
          [one, 'cred-1'],
          [two, 'cred-1'],
        ]),
        previous: { id: 'cred-1', source: 'credential-id-variable' },
        current: { id: 'cred-1', expiresTime: '2026-09-01T00:00:00Z' },
      }),
    });
    expect(steps.at(-1)).toBe(
      'Revoke the previous credential `cred-1` (from credential-id-variable), which expires 2026-09-01T00:00:00Z, after every write succeeded and the proof passed.',
    );
  });

  it('says the previous credential no longer exists when ConductorOne did not find it', () => {
    const steps = plan({
      inputs: inputs({ revokePrevious: 'now' }),
      preflight: preflight({ previous: { id: 'cred-1', source: 'previous-credential-id' }, current: 'gone' }),
    });
    expect(steps.at(-1)).toBe(
      'Revoke nothing: the previous credential `cred-1` (from previous-credential-id) no longer exists in ConductorOne (a real run reports it as already revoked).',
    );
  });

  it('gives no expiry for a previous credential that does not expire', () => {
    const steps = plan({
      inputs: inputs({ revokePrevious: 'now' }),
      preflight: preflight({
        previous: { id: 'cred-1', source: 'previous-credential-id' },
        current: { id: 'cred-1', expiresTime: '' },
      }),
    });
    expect(steps.at(-1)).toBe(
      'Revoke the previous credential `cred-1` (from previous-credential-id), after every write succeeded and the proof passed.',
    );
  });

  it('says it would revoke nothing when revoke-previous is on but no previous credential is known yet', () => {
    expect(plan({ inputs: inputs({ revokePrevious: 'now', credentialIdVariable: VARIABLE }) }).at(-1)).toBe(
      'Revoke nothing: no previous credential is known yet.',
    );
  });

  it('orders the steps: rotate, prove, write, record, revoke', () => {
    const steps = plan({
      inputs: inputs({ revokePrevious: 'now', credentialIdVariable: VARIABLE }),
      preflight: preflight({
        variableValues: new Map([
          [one, 'cred-1'],
          [two, 'cred-1'],
        ]),
        previous: { id: 'cred-1', source: 'credential-id-variable' },
      }),
    });
    expect(steps.map((s) => s.split(' ')[0])).toEqual(['Call', 'Prove', 'Write', 'Record', 'Revoke']);
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
    const report = planDryRun(context, DUE);
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
      preflight: preflight({ previous: { id: 'cred-1', source: 'previous-credential-id' } }),
    });
    expect(steps).toContain(
      'Dispatch the deploy workflows `acme/ops/.github/workflows/deploy.yml@main`, and wait up to 45m for every run to conclude success; otherwise revoke nothing.',
    );
    expect(steps.at(-1)).toBe(
      'Revoke the previous credential `cred-1` (from previous-credential-id), after every write succeeded, the proof passed and every deploy run succeeded.',
    );
  });

  it('next-run: says it would revoke the credential kept before and keep the one it replaces', () => {
    const steps = plan({
      inputs: inputs({ revokePrevious: 'next-run', credentialIdVariable: VARIABLE }),
      preflight: preflight({
        previous: { id: 'cred-1', source: 'credential-id-variable' },
        kept: { id: 'cred-0', source: 'credential-id-variable' },
      }),
    });
    expect(steps.slice(-2)).toEqual([
      `Revoke \`cred-0\`, the credential kept from the rotation before (from \`${VARIABLE}_PREVIOUS\`).`,
      `Keep the replaced credential \`cred-1\` valid until the next rotation, recorded in \`${VARIABLE}_PREVIOUS\`.`,
    ]);
  });
});
