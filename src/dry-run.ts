/**
 * The runs that rotate nothing: a dry run, which says what a real run would
 * do from what the preflight found, and a credential not due yet under
 * rotate-if-expires-within (the pipeline then still retires what is due).
 * Nothing here sends a request; the preflight already checked the connector,
 * every target and the ledger.
 */
import { type Due, rotationDue } from './expiry.js';
import { retirePolicy } from './finish.js';
import type { Inputs } from './inputs.js';
import { handOver, planRetirement, recordIssued } from './ledger.js';
import { ledgerPlace, NEVER_EXPIRES, timeText, WAIT_REASONS } from './messages.js';
import type { Target } from './model.js';
import type { Preflight } from './preflight.js';
import { type DryRunReport, describeAccess, renderDryRunSummary } from './report.js';
import type { Session } from './session.js';

/**
 * A dry run: report, and the run is over ('dry run'). A credential not due
 * yet: say why, and the pipeline retires what is due without rotating.
 * Otherwise false: rotate.
 */
export async function reportIfNotRotating(
  session: Session,
  now: () => number,
): Promise<'dry run' | { reason: string } | false> {
  const { core, inputs, preflight } = session;
  const due = rotationDue(inputs.rotateIfExpiresWithin, preflight.previous, preflight.current, now());
  if (inputs.dryRun) {
    core.setOutput('rotated', 'false');
    core.info('Dry run: the connector, the token and every target check out; nothing was changed.');
    await core.writeSummary(renderDryRunSummary(planDryRun(session, due, now())));
    return 'dry run';
  }
  if (!due.due) {
    core.setOutput('rotated', 'false');
    if (due.neverExpires) core.warning(NEVER_EXPIRES.message(inputs), NEVER_EXPIRES.title);
    core.info(`Not rotating: ${due.reason}.`);
    return { reason: due.reason };
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

export function planDryRun(context: DryRunContext, due: Due, now: number): DryRunReport {
  const { inputs } = context;
  const plan = [
    ...dueSteps(inputs, due),
    ...writeSteps(context),
    ...deploySteps(inputs),
    ...retireSteps(inputs, context.preflight, now),
  ];
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
  const { ledger } = preflight;
  if (ledger.remembers) {
    const home = ledgerPlace(ledger);
    steps.splice(1, 0, `Record the new credential in ${home} (as pending), beside the proof and before any write.`);
  }
  return steps;
}

function deploySteps(inputs: Inputs): string[] {
  if (inputs.deployWorkflows.length === 0) return [];
  const workflows = inputs.deployWorkflows.map((w) => `\`${w.label}\``).join(', ');
  const wait = `wait up to ${inputs.deployTimeout.text} for every run to conclude success`;
  return [`Dispatch the deploy workflows ${workflows}, and ${wait}; otherwise revoke nothing.`];
}

/**
 * What happens to every credential the targets may hold now, and to every
 * replaced one the ledger records, once the new one is handed over: the same
 * rules a real run applies (ledger.ts), read ahead.
 */
function retireSteps(inputs: Inputs, preflight: Preflight, now: number): string[] {
  const { ledger, current } = preflight;
  const NEW = 'the-new-credential';
  const after = handOver(recordIssued(ledger.ledger, NEW, now, ''), NEW, now);
  const policy = retirePolicy({ inputs });
  const plan = planRetirement(after, policy, now);
  if (plan.length === 0) {
    const unknown = ledger.remembers
      ? `${ledgerPlace(ledger)} records no other credential`
      : 'no previous credential is known (set credential-id-variable, or previous-credential-id)';
    return [`Revoke nothing: ${unknown}.`];
  }
  const guard = 'unless ConductorOne shows a consumer still uses it (the in-use guard)';
  return plan.map((step) => {
    const id = `\`${step.entry.id}\``;
    const gone =
      current === 'gone' && step.entry.id === preflight.previous.id ? ' (it no longer exists in ConductorOne)' : '';
    const replaced =
      step.entry.replacedAt === now
        ? 'replaced by the new credential'
        : `replaced ${timeText(step.entry.replacedAt ?? now)}`;
    if (step.step === 'off') return `Leave ${id}${gone}, ${replaced}, valid (revoke-previous is off).`;
    if (step.step === 'wait') {
      const why = step.why === 'keep' ? `keep-previous-for ${inputs.keepPreviousFor.text}` : WAIT_REASONS.writer;
      return `Keep ${id}, ${replaced}, valid until at least ${timeText(step.dueAt)} (${why}).`;
    }
    const when =
      inputs.deployWorkflows.length > 0
        ? 'once every write, the proof and every deploy run succeeded'
        : 'once every write and the proof succeeded';
    return `Revoke ${id}${gone}, ${replaced}, ${when}, ${guard}.`;
  });
}

function plannedWrites({ targets, secrets, preflight }: DryRunContext): DryRunReport['writes'] {
  return targets.flatMap((target) =>
    secrets.map(({ name }) => {
      const access = preflight.orgAccess.get(target)?.get(name);
      return { target: target.label, secret: name, detail: access ? `yes, ${describeAccess(access)}` : 'yes' };
    }),
  );
}
