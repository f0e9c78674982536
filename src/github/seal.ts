/**
 * GitHub wants secret values encrypted with a libsodium sealed box against the
 * target's public key, then standard (not URL-safe) base64.
 * https://docs.github.com/en/rest/guides/encrypting-secrets-for-the-rest-api
 */
import { ActionError } from '../errors.js';

type Sodium = typeof import('libsodium-wrappers')['default'];

let loading: Promise<Sodium> | undefined;

/**
 * libsodium (a 0.4 MB WebAssembly build) is loaded on first use, in its own
 * bundle chunk: the pipeline starts loading it (warmSealing) while
 * RotateCredential is in flight, so its start-up cost hides behind network time.
 */
export function loadSodium(): Promise<Sodium> {
  loading ??= import('libsodium-wrappers').then(async ({ default: sodium }) => {
    await sodium.ready;
    return sodium;
  });
  return loading;
}

/**
 * Loads libsodium and seals a throwaway value for `publicKeyBase64`, so that
 * the first real seal finds the library loaded and its code compiled.
 */
export async function warmSealing(publicKeyBase64: string): Promise<void> {
  await sealSecret('warm-up', publicKeyBase64);
}

/** GitHub stores at most 48 KB per secret. */
const MAX_SECRET_BYTES = 48 * 1024;

export async function sealSecret(value: string, publicKeyBase64: string): Promise<string> {
  const sodium = await loadSodium();
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) {
    throw new ActionError('The value to store is larger than the 48 KB GitHub allows for a secret.');
  }
  let key: Uint8Array;
  try {
    key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  } catch {
    key = new Uint8Array();
  }
  if (key.length !== sodium.crypto_box_PUBLICKEYBYTES) {
    throw new ActionError('GitHub returned a secrets public key that is not a 32-byte base64 key.');
  }
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), key);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}
