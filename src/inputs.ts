/**
 * Reads and validates every input before anything touches the network.
 * Each problem becomes one InputError that names the input and the fix.
 * Secrets are masked the moment they are read, before any validation can
 * fail, so not even an error message can print them.
 */
import { CLIENT_SECRET_PREFIX, isConductorOneId, parseClientId, parseClientSecret } from './conductorone/credential.js';
import { checkDeployWorkflows } from './deploy-inputs.js';
import { InputError } from './errors.js';
import {
  type Auth,
  type DeployInputs,
  type DeployWorkflow,
  type Ed25519PrivateJwk,
  type Repository,
  type SecretScope,
  VISIBILITIES,
  type Visibility,
} from './model.js';
import { hasControlCharacters } from './redact.js';

export interface Inputs {
  appId: string;
  connectorId: string;
  auth: Auth;
  /** Tenant base URL without trailing slash, e.g. https://acme.conductor.one */
  serverUrl: URL;
  githubToken: string;
  githubApiUrl: URL;
  repositories: Repository[];
  /** Where the secrets go: each repository, an environment of each, or an organization. */
  scope: SecretScope;
  /** Empty when the client ID is not to be stored. */
  clientIdSecretName: string;
  clientSecretSecretName: string;
  /** Actions variable recording the current credential ID; empty when not used. */
  credentialIdVariable: string;
  /** The credential to treat as current; empty: the value of credentialIdVariable. */
  previousCredentialId: string;
  verify: boolean;
  /**
   * `now`: revoke the credential this run replaces once everything succeeded.
   * `next-run`: keep it valid for one more rotation (recorded in the variable
   * `<credential-id-variable>_PREVIOUS`) and revoke the one recorded there.
   */
  revokePrevious: RevokeMode;
  /**
   * How long a replaced credential stays valid at least (next-run), and how
   * long a credential the in-use guard kept must go unused before it is revoked.
   */
  keepPreviousFor: Duration;
  /** Skip rotation while the current credential expires later than now + this; undefined: always rotate. */
  rotateIfExpiresWithin?: Duration;
  dryRun: boolean;
  /** Workflows that roll the new credential out, dispatched after the writes; empty: none. */
  deployWorkflows: DeployWorkflow[];
  /** The dispatched workflows' inputs; undefined: their defaults. */
  deployInputs?: DeployInputs;
  /** How long to wait for the deploy runs. */
  deployTimeout: Duration;
}

export type RevokeMode = false | 'now' | 'next-run';

/**
 * keep-previous-for's default: the longest a job may run on a GitHub-hosted
 * runner (6 hours), so a consumer job that read the secrets just before a
 * rotation can finish with them (README, "revoke-previous: next-run").
 */
export const DEFAULT_KEEP_PREVIOUS_FOR = '6h';

/** A window such as `30d`, as given and in milliseconds. */
export interface Duration {
  text: string;
  ms: number;
}

export interface InputSource {
  getInput(name: string): string;
  /** Masks a secret (each of its lines) and remembers it for redaction. */
  setSecret(value: string): void;
  /** Whether the runner offers a GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is set). */
  oidcAvailable(): boolean;
  /** An environment variable of the step (ConductorOne's tools share CONDUCTORONE_*); empty when unset. */
  getEnv(name: string): string;
}

/**
 * What ConductorOne's own tools leave in the environment: conductorone/oidc-token-action exports a
 * ready access token and the client ID it was exchanged for.
 * https://github.com/conductorone/oidc-token-action
 */
export const ENV_ACCESS_TOKEN = 'CONDUCTORONE_ACCESS_TOKEN';
export const ENV_CLIENT_ID = 'CONDUCTORONE_CLIENT_ID';

/** The kinds of client ID that can authenticate the action: personal key, service principal, federation trust. */
const AUTH_CLIENT_KINDS = new Set(['pcc', 'spc', 'wfe']);
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Get = (name: string) => string;

export function readInputs(source: InputSource): Inputs {
  const get: Get = (name) => source.getInput(name).trim();
  const { clientSecret, accessToken, githubToken } = readSecrets(source, get);
  const appId = resourceId('app-id', get('app-id'));
  const connectorId = resourceId('connector-id', get('connector-id'));
  const authInputs = { clientId: get('client-id'), clientSecret, accessToken, serverUrl: get('server-url') };
  const { auth, serverUrl } =
    authInputs.clientId || clientSecret || accessToken
      ? readAuth(source, { ...authInputs, oidcAudience: get('oidc-audience') })
      : environmentAuth(source, authInputs.serverUrl, get('oidc-audience'));
  const inputs: Inputs = {
    appId,
    connectorId,
    auth,
    serverUrl,
    ...readGitHub(get, githubToken),
    ...readSecretNames(get),
    ...readLifecycle(get),
    ...readDeploy(get),
  };
  const { deployWorkflows, scope, repositories } = inputs;
  checkDeployWorkflows(deployWorkflows, scope, repositories, source.getEnv('GITHUB_WORKFLOW_REF').trim());
  return inputs;
}

