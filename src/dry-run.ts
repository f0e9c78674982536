/**
 * dry-run: what a real run would do, from what the preflight found. Nothing
 * here sends a request; the preflight already checked the connector, every
 * target and the variable.
 */
import type { Due } from './expiry.js';
import type { Target } from './github/targets.js';
import type { Inputs } from './inputs.js';
import type { Preflight } from './preflight.js';
import { type DryRunReport, describeAccess } from './report.js';

export function planDryRun(
  inputs: Inputs,
  targets: readonly Target[],
  secretNames: readonly string[],
  preflight: Preflight,
  due: Due,
): DryRunReport {
  const { previous, current } = preflight;
  const plan: string[] = [];
  if (!due.due) {
    plan.push(`Skip rotation: ${due.reason}. The steps below would run once it is due.`);
  } else if (inputs.rotateIfExpiresWithin) {
    plan.push(`Rotate, since ${due.reason}.`);
  }
  plan.push(`Call RotateCredential for connector \`${inputs.connectorId}\`, which issues a new client ID and secret.`);
  plan.push(
    `Write ${secretNames.map((n) => `\`${n}\``).join(' and ')} to ${targets.length === 1 ? (targets[0] as Target).label : `${targets.length} targets`}, at most a few writes at a time.`,
  );
  plan.push(
    inputs.verify
      ? 'Prove the new credential by getting a ConductorOne token with it.'
      : 'Not prove the new credential (verify: false).',
  );
  if (inputs.credentialIdVariable) {
    const values = [...new Set([...preflight.variableValues.values()].map((v) => v ?? 'not set'))];
    plan.push(
      `Record the new credential ID in the variable \`${inputs.credentialIdVariable}\` of every target (now: ${values.join(', ')}).`,
    );
  }
  const previousText = previous.id ? `\`${previous.id}\` (from ${previous.source})` : '';
  const expiry = current !== 'gone' && current?.expiresTime ? `, which expires ${current.expiresTime},` : '';
  if (!previous.id) {
    plan.push(
      inputs.revokePrevious
        ? 'Revoke nothing: no previous credential is known yet.'
        : 'Revoke nothing (revoke-previous is off).',
    );
  } else if (current === 'gone') {
    plan.push(
      `Revoke nothing: the previous credential ${previousText} no longer exists in ConductorOne${inputs.revokePrevious ? ' (a real run reports it as already revoked)' : ''}.`,
    );
  } else if (!inputs.revokePrevious) {
    plan.push(`Leave the previous credential ${previousText}${expiry} valid (revoke-previous is off).`);
  } else {
    plan.push(
      `Revoke the previous credential ${previousText}${expiry || ','} after every write succeeded and the proof passed.`,
    );
  }

  const writes = targets.flatMap((target) =>
    secretNames.map((secret) => {
      const access = preflight.orgAccess.get(target)?.get(secret);
      return { target: target.label, secret, detail: access ? `yes, ${describeAccess(access)}` : 'yes' };
    }),
  );
  return { appId: inputs.appId, connectorId: inputs.connectorId, plan, writes };
}
