/**
 * Seal + write: every secret into every target, pipelined through a small
 * pool of writes. Every value is sealed before the first write, so a key that
 * cannot seal, or a value GitHub would refuse, stops the run while no target
 * holds the new credential yet. Each write then settles on its own, so one
 * refused target does not stop the others and the report can say exactly
 * which targets hold the new credential.
 */
import { errorMessage } from './errors.js';
import type { Octokit } from './github/client.js';
import type { OrgSecretAccess } from './github/organization.js';
import { sealSecret } from './github/seal.js';
import { type PublicKey, SecretWriteError, writeSecret } from './github/secrets.js';
import type { Inputs } from './inputs.js';
import type { RotatedCredential, Target } from './model.js';
import { settleWithConcurrency } from './pool.js';
import type { RunProgress } from './progress.js';

export interface SecretToWrite {
  name: string;
  value(credential: RotatedCredential): string;
}

/** The client ID (unless client-id-secret-name is empty) and the client secret. */
export function secretsToWrite(inputs: Pick<Inputs, 'clientIdSecretName' | 'clientSecretSecretName'>): SecretToWrite[] {
  const secrets: SecretToWrite[] = [{ name: inputs.clientSecretSecretName, value: (c) => c.clientSecret }];
  if (inputs.clientIdSecretName) secrets.unshift({ name: inputs.clientIdSecretName, value: (c) => c.clientId });
  return secrets;
}

/** One secret in one target, after the write was attempted. */
export interface WriteOutcome {
  target: Target;
  secret: string;
  result: 'created' | 'updated' | 'failed';
  /** Why it failed; already a sentence fit for people. */
  error?: string;
  /** A failed write only: false when the answer proves GitHub kept nothing. */
  mayBeStored?: boolean;
  /** Organization secrets: the access the write gave it. */
  access?: OrgSecretAccess;
}

/** One secret of one target, sealed for that target's public key. */
export interface SealedWrite {
  target: Target;
  secret: string;
  encryptedValue: string;
  publicKey: PublicKey;
  access?: OrgSecretAccess;
}

export interface SealContext {
  targets: readonly Target[];
  publicKeys: ReadonlyMap<Target, PublicKey>;
  orgAccess: ReadonlyMap<Target, ReadonlyMap<string, OrgSecretAccess>>;
  secrets: readonly SecretToWrite[];
}

/** Target by target, so a repository's two secrets are written close together. */
export async function sealEverywhere(context: SealContext, credential: RotatedCredential): Promise<SealedWrite[]> {
  const { targets, publicKeys, orgAccess, secrets } = context;
  return Promise.all(
    targets.flatMap((target) =>
      secrets.map(async (secret) => {
        const publicKey = publicKeys.get(target) as PublicKey;
        const access = orgAccess.get(target)?.get(secret.name);
        const encryptedValue = await sealSecret(secret.value(credential), publicKey.key);
        return { target, secret: secret.name, encryptedValue, publicKey, ...(access ? { access } : {}) };
      }),
    ),
  );
}

export interface WriteContext {
  octokit: Octokit;
  concurrency: number;
  progress: RunProgress;
}

export async function writeEverywhere(context: WriteContext, writes: readonly SealedWrite[]): Promise<WriteOutcome[]> {
  const { octokit, concurrency, progress } = context;
  progress.planWrites(writes.map((w) => ({ target: w.target.label, secret: w.secret })));
  const settled = await settleWithConcurrency(
    writes,
    concurrency,
    async ({ target, secret, encryptedValue, publicKey, access }) => {
      progress.write(target.label, secret, 'in flight');
      try {
        const result = await writeSecret(octokit, target, secret, encryptedValue, publicKey, access);
        progress.write(target.label, secret, 'stored');
        return result;
      } catch (err) {
        progress.write(target.label, secret, 'failed');
        throw err;
      }
    },
  );
  return settled.map((result, index) => {
    const { target, secret, access } = writes[index] as SealedWrite;
    if (result.status === 'fulfilled') return { target, secret, result: result.value, ...(access ? { access } : {}) };
    const mayBeStored = !(result.reason instanceof SecretWriteError) || result.reason.mayBeStored;
    return { target, secret, result: 'failed', error: errorMessage(result.reason), mayBeStored };
  });
}