/** The secret inputs, masked before anything else runs (so no error can print them), then checked. */
function readSecrets(
  source: InputSource,
  get: Get,
): { clientSecret: string; accessToken: string; githubToken: string } {
  const secrets = {
    clientSecret: get('client-secret'),
    accessToken: get('access-token'),
    githubToken: get('github-token'),
  };
  for (const secret of Object.values(secrets)) if (secret) source.setSecret(secret);
  // A secret with a line break is masked line by line above, but would be
  // sent as a broken header or form field: refuse it, never quoting it.
  const named = {
    'client-secret': secrets.clientSecret,
    'access-token': secrets.accessToken,
    'github-token': secrets.githubToken,
  };
  for (const [input, secret] of Object.entries(named)) {
    if (hasControlCharacters(secret)) {
      const fix = 'store the value alone in the secret, with no extra lines or spaces inside it';
      throw new InputError(input, `contains a line break or another control character: ${fix}.`);
    }
  }
  return secrets;
}

/** Where the secrets go, and the token that may write them. */
function readGitHub(
  get: Get,
  githubToken: string,
): Pick<Inputs, 'githubToken' | 'githubApiUrl' | 'repositories' | 'scope'> {
  if (!githubToken) {
    const token = 'a GitHub App installation token or a fine-grained token with the Secrets read and write permission';
    throw new InputError('github-token', `is required: pass ${token}; the workflow GITHUB_TOKEN cannot write secrets.`);
  }
  return {
    githubToken,
    githubApiUrl: serviceUrl('github-api-url', get('github-api-url') || 'https://api.github.com'),
    repositories: parseRepositories(get('repositories')),
    scope: readScope(get('environment'), get('organization'), get('visibility')),
  };
}

function readSecretNames(get: Get): Pick<Inputs, 'clientIdSecretName' | 'clientSecretSecretName'> {
  const clientIdSecretName = get('client-id-secret-name');
  const clientSecretSecretName = get('client-secret-secret-name');
  if (clientIdSecretName) secretName('client-id-secret-name', clientIdSecretName);
  if (!clientSecretSecretName) {
    const example = 'e.g. BATON_CLIENT_SECRET';
    throw new InputError(
      'client-secret-secret-name',
      `is required: name the secret that receives the new client secret, ${example}.`,
    );
  }
  secretName('client-secret-secret-name', clientSecretSecretName);
  if (clientIdSecretName.toUpperCase() === clientSecretSecretName.toUpperCase()) {
    const both = `both are "${clientSecretSecretName}"; secret names are case-insensitive`;
    throw new InputError('client-secret-secret-name', `must differ from client-id-secret-name (${both}).`);
  }
  return { clientIdSecretName, clientSecretSecretName };
}

type Lifecycle = Pick<
  Inputs,
  | 'credentialIdVariable'
  | 'previousCredentialId'
  | 'verify'
  | 'revokePrevious'
  | 'keepPreviousFor'
  | 'rotateIfExpiresWithin'
  | 'dryRun'
>;

const HOW_TO_TRACK = [
  'set credential-id-variable (recommended: it records each new credential ID for the next run)',
  'or previous-credential-id',
].join(' ');

