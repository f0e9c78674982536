/**
 * The sentences the pipeline says: log lines, errors, warnings and the steps
 * of the summary. Each says what happened, where, and what to do; none ever
 * carries a secret (the types they take do not hold one).
 */
import type { FinishOutcome } from './finish.js';
import type { DeployOutcome } from './github/deploy.js';
import type { Inputs } from './inputs.js';
import type { LedgerEntry } from './ledger.js';
import type { LedgerStore } from './ledger-store.js';
import type { RotatedCredential } from './model.js';
import type { Preflight } from './preflight.js';
import type { RunProgress } from './progress.js';
import { type CredentialRow, holdings, type StepReport } from './report.js';
import type { RetireOutcome } from './retire.js';
import type { WriteOutcome } from './store.js';

/** "a, b, c": how lists of targets read in messages. */
export function commaList(items: readonly string[]): string {
  return items.join(', ');
}

/** Credential IDs for a message: the first ten, and how many more. */
function namesOf(ids: readonly string[]): string {
  return ids.length > 10 ? `${commaList(ids.slice(0, 10))} and ${ids.length - 10} more` : commaList(ids);
}

export function issuedLine(credential: RotatedCredential): string {
  const expires = credential.expiresTime ? `, expires ${credential.expiresTime}` : '';
  return `ConductorOne issued credential ${credential.id} (client ID ${credential.clientId}${expires}).`;
}

/** The rotation is done but for the last steps: retiring replaced credentials, or writing the ledger. */
export function onlyThisIsLeft(credential: RotatedCredential, problems: readonly string[]): string {
  return [
    `Credential ${credential.id} is stored in every target and proved it works, so the secrets are up to date;`,
    `only this is left: ${problems.join(' ')}`,
  ].join(' ');
}

/** Where the ledger lives, for messages: "the ledger in BATON_CREDENTIAL_ID of acme/connectors". */
export function ledgerPlace(ledger: LedgerStore): string {
  return `the ledger in ${ledger.variable} of ${ledger.home?.label ?? 'the first target'}`;
}

/** The steps after the writes that a failure before them kept from running. */
export function stepsNotRun(inputs: Inputs, ledger: LedgerStore, because: string): StepReport[] {
  const step = 'Retire replaced credentials';
  if (ledger.remembers) {
    const next = inputs.revokePrevious
      ? 'every credential stays valid and recorded, and the next successful run retires those no target holds'
      : 'every credential stays valid and recorded';
    return [{ step, result: `not done: ${because}; ${next}` }];
  }
  if (!inputs.revokePrevious) return [];
  return [{ step, result: `not done: ${because}; the previous credential stays valid` }];
}

export function proofStep(inputs: Inputs): StepReport {
  return {
    step: 'Check and prove the new credential',
    result: inputs.verify
      ? 'passed: well formed, and it got a ConductorOne token'
      : 'well formed; not proved (verify: false)',
  };
}

/** The summary's row for recording a new credential before any target could hold it. */
export function recordStep(ledger: LedgerStore): StepReport[] {
  if (!ledger.remembers) return [];
  return [
    { step: `Record the new credential in ${ledgerPlace(ledger)}`, result: 'done, before any secret was written' },
  ];
}

/** The summary's row for writing the ledger at the end. */
export function finishSteps(ledger: LedgerStore, finish: FinishOutcome): StepReport[] {
  const { saved } = finish;
  if (!saved) return [];
  const step = `Write ${ledgerPlace(ledger)}`;
  if ('lockLost' in saved) return [{ step, result: `**not done**: ${LOCK_LOST}` }];
  if ('error' in saved) return [{ step, result: `**failed**: ${saved.error}` }];
  const untidy = finish.untidy.length > 0 ? `; could not remove the copies it replaced in ${untidyWhere(finish)}` : '';
  return [{ step, result: `${saved.result}${untidy}` }];
}

const LOCK_LOST =
  "the rotation lock was no longer this run's (it expired, or was deleted by hand), so another run may be rotating and its ledger was left as it is";

function untidyWhere(finish: FinishOutcome): string {
  return commaList([...new Set(finish.untidy.map((u) => u.target.label))]);
}

/** Why a replaced credential is not due yet (ledger.ts planRetirement). */
export const WAIT_REASONS = {
  keep: 'keep-previous-for',
  writer: 'the run that issued it, which never handed it over, may still be writing it until its lock expires',
} as const;

