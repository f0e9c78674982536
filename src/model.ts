/**
 * The domain: where secrets go (targets), how the action authenticates, and
 * the credentials it rotates. Types (and one list of values), importing nothing, so
 * every layer can share them: the ConductorOne and GitHub clients below, the
 * input parser and the pipeline above.
 */

export interface Repository {
  owner: string;
  repo: string;
}

/** Who may use an organization secret or variable. */
export type Visibility = 'all' | 'private' | 'selected';

/** Every Visibility, for checking a value from an input or from GitHub. */
export const VISIBILITIES: readonly string[] = ['all', 'private', 'selected'] satisfies Visibility[];

/** Where the secrets go: each repository, an environment of each, or an organization. */
export type SecretScope =
  | { kind: 'repository' }
  | { kind: 'environment'; environment: string }
  | { kind: 'organization'; organization: string; visibility?: Visibility };

interface TargetBase {
  /** How people name it in messages, the summary and the `targets` output. */
  label: string;
}

export interface RepositoryTarget extends TargetBase {
  kind: 'repository';
  owner: string;
  repo: string;
}

export interface EnvironmentTarget extends TargetBase {
  kind: 'environment';
  owner: string;
  repo: string;
  environment: string;
}

export interface OrganizationTarget extends TargetBase {
  kind: 'organization';
  org: string;
  /** The `visibility` input; undefined keeps each existing secret's visibility. */
  visibility?: Visibility;
  /**
   * For a `selected` secret that does not exist yet or is not `selected` now:
   * the repositories to give it (the `repositories` input).
   */
  repositories: Repository[];
}

/** One place GitHub keeps Actions secrets and variables. */
export type Target = RepositoryTarget | EnvironmentTarget | OrganizationTarget;

/**
 * A workflow that rolls the new credential out to its consumers (a deploy),
 * dispatched with `workflow_dispatch` once the secrets hold the new credential.
 */
export interface DeployWorkflow {
  owner: string;
  repo: string;
  /** The file name under .github/workflows/, e.g. deploy.yml. */
  file: string;
  /** The branch or tag to run it on. */
  ref: string;
  /** As people write it: OWNER/REPO/.github/workflows/FILE@REF. */
  label: string;
}

/** Values passed to a dispatched workflow's inputs. */
export type DeployInputs = Record<string, string | number | boolean>;

/** The Ed25519 private key inside a ConductorOne client secret, as a JWK. */
export interface Ed25519PrivateJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
}

/** Exactly one way to authenticate to ConductorOne. */
export type Auth = ClientCredentialsAuth | FederationAuth | AccessTokenAuth;

/** An API client: a signed assertion made with the key in its secret. */
export interface ClientCredentialsAuth {
  kind: 'client-credentials';
  clientId: string;
  privateJwk: Ed25519PrivateJwk;
}

/** GitHub OIDC token exchanged for a ConductorOne token (RFC 8693). */
export interface FederationAuth {
  kind: 'federation';
  /** The federation trust's client ID, `<name>@<host>/wfe`. */
  clientId: string;
  /** Audience of the GitHub OIDC token: `oidc-audience`, default the tenant host. */
  audience: string;
}

/** A ready ConductorOne bearer token; no token request is made. */
export interface AccessTokenAuth {
  kind: 'access-token';
  token: string;
  /** Where it came from, when not the access-token input: the environment variable's name. */
  source?: string;
}

/** The credential RotateCredential issued; `clientSecret` exists only in that answer. */
export interface RotatedCredential {
  id: string;
  clientId: string;
  clientSecret: string;
  /** RFC 3339, as ConductorOne gave it; empty when it does not expire. */
  expiresTime: string;
}

/** A credential as a read shows it: never with its secret. */
export interface CredentialInfo {
  id: string;
  /** RFC 3339; empty when it does not expire (or when its value is unreadable). */
  expiresTime: string;
  /** ConductorOne gave an expiry that is not an RFC 3339 time; it is never quoted. */
  expiryUnreadable?: boolean;
  /**
   * When it last got a token, in ms on the runner's clock (ConductorOne's time,
   * corrected by the offset its Date header shows); undefined when it never did;
   * 'unreadable' when ConductorOne gave a value that is not an RFC 3339 time.
   */
  lastUsedAt?: number | 'unreadable';
}

/** Which credential the secrets hold before this run, and how the action knows. */
export interface PreviousCredential {
  /** Empty when nothing is known (first run with a new variable, say). */
  id: string;
  source: 'previous-credential-id' | 'credential-id-variable' | 'none';
  /** With no ID: why no single credential is known (e.g. the last rotation did not finish). */
  why?: string;
}
