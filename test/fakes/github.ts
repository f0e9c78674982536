// A strict fake of the GitHub REST endpoints for Actions secrets and variables:
// https://docs.github.com/en/rest/actions/secrets and https://docs.github.com/en/rest/actions/variables
// A "scope" is where secrets live: a repository, an environment of a repository, or an
// organization. Every scope has its own libsodium key pair, secrets and variables; the
// endpoints differ only in their base path, so one set of handlers serves all three.
import { randomInt } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { type SecondaryLimitOptions, type SecondaryLimits, secondaryLimits } from './github-limits.js';
import {
  fullRepository,
  listedRepository,
  minimalRepository,
  type Origins,
  type RepositoryFacts,
} from './github-repository.js';
import { createWorkflows, type FakeRun, type FakeWorkflow, GHES_VERSION, type Platform } from './github-workflows.js';
import {
  type FakeRequest,
  type Fault,
  HttpError,
  isPlainObject,
  type Reply,
  type RequestExchange,
  type RequestLogEntry,
  type RequestTiming,
  readJson,
  startFakeServer,
} from './log.js';

export type Access = 'write' | 'read';
export type Visibility = 'all' | 'private' | 'selected';

export interface FakeGitHubOptions {
  token: string;
  repositories: Record<string /* owner/repo */, Access>;
  /** Environments per repository; they inherit the repository's access. */
  environments?: Record<string /* owner/repo */, string[]>;
  organizations?: Record<string, Access>;
  latencyMs?: number;
  /** '' for api.github.com, '/api/v3' for GitHub Enterprise Server. */
  pathPrefix?: string;
  /** Requests per hour in the x-ratelimit-* headers; default 5000, a token's primary limit. */
  rateLimit?: number;
  /** Actions workflows per repository (owner/repo -> file name -> behaviour), for deploy-workflows. */
  workflows?: Record<string, Record<string, FakeWorkflow>>;
  /**
   * Which GitHub to answer as: github.com (default), or GitHub Enterprise Server 3.19 (path prefix
   * /api/v3 unless pathPrefix says otherwise, x-github-enterprise-version on every answer, and its
   * workflow dispatch: no return_run_details, at most 10 inputs).
   */
  platform?: Platform;
  /** Enforce GitHub's documented secondary rate limits, on this clock (see github-limits.ts). */
  secondaryLimits?: SecondaryLimitOptions;
}

export interface StoredSecret {
  encrypted_value: string;
  key_id: string;
  createdAt: string;
  updatedAt: string;
  /** Organization secrets only. */
  visibility?: Visibility;
  selected_repository_ids?: number[];
}

export interface StoredVariable {
  name: string;
  value: string;
  createdAt: string;
  updatedAt: string;
  visibility?: Visibility;
  selected_repository_ids?: number[];
}

export interface FakeGitHub {
  /** http://127.0.0.1:PORT plus the path prefix: what the action gets as its API URL. */
  url: string;
  requests: RequestLogEntry[];
  /** Arrival and answer times of an entry of `requests` (see FakeServer.timing). */
  timing(entry: RequestLogEntry): RequestTiming | undefined;
  /** Request and response of an entry of `requests` (see FakeServer.exchange). */
  exchange(entry: RequestLogEntry): RequestExchange | undefined;
  inject(fault: Fault): void;
  /** Scope key (see repoScope/envScope/orgScope) -> uppercased secret name -> what was stored. */
  secrets: Map<string, Map<string, StoredSecret>>;
  variables: Map<string, Map<string, StoredVariable>>;
  /** Decrypts a stored secret with the scope's private key; throws if it is missing. */
  open(scopeKey: string, name: string): Promise<string>;
  /** Stores a secret so a later PUT answers 204 (updated) instead of 201. */
  presetSecret(
    scopeKey: string,
    name: string,
    opts?: { value?: string; visibility?: Visibility; selected_repository_ids?: number[] },
  ): void;
  presetVariable(scopeKey: string, name: string, value: string): void;
  /** Replaces the scope's public key, so a write sealed for the old key_id is refused. */
  rotatePublicKey(scopeKey: string): void;
  /** The numeric ID the fake gives a configured repository (for selected_repository_ids). */
  repositoryId(ownerRepo: string): number;
  /** Every workflow run a dispatch started, by run ID. */
  runs: Map<number, FakeRun>;
  /** Sets how a workflow behaves from now on. */
  setWorkflow(ownerRepo: string, file: string, workflow: FakeWorkflow): void;
  /** Starts a run no dispatch of the action made (another person's dispatch, a run of another event). */
  startRun(ownerRepo: string, file: string, options?: { ref?: string; event?: string }): FakeRun;
  platform: Platform;
  /** With secondaryLimits: the requests refused for a limit, by limit. */
  limitHits(): { total: number; by: Record<string, number> };
  close(): Promise<void>;
}