/** "2026-12-06T04:17:09.000Z" for a time in a message. */
export function timeText(ms: number): string {
  return new Date(ms).toISOString();
}

/** Log lines for what the last steps did. */
export function finishLog(ledger: LedgerStore, finish: FinishOutcome): string[] {
  const lines = finish.retired.flatMap((r) => {
    const id = r.entry.id;
    switch (r.outcome) {
      case 'revoked':
        return [`Revoked ${id}, which no target holds any more.`];
      case 'gone':
        return [`${id} is already gone from ConductorOne; the ledger forgets it.`];
      case 'waiting':
        return [`Keeping ${id} valid until ${timeText(r.dueAt)} (${WAIT_REASONS[r.why]}).`];
      default:
        return [];
    }
  });
  if (finish.saved && 'result' in finish.saved) lines.push(`Wrote ${ledgerPlace(ledger)} (${finish.saved.result}).`);
  return lines;
}

/** What the last steps left undone, one sentence each; empty when they all succeeded. */
export function finishProblems(ledger: LedgerStore, finish: FinishOutcome): string[] {
  const problems: string[] = [];
  for (const r of finish.retired) {
    if (r.outcome !== 'failed') continue;
    const next = ledger.remembers
      ? `it stays recorded in ${ledgerPlace(ledger)}, and the next run revokes it`
      : `revoke it in ConductorOne, or re-run with previous-credential-id: ${r.entry.id}`;
    problems.push(
      `revoking ${r.entry.id}, which no target holds any more, failed (${r.error.replace(/\.$/, '')}); ${next}.`,
    );
  }
  const { saved } = finish;
  if (saved && 'error' in saved) {
    const consequence = 'the next run still finds every credential this run recorded before writing, and retires it';
    problems.push(`writing ${ledgerPlace(ledger)} failed (${saved.error.replace(/\.$/, '')}); ${consequence}.`);
  }
  if (saved && 'lockLost' in saved) problems.push(`${LOCK_LOST}: run this workflow again once no other rotation runs.`);
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
  ledger: LedgerStore,
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
  return [
    `Credential ${credential.id} is stored in every target and proved it works, but not every deploy run succeeded:`,
    `${failed.join('; ')}.`,
    `Nothing was revoked, so ${previous} stays valid for consumers that still run with it.`,
    nextRunWill(ledger, credential, 'Fix the deploy and run this workflow again'),
  ].join(' ');
}

/**
 * After a failure that left the new credential in some or all targets: what the
 * next run does about it. With the ledger, nothing is for a person to revoke.
 */
