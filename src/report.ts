/**
 * Outputs and the job summary. Neither ever receives the client secret: the
 * types below do not carry it. Every text that may hold a server's words goes
 * through `cell`, which keeps it on one line and escapes Markdown and HTML.
 */
import type { DeployOutcome } from './github/deploy.js';
import type { OrgSecretAccess } from './github/organization.js';
import type { RunProgress } from './progress.js';
import { markdownText } from './redact.js';
import type { WriteOutcome } from './store.js';

export type { WriteOutcome } from './store.js';

export interface ReportCore {
  setOutput(name: string, value: string): void;
}

export interface IssuedCredential {
  id: string;
  clientId: string;
  expiresTime: string;
}

/** One credential the ledger records (or this run revoked), for the summary. */
export interface CredentialRow {
  id: string;
  /** pending, current, or "previous, replaced <time>". */
  state: string;
  /** What this run did about it; Markdown emphasis allowed, server text escaped by the caller's cell(). */
  thisRun: string;
}

/** One step after the writes (prove, record, revoke) and how it went, for the summary. */
export interface StepReport {
  step: string;
  result: string;
}

/** What a target holds once every write was attempted. */
export type Holding = 'new credential' | 'previous credential' | 'mixed';

export function holdings(outcomes: readonly WriteOutcome[]): Map<string, Holding> {
  const byTarget = new Map<string, WriteOutcome[]>();
  for (const outcome of outcomes) {
    const list = byTarget.get(outcome.target.label) ?? [];
    list.push(outcome);
    byTarget.set(outcome.target.label, list);
  }
  const result = new Map<string, Holding>();
  for (const [label, list] of byTarget) {
    const failed = list.filter((o) => o.result === 'failed').length;
    result.set(label, failed === 0 ? 'new credential' : failed === list.length ? 'previous credential' : 'mixed');
  }
  return result;
}

/** `targets` output: one object per secret written, as action.yml describes it. */
export function targetsOutput(outcomes: readonly WriteOutcome[]): string {
  return JSON.stringify(
    outcomes
      .filter((o) => o.result !== 'failed')
      .map((o) => ({ target: o.target.label, secret: o.secret, result: o.result })),
  );
}

export function setCredentialOutputs(core: ReportCore, credential: IssuedCredential): void {
  core.setOutput('credential-id', credential.id);
  core.setOutput('client-id', credential.clientId);
  core.setOutput('expires-at', credential.expiresTime);
  core.setOutput('rotated', 'true');
}

export interface RotationReport {
  appId: string;
  connectorId: string;
  credential: IssuedCredential;
  /** The credential the secrets held before, when known. */
  previousId: string;
  outcomes: readonly WriteOutcome[];
  /** The deploy runs that rolled the credential out, when deploy-workflows is set. */
  deploys?: readonly DeployOutcome[];
  /** Prove, record, revoke: what happened after the writes. */
  steps: readonly StepReport[];
  /** Every credential the ledger records, and what this run did about it. */
  credentials?: readonly CredentialRow[];
  /** Set when a step after the writes failed: the heading says the rotation is not finished. */
  unfinished?: boolean;
}

export function renderRotationSummary(report: RotationReport): string {
  const failed = report.outcomes.some((o) => o.result === 'failed');
  return [
    rotationHeading(failed, report.unfinished),
    '',
    ...credentialTable(report),
    ...writesTable(report.outcomes),
    ...(report.deploys?.length ? deploysTable(report.deploys) : []),
    ...(report.steps.length > 0 ? stepsTable(report.steps) : []),
    ...(report.credentials?.length ? credentialsTable(report.credentials) : []),
    ...(failed ? holdingsTable(report.outcomes) : []),
  ].join('\n');
}

function rotationHeading(failed: boolean, unfinished: boolean | undefined): string {
  if (failed) return '## ConductorOne credential rotated, but not stored everywhere';
  if (unfinished) return '## ConductorOne credential rotated and stored, but not finished';
  return '## ConductorOne credential rotated';
}

function credentialTable({ credential, connectorId, appId, previousId }: RotationReport): string[] {
  return [
    '| | |',
    '|---|---|',
    `| Connector | \`${connectorId}\` (app \`${appId}\`) |`,
    `| Credential ID | \`${credential.id}\` |`,
    `| Client ID | \`${cell(credential.clientId)}\` |`,
    `| Expires | ${credential.expiresTime ? cell(credential.expiresTime) : 'never'} |`,
    `| Previous credential | ${previousId ? `\`${previousId}\`` : 'not known'} |`,
    '',
  ];
}

function writesTable(outcomes: readonly WriteOutcome[]): string[] {
  const result = (o: WriteOutcome) => {
    if (o.result === 'failed') return `**failed**: ${cell(o.error ?? '')}`;
    return cell(o.access ? `${o.result}, ${describeAccess(o.access)}` : o.result);
  };
  return [
    '| Target | Secret | Result |',
    '|---|---|---|',
    ...outcomes.map((o) => `| ${cell(o.target.label)} | \`${o.secret}\` | ${result(o)} |`),
    '',
  ];
}

/** A row per deploy run, linked; the URL was checked to be http(s) with nothing that breaks a link. */
function deploysTable(deploys: readonly DeployOutcome[]): string[] {
  const rows = deploys.map((d) => {
    const run = d.run ? `[run ${d.run.runId}](${d.run.url})` : 'none';
    const conclusion =
      d.conclusion === 'success' ? 'success' : `**${cell(d.conclusion)}**${d.error ? `: ${cell(d.error)}` : ''}`;
    return `| ${cell(d.workflow.label)} | ${run} | ${conclusion} |`;
  });
  return ['| Deploy workflow | Run | Conclusion |', '|---|---|---|', ...rows, ''];
}

