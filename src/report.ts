/**
 * Outputs and the job summary. Neither ever receives the client secret: the
 * types below do not carry it.
 */
import type { WriteResult } from './github/secrets.js';
import type { Target } from './github/targets.js';

export interface ReportCore {
  setOutput(name: string, value: string): void;
}

export interface IssuedCredential {
  id: string;
  clientId: string;
  expiresTime: string;
}

/** One secret in one target, after the write was attempted. */
export interface WriteOutcome {
  target: Target;
  secret: string;
  result: WriteResult | 'failed';
  /** Why it failed; already a sentence fit for people. */
  error?: string;
  /** More about a successful write, e.g. an organization secret's visibility. */
  detail?: string;
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

/** `targets` output: one object per secret written (SPEC 3). */
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
  /** Prove, record, revoke: what happened after the writes. */
  steps: readonly StepReport[];
  /** Set when a step after the writes failed: the heading says the rotation is not finished. */
  unfinished?: boolean;
}

export function renderRotationSummary(report: RotationReport): string {
  const { credential, outcomes } = report;
  const failed = outcomes.some((o) => o.result === 'failed');
  const heading = failed
    ? '## ConductorOne credential rotated, but not stored everywhere'
    : report.unfinished
      ? '## ConductorOne credential rotated and stored, but not finished'
      : '## ConductorOne credential rotated';
  const lines = [
    heading,
    '',
    '| | |',
    '|---|---|',
    `| Connector | \`${report.connectorId}\` (app \`${report.appId}\`) |`,
    `| Credential ID | \`${credential.id}\` |`,
    `| Client ID | \`${cell(credential.clientId)}\` |`,
    `| Expires | ${credential.expiresTime ? cell(credential.expiresTime) : 'never'} |`,
    `| Previous credential | ${report.previousId ? `\`${report.previousId}\`` : 'not known'} |`,
    '',
    '| Target | Secret | Result |',
    '|---|---|---|',
    ...outcomes.map((o) => `| ${o.target.label} | \`${o.secret}\` | ${o.result === 'failed' ? `**failed**: ${cell(o.error ?? '')}` : cell(o.detail ? `${o.result}, ${o.detail}` : o.result)} |`),
    '',
  ];
  if (report.steps.length > 0) {
    lines.push('| Step | Result |', '|---|---|', ...report.steps.map((s) => `| ${cell(s.step)} | ${cell(s.result)} |`), '');
  }
  if (failed) {
    lines.push('| Target | Now holds |', '|---|---|');
    for (const [label, holding] of holdings(outcomes)) {
      const note =
        holding === 'mixed'
          ? '**mixed**: one secret is new, the other old; its consumers fail until a re-run succeeds'
          : holding === 'previous credential'
            ? 'the previous credential (still valid, nothing was revoked)'
            : 'the new credential';
      lines.push(`| ${label} | ${note} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function renderNotRotatedSummary(reason: string): string {
  return ['## ConductorOne credential not rotated', '', cell(reason), '', 'No secret was changed, and the previous credential is still valid.', ''].join('\n');
}

/** rotate-if-expires-within found the current credential far enough from expiry. */
export function renderSkippedSummary(report: { connectorId: string; appId: string; reason: string }): string {
  return [
    '## ConductorOne credential not due for rotation',
    '',
    `Connector \`${report.connectorId}\` (app \`${report.appId}\`): ${cell(report.reason)}`,
    '',
    'Nothing was rotated, written or revoked.',
    '',
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
    `Connector \`${report.connectorId}\` (app \`${report.appId}\`) exists, the token can authenticate, and every target below is readable. Nothing was changed.`,
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

/** Keeps a value inside one Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}
