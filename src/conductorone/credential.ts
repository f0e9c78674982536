/**
 * The formats of ConductorOne's identifiers and credentials, checked wherever
 * they enter the action: inputs, the credential-id variable, and the answers
 * of ConductorOne itself. An ID goes into a URL path, a log line and the job
 * summary, so only a conservative character set passes: no "." or ".." path
 * segment, no "/", no control character.
 *
 * Client IDs are `<name>@<tenant host>/<kind>`; client secrets are
 * `secret-token:conductorone.com:v1:` followed by the base64url (unpadded)
 * JSON of an Ed25519 private JWK, as ConductorOne's SDKs read them
 * (https://github.com/conductorone/conductorone-sdk-go, pkg/uhttp).
 */

import type { Ed25519PrivateJwk } from '../model.js';

/** ConductorOne IDs are KSUID-like (27 base62 characters); this also admits "-", "_" and inner ".". */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `name@host[:port]/kind`; the host is what the token audience and the default server URL come from. */
const CLIENT_ID =
  /^([A-Za-z0-9][A-Za-z0-9._+-]{0,127})@([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(?::\d{1,5})?)\/([a-z]{2,16})$/;

export const CLIENT_SECRET_PREFIX = 'secret-token:conductorone.com:v1:';

/** RFC 3339, as ConductorOne's APIs write timestamps (protobuf JSON: optional fraction, Z or offset). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

export function isConductorOneId(value: string): boolean {
  return ID.test(value);
}

export interface ClientIdParts {
  name: string;
  /** Host, with a port when it has one. */
  host: string;
  kind: string;
}

export function parseClientId(value: string): ClientIdParts | undefined {
  const match = CLIENT_ID.exec(value);
  if (!match) return undefined;
  return { name: match[1] as string, host: tenantHost(match[2] as string), kind: match[3] as string };
}

/** ConductorOne's own domain, which a tenant name alone stands for. */
const TENANT_DOMAIN = '.conductor.one';

/**
 * The tenant host as ConductorOne's Go SDK reads a client ID (NormalizeTenant
 * in extra_sdk_options.go): lowercased, and a host without a dot is a tenant
 * name under conductor.one, so `name@acme/spc` means `acme.conductor.one`.
 * Unlike the SDK, a port stays after the host (`acme:8443` ->
 * `acme.conductor.one:8443`), where it can still be connected to.
 */
export function tenantHost(host: string): string {
  const lower = host.toLowerCase();
  if (lower.includes('.')) return lower;
  const [name, port] = lower.split(':');
  return `${name}${TENANT_DOMAIN}${port === undefined ? '' : `:${port}`}`;
}

export function isRfc3339(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

/** Why a client secret does not parse; the value itself is never part of it. */
export type ClientSecretProblem =
  | 'not a ConductorOne client secret'
  | 'damaged key part (not base64url JSON)'
  | 'no Ed25519 private key';

/** The private key in a client secret, or the problem with it. */
export function parseClientSecret(secret: string): { jwk: Ed25519PrivateJwk } | { problem: ClientSecretProblem } {
  const parts = secret.split(':');
  if (parts.length !== 4 || `${parts[0]}:${parts[1]}:${parts[2]}:` !== CLIENT_SECRET_PREFIX)
    return { problem: 'not a ConductorOne client secret' };
  const encoded = parts[3] ?? '';
  let jwk: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new Error('not base64url');
    jwk = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return { problem: 'damaged key part (not base64url JSON)' };
  }
  const key = jwk as Partial<Record<keyof Ed25519PrivateJwk, unknown>> | null;
  if (
    key?.kty !== 'OKP' ||
    key.crv !== 'Ed25519' ||
    typeof key.x !== 'string' ||
    typeof key.d !== 'string' ||
    !isKeyBytes(key.x) ||
    !isKeyBytes(key.d)
  ) {
    return { problem: 'no Ed25519 private key' };
  }
  return { jwk: { kty: 'OKP', crv: 'Ed25519', x: key.x, d: key.d } };
}

/** 32 bytes of base64url, as an Ed25519 key part must be. */
function isKeyBytes(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value) && Buffer.from(value, 'base64url').length === 32;
}