function nextRunWill(ledger: LedgerStore, credential: RotatedCredential, fix: string): string {
  if (ledger.remembers) {
    return [
      `${fix}: credential ${credential.id} is recorded in ${ledgerPlace(ledger)},`,
      'so the next successful run replaces it everywhere and retires it with every other credential no target holds.',
    ].join(' ');
  }
  return [
    `${fix}. Nothing records credential ${credential.id} (credential-id-variable is not set):`,
    'once a later run has replaced it everywhere, revoke it in ConductorOne;',
    'set credential-id-variable so that runs retire such credentials themselves.',
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
 * After the last steps: what a person should look at although the run
 * succeeded. A credential the in-use guard kept, named with its last use; a
 * replaced credential left valid (revoke-previous off, or nothing records it);
 * the credential made by hand that no run knows of.
 */
export function finishWarnings(
  inputs: Inputs,
  ledger: LedgerStore,
  previousId: string,
  finish: FinishOutcome,
  rotated: boolean,
  firstRotation: boolean,
): Warning[] {
  return [
    ...finish.retired.flatMap((r) => (r.outcome === 'kept' ? [inUseWarning(inputs, ledger, r)] : [])),
    ...leftValidWarning(ledger, finish),
    ...(rotated ? unrecordedWarning(inputs, ledger, previousId) : []),
    ...(rotated && firstRotation ? firstRotationWarning(inputs, ledger) : []),
  ];
}

/** The in-use guard kept a replaced credential: name it, with its last use. */
function inUseWarning(inputs: Inputs, ledger: LedgerStore, kept: Extract<RetireOutcome, { outcome: 'kept' }>): Warning {
  const keep = inputs.keepPreviousFor.text;
  const { entry, lastUsedAt, why } = kept;
  const replaced = entry.replacedAt !== undefined ? ` at ${timeText(entry.replacedAt)}` : '';
  const rule =
    inputs.revokePrevious === 'next-run' ? `within keep-previous-for (${keep})` : `after it was replaced${replaced}`;
  const when = lastUsedAt !== undefined ? `it was last used ${timeText(lastUsedAt)}, ${rule}` : why;
  const later = ledger.remembers
    ? `it stays valid and recorded, and a later run revokes it once it has gone unused for ${keep}`
    : 'it stays valid, and nothing records it (credential-id-variable is not set): revoke it in ConductorOne once it is unused';
  return {
    title: 'A replaced credential is still in use',
    message: [
      `Credential ${entry.id} was not revoked: ${when}, so a consumer may still use it;`,
      `${later}. Find the consumer: it runs with the old BATON_CLIENT_ID / BATON_CLIENT_SECRET (a job started`,
      'before the rotation, or a deployment that did not pick up the new secrets).',
    ].join(' '),
  };
}

/** revoke-previous is off: every replaced credential the ledger records stays valid. */
function leftValidWarning(ledger: LedgerStore, finish: FinishOutcome): Warning[] {
  const leftValid = finish.retired.filter((r) => r.outcome === 'left valid').map((r) => r.entry.id);
  if (leftValid.length === 0 || !ledger.remembers) return [];
  return [
    {
      title: 'Replaced credentials stay valid',
      message: [
        `revoke-previous is off, so ${namesOf(leftValid)}, which no target holds any more,`,
        `${leftValid.length === 1 ? 'stays' : 'stay'} valid; ${ledgerPlace(ledger)} records them:`,
        'set revoke-previous to true (or next-run) and the next run retires them.',
      ].join(' '),
    },
  ];
}

/** No ledger and no revoke: every run leaves one more valid credential. */
function unrecordedWarning(inputs: Inputs, ledger: LedgerStore, previousId: string): Warning[] {
  if (ledger.remembers || inputs.revokePrevious) return [];
  const which = previousId ? `credential ${previousId}` : 'the credential the secrets held before';
  return [
    {
      title: 'The replaced credential stays valid',
      message: [
        `Nothing revoked ${which}, and nothing records it: every run leaves one more valid credential.`,
        'Set credential-id-variable (e.g. BATON_CREDENTIAL_ID) and revoke-previous: true,',
        'and each run retires what the run before it replaced.',
      ].join(' '),
    },
  ];
}

/** The ledger's first rotation: the credential made by hand is unknown to it. */
function firstRotationWarning(inputs: Inputs, ledger: LedgerStore): Warning[] {
  if (!inputs.revokePrevious) return [];
  return [
    {
      title: 'First rotation: the credential made by hand stays valid',
      message: [
        `${ledgerPlace(ledger)} recorded no credential before this run, so the credential the connector used before`,
        "(made in ConductorOne by hand) was not revoked: ConductorOne cannot list a connector's credentials.",
        'Pass its ID once as previous-credential-id and the next run retires it, or revoke it in ConductorOne.',
      ].join(' '),
    },
  ];
}

/** Log lines and warnings about what the preflight found in the ledger. */
export function preflightLog(inputs: Inputs, preflight: Preflight): string[] {
  const { ledger, previous, adopted } = preflight;
  const lines: string[] = [];
  for (const { entry, target } of adopted) {
    const as = entry.state === 'previous' ? 'a replaced credential kept valid' : 'a credential the targets may hold';
    lines.push(`The ledger takes in ${entry.id} from the variable in ${target}, as ${as}.`);
  }
  if (previous.id) lines.push(`Current credential: ${previous.id} (from ${previous.source}).`);
  else if (ledger.remembers && previous.why) lines.push(`No single current credential: ${previous.why}.`);
  if (ledger.remembers) {
    const counts = (['pending', 'current', 'previous'] as const)
      .map((state) => [state, ledger.ledger.entries.filter((e) => e.state === state).length] as const)
      .filter(([, count]) => count > 0)
      .map(([state, count]) => `${count} ${state}`);
    const where = ledgerPlace(ledger);
    lines.push(counts.length ? `${capitalize(where)} records ${commaList(counts)}.` : `${capitalize(where)} is empty.`);
  }
  if (inputs.dryRun || !preflight.lock) return lines;
  lines.push(`This run holds the rotation lock ${preflight.lock.name}.`);
  return lines;
}

export function preflightWarnings(preflight: Preflight): Warning[] {
  const stale = preflight.staleGiven;
  if (!stale) return [];
  return [
    {
      title: 'previous-credential-id is out of date',
      message: [
        `previous-credential-id names ${stale.id}, which ${ledgerPlace(preflight.ledger)} records as`,
        `${stale.replacedAt !== undefined ? `replaced at ${timeText(stale.replacedAt)}` : 'retired already'},`,
        "so it was ignored and the ledger's own record used:",
        `remove previous-credential-id from the workflow (it is needed once, for the first rotation).`,
      ].join(' '),
    },
  ];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Warnings about inputs that are valid but probably not what the user wants. */
export function inputWarnings(inputs: Inputs, now: number): Array<{ title: string; message: string }> {
  const warnings: Array<{ title: string; message: string }> = [];
  const readyToken = inputs.auth.kind === 'access-token' ? inputs.auth : undefined;
  if (readyToken && inputs.deployWorkflows.length > 0 && inputs.revokePrevious) {
    const expires = tokenExpiry(readyToken.token);
    const wait = now + inputs.deployTimeout.ms;
    if (expires === undefined || expires < wait) {
      const life =
        expires === undefined
          ? 'its expiry is unknown'
          : `it expires ${timeText(expires)}, before deploy-timeout (${inputs.deployTimeout.text}) is up`;
      warnings.push({
        title: 'The ready ConductorOne token may expire during the deploy wait',
        message: [
          `A ready access token cannot be renewed, and ${life}: if it expires while the deploy runs are waited for,`,
          'the revoke after them fails (the next run retires what this one could not).',
          'Authenticate with client-id (federation, or with client-secret) instead: those tokens are renewed.',
        ].join(' '),
      });
    }
  }
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

/** When a JWT-shaped token expires (its `exp`, in ms); undefined for an opaque token or one without `exp`. */
function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What became of a new credential the run could not use. One that could not
 * be revoked but is recorded in the ledger is the next run's to revoke.
 */
export function discardOutcome(
  connectorId: string,
  credentialId: string,
  revoke: 'revoked' | 'already revoked' | { error: string } | 'no id',
  recordedIn: string,
): string {
  if (revoke === 'no id') {
    const fix = `revoke the newest credential of connector ${connectorId} in ConductorOne`;
    return `Its ID is not usable, so it could not be revoked: ${fix}.`;
  }
  if (revoke === 'revoked') return `The unusable credential ${credentialId} was revoked.`;
  if (revoke === 'already revoked') return `The unusable credential ${credentialId} is already gone from ConductorOne.`;
  const failed = `Revoking the unusable credential ${credentialId} failed (${revoke.error.replace(/\.$/, '')})`;
  if (recordedIn) return `${failed}; it is recorded in ${recordedIn} as stored nowhere, so the next run revokes it.`;
  return `${failed}: revoke it in ConductorOne.`;
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
  ledger: LedgerStore,
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
  parts.push(nextRunWill(ledger, credential, 'Fix the cause and run this workflow again'));
  return parts.join(' ');
}

/** What a run cancelled by a signal had done, for the log and the summary. */
export function cancelledMessage(signal: string, progress: RunProgress): string {
  const id = progress.credentialId;
  const cancelled = `The run was cancelled (${signal})`;
  if (!id) return `${cancelled} before ConductorOne issued a new credential: nothing was changed.`;
  if (progress.discarded)
    return `${cancelled} after the new credential ${id} was found unusable: no secret was changed.`;
  if (progress.revokedOnCancel)
    return `${cancelled} after ConductorOne issued credential ${id}, before anything recorded or stored it: it was revoked again, and no secret was changed.`;
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
  const recorded = progress.recordedIn
    ? `Credential ${id} is recorded in ${progress.recordedIn}: the next successful run replaces it and retires it.`
    : '';
  if (fresh.length + unknown.length === 0) {
    return [
      'No secret was written: every target still holds the previous credential, which stays valid.',
      recorded || `Credential ${id} is stored nowhere and recorded nowhere: revoke it in ConductorOne.`,
    ];
  }
  const parts: string[] = [];
  if (fresh.length) parts.push(`The new credential is stored in ${commaList(fresh)}.`);
  if (old.length) parts.push(`${commaList(old)} still ${old.length === 1 ? 'holds' : 'hold'} the previous credential.`);
  if (unknown.length)
    parts.push(`${commaList(unknown)} may hold either, or one secret of each (a write was under way).`);
  parts.push('Run the workflow again to store one credential everywhere.');
  if (recorded) parts.push(recorded);
  return parts;
}

function revokeState(progress: RunProgress): string {
  if (progress.previousRevoke === 'revoked') return 'Replaced credentials were revoked.';
  if (progress.previousRevoke === 'in flight') {
    return progress.recordedIn
      ? 'Revoking replaced credentials was under way; the next run revokes whatever is left of them.'
      : 'Revoking replaced credentials was under way: check them in ConductorOne.';
  }
  return 'Nothing was revoked.';
}

/** The lock could not be deleted at the end; it expires by itself. */
export function lockNotReleased(name: string, error: string, expiresAt: number): string {
  return [
    `The rotation lock ${name} could not be deleted (${error.replace(/\.$/, '')}):`,
    `a re-run of this workflow run takes it over at once; any other run waits until it expires, at ${timeText(expiresAt)},`,
    'or until you delete that variable by hand.',
  ].join(' ');
}

/** Between the preflight and the rotation, the lock stopped being this run's. */
export function lockLostBeforeStore(name: string, home: string): string {
  return [
    `The rotation lock ${name} in ${home} was deleted or taken by another run while this run rotated,`,
    'so another rotation may be under way: the new credential was not stored.',
    'Run this workflow again once no other rotation of this connector runs.',
  ].join(' ');
}

/** The record before any write failed: the new credential is revoked and nothing is written. */
export function recordFailed(ledger: LedgerStore, credential: RotatedCredential, error: string): string {
  return [
    `Credential ${credential.id} could not be recorded in ${ledgerPlace(ledger)} (${error.replace(/\.$/, '')}),`,
    'and nothing may hold a credential the ledger does not record.',
  ].join(' ');
}

/** A run that did not rotate, but whose retiring or ledger write failed. */
export function notRotatedButLeft(problems: readonly string[]): string {
  return `Nothing was rotated (not due yet), and the secrets are unchanged; but ${problems.join(' ')}`;
}

/**
 * The summary's table of credentials: the new one, and every other one the
 * ledger records (or this run revoked), with what this run did about it.
 */
export function ledgerRows(
  inputs: Inputs,
  ledger: LedgerStore,
  retired: readonly RetireOutcome[],
  newId: string,
): CredentialRow[] {
  const byId = new Map(retired.map((r) => [r.entry.id, r]));
  const entries = [
    ...ledger.ledger.entries,
    ...retired.map((r) => r.entry).filter((e) => !ledger.ledger.entries.some((l) => l.id === e.id)),
  ];
  return entries.map((entry): CredentialRow => {
    const state =
      entry.state === 'previous' && entry.replacedAt !== undefined
        ? `previous, replaced ${timeText(entry.replacedAt)}`
        : entry.state;
    return { id: entry.id, state, thisRun: whatThisRunDid(inputs, entry, byId.get(entry.id), newId) };
  });
}

function whatThisRunDid(inputs: Inputs, entry: LedgerEntry, retired: RetireOutcome | undefined, newId: string): string {
  const keep = inputs.keepPreviousFor.text;
  if (entry.id === newId)
    return entry.state === 'current' ? 'issued, proved and handed over' : 'issued by this run, not handed over';
  if (!retired) {
    if (entry.state === 'pending') return 'left by a run that did not finish; the targets may hold it';
    return entry.state === 'current' ? 'held by the targets' : (entry.note ?? 'stays recorded');
  }
  switch (retired.outcome) {
    case 'revoked':
      return '**revoked**';
    case 'gone':
      return 'already gone from ConductorOne';
    case 'kept': {
      const used = retired.lastUsedAt !== undefined ? `, last used ${timeText(retired.lastUsedAt)}` : '';
      return `**kept**: ${retired.why}${used}; revoked once unused for ${keep}`;
    }
    case 'waiting':
      return retired.why === 'keep'
        ? `valid until at least ${timeText(retired.dueAt)} (keep-previous-for ${keep})`
        : `valid until at least ${timeText(retired.dueAt)}: ${WAIT_REASONS.writer}`;
    case 'left valid':
      return '**stays valid**: revoke-previous is off';
    case 'failed':
      return `**revoke failed**: ${retired.error}; the next run tries again`;
  }
}