export const repoScope = (ownerRepo: string): string => `repo:${ownerRepo}`;
export const envScope = (ownerRepo: string, environment: string): string => `env:${ownerRepo}/${environment}`;
export const orgScope = (org: string): string => `org:${org}`;

const DOCUMENTATION_URL = 'https://docs.github.com/rest';
/** https://docs.github.com/en/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions#limits-for-secrets */
const MAX_VALUE_BYTES = 48 * 1024;
const VISIBILITIES: readonly string[] = ['all', 'private', 'selected'];
/** Body fields only organization secrets and variables take. */
const ORG_FIELDS: readonly string[] = ['visibility', 'selected_repository_ids'];

/** An error body as GitHub's REST API writes one. */
export function githubErrorBody(status: number, message: string) {
  return { message, documentation_url: DOCUMENTATION_URL, status: String(status) };
}

function ghError(status: number, message: string): HttpError {
  return new HttpError(status, githubErrorBody(status, message));
}
const notFound = () => ghError(404, 'Not Found');
const unprocessable = (message: string) => ghError(422, `Invalid request.\n\n${message}`);

/** GitHub's naming rules for secrets and variables. */
function validateName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /^GITHUB_/i.test(name)) {
    throw unprocessable(
      `${name} is not a valid name: use only letters, digits and underscores, do not start with a digit or GITHUB_.`,
    );
  }
}

/** GitHub's own timestamps have no fractional seconds. */
const timestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

const RATE_LIMIT_WINDOW_S = 3600;

/**
 * GitHub's primary rate-limit headers, on every answer (errors included): one request used per
 * answer, in an hour-long window that starts with its first request. The fake only reports the
 * count; it never refuses a request for it.
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit
 */
function rateLimitHeaders(limit: number): () => Record<string, string> {
  let used = 0;
  let resetAt = 0; // epoch seconds
  return () => {
    const now = Math.floor(Date.now() / 1000);
    if (now >= resetAt) {
      used = 0;
      resetAt = now + RATE_LIMIT_WINDOW_S;
    }
    used = Math.min(used + 1, limit);
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(limit - used),
      'x-ratelimit-used': String(used),
      'x-ratelimit-reset': String(resetAt),
      'x-ratelimit-resource': 'core',
    };
  };
}

/** GitHub's secondary limits when asked for, else none. */
function limitsOf(opts: FakeGitHubOptions): SecondaryLimits {
  return opts.secondaryLimits ? secondaryLimits(opts.secondaryLimits) : { admit: () => {}, hits: 0, hitsBy: {} };
}

function platformOf(opts: FakeGitHubOptions): Platform {
  return opts.platform ?? 'github.com';
}

/** GHES serves its REST API under /api/v3. */
function defaultPrefix(platform: Platform): string {
  return platform === 'github.com' ? '' : '/api/v3';
}

/** GHES names its version on every answer; github.com does not. */
function platformHeaders(platform: Platform, rateLimit: () => Record<string, string>): () => Record<string, string> {
  if (platform === 'github.com') return rateLimit;
  return () => ({ ...rateLimit(), 'x-github-enterprise-version': GHES_VERSION });
}

interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

interface Scope {
  key: string;
  kind: 'repo' | 'env' | 'org';
  access: Access;
  /** Base path of this scope's endpoints, for URLs in responses. */
  basePath: string;
  keyId: string;
  keys: Map<string /* key_id */, KeyPair>;
  secrets: Map<string, StoredSecret>;
  variables: Map<string, StoredVariable>;
}

