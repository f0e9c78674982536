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
  outcomes: readonly WriteOutcome[];
}

export function renderRotationSummary(report: RotationReport): string {
  const { credential, outcomes } = report;
  const failed = outcomes.some((o) => o.result === 'failed');
  const lines = [
    failed ? '## ConductorOne credential rotated, but not stored everywhere' : '## ConductorOne credential rotated',
    '',
    '| | |',
    '|---|---|',
    `| Connector | \`${report.connectorId}\` (app \`${report.appId}\`) |`,
    `| Credential ID | \`${credential.id}\` |`,
    `| Client ID | \`${cell(credential.clientId)}\` |`,
    `| Expires | ${credential.expiresTime ? cell(credential.expiresTime) : 'never'} |`,
    '',
    '| Target | Secret | Result |',
    '|---|---|---|',
    ...outcomes.map((o) => `| ${o.target.label} | \`${o.secret}\` | ${o.result === 'failed' ? `**failed**: ${cell(o.error ?? '')}` : o.result} |`),
    '',
  ];
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

/** Keeps a value inside one Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}
