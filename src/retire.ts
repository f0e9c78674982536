/**
 * Retiring replaced credentials: the pipeline's side of ledger.ts's
 * planRetirement and judgeUse. For each recorded credential no target holds
 * any more that is due, ConductorOne is asked when it was last used (GET one
 * credential: lastUsedAt), and it is revoked unless a consumer may still use
 * it. Whatever happens, every credential ends in one outcome; none is dropped
 * from the ledger unless ConductorOne confirms it is revoked or gone.
 * https://docs.conductorone.com/ (ConnectorService GetCredentials, RevokeCredential)
 */
import type { ConductorOneClient } from './conductorone/client.js';
import { errorMessage } from './errors.js';
import {
  type CredentialUse,
  judgeUse,
  type Ledger,
  type LedgerEntry,
  planRetirement,
  type RetirePolicy,
  type RetireResult,
} from './ledger.js';

export interface RetireContext {
  conductorOne: ConductorOneClient;
  appId: string;
  connectorId: string;
  policy: RetirePolicy;
  now: () => number;
}

/** What became of one replaced credential in this run. */
export type RetireOutcome =
  | { entry: LedgerEntry; outcome: 'revoked' | 'gone' }
  /** The in-use guard kept it. */
  | { entry: LedgerEntry; outcome: 'kept'; why: string; lastUsedAt?: number }
  /** Not due yet: next-run's keep-previous-for, or the run that issued it may still be writing it. */
  | { entry: LedgerEntry; outcome: 'waiting'; dueAt: number; why: 'keep' | 'writer' }
  /** revoke-previous is off. */
  | { entry: LedgerEntry; outcome: 'left valid' }
  /** Its read or its revoke failed; the next run tries again. */
  | { entry: LedgerEntry; outcome: 'failed'; error: string };

/** Runs the retirement plan of the ledger: reads, then revokes, every due credential at once. */
export async function retireReplaced(context: RetireContext, ledger: Ledger): Promise<RetireOutcome[]> {
  const steps = planRetirement(ledger, context.policy, context.now());
  return Promise.all(
    steps.map(async (step): Promise<RetireOutcome> => {
      if (step.step === 'off') return { entry: step.entry, outcome: 'left valid' };
      if (step.step === 'wait') return { entry: step.entry, outcome: 'waiting', dueAt: step.dueAt, why: step.why };
      try {
        return await retireOne(context, step.entry);
      } catch (err) {
        return { entry: step.entry, outcome: 'failed', error: errorMessage(err) };
      }
    }),
  );
}

async function retireOne(context: RetireContext, entry: LedgerEntry): Promise<RetireOutcome> {
  const { conductorOne, appId, connectorId, policy } = context;
  const info = await conductorOne.getCredential(appId, connectorId, entry.id);
  const use: CredentialUse = info === undefined ? { gone: true } : { lastUsedAt: info.lastUsedAt };
  const verdict = judgeUse(entry, use, policy, context.now());
  if (verdict.verdict === 'gone') return { entry, outcome: 'gone' };
  if (verdict.verdict === 'keep')
    return {
      entry,
      outcome: 'kept',
      why: verdict.why,
      ...(verdict.lastUsedAt !== undefined ? { lastUsedAt: verdict.lastUsedAt } : {}),
    };
  const revoked = await conductorOne.revokeCredential(appId, connectorId, entry.id);
  return { entry, outcome: revoked === 'revoked' ? 'revoked' : 'gone' };
}

/** The results settle() records in the ledger: what is gone leaves it, what stays says why. */
export function retireResults(outcomes: readonly RetireOutcome[]): RetireResult[] {
  return outcomes.flatMap((o): RetireResult[] => {
    switch (o.outcome) {
      case 'revoked':
      case 'gone':
        return [{ id: o.entry.id, result: o.outcome }];
      case 'kept': {
        const used = o.lastUsedAt !== undefined ? ` (last used ${new Date(o.lastUsedAt).toISOString()})` : '';
        return [{ id: o.entry.id, result: 'kept', note: `kept: ${o.why}${used}` }];
      }
      case 'failed':
        return [{ id: o.entry.id, result: 'failed', note: `not retired: ${o.error}` }];
      default:
        return [];
    }
  });
}