/** Like GitHub's: a long random number, as a string. */
function randomKeyId(): string {
  return `${randomInt(1, 2 ** 47)}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
}

/**
 * Which resource the rest of a scope path (after .../actions or the environment) names, as the
 * fake's route table keys it: 'public-key', 'secret', 'secret repositories', 'variables' (the
 * collection) or 'variable'; undefined for anything else.
 */
function scopeResource(collection: string | undefined, name: string, sub: string | undefined): string | undefined {
  if (collection === 'secrets' && name) return secretResource(name, sub);
  if (collection === 'variables') return variableResource(name, sub);
  return undefined;
}

/** Under secrets/{name}: the public key, a secret, or an organization secret's selected repositories. */
function secretResource(name: string, sub: string | undefined): string | undefined {
  if (!sub) return name === 'public-key' ? 'public-key' : 'secret';
  return sub === 'repositories' ? 'secret repositories' : undefined;
}

/** Under variables: the collection (whatever follows an empty name), or one variable. */
function variableResource(name: string, sub: string | undefined): string | undefined {
  if (!name) return 'variables';
  return sub ? undefined : 'variable';
}

/** A page or page size query parameter: a whole number from 1, else the default (GitHub ignores what it cannot read). */
function pageNumber(value: string | null, fallback: number): number {
  const n = Number(value);
  return value && Number.isInteger(n) && n >= 1 ? n : fallback;
}

/** GitHub's Link header: next and last after a page that is not the last, first and prev after the first. */
function pageLinks(url: string, perPage: number, page: number, pages: number): string {
  const at = (n: number, rel: string) => `<${url}?per_page=${perPage}&page=${n}>; rel="${rel}"`;
  const links = [
    ...(page > 1 ? [at(page - 1, 'prev')] : []),
    ...(page < pages ? [at(page + 1, 'next'), at(pages, 'last')] : []),
    ...(page > 1 ? [at(1, 'first')] : []),
  ];
  return links.join(', ');
}

export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  await sodium.ready;
  const platform = platformOf(opts);
  const prefix = opts.pathPrefix ?? defaultPrefix(platform);
  const secrets = new Map<string, Map<string, StoredSecret>>();
  const variables = new Map<string, Map<string, StoredVariable>>();
  // Owner, repository, organization (and here environment) names are case-insensitive on GitHub.
  const scopes = new Map<string /* lowercased key */, Scope>();
  const repositoryIds = new Map<string /* lowercased owner/repo */, number>();
  const repositories = new Map<number, RepositoryFacts>();
  const ownerIds = new Map<string /* lowercased login */, number>();
  const organizationLogins = new Set(Object.keys(opts.organizations ?? {}).map((org) => org.toLowerCase()));
  const createdAt = timestamp();

  function addScope(key: string, kind: Scope['kind'], access: Access, basePath: string): void {
    const scope: Scope = {
      key,
      kind,
      access,
      basePath,
      keyId: '',
      keys: new Map(),
      secrets: new Map(),
      variables: new Map(),
    };
    newKey(scope);
    scopes.set(key.toLowerCase(), scope);
    secrets.set(key, scope.secrets);
    variables.set(key, scope.variables);
  }

  function newKey(scope: Scope): void {
    const { publicKey, privateKey } = sodium.crypto_box_keypair();
    scope.keyId = randomKeyId();
    scope.keys.set(scope.keyId, { publicKey, privateKey });
  }

  for (const [ownerRepo, access] of Object.entries(opts.repositories)) {
    addScope(repoScope(ownerRepo), 'repo', access, `/repos/${ownerRepo}/actions`);
    const id = 1000 + repositoryIds.size;
    repositoryIds.set(ownerRepo.toLowerCase(), id);
    const [owner, name] = ownerRepo.split('/') as [string, string];
    repositories.set(id, {
      id,
      owner,
      name,
      ownerId: ownerId(owner),
      ownerType: organizationLogins.has(owner.toLowerCase()) ? 'Organization' : 'User',
      writable: access === 'write',
      createdAt,
    });
  }
  for (const [ownerRepo, names] of Object.entries(opts.environments ?? {})) {
    const access = opts.repositories[ownerRepo];
    if (!access) throw new Error(`environments: ${ownerRepo} is not in repositories`);
    for (const env of names) {
      addScope(envScope(ownerRepo, env), 'env', access, `/repos/${ownerRepo}/environments/${encodeURIComponent(env)}`);
    }
  }
  for (const [org, access] of Object.entries(opts.organizations ?? {})) {
    addScope(orgScope(org), 'org', access, `/orgs/${org}/actions`);
  }

  function ownerId(login: string): number {
    const key = login.toLowerCase();
    let id = ownerIds.get(key);
    if (id === undefined) {
      id = 100 + ownerIds.size;
      ownerIds.set(key, id);
    }
    return id;
  }

  function scopeOrThrow(scopeKey: string): Scope {
    const scope = scopes.get(scopeKey.toLowerCase());
    if (!scope) throw new Error(`fake GitHub has no scope ${scopeKey}; known: ${[...secrets.keys()].join(', ')}`);
    return scope;
  }

  function seal(scope: Scope, value: string): string {
    const pair = scope.keys.get(scope.keyId)!;
    return sodium.to_base64(sodium.crypto_box_seal(value, pair.publicKey), sodium.base64_variants.ORIGINAL);
  }

  /** Opens a sealed box or returns undefined, like GitHub refusing a value it cannot decrypt. */
  function unseal(scope: Scope, keyId: string, encryptedValue: string): string | undefined {
    const pair = scope.keys.get(keyId);
    if (!pair) return undefined;
    try {
      const box = sodium.from_base64(encryptedValue, sodium.base64_variants.ORIGINAL);
      return sodium.to_string(sodium.crypto_box_seal_open(box, pair.publicKey, pair.privateKey));
    } catch {
      return undefined;
    }
  }

  // ---- request parsing ---------------------------------------------------------------------

  function requireAuth(req: FakeRequest): void {
    const match = /^(?:token|bearer) (\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match || match[1] !== opts.token) throw ghError(401, 'Bad credentials');
  }

  /** Splits an Actions path into its scope and the rest ('secrets', 'public-key' ...); undefined if not one. */
  function parseScopePath(path: string): { scopeKey: string; rest: string[] } | undefined {
    let segments: string[];
    try {
      segments = path
        .split('/')
        .slice(1)
        .map((s) => decodeURIComponent(s));
    } catch {
      return undefined;
    }
    const [root, a, b, c, d] = segments;
    // /repos/{owner}/{repo}/actions/..., /repos/{owner}/{repo}/environments/{env}/..., /orgs/{org}/actions/...
    if (root === 'repos' && a && b && c === 'actions')
      return { scopeKey: repoScope(`${a}/${b}`), rest: segments.slice(4) };
    if (root === 'repos' && a && b && c === 'environments' && d) {
      return { scopeKey: envScope(`${a}/${b}`, d), rest: segments.slice(5) };
    }
    if (root === 'orgs' && a && b === 'actions') return { scopeKey: orgScope(a), rest: segments.slice(3) };
    return undefined;
  }

  function jsonObject(req: FakeRequest, allowed: string[]): Record<string, unknown> {
    let body: unknown;
    try {
      body = readJson(req);
    } catch (error) {
      throw ghError(400, `Problems parsing JSON: ${(error as Error).message}`);
    }
    if (!isPlainObject(body)) throw ghError(400, 'Problems parsing JSON: body must be an object');
    const unexpected = Object.keys(body).filter((k) => !allowed.includes(k));
    if (unexpected.length > 0) throw unprocessable(`unexpected properties: ${unexpected.join(', ')}`);
    return body;
  }

  function requireWrite(scope: Scope): void {
    if (scope.access !== 'write') throw ghError(403, 'Resource not accessible by integration');
  }

  function requireString(body: Record<string, unknown>, field: string): string {
    const value = body[field];
    if (typeof value !== 'string') throw unprocessable(`${field} must be a string`);
    return value;
  }

  /** The body fields a write in this scope takes: `fields`, plus the visibility fields in an organization. */
  function allowedFields(scope: Scope, fields: readonly string[]): string[] {
    return [...fields, ...(scope.kind === 'org' ? ORG_FIELDS : [])];
  }

  /**
   * Organization visibility fields: visibility required on create; repository IDs only with
   * 'selected'. The IDs' item type differs per endpoint in GitHub's OpenAPI description
   * (@octokit/openapi 23.0.2): the organization secret PUT takes integers or strings
   * (`anyOf: [integer, string]`), the organization variable POST and PATCH integers only. The fake
   * takes a string only where the description allows one, and then only digits (GitHub documents
   * no other meaning for it); IDs are stored as numbers either way.
   * https://docs.github.com/en/rest/actions/secrets#create-or-update-an-organization-secret
   * https://docs.github.com/en/rest/actions/variables#create-an-organization-variable
   */
  function readVisibility(
    body: Record<string, unknown>,
    required: boolean,
    idItems: 'integer' | 'integer or digits',
  ): { visibility?: Visibility; selected_repository_ids?: number[] } {
    const visibility = body.visibility;
    if (visibility === undefined) return withoutVisibility(body, required);
    if (typeof visibility !== 'string' || !VISIBILITIES.includes(visibility)) {
      throw unprocessable('visibility must be one of all, private, selected');
    }
    const ids = body.selected_repository_ids;
    if (ids === undefined) return { visibility: visibility as Visibility };
    if (visibility !== 'selected')
      throw unprocessable('selected_repository_ids is only allowed with visibility selected');
    return { visibility: 'selected', selected_repository_ids: readRepositoryIds(ids, idItems) };
  }

  /** A body without visibility: refused on create; on update it keeps the visibility, so IDs alone mean nothing. */
  function withoutVisibility(body: Record<string, unknown>, required: boolean): Record<string, never> {
    if (required) throw unprocessable('visibility is required for organization secrets and variables');
    if (body.selected_repository_ids !== undefined)
      throw unprocessable('selected_repository_ids needs visibility selected');
    return {};
  }

  /** selected_repository_ids as numbers; refused unless every item is an ID of the kind the endpoint takes. */
  function readRepositoryIds(ids: unknown, idItems: 'integer' | 'integer or digits'): number[] {
    const parsed = Array.isArray(ids) ? ids.map((id: unknown) => repositoryIdOf(id, idItems)) : [undefined];
    if (!parsed.every((id) => id !== undefined)) {
      throw unprocessable(
        idItems === 'integer'
          ? 'selected_repository_ids must be an array of integers'
          : 'selected_repository_ids must be an array of integers or strings of digits',
      );
    }
    return parsed;
  }

  function repositoryIdOf(id: unknown, idItems: 'integer' | 'integer or digits'): number | undefined {
    if (typeof id === 'number') return Number.isInteger(id) ? id : undefined;
    if (
      idItems === 'integer or digits' &&
      typeof id === 'string' &&
      /^\d+$/.test(id) &&
      Number.isSafeInteger(Number(id))
    ) {
      return Number(id);
    }
    return undefined;
  }

  function orgFields(scope: Scope, item: { visibility?: Visibility }, url: string): Record<string, unknown> {
    if (scope.kind !== 'org') return {};
    return {
      visibility: item.visibility,
      ...(item.visibility === 'selected' ? { selected_repositories_url: url } : {}),
    };
  }

  // ---- secrets ------------------------------------------------------------------------------

  function getPublicKey(scope: Scope): Reply {
    const pair = scope.keys.get(scope.keyId)!;
    return {
      status: 200,
      body: { key_id: scope.keyId, key: sodium.to_base64(pair.publicKey, sodium.base64_variants.ORIGINAL) },
    };
  }

  function getSecret(scope: Scope, name: string): Reply {
    const secret = scope.secrets.get(name.toUpperCase());
    if (!secret) throw notFound();
    const url = `${origin}${prefix}${scope.basePath}/secrets/${name.toUpperCase()}/repositories`;
    return {
      status: 200,
      body: {
        name: name.toUpperCase(),
        created_at: secret.createdAt,
        updated_at: secret.updatedAt,
        ...orgFields(scope, secret, url),
      },
    };
  }

  /**
   * PUT .../secrets/{name}. Repository and environment secrets need encrypted_value and key_id;
   * for an organization secret only visibility is required (OpenAPI: required [visibility]), so a
   * PUT without a value changes an existing secret's visibility and selection and keeps its value.
   * A secret cannot exist without a value, so such a PUT for a secret that does not exist is
   * refused with 422: the strictest answer, and the one GitHub gives bodies it cannot act on.
   * What GitHub really does then is not documented; a client must not rely on it.
   * 201 with {} when created, 204 when updated.
   * https://docs.github.com/en/rest/actions/secrets#create-or-update-an-organization-secret
   */
  function putSecret(scope: Scope, name: string, req: FakeRequest): Reply {
    requireWrite(scope);
    validateName(name);
    const body = jsonObject(req, allowedFields(scope, ['encrypted_value', 'key_id']));
    const key = name.toUpperCase();
    const existing = scope.secrets.get(key);
    const sealed = carriesValue(scope, body) ? readSealedValue(scope, body) : undefined;
    const visibility = scope.kind === 'org' ? readVisibility(body, true, 'integer or digits') : {};
    const value = sealed ?? (existing && { encrypted_value: existing.encrypted_value, key_id: existing.key_id });
    if (!value) throw unprocessable(`encrypted_value and key_id are required to create the secret ${key}`);

    const now = timestamp();
    scope.secrets.set(key, {
      ...value,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      ...visibility,
      ...emptiedSelection(visibility),
    });
    return existing ? { status: 204 } : { status: 201, body: {} };
  }

  /** Whether a secret PUT carries a value: always outside an organization (it is required there), else when either field is given. */
  function carriesValue(scope: Scope, body: Record<string, unknown>): boolean {
    return scope.kind !== 'org' || body.encrypted_value !== undefined || body.key_id !== undefined;
  }

  /**
   * GitHub does not document what 'selected' without IDs does to an existing selection; the fake
   * assumes the worst (the selection is emptied), so a client that does not repeat it is caught.
   */
  function emptiedSelection(visibility: { visibility?: Visibility; selected_repository_ids?: number[] }): {
    selected_repository_ids?: number[];
  } {
    return visibility.visibility === 'selected' && !visibility.selected_repository_ids
      ? { selected_repository_ids: [] }
      : {};
  }

  /** The sealed value of a secret PUT: both fields, standard base64, sealed for the current key. */
  function readSealedValue(scope: Scope, body: Record<string, unknown>): { encrypted_value: string; key_id: string } {
    const encryptedValue = requireString(body, 'encrypted_value');
    const keyId = requireString(body, 'key_id');
    // libsodium's ORIGINAL variant, padded; GitHub cannot read URL-safe base64.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encryptedValue) || encryptedValue.length % 4 !== 0) {
      throw unprocessable('encrypted_value must be standard (not URL-safe) base64');
    }
    if (keyId !== scope.keyId) throw unprocessable(`key_id ${keyId} is not the current public key (${scope.keyId})`);
    const value = unseal(scope, keyId, encryptedValue);
    if (value === undefined) throw unprocessable('encrypted_value could not be decrypted with the public key');
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw unprocessable('secret value is larger than 48 KB');
    return { encrypted_value: encryptedValue, key_id: keyId };
  }

  function getSelectedRepositories(scope: Scope, name: string): Reply {
    const secret = scope.secrets.get(name.toUpperCase());
    if (scope.kind !== 'org' || !secret) throw notFound();
    const ids = secret.visibility === 'selected' ? (secret.selected_repository_ids ?? []) : [];
    const selected = ids.map((id) => minimalRepository(origins(), repositoryFacts(id)));
    return { status: 200, body: { total_count: selected.length, repositories: selected } };
  }

  // ---- variables ----------------------------------------------------------------------------

  function variableView(scope: Scope, v: StoredVariable): Record<string, unknown> {
    const url = `${origin}${prefix}${scope.basePath}/variables/${v.name}/repositories`;
    return {
      name: v.name,
      value: v.value,
      created_at: v.createdAt,
      updated_at: v.updatedAt,
      ...orgFields(scope, v, url),
    };
  }

  function checkValue(value: string): void {
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw unprocessable('variable value is larger than 48 KB');
  }

  function getVariable(scope: Scope, name: string): Reply {
    const variable = scope.variables.get(name.toUpperCase());
    if (!variable) throw notFound();
    return { status: 200, body: variableView(scope, variable) };
  }

  function createVariable(scope: Scope, req: FakeRequest): Reply {
    requireWrite(scope);
    const body = jsonObject(req, allowedFields(scope, ['name', 'value']));
    const name = requireString(body, 'name');
    const value = requireString(body, 'value');
    validateName(name);
    checkValue(value);
    const key = name.toUpperCase();
    if (scope.variables.has(key)) throw ghError(409, 'Already exists - Variable already exists');
    const now = timestamp();
    const visibility = scope.kind === 'org' ? readVisibility(body, true, 'integer') : {};
    scope.variables.set(key, { name: key, value, createdAt: now, updatedAt: now, ...visibility });
    return { status: 201, body: {} };
  }

  function updateVariable(scope: Scope, name: string, req: FakeRequest): Reply {
    requireWrite(scope);
    const key = name.toUpperCase();
    const existing = scope.variables.get(key);
    if (!existing) throw notFound();
    const body = jsonObject(req, allowedFields(scope, ['name', 'value']));
    const updated: StoredVariable = { ...existing, updatedAt: timestamp() };
    if (body.value !== undefined) {
      updated.value = requireString(body, 'value');
      checkValue(updated.value);
    }
    if (body.name !== undefined) {
      const newName = requireString(body, 'name');
      validateName(newName);
      updated.name = newName.toUpperCase();
    }
    if (scope.kind === 'org') Object.assign(updated, readVisibility(body, false, 'integer'));
    scope.variables.delete(key);
    scope.variables.set(updated.name, updated);
    return { status: 204 };
  }

  /** https://docs.github.com/en/rest/actions/variables#delete-a-repository-variable: 204, or 404 when absent. */
  function deleteVariable(scope: Scope, name: string, req: FakeRequest): Reply {
    requireWrite(scope);
    if (req.body.length > 0) throw unprocessable('DELETE takes no body');
    if (!scope.variables.delete(name.toUpperCase())) throw notFound();
    return { status: 204 };
  }

  // ---- repositories -------------------------------------------------------------------------

  function origins(): Origins {
    return { api: `${origin}${prefix}`, web: origin };
  }

  /** A configured repository, or a stand-in for an ID no configured repository has (e.g. a preset selection). */
  function repositoryFacts(id: number): RepositoryFacts {
    return (
      repositories.get(id) ?? {
        id,
        owner: 'unknown',
        name: `repo-${id}`,
        ownerId: ownerId('unknown'),
        ownerType: 'User',
        writable: false,
        createdAt,
      }
    );
  }

  /** GET /repos/{owner}/{repo}: a full repository, named as configured whatever the request's case. */
  function getRepository(ownerRepo: string): Reply {
    const id = repositoryIds.get(ownerRepo.toLowerCase());
    if (id === undefined) throw notFound();
    return { status: 200, body: fullRepository(origins(), repositoryFacts(id)) };
  }

  /**
   * GET /installation/repositories: every configured repository (the token stands for an app
   * installation that can see them all), in pages of per_page (default 30, at most 100), with
   * GitHub's Link header when there is more than one page.
   * https://docs.github.com/en/rest/apps/installations#list-repositories-accessible-to-the-app-installation
   */
  function listInstallationRepositories(req: FakeRequest): Reply {
    const perPage = Math.min(100, pageNumber(req.query.get('per_page'), 30));
    const page = pageNumber(req.query.get('page'), 1);
    const all = [...repositories.values()];
    const listed = all.slice((page - 1) * perPage, page * perPage).map((r) => listedRepository(origins(), r));
    const pages = Math.max(1, Math.ceil(all.length / perPage));
    const link = pageLinks(`${origin}${prefix}/installation/repositories`, perPage, page, pages);
    return {
      status: 200,
      ...(link ? { headers: { link } } : {}),
      body: { total_count: all.length, repository_selection: 'selected', repositories: listed },
    };
  }

  // ---- routing ------------------------------------------------------------------------------

  /** Handlers of the scope endpoints, by "METHOD resource" (see scopeResource). */
  const scopeRoutes = new Map<string, (scope: Scope, name: string, req: FakeRequest) => Reply>([
    ['GET public-key', (scope) => getPublicKey(scope)],
    // Not a key endpoint: a PUT there writes a secret named public-key, which validateName refuses.
    ['PUT public-key', putSecret],
    ['GET secret', (scope, name) => getSecret(scope, name)],
    ['PUT secret', putSecret],
    ['GET secret repositories', (scope, name) => getSelectedRepositories(scope, name)],
    ['POST variables', (scope, _name, req) => createVariable(scope, req)],
    ['GET variable', (scope, name) => getVariable(scope, name)],
    ['PATCH variable', updateVariable],
    ['DELETE variable', deleteVariable],
  ]);

  function repositoryByName(ownerRepo: string): RepositoryFacts | undefined {
    const id = repositoryIds.get(ownerRepo.toLowerCase());
    return id === undefined ? undefined : repositories.get(id);
  }

  const workflows = createWorkflows(
    { origins, repository: repositoryByName, error: ghError, platform },
    opts.workflows,
  );

  /** The reads outside a scope: a repository, and the repositories of the installation. */
  function readRoute(req: FakeRequest, path: string): Reply | undefined {
    if (req.method !== 'GET') return undefined;
    const repository = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
    if (repository) return getRepository(`${repository[1]}/${repository[2]}`);
    if (path === '/installation/repositories') return listInstallationRepositories(req);
    return undefined;
  }

  /** The secrets and variables of a repository, environment or organization. */
  function scopeRoute(req: FakeRequest, path: string): Reply {
    const parsed = parseScopePath(path);
    const scope = parsed && scopes.get(parsed.scopeKey.toLowerCase());
    if (!parsed || !scope) throw notFound(); // GitHub hides what the token cannot see
    const [collection, name = '', sub, ...extra] = parsed.rest;
    const resource = extra.length === 0 ? scopeResource(collection, name, sub) : undefined;
    const route = resource && scopeRoutes.get(`${req.method} ${resource}`);
    if (!route) throw notFound();
    return route(scope, name, req);
  }

  const limits = limitsOf(opts);

  function handle(req: FakeRequest): Reply {
    requireAuth(req);
    // Requests that arrived and are not answered yet (this one among them), as GitHub counts concurrent requests.
    limits.admit(req.method, () => server.requests.filter((entry) => entry.status === 0).length);
    if (!req.path.startsWith(`${prefix}/`)) throw notFound();
    const path = req.path.slice(prefix.length);
    return workflows.handle(req, path) ?? readRoute(req, path) ?? scopeRoute(req, path);
  }

  const server = await startFakeServer({
    handle,
    pathPrefix: prefix,
    headers: platformHeaders(platform, rateLimitHeaders(opts.rateLimit ?? 5000)),
    ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
  });
  const origin = server.origin;

  return {
    url: `${origin}${prefix}`,
    requests: server.requests,
    timing: server.timing,
    exchange: server.exchange,
    inject: server.inject,
    secrets,
    variables,
    async open(scopeKey, name) {
      const scope = scopeOrThrow(scopeKey);
      const secret = scope.secrets.get(name.toUpperCase());
      if (!secret) throw new Error(`fake GitHub: no secret ${name.toUpperCase()} in ${scope.key}`);
      const value = unseal(scope, secret.key_id, secret.encrypted_value);
      if (value === undefined) throw new Error(`fake GitHub: secret ${name} in ${scope.key} does not open`);
      return value;
    },
    presetSecret(scopeKey, name, preset = {}) {
      const scope = scopeOrThrow(scopeKey);
      const now = timestamp();
      scope.secrets.set(name.toUpperCase(), {
        encrypted_value: seal(scope, preset.value ?? 'preset value'),
        key_id: scope.keyId,
        createdAt: now,
        updatedAt: now,
        ...(scope.kind === 'org' ? { visibility: preset.visibility ?? 'private' } : {}),
        ...(preset.selected_repository_ids ? { selected_repository_ids: preset.selected_repository_ids } : {}),
      });
    },
    presetVariable(scopeKey, name, value) {
      const scope = scopeOrThrow(scopeKey);
      const now = timestamp();
      scope.variables.set(name.toUpperCase(), {
        name: name.toUpperCase(),
        value,
        createdAt: now,
        updatedAt: now,
        ...(scope.kind === 'org' ? { visibility: 'private' as const } : {}),
      });
    },
    rotatePublicKey(scopeKey) {
      newKey(scopeOrThrow(scopeKey));
    },
    runs: workflows.runs,
    setWorkflow: workflows.setWorkflow,
    startRun: workflows.startRun,
    platform,
    limitHits: () => ({ total: limits.hits, by: { ...limits.hitsBy } }),
    repositoryId(ownerRepo) {
      const id = repositoryIds.get(ownerRepo.toLowerCase());
      if (id === undefined) throw new Error(`fake GitHub: ${ownerRepo} is not in repositories`);
      return id;
    },
    close: server.close,
  };
}