/** Which credential is current, and what happens around the rotation: proof, revoke, expiry window, dry run. */
function readLifecycle(get: Get): Lifecycle {
  const credentialIdVariable = get('credential-id-variable');
  if (credentialIdVariable) variableName('credential-id-variable', credentialIdVariable);
  const previousCredentialId = get('previous-credential-id');
  if (previousCredentialId && !isConductorOneId(previousCredentialId)) {
    const quoted = `"${previousCredentialId.slice(0, 60)}"`;
    const fix = "copy it from the connector's credentials in ConductorOne";
    throw new InputError(
      'previous-credential-id',
      `${quoted} is not a ConductorOne credential ID: ${ID_RULE}; ${fix}.`,
    );
  }
  const window = get('rotate-if-expires-within');
  const verify = booleanInput('verify', get('verify'), true);
  const revokePrevious = revokeMode(get('revoke-previous'));
  const tracksCurrent = Boolean(credentialIdVariable || previousCredentialId);
  if (revokePrevious === 'next-run' && !credentialIdVariable) {
    const why =
      'keeps the replaced credential valid, recorded in the ledger of credential-id-variable, for a later run to revoke';
    throw new InputError('revoke-previous', `next-run ${why}: set credential-id-variable, e.g. BATON_CREDENTIAL_ID.`);
  }
  if (revokePrevious && !tracksCurrent) {
    const why =
      "needs to know which credential is the previous one, and ConductorOne cannot list a connector's credentials";
    throw new InputError('revoke-previous', `${why}: ${HOW_TO_TRACK}.`);
  }
  if (revokePrevious && !verify) {
    const why = 'the previous credential is revoked only after the new one has proved it can authenticate';
    throw new InputError('revoke-previous', `needs verify: true: ${why}; remove verify: false.`);
  }
  if (window && !tracksCurrent) {
    throw new InputError(
      'rotate-if-expires-within',
      `needs to know the current credential to read its expiry: ${HOW_TO_TRACK}.`,
    );
  }
  return {
    credentialIdVariable,
    previousCredentialId,
    verify,
    revokePrevious,
    keepPreviousFor: parseDuration('keep-previous-for', get('keep-previous-for') || DEFAULT_KEEP_PREVIOUS_FOR),
    ...(window ? { rotateIfExpiresWithin: parseDuration('rotate-if-expires-within', window) } : {}),
    dryRun: booleanInput('dry-run', get('dry-run'), false),
  };
}

// GitHub allows up to 255 characters in an environment name; control characters can never be part of one.
const ENVIRONMENT = /^[^\p{Cc}]{1,255}$/u;

/** Repository, environment or organization secrets; any mix of the three is refused. */
function readScope(environment: string, organization: string, visibility: string): SecretScope {
  if (organization) {
    if (environment) {
      throw new InputError(
        'environment',
        `cannot be combined with organization: organization secrets have no environments; set one of the two.`,
      );
    }
    if (!OWNER.test(organization)) {
      const fix = 'give the login only, e.g. acme (not a URL or owner/repo)';
      throw new InputError('organization', `"${organization}" is not a GitHub organization name: ${fix}.`);
    }
    if (visibility && !VISIBILITIES.includes(visibility)) {
      const fix = "use all, private or selected, or leave it empty to keep an existing secret's visibility";
      throw new InputError('visibility', `"${visibility}" is not a visibility: ${fix}.`);
    }
    return { kind: 'organization', organization, ...(visibility ? { visibility: visibility as Visibility } : {}) };
  }
  if (visibility) {
    const fix = 'set organization, or remove visibility (repository and environment secrets have none)';
    throw new InputError('visibility', `applies only to organization secrets: ${fix}.`);
  }
  if (environment) {
    if (!ENVIRONMENT.test(environment)) {
      throw new InputError(
        'environment',
        `is not a GitHub environment name: use the name shown under Settings > Environments (at most 255 characters).`,
      );
    }
    return { kind: 'environment', environment };
  }
  return { kind: 'repository' };
}

/** YAML 1.2 core booleans, as core.getBooleanInput reads them. */
const TRUE_WORDS: readonly string[] = ['true', 'True', 'TRUE'];
const FALSE_WORDS: readonly string[] = ['false', 'False', 'FALSE'];

/** A YAML 1.2 boolean; empty means the default. */
function booleanInput(input: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  if (TRUE_WORDS.includes(value)) return true;
  if (FALSE_WORDS.includes(value)) return false;
  throw new InputError(input, `"${value}" is not a boolean: use true or false.`);
}

const DURATION_UNITS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `30m`, `12h`, `30d`, `2w`: a whole number of seconds, minutes, hours, days or weeks. */
export function parseDuration(input: string, value: string): Duration {
  const match = /^(\d{1,6})\s*([smhdw])$/i.exec(value);
  const amount = Number(match?.[1]);
  if (!match || amount <= 0) {
    const how = 'use a whole number of seconds, minutes, hours, days or weeks, e.g. 30m, 12h, 30d or 2w';
    throw new InputError(input, `"${value}" is not a duration: ${how}.`);
  }
  const unit = (match[2] ?? 'h').toLowerCase();
  return { text: value, ms: amount * (DURATION_UNITS[unit] as number) };
}

