/**
 * The sentences the pipeline says: log lines, errors, warnings and the steps
 * of the summary. Each says what happened, where, and what to do; none ever
 * carries a secret (the types they take do not hold one).
 */
import { isConductorOneId } from './conductorone/credential.js';
import type { FinishOutcome, Interference, VariableOutcome } from './finish.js';
import type { DeployOutcome } from './github/deploy.js';
import { type Inputs, keptVariableName } from './inputs.js';
import type { RotatedCredential } from './model.js';
import type { RunProgress } from './progress.js';
import { holdings, type StepReport } from './report.js';
import type { WriteOutcome } from './store.js';

/** "a, b, c": how lists of targets read in messages. */
export function commaList(items: readonly string[]): string {
  return items.join(', ');
}

export const INTERFERENCE_TITLE = 'Another rotation ran at the same time';

export function issuedLine(credential: RotatedCredential): string {
  const expires = credential.expiresTime ? `, expires ${credential.expiresTime}` : '';
  return `ConductorOne issued credential ${credential.id} (client ID ${credential.clientId}${expires}).`;
}

/** The rotation is done but for the record or the revoke. */
export function onlyThisIsLeft(credential: RotatedCredential, problems: readonly string[]): string {
  return [
    `Credential ${credential.id} is stored in every target and proved it works, so the secrets are up to date;`,
    `only this is left: ${problems.join(' ')}`,
  ].join(' ');
}

/** The steps after the writes that a failure before them kept from running. */
export function stepsNotRun(inputs: Inputs, because: string): StepReport[] {
  const steps: StepReport[] = [];
  if (inputs.credentialIdVariable)
    steps.push({ step: `Record the credential ID in ${inputs.credentialIdVariable}`, result: `not done: ${because}` });
  if (inputs.revokePrevious)
    steps.push({
      step: 'Revoke the previous credential',
      result: `not done: ${because}; the previous credential stays valid`,
    });
  return steps;
}

export function proofStep(inputs: Inputs): StepReport {
  return {
    step: 'Check and prove the new credential',
    result: inputs.verify
      ? 'passed: well formed, and it got a ConductorOne token'
      : 'well formed; not proved (verify: false)',
  };
}

export function finishSteps(inputs: Inputs, finish: FinishOutcome): StepReport[] {
  const steps: StepReport[] = [];
  const variable = inputs.credentialIdVariable;
  if (finish.variables)
    steps.push({ step: `Record the credential ID in ${variable}`, result: describeVariableOutcomes(finish.variables) });
  else if (finish.interference)
    steps.push({
      step: `Record the credential ID in ${variable}`,
      result: `not done: another rotation recorded ${finish.interference.changes[0]?.now || 'nothing'} meanwhile`,
    });
  else if (finish.recheckError)
    steps.push({ step: `Record the credential ID in ${variable}`, result: `**failed**: ${finish.recheckError}` });
  if (finish.keptVariables) {
    const step = `Keep the replaced credential valid until the next rotation, in ${keptVariableName(inputs)}`;
    steps.push({ step, result: describeVariableOutcomes(finish.keptVariables) });
  }
  const { revoke } = finish;
  const which =
    inputs.revokePrevious === 'next-run' ? 'the credential kept from the rotation before' : 'the previous credential';
  const step = `Revoke ${which}${revoke.id ? ` ${revoke.id}` : ''}`;
  const result = {
    revoked: () => 'revoked',
    'already revoked': () => 'already revoked (ConductorOne no longer has it)',
    failed: () => (revoke.state === 'failed' ? `**failed**: ${revoke.error}` : ''),
    skipped: () => (revoke.state === 'skipped' ? `not done: ${revoke.why}` : ''),
  }[revoke.state]();
  steps.push({ step, result });
  return steps;
}

/** "updated in acme/a, acme/b; created in acme/c", or counts once the lists get long. */
function describeVariableOutcomes(outcomes: readonly VariableOutcome[]): string {
  const groups = new Map<string, string[]>();
  for (const o of outcomes) {
    const key = o.result === 'failed' ? `**failed**: ${o.error ?? ''}` : o.result;
    groups.set(key, [...(groups.get(key) ?? []), o.target.label]);
  }
  return [...groups]
    .map(([result, labels]) => `${result} in ${labels.length > 5 ? `${labels.length} targets` : commaList(labels)}`)
    .join('; ');
}

