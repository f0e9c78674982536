/**
 * The runs that rotate nothing: a dry run, which says what a real run would
 * do from what the preflight found, and a credential not due yet under
 * rotate-if-expires-within. Nothing here sends a request; the preflight
 * already checked the connector, every target and the variable.
 */
import { type Due, rotationDue } from './expiry.js';
import { type Inputs, keptVariableName } from './inputs.js';
import { NEVER_EXPIRES } from './messages.js';
import type { Target } from './model.js';
import type { Preflight } from './preflight.js';
import { type DryRunReport, describeAccess, renderDryRunSummary, renderSkippedSummary } from './report.js';
import type { Session } from './session.js';

/** A dry run, or a credential not due yet: report and stop. */
export async function reportIfNotRotating(session: Session, now: () => number): Promise<boolean> {
  const { core, inputs, preflight } = session;
  const due = rotationDue(inputs.rotateIfExpiresWithin, preflight.previous, preflight.current, now());
  if (inputs.dryRun) {
    core.setOutput('rotated', 'false');
    core.info('Dry run: the connector, the token and every target check out; nothing was changed.');
    await core.writeSummary(renderDryRunSummary(planDryRun(session, due)));
    return true;
  }
  if (!due.due) {
    core.setOutput('rotated', 'false');
    if (due.neverExpires) core.warning(NEVER_EXPIRES.message(inputs), NEVER_EXPIRES.title);
    core.info(`Not rotating: ${due.reason}.`);
    const { appId, connectorId } = inputs;
    await core.writeSummary(renderSkippedSummary({ appId, connectorId, reason: `${due.reason}.` }));
    return true;
  }
  if (inputs.rotateIfExpiresWithin) core.info(`Rotating: ${due.reason}.`);
  return false;
}

export interface DryRunContext {
  inputs: Inputs;
  targets: readonly Target[];
  secrets: ReadonlyArray<{ name: string }>;
  preflight: Preflight;
}

export function planDryRun(context: DryRunContext, due: Due): DryRunReport {
  const { inputs } = context;
  const revoke =
    inputs.revokePrevious === 'next-run'
      ? overlapSteps(inputs, context.preflight)
      : [revokeStep(inputs, context.preflight)];
  const plan = [...dueSteps(inputs, due), ...writeSteps(context), ...deploySteps(inputs), ...revoke];
  return { appId: inputs.appId, connectorId: inputs.connectorId, plan, writes: plannedWrites(context) };
}

function dueSteps(inputs: Inputs, due: Due): string[] {
  if (!due.due) return [`Skip rotation: ${due.reason}. The steps below would run once it is due.`];
  return inputs.rotateIfExpiresWithin ? [`Rotate, since ${due.reason}.`] : [];
}

function writeSteps({ inputs, targets, secrets, preflight }: DryRunContext): string[] {
  const names = secrets.map((s) => `\`${s.name}\``).join(' and ');
  const where = targets.length === 1 ? (targets[0] as Target).label : `${targets.length} targets`;
  const steps = [
    `Call RotateCredential for connector \`${inputs.connectorId}\`, which issues a new client ID and secret.`,
    inputs.verify
      ? 'Prove the new credential by getting a ConductorOne token with it, before anything is written.'
      : 'Check the new credential, without proving it (verify: false).',
    `Write ${names} to ${where}, at most a few writes at a time.`,
  ];
  if (inputs.credentialIdVariable) {
    const values = [...new Set([...preflight.variableValues.values()].map((v) => v ?? 'not set'))].join(', ');
    const variable = `\`${inputs.credentialIdVariable}\``;
    const after = inputs.deployWorkflows.length > 0 ? ', once every deploy run succeeded' : '';
    steps.push(`Record the new credential ID in the variable ${variable} of every target${after} (now: ${values}).`);
  }
  return steps;
}

function deploySteps(inputs: Inputs): string[] {
  if (inputs.deployWorkflows.length === 0) return [];
  const workflows = inputs.deployWorkflows.map((w) => `\`${w.label}\``).join(', ');
  const wait = `wait up to ${inputs.deployTimeout.text} for every run to conclude success`;
  return [`Dispatch the deploy workflows ${workflows}, and ${wait}; otherwise revoke nothing.`];
}

/** revoke-previous: next-run: keep the replaced credential one more rotation, revoke the one kept before. */
function overlapSteps(inputs: Inputs, { previous, kept }: Preflight): string[] {
  const variable = `\`${keptVariableName(inputs)}\``;
  const keep = previous.id
    ? `Keep the replaced credential \`${previous.id}\` valid until the next rotation, recorded in ${variable}.`
    : `Keep nothing for the next rotation: no previous credential is known yet.`;
  const revoke = kept.id
    ? `Revoke \`${kept.id}\`, the credential kept from the rotation before (from ${variable}).`
    : `Revoke nothing: ${variable} names no credential kept from the rotation before.`;
  return [revoke, keep];
}

function revokeStep(inputs: Inputs, { previous, current }: Preflight): string {
  if (!previous.id) {
    return inputs.revokePrevious
      ? 'Revoke nothing: no previous credential is known yet.'
      : 'Revoke nothing (revoke-previous is off).';
  }
  const previousText = `\`${previous.id}\` (from ${previous.source})`;
  if (current === 'gone') {
    const already = inputs.revokePrevious ? ' (a real run reports it as already revoked)' : '';
    return `Revoke nothing: the previous credential ${previousText} no longer exists in ConductorOne${already}.`;
  }
  const expiry = current?.expiresTime ? `, which expires ${current.expiresTime},` : '';
  if (!inputs.revokePrevious)
    return `Leave the previous credential ${previousText}${expiry} valid (revoke-previous is off).`;
  const deploys =
    inputs.deployWorkflows.length > 0 ? ', the proof passed and every deploy run succeeded' : ' and the proof passed';
  const when = `after every write succeeded${deploys}`;
  return `Revoke the previous credential ${previousText}${expiry || ','} ${when}.`;
}

function plannedWrites({ targets, secrets, preflight }: DryRunContext): DryRunReport['writes'] {
  return targets.flatMap((target) =>
    secrets.map(({ name }) => {
      const access = preflight.orgAccess.get(target)?.get(name);
      return { target: target.label, secret: name, detail: access ? `yes, ${describeAccess(access)}` : 'yes' };
    }),
  );
}
