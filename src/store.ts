/**
 * Seal + write: every secret into every target, pipelined through a small
 * pool of writes (SPEC 1.4). Each write settles on its own, so one refused
 * target does not stop the others and the report can say exactly which
 * targets hold the new credential.
 */
import type { RotatedCredential } from './conductorone/client.js';
import { errorMessage } from './errors.js';
import type { Octokit } from './github/client.js';
import type { OrgSecretAccess } from './github/organization.js';
import { sealSecret } from './github/seal.js';
import { writeSecret, type PublicKey } from './github/secrets.js';
import type { Target } from './github/targets.js';
import { settleWithConcurrency } from './pool.js';
import type { WriteOutcome } from './report.js';

export interface SecretToWrite {
  name: string;
  value(credential: RotatedCredential): string;
}

export interface StoreContext {
  octokit: Octokit;
  targets: readonly Target[];
  publicKeys: ReadonlyMap<Target, PublicKey>;
  orgAccess: ReadonlyMap<Target, ReadonlyMap<string, OrgSecretAccess>>;
  secrets: readonly SecretToWrite[];
  concurrency: number;
}

export async function writeEverywhere(context: StoreContext, credential: RotatedCredential): Promise<WriteOutcome[]> {
  const { octokit, targets, publicKeys, orgAccess, secrets, concurrency } = context;
  // Target by target, so a repository's two secrets are written close together.
  const writes = targets.flatMap((target) => secrets.map((secret) => ({ target, secret, access: orgAccess.get(target)?.get(secret.name) })));
  const settled = await settleWithConcurrency(writes, concurrency, async ({ target, secret, access }) => {
    const publicKey = publicKeys.get(target) as PublicKey;
    const sealed = await sealSecret(secret.value(credential), publicKey.key);
    return writeSecret(octokit, target, secret.name, sealed, publicKey, access);
  });
  return settled.map((result, index) => {
    const { target, secret, access } = writes[index] as (typeof writes)[number];
    const detail = access ? { detail: describeAccess(access) } : {};
    if (result.status === 'fulfilled') return { target, secret: secret.name, result: result.value, ...detail };
    return { target, secret: secret.name, result: 'failed', error: errorMessage(result.reason) };
  });
}

/** "visibility selected, 3 repositories (kept)", for the summary. */
export function describeAccess(access: OrgSecretAccess): string {
  const repositories = access.selectedRepositoryIds ? `, ${access.selectedRepositoryIds.length} ${access.selectedRepositoryIds.length === 1 ? 'repository' : 'repositories'}` : '';
  const why = { kept: 'kept', input: 'from the visibility input', new: 'default for a new secret' }[access.origin];
  return `visibility ${access.visibility}${repositories} (${why})`;
}