/** Log lines for what the last steps did. */
export function finishLog(inputs: Inputs, finish: FinishOutcome): string[] {
  const lines = (finish.variables ?? []).flatMap((v) =>
    v.result === 'failed' ? [] : [`${v.target.label}: variable ${inputs.credentialIdVariable} ${v.result}.`],
  );
  const { revoke } = finish;
  if (revoke.state === 'revoked') lines.push(`Revoked the previous credential ${revoke.id}.`);
  if (revoke.state === 'already revoked') lines.push(`The previous credential ${revoke.id} was already revoked.`);
  if (revoke.state === 'skipped' && inputs.revokePrevious) lines.push(`Nothing revoked: ${revoke.why}.`);
  return lines;
}

/** What the last steps left undone, one sentence each; empty when they all succeeded. */
export function finishProblems(inputs: Inputs, finish: FinishOutcome): string[] {
  const problems: string[] = [];
  const variable = inputs.credentialIdVariable;
  const fix = 'set it to the new credential ID, or re-run';
  if (finish.recheckError) {
    const what = `the variable ${variable} could not be read again before recording the new credential`;
    const consequence = 'so it was not updated and nothing was revoked';
    problems.push(`${what} (${finish.recheckError}), ${consequence}: ${fix}.`);
  }
  const failed = (finish.variables ?? []).filter((v) => v.result === 'failed');
  if (failed.length > 0) {
    const where = commaList(failed.map((v) => v.target.label));
    const errors = [...new Set(failed.map((v) => v.error))].join(' ');
    const risk = 'until it is, the next run cannot tell which credential to revoke';
    problems.push(`the variable ${variable} could not be updated in ${where} (${errors}); ${risk}: ${fix}.`);
  }
  const keptFailed = (finish.keptVariables ?? []).filter((v) => v.result === 'failed');
  if (keptFailed.length > 0) {
    const where = commaList(keptFailed.map((v) => v.target.label));
    const replaced = 'the credential this run replaced is recorded nowhere, so no later run will revoke it';
    const fix = 'revoke it in ConductorOne once consumers use the new one';
    problems.push(`the variable ${keptVariableName(inputs)} could not be updated in ${where}; ${replaced}: ${fix}.`);
  }
  if (finish.revoke.state === 'failed') {
    const retry =
      inputs.revokePrevious === 'next-run'
        ? 'revoke it in ConductorOne'
        : `revoke it in ConductorOne, or re-run with previous-credential-id: ${finish.revoke.id}`;
    problems.push(`revoking the previous credential ${finish.revoke.id} failed (${finish.revoke.error}); ${retry}.`);
  }
  return problems;
}

/** "concluded success", "did not complete within deploy-timeout", ... for a log line. */
export function describeConclusion(conclusion: DeployOutcome['conclusion']): string {
  if (conclusion === 'timed out') return 'did not complete within deploy-timeout';
  if (conclusion === 'unknown') return 'could not be read';
  if (conclusion === 'not identified') return 'was dispatched, but its run could not be identified';
  if (conclusion === 'not dispatched' || conclusion === 'not waited for') return `was ${conclusion}`;
  return `concluded ${conclusion}`;
}

/**
 * A deploy run did not succeed: the secrets hold the new, proved credential,
 * but its consumers may still run with the previous one, which therefore
 * stays valid and recorded.
 */
export function deployFailureMessage(
  inputs: Inputs,
  credential: RotatedCredential,
  deploys: readonly DeployOutcome[],
  previousId: string,
): string {
  const failed = deploys
    .filter((d) => d.conclusion !== 'success')
    .map((d) => {
      const run = d.run ? ` run ${d.run.url}` : '';
      const why =
        d.conclusion === 'timed out'
          ? `did not complete within deploy-timeout (${inputs.deployTimeout.text})`
          : describeConclusion(d.conclusion);
      return `${d.workflow.label}${run} ${why}${d.error ? ` (${d.error.replace(/\.$/, '')})` : ''}`;
    });
  const previous = previousId ? `the previous credential ${previousId}` : 'the previous credential';
  const variable = inputs.credentialIdVariable ? `, and ${inputs.credentialIdVariable} still names it` : '';
  return [
    `Credential ${credential.id} is stored in every target and proved it works, but not every deploy run succeeded:`,
    `${failed.join('; ')}.`,
    `Nothing was revoked, so ${previous} stays valid for consumers that still run with it${variable}.`,
    'Fix the deploy and re-run it: the secrets already hold the new credential.',
  ].join(' ');
}

/**
 * Another rotation recorded a credential while this one ran: the two runs'
 * writes may have interleaved, so a target may hold the client ID of one and
 * the secret of the other.
 */