/** revoke-previous: a YAML 1.2 boolean, or next-run. */
function revokeMode(value: string): RevokeMode {
  if (value === 'next-run') return 'next-run';
  if (TRUE_WORDS.includes(value)) return 'now';
  if (value === '' || FALSE_WORDS.includes(value)) return false;
  throw new InputError('revoke-previous', `"${value.slice(0, 40)}" is not true, false or next-run.`);
}

/** OWNER/REPO/.github/workflows/FILE.yml@REF, as in a reusable workflow's `uses:`. */
const WORKFLOW_REFERENCE =
  /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})\/\.github\/workflows\/([A-Za-z0-9._-]+\.ya?ml)@(.+)$/;
/** A branch or tag name as git allows it, without anything that could change a URL or a log line. */
const GIT_REF = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,255}(?<![./])$/;

function readDeploy(get: Get): Pick<Inputs, 'deployWorkflows' | 'deployInputs' | 'deployTimeout'> {
  const deployWorkflows = parseDeployWorkflows(get('deploy-workflows'));
  const inputsText = get('deploy-inputs');
  if (inputsText && deployWorkflows.length === 0) {
    throw new InputError('deploy-inputs', 'is set, but deploy-workflows is empty: list the workflows to dispatch.');
  }
  return {
    deployWorkflows,
    ...(inputsText ? { deployInputs: parseDeployInputs(inputsText) } : {}),
    deployTimeout: parseDuration('deploy-timeout', get('deploy-timeout') || '30m'),
  };
}

export function parseDeployWorkflows(value: string): DeployWorkflow[] {
  const seen = new Set<string>();
  const workflows: DeployWorkflow[] = [];
  for (const entry of listEntries(value)) {
    const match = WORKFLOW_REFERENCE.exec(entry);
    const [, owner = '', repo = '', file = '', ref = ''] = match ?? [];
    if (!match || repo === '.' || repo === '..' || !GIT_REF.test(ref)) {
      const form = 'OWNER/REPO/.github/workflows/FILE.yml@REF, e.g. acme/baton-okta/.github/workflows/deploy.yml@main';
      throw new InputError('deploy-workflows', `"${entry.slice(0, 200)}" is not a workflow reference: use ${form}.`);
    }
    const label = `${owner}/${repo}/.github/workflows/${file}@${ref}`;
    if (seen.has(label.toLowerCase())) continue;
    seen.add(label.toLowerCase());
    workflows.push({ owner, repo, file, ref, label });
  }
  return workflows;
}

/**
 * workflow_dispatch takes at most 25 inputs on github.com (10 on GitHub
 * Enterprise Server 3.17 to 3.19, which the preflight checks once it knows the
 * server), each a string, number or boolean.
 */
function parseDeployInputs(value: string): DeployInputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InputError('deploy-inputs', 'is not JSON: give a JSON object, e.g. {"environment": "production"}.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError(
      'deploy-inputs',
      'must be a JSON object of input names and values, e.g. {"environment": "production"}.',
    );
  }
  const entries = Object.entries(parsed);
  if (entries.length > 25)
    throw new InputError(
      'deploy-inputs',
      `has ${entries.length} inputs; a workflow dispatch takes at most 25 (10 on GitHub Enterprise Server 3.17 to 3.19).`,
    );
  for (const [name, input] of entries) {
    if (!['string', 'number', 'boolean'].includes(typeof input)) {
      throw new InputError('deploy-inputs', `the value of "${name.slice(0, 60)}" must be a string, number or boolean.`);
    }
  }
  return parsed as DeployInputs;
}

const AUTH_CHOICES = [
  'set client-id with client-secret (API client),',
  'client-id alone (GitHub OIDC federation trust, /wfe),',
  'or access-token alone',
  '(or run conductorone/oidc-token-action before this step, which exports CONDUCTORONE_ACCESS_TOKEN)',
].join(' ');

interface AuthInputs {
  clientId: string;
  clientSecret: string;
  accessToken: string;
  serverUrl: string;
  oidcAudience: string;
}

/**
 * No ConductorOne authentication input: the ready token conductorone/oidc-token-action exported
 * (CONDUCTORONE_ACCESS_TOKEN), for the tenant of server-url or of CONDUCTORONE_CLIENT_ID. Masked
 * before anything else, like an input.
 */