/** The emphasis a row's own words carry is kept; everything else in a cell is escaped. */
function credentialsTable(rows: readonly CredentialRow[]): string[] {
  const emphasized = (text: string) =>
    text
      .split('**')
      .map((part) => cell(part))
      .join('**');
  return [
    '| Credential | State | This run |',
    '|---|---|---|',
    ...rows.map((r) => `| \`${r.id}\` | ${cell(r.state)} | ${emphasized(r.thisRun)} |`),
    '',
  ];
}

function stepsTable(steps: readonly StepReport[]): string[] {
  return ['| Step | Result |', '|---|---|', ...steps.map((s) => `| ${cell(s.step)} | ${cell(s.result)} |`), ''];
}

const HOLDING_NOTES: Record<Holding, string> = {
  'new credential': 'the new credential',
  'previous credential': 'the previous credential (still valid, nothing was revoked)',
  mixed: '**mixed**: one secret is new, the other old; its consumers fail until a re-run succeeds',
};

function holdingsTable(outcomes: readonly WriteOutcome[]): string[] {
  const rows = [...holdings(outcomes)].map(([label, holding]) => `| ${cell(label)} | ${HOLDING_NOTES[holding]} |`);
  return ['| Target | Now holds |', '|---|---|', ...rows, ''];
}

export function renderNotRotatedSummary(reason: string): string {
  return [
    '## ConductorOne credential not rotated',
    '',
    cell(reason),
    '',
    'No secret was changed, and the previous credential is still valid.',
    '',
  ].join('\n');
}

/** rotate-if-expires-within found the current credential far enough from expiry; replaced ones may still retire. */
export function renderSkippedSummary(report: {
  connectorId: string;
  appId: string;
  reason: string;
  credentials?: readonly CredentialRow[];
  problems?: readonly string[];
}): string {
  const revoked = report.credentials?.some((c) => c.thisRun === '**revoked**');
  return [
    '## ConductorOne credential not due for rotation',
    '',
    `${connectorOf(report)}: ${cell(report.reason)}`,
    '',
    revoked
      ? 'Nothing was rotated or written; replaced credentials that were due were retired.'
      : 'Nothing was rotated, written or revoked.',
    '',
    ...(report.credentials?.length ? credentialsTable(report.credentials) : []),
    ...(report.problems ?? []).map((p) => `**Left to do:** ${cell(p)}`),
  ].join('\n');
}

export interface DryRunReport {
  appId: string;
  connectorId: string;
  /** What a real run would do, in order, one sentence each. */
  plan: readonly string[];
  /** Each target and what would be written there. */
  writes: ReadonlyArray<{ target: string; secret: string; detail: string }>;
}

export function renderDryRunSummary(report: DryRunReport): string {
  return [
    '## ConductorOne credential rotation: dry run',
    '',
    `${connectorOf(report)} exists, the token can authenticate, and every target below is readable. Nothing was changed.`,
    '',
    '| Target | Secret | Would write |',
    '|---|---|---|',
    ...report.writes.map((w) => `| ${cell(w.target)} | \`${w.secret}\` | ${cell(w.detail)} |`),
    '',
    'A real run would:',
    '',
    ...report.plan.map((step, index) => `${index + 1}. ${step}`),
    '',
  ].join('\n');
}

/** "visibility selected, 3 repositories (kept)", for the summary. */
export function describeAccess(access: OrgSecretAccess): string {
  const ids = access.selectedRepositoryIds;
  const repositories = ids ? `, ${ids.length} ${ids.length === 1 ? 'repository' : 'repositories'}` : '';
  const why = { kept: 'kept', input: 'from the visibility input', new: 'default for a new secret' }[access.origin];
  return `visibility ${access.visibility}${repositories} (${why})`;
}

/** A new credential that could not be used, or was stored nowhere, and was revoked again (or not). */
export interface DiscardReport {
  appId: string;
  connectorId: string;
  /** Empty when the answer carried no usable ID. */
  credentialId: string;
  reason: string;
  /** What became of the unusable credential, one sentence. */
  revoke: string;
}

export function renderDiscardedSummary(report: DiscardReport): string {
  const id = report.credentialId ? ` \`${report.credentialId}\`` : '';
  return [
    '## ConductorOne credential rotated, but not stored',
    '',
    `${connectorOf(report)}: ${cell(report.reason)}`,
    '',
    '| Step | Result |',
    '|---|---|',
    `| Write the secrets | no target was changed: every one still holds the previous credential, which stays valid |`,
    `| Revoke the unusable new credential${id} | ${cell(report.revoke)} |`,
    '',
  ].join('\n');
}

/** What a cancelled run had done: which targets already hold the new credential. */
export function renderCancelledSummary(message: string, progress: RunProgress): string {
  const lines = ['## ConductorOne credential rotation cancelled', '', cell(message), ''];
  const holdings = progress.holdings();
  if (holdings.length > 0) {
    const words = {
      new: 'the new credential',
      previous: 'the previous credential',
      unknown: '**unknown**: a write was in flight, or only one secret was written',
    };
    lines.push(
      '| Target | Now holds |',
      '|---|---|',
      ...holdings.map((h) => `| ${cell(h.target)} | ${words[h.holds]} |`),
      '',
    );
  }
  return lines.join('\n');
}

/** Keeps a text inside one Markdown table cell or line, with nothing in it that Markdown or HTML would act on. */
export function cell(text: string): string {
  return markdownText(text);
}

/** The heading line's subject: which connector of which app. */
function connectorOf(report: { connectorId: string; appId: string }): string {
  return `Connector \`${report.connectorId}\` (app \`${report.appId}\`)`;
}