export function interferenceWarning(inputs: Inputs, credential: RotatedCredential, interference: Interference): string {
  const seen = interference.changes
    .map((c) => `${c.target.label}: ${c.before || 'not set'} at the start, ${c.now || 'not set'} now`)
    .join('; ');
  // Only a credential ID can be the other run's credential; a quoted value is shown in `seen` alone.
  const others = [...new Set(interference.changes.map((c) => c.now).filter(isConductorOneId))];
  return [
    `The variable ${inputs.credentialIdVariable} changed while this run rotated (${seen}):`,
    'another rotation of this connector ran at the same time,',
    `so the secrets may hold this run's credential ${credential.id},`,
    `the other run's ${commaList(others) || 'credential'}, or a mix of the two.`,
    `Nothing was revoked and ${inputs.credentialIdVariable} was left as the other run set it.`,
    'Re-run this workflow once, alone, so that one credential is stored everywhere;',
    'add a concurrency group keyed on the connector to the workflow so runs never overlap;',
    `then revoke in ConductorOne whichever of ${credential.id} and ${commaList(others) || 'the other credential'}`,
    'the variable does not name.',
  ].join(' ');
}

type Warning = { title: string; message: string };

/** rotate-if-expires-within and a credential without an expiry: the run succeeds, and rotation never happens. */
export const NEVER_EXPIRES = {
  title: 'This credential is never rotated',
  message: (inputs: Inputs) =>
    [
      'The current credential does not expire, so rotate-if-expires-within',
      `(${inputs.rotateIfExpiresWithin?.text}) never finds it due and this workflow will never rotate it.`,
      'Remove rotate-if-expires-within to rotate on every run,',
      'or give connector credentials an expiry in ConductorOne.',
    ].join(' '),
};

/**
 * After a rotation: what a person should look at although the run succeeded (another run at the
 * same time; a credential made by hand that no run will revoke; revoke-previous with nothing to do).
 */
export function finishWarnings(
  inputs: Inputs,
  credential: RotatedCredential,
  previousId: string,
  outcome: FinishOutcome,
): Warning[] {
  if (outcome.interference) {
    return [{ title: INTERFERENCE_TITLE, message: interferenceWarning(inputs, credential, outcome.interference) }];
  }
  const { revoke } = outcome;
  const nothingKnown = revoke.state === 'skipped' && !revoke.id && inputs.revokePrevious !== false;
  if (!previousId && inputs.credentialIdVariable && inputs.revokePrevious !== false) {
    return [
      {
        title: 'First rotation: the credential made by hand stays valid',
        message: [
          `${inputs.credentialIdVariable} named no credential, so this was the first rotation it records,`,
          'and the credential the connector used before (made in ConductorOne by hand) was not revoked:',
          "ConductorOne cannot list a connector's credentials, so the action cannot tell which it is.",
          'Revoke it in ConductorOne once every consumer uses the new credential,',
          'or pass its ID once as previous-credential-id.',
        ].join(' '),
      },
    ];
  }
  if (nothingKnown) {
    return [
      {
        title: 'Nothing to revoke',
        message: `revoke-previous is ${inputs.revokePrevious}, but nothing was revoked: ${revoke.why}.`,
      },
    ];
  }
  return [];
}

/** Warnings about inputs that are valid but probably not what the user wants. */
export function inputWarnings(inputs: Inputs): Array<{ title: string; message: string }> {
  const warnings: Array<{ title: string; message: string }> = [];
  if (!inputs.clientIdSecretName && inputs.revokePrevious) {
    warnings.push({
      title: 'Consumers keep the previous client ID',
      message: [
        'client-id-secret-name is empty, so no secret receives the new client ID:',
        'consumers that read the client ID from a secret keep the previous one,',
        'which stops working when revoke-previous revokes the previous credential.',
        'Set client-id-secret-name (e.g. BATON_CLIENT_ID), or make sure consumers read the client-id output.',
      ].join(' '),
    });
  }
  return warnings;
}

/** What became of a new credential the run could not use. */
export function discardOutcome(
  connectorId: string,
  credentialId: string,
  revoke: 'revoked' | 'already revoked' | { error: string } | 'no id',
): string {
  if (revoke === 'no id') {
    const fix = `revoke the newest credential of connector ${connectorId} in ConductorOne`;
    return `Its ID is not usable, so it could not be revoked: ${fix}.`;
  }
  if (revoke === 'revoked') return `The unusable credential ${credentialId} was revoked.`;
  if (revoke === 'already revoked') return `The unusable credential ${credentialId} is already gone from ConductorOne.`;
  return `Revoking the unusable credential ${credentialId} failed (${revoke.error}): revoke it in ConductorOne.`;
}