function environmentAuth(
  source: InputSource,
  serverUrlInput: string,
  oidcAudience: string,
): { auth: Auth; serverUrl: URL } {
  const token = source.getEnv(ENV_ACCESS_TOKEN).trim();
  if (!token) throw new InputError('client-id', `no ConductorOne authentication is configured: ${AUTH_CHOICES}.`);
  source.setSecret(token);
  if (hasControlCharacters(token)) {
    throw new InputError(
      ENV_ACCESS_TOKEN,
      'contains a line break or another control character: export the token alone.',
    );
  }
  if (oidcAudience) {
    throw new InputError(
      'oidc-audience',
      `applies only to GitHub OIDC federation (client-id alone), not to ${ENV_ACCESS_TOKEN}.`,
    );
  }
  const clientId = source.getEnv(ENV_CLIENT_ID).trim();
  const host = parseClientId(clientId)?.host;
  if (!serverUrlInput && !host) {
    const url = 'set server-url to your tenant URL (e.g. https://acme.conductor.one)';
    const tenant = `${url}, or ${ENV_CLIENT_ID} to the client ID the token was issued to`;
    throw new InputError(
      'server-url',
      `is required with ${ENV_ACCESS_TOKEN} when ${ENV_CLIENT_ID} names no tenant: ${tenant}.`,
    );
  }
  const serverUrl = serviceUrl('server-url', serverUrlInput || `https://${host}`);
  return { auth: { kind: 'access-token', token, source: ENV_ACCESS_TOKEN }, serverUrl };
}

/**
 * Picks the one ConductorOne authentication the inputs describe; any other
 * combination is ambiguous and refused.
 */
function readAuth(source: InputSource, inputs: AuthInputs): { auth: Auth; serverUrl: URL } {
  if (inputs.accessToken) return accessTokenAuth(inputs);
  const { clientId, clientSecret, oidcAudience } = inputs;
  if (!clientId) {
    if (clientSecret) {
      throw new InputError(
        'client-id',
        `is required with client-secret: give the API client's ID, e.g. name@acme.conductor.one/spc.`,
      );
    }
    throw new InputError('client-id', `no ConductorOne authentication is configured: ${AUTH_CHOICES}.`);
  }
  const parsed = parseClientId(clientId);
  if (!parsed || !AUTH_CLIENT_KINDS.has(parsed.kind)) throw notAnIdentity(clientId, parsed?.kind);
  const serverUrl = serviceUrl('server-url', inputs.serverUrl || `https://${parsed.host}`);
  if (clientSecret) return { auth: clientCredentialsAuth(inputs, parsed.kind), serverUrl };
  if (parsed.kind !== 'wfe') {
    const problem = `is empty, but client-id ${clientId} is an API client (/${parsed.kind}), which needs its secret`;
    const fix = `pass it from a GitHub secret, e.g. client-secret: \${{ secrets.C1_CLIENT_SECRET }}`;
    const federation = "for GitHub OIDC federation use the federation trust's client ID (ending in /wfe)";
    throw new InputError('client-secret', `${problem}: ${fix}; ${federation}.`);
  }
  if (!source.oidcAvailable()) {
    const problem = `${clientId} is a GitHub OIDC federation trust, but this job cannot request an OIDC token`;
    const fix = 'add "permissions: id-token: write" to the job (or workflow)';
    throw new InputError('client-id', `${problem}: ${fix}.`);
  }
  return { auth: { kind: 'federation', clientId, audience: oidcAudience || serverUrl.hostname }, serverUrl };
}

/** A client-id the action cannot authenticate with; a connector's own credential (/ccc) is the likely mix-up. */
function notAnIdentity(clientId: string, kind: string | undefined): InputError {
  const quoted = `"${clientId.slice(0, 200)}"`;
  const expected = 'expected <name>@<tenant host>/<pcc|spc|wfe>, e.g. name@acme.conductor.one/spc';
  if (kind === 'ccc') {
    const what = `${quoted} is a connector credential (/ccc), the one the connector itself signs in with`;
    return new InputError('client-id', `${what}: pass an identity that may rotate it, ${expected}.`);
  }
  return new InputError('client-id', `${quoted} is not a ConductorOne client ID: ${expected}.`);
}

function accessTokenAuth({ clientId, clientSecret, accessToken, serverUrl, oidcAudience }: AuthInputs): {
  auth: Auth;
  serverUrl: URL;
} {
  if (clientId || clientSecret) {
    const other = clientId ? 'client-id' : 'client-secret';
    throw new InputError('access-token', `cannot be combined with ${other}: ${AUTH_CHOICES}.`);
  }
  if (!serverUrl) {
    const why = 'there is no client ID to take the tenant from';
    const fix = 'set it to your tenant URL, e.g. https://acme.conductor.one';
    throw new InputError('server-url', `is required with access-token (${why}): ${fix}.`);
  }
  if (oidcAudience) {
    throw new InputError(
      'oidc-audience',
      'applies only to GitHub OIDC federation (client-id alone), not to access-token.',
    );
  }
  return { auth: { kind: 'access-token', token: accessToken }, serverUrl: serviceUrl('server-url', serverUrl) };
}

function clientCredentialsAuth({ clientId, clientSecret, oidcAudience }: AuthInputs, kind: string): Auth {
  if (kind === 'wfe') {
    const why = "it authenticates with the workflow's GitHub OIDC token, not a secret";
    throw new InputError('client-secret', `must be empty for a federation trust (client-id ends in /wfe): ${why}.`);
  }
  if (oidcAudience) {
    throw new InputError(
      'oidc-audience',
      'applies only to GitHub OIDC federation (client-id alone), not to client-secret.',
    );
  }
  return { kind: 'client-credentials', clientId, privateJwk: clientSecretKey(clientSecret) };
}

const ID_RULE = 'use only letters, digits, ".", "_" and "-", starting with a letter or digit';

function resourceId(input: string, value: string): string {
  if (!value) throw new InputError(input, `is required: copy the ID from the connector's page in ConductorOne.`);
  if (!isConductorOneId(value))
    throw new InputError(input, `"${value.slice(0, 60)}" is not a ConductorOne ID: ${ID_RULE}.`);
  return value;
}

/** The Ed25519 key in the client-secret input; the messages never quote the value. */
export function clientSecretKey(secret: string): Ed25519PrivateJwk {
  const parsed = parseClientSecret(secret);
  if ('jwk' in parsed) return parsed.jwk;
  const prefix = `it starts with "${CLIENT_SECRET_PREFIX}"`;
  const fix = `paste the whole client secret ConductorOne showed when the API client was created (${prefix}).`;
  const problem = {
    'not a ConductorOne client secret': 'is not a ConductorOne client secret',
    'damaged key part (not base64url JSON)': 'has a damaged key part (not base64url JSON)',
    'no Ed25519 private key': 'does not hold an Ed25519 private key',
  }[parsed.problem];
  throw new InputError('client-secret', `${problem}: ${fix}`);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/** https only; plain http is allowed for loopback hosts (local fakes). */
function serviceUrl(input: string, value: string): URL {
  // A URL may carry a user and password: the messages never quote them.
  const shown = `"${value.replace(/\/\/[^/?#]*@/, '//(redacted)@').slice(0, 200)}"`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(input, `${shown} is not a URL: give an https:// URL.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new InputError(input, `${shown} must use https:// (plain http is allowed only for loopback hosts).`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError(input, `${shown} must not carry credentials, a query or a fragment.`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** The entries of a list input: newline or comma separated, blanks ignored. */
function listEntries(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function parseRepositories(value: string): Repository[] {
  const seen = new Set<string>();
  const repositories: Repository[] = [];
  for (const entry of listEntries(value)) {
    const [owner = '', repo = '', ...rest] = entry.split('/');
    if (rest.length > 0 || !OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..') {
      throw new InputError(
        'repositories',
        `"${entry}" is not an owner/repo name: list repositories as owner/repo, one per line or comma separated.`,
      );
    }
    const key = entry.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    repositories.push({ owner, repo });
  }
  if (repositories.length === 0) {
    throw new InputError(
      'repositories',
      'is empty: list at least one owner/repo (the default is the repository running the workflow).',
    );
  }
  return repositories;
}

/** Variable names follow the same rules as secret names. */
function variableName(input: string, name: string): string {
  if (!SECRET_NAME.test(name) || /^GITHUB_/i.test(name)) {
    throw new InputError(
      input,
      `"${name}" is not a valid variable name: use only letters, digits and "_", not starting with a digit or GITHUB_.`,
    );
  }
  return name;
}

/** GitHub's rules for secret names; they are case-insensitive. */
export function secretName(input: string, name: string): string {
  if (!SECRET_NAME.test(name)) {
    throw new InputError(
      input,
      `"${name}" is not a valid secret name: use only letters, digits and "_", not starting with a digit.`,
    );
  }
  if (/^GITHUB_/i.test(name)) {
    throw new InputError(input, `"${name}" is not a valid secret name: names must not start with GITHUB_.`);
  }
  return name;
}