export function discardMessage(reason: string, revokeOutcome: string): string {
  return [
    reason,
    'It was stored nowhere: every target still holds the previous credential, which stays valid.',
    revokeOutcome,
    "Re-run the workflow; if it fails again, check the connector's credentials in ConductorOne.",
  ].join(' ');
}

/** The writes failed in every target, and GitHub's answers prove none of them stored anything. */
export function storedNowhereReason(credential: RotatedCredential, failures: readonly WriteOutcome[]): string {
  const targets = commaList([...new Set(failures.map((f) => f.target.label))]);
  const errors = [...new Set(failures.map((f) => f.error ?? ''))].join(' ');
  return `Credential ${credential.id} could not be stored in ${targets}. ${errors}`;
}

export function partialFailureMessage(
  inputs: Inputs,
  credential: RotatedCredential,
  outcomes: readonly WriteOutcome[],
  failures: readonly WriteOutcome[],
): string {
  const held = holdings(outcomes);
  const labelsHolding = (holding: string) => [...held].filter(([, h]) => h === holding).map(([label]) => label);
  const failedTargets = [...new Set(failures.map((f) => f.target.label))];
  const parts = [
    `Credential ${credential.id} was issued but could not be stored in ${commaList(failedTargets)}.`,
    ...new Set(failures.map((f) => f.error ?? '')),
  ];
  const fresh = labelsHolding('new credential');
  const old = labelsHolding('previous credential');
  const mixed = labelsHolding('mixed');
  if (fresh.length) parts.push(`The new credential is stored in ${commaList(fresh)}.`);
  if (old.length) {
    const verb = old.length === 1 ? 'holds' : 'hold';
    parts.push(`${commaList(old)} still ${verb} the previous credential, which was not revoked and stays valid.`);
  }
  if (mixed.length) {
    const verb = mixed.length === 1 ? 'holds' : 'hold';
    const mismatch = 'a new and an old secret that do not match: its consumers fail until a re-run succeeds';
    parts.push(`${commaList(mixed)} ${verb} ${mismatch}.`);
  }
  parts.push('Fix the cause and re-run the workflow.');
  if (inputs.revokePrevious) {
    const later = 'Once a re-run has stored a newer credential everywhere';
    parts.push(`${later}, credential ${credential.id} is held by no target: revoke it in ConductorOne.`);
  }
  return parts.join(' ');
}

/** What a run cancelled by a signal had done, for the log and the summary. */
export function cancelledMessage(signal: string, progress: RunProgress): string {
  const id = progress.credentialId;
  const cancelled = `The run was cancelled (${signal})`;
  if (!id) return `${cancelled} before ConductorOne issued a new credential: nothing was changed.`;
  if (progress.discarded)
    return `${cancelled} after the new credential ${id} was found unusable: no secret was changed.`;
  return [
    `${cancelled} after ConductorOne issued credential ${id}.`,
    ...whereItIsStored(id, progress),
    revokeState(progress),
  ].join(' ');
}

function whereItIsStored(id: string, progress: RunProgress): string[] {
  const held = progress.holdings();
  const where = (holds: string) => held.filter((h) => h.holds === holds).map((h) => h.target);
  const [fresh, old, unknown] = [where('new'), where('previous'), where('unknown')];
  if (fresh.length + unknown.length === 0) {
    return [
      'No secret was written: every target still holds the previous credential, which stays valid.',
      `Credential ${id} is stored nowhere: revoke it in ConductorOne.`,
    ];
  }
  const parts: string[] = [];
  if (fresh.length) parts.push(`The new credential is stored in ${commaList(fresh)}.`);
  if (old.length) parts.push(`${commaList(old)} still ${old.length === 1 ? 'holds' : 'hold'} the previous credential.`);
  if (unknown.length)
    parts.push(`${commaList(unknown)} may hold either, or one secret of each (a write was under way).`);
  parts.push('Re-run the workflow to store one credential everywhere.');
  return parts;
}

function revokeState(progress: RunProgress): string {
  if (progress.previousRevoke === 'revoked') return 'The previous credential was revoked.';
  if (progress.previousRevoke === 'in flight')
    return 'Revoking the previous credential was under way: check it in ConductorOne.';
  return 'Nothing was revoked.';
}
