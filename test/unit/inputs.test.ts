import { exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  clientSecretKey,
  type InputSource,
  parseDuration,
  parseRepositories,
  readInputs,
  secretName,
} from '../../src/inputs.js';

const SECRET_PREFIX = 'secret-token:conductorone.com:v1:';

let clientSecret: string;
let jwk: { kty: string; crv: string; x: string; d: string };

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const exported = await exportJWK(privateKey);
  jwk = { kty: exported.kty!, crv: exported.crv!, x: exported.x!, d: exported.d! };
  clientSecret = SECRET_PREFIX + Buffer.from(JSON.stringify(jwk)).toString('base64url');
});

function encodeSecret(value: unknown): string {
  return SECRET_PREFIX + Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Inputs as the runner would give them, action.yml defaults applied. */
function validInputs(): Record<string, string> {
  return {
    'app-id': '2abcAPP',
    'connector-id': '2xyzCONN',
    'client-id': 'rotator@acme.conductor.one/spc',
    'client-secret': clientSecret,
    'server-url': '',
    'github-token': 'ghs_githubtoken123',
    'github-api-url': 'https://api.github.com',
    repositories: 'acme/connectors',
    'client-id-secret-name': 'BATON_CLIENT_ID',
    'client-secret-secret-name': 'BATON_CLIENT_SECRET',
  };
}

interface FakeSource extends InputSource {
  masked: string[];
  /** Every call in order: `get <name>` and `mask`. */
  events: string[];
}

function source(overrides: Record<string, string> = {}, oidc = false, env: Record<string, string> = {}): FakeSource {
  const values = { ...validInputs(), ...overrides };
  const masked: string[] = [];
  const events: string[] = [];
  return {
    masked,
    events,
    getInput(name) {
      events.push(`get ${name}`);
      return values[name] ?? '';
    },
    setSecret(value) {
      events.push('mask');
      masked.push(value);
    },
    oidcAvailable: () => oidc,
    getEnv: (name) => env[name] ?? '',
  };
}

function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}

function expectInputError(overrides: Record<string, string>, input: string, message?: RegExp): InputError {
  const err = inputErrorOf(() => readInputs(source(overrides)));
  expect(err.input).toBe(input);
  expect(err.message).toContain(input);
  if (message) expect(err.message).toMatch(message);
  return err;
}

describe('readInputs with valid inputs', () => {
  it('returns the typed inputs, with the Ed25519 key taken from the client secret', () => {
    const inputs = readInputs(source());
    expect(inputs.appId).toBe('2abcAPP');
    expect(inputs.connectorId).toBe('2xyzCONN');
    expect(inputs.auth).toEqual({
      kind: 'client-credentials',
      clientId: 'rotator@acme.conductor.one/spc',
      privateJwk: jwk,
    });
    expect(inputs.githubToken).toBe('ghs_githubtoken123');
    expect(inputs.githubApiUrl.href).toBe('https://api.github.com/');
    expect(inputs.repositories).toEqual([{ owner: 'acme', repo: 'connectors' }]);
    expect(inputs.clientIdSecretName).toBe('BATON_CLIENT_ID');
    expect(inputs.clientSecretSecretName).toBe('BATON_CLIENT_SECRET');
  });

  it('derives server-url from the host of client-id when it is empty', () => {
    expect(readInputs(source()).serverUrl.href).toBe('https://acme.conductor.one/');
    expect(readInputs(source({ 'client-id': 'rotator@acme.conductor.one:8443/pcc' })).serverUrl.href).toBe(
      'https://acme.conductor.one:8443/',
    );
  });

  it("reads a client-ID host without a dot as a tenant of conductor.one, lowercased, as the Go SDK's NormalizeTenant does", () => {
    expect(readInputs(source({ 'client-id': 'rotator@acme/spc' })).serverUrl.href).toBe('https://acme.conductor.one/');
    expect(readInputs(source({ 'client-id': 'rotator@Acme/spc' })).serverUrl.href).toBe('https://acme.conductor.one/');
    expect(readInputs(source({ 'client-id': 'rotator@acme:8443/spc' })).serverUrl.href).toBe(
      'https://acme.conductor.one:8443/',
    );
    expect(readInputs(source({ 'client-id': 'rotator@ACME.Example.com/spc' })).serverUrl.href).toBe(
      'https://acme.example.com/',
    );
    const env = { CONDUCTORONE_ACCESS_TOKEN: 'env-token-0123456789', CONDUCTORONE_CLIENT_ID: 'trust@acme/wfe' };
    const fromEnvironment = readInputs(source({ 'client-id': '', 'client-secret': '' }, false, env));
    expect(fromEnvironment.serverUrl.href).toBe('https://acme.conductor.one/');
  });

  it('takes the default OIDC audience from the normalized tenant host', () => {
    const inputs = readInputs(source({ 'client-id': 'trust@acme/wfe', 'client-secret': '' }, true));
    expect(inputs.auth).toMatchObject({ kind: 'federation', audience: 'acme.conductor.one' });
  });

  it('accepts API client IDs (pcc, spc) with a secret', () => {
    for (const kind of ['pcc', 'spc']) {
      const { auth } = readInputs(source({ 'client-id': `name@acme.conductor.one/${kind}` }));
      expect(auth.kind === 'client-credentials' && auth.clientId).toBe(`name@acme.conductor.one/${kind}`);
    }
  });

  it('trims surrounding whitespace from inputs', () => {
    const inputs = readInputs(source({ 'app-id': '  2abcAPP \n', 'client-secret': ` ${clientSecret}\n` }));
    expect(inputs.appId).toBe('2abcAPP');
    expect(inputs.auth.kind === 'client-credentials' && inputs.auth.privateJwk).toEqual(jwk);
  });

  it('accepts an explicit https server-url and drops its trailing slash', () => {
    expect(readInputs(source({ 'server-url': 'https://other.conductor.one/' })).serverUrl.href).toBe(
      'https://other.conductor.one/',
    );
    expect(readInputs(source({ 'server-url': 'https://proxy.example.com/c1/' })).serverUrl.pathname).toBe('/c1');
  });

  it('allows plain http server-url for loopback hosts (local fakes)', () => {
    expect(readInputs(source({ 'server-url': 'http://127.0.0.1:4010' })).serverUrl.href).toBe('http://127.0.0.1:4010/');
    expect(readInputs(source({ 'server-url': 'http://localhost:4010' })).serverUrl.href).toBe('http://localhost:4010/');
    expect(readInputs(source({ 'server-url': 'http://[::1]:4010' })).serverUrl.href).toBe('http://[::1]:4010/');
  });

  it('accepts a GHES github-api-url and keeps its /api/v3 path', () => {
    expect(readInputs(source({ 'github-api-url': 'https://ghe.example.com/api/v3/' })).githubApiUrl.pathname).toBe(
      '/api/v3',
    );
  });

  it('defaults github-api-url to https://api.github.com when it is empty', () => {
    expect(readInputs(source({ 'github-api-url': '' })).githubApiUrl.href).toBe('https://api.github.com/');
  });

  it('allows an empty client-id-secret-name: the client ID is then not stored', () => {
    expect(readInputs(source({ 'client-id-secret-name': '' })).clientIdSecretName).toBe('');
  });
});

describe('readInputs masks secrets first', () => {
  it('masks client-secret and github-token before reading any other input', () => {
    const s = source();
    readInputs(s);
    expect(s.masked).toEqual([clientSecret, 'ghs_githubtoken123']);
    const secretInputs = ['get client-secret', 'get access-token', 'get github-token'];
    const firstOtherRead = s.events.findIndex((e) => e.startsWith('get ') && !secretInputs.includes(e));
    const lastMask = s.events.lastIndexOf('mask');
    expect(lastMask).toBeLessThan(firstOtherRead);
  });

  it('masks the secrets even when the very first validation fails', () => {
    const s = source({ 'app-id': '' });
    expect(() => readInputs(s)).toThrow(InputError);
    expect(s.masked).toEqual([clientSecret, 'ghs_githubtoken123']);
  });

  it('masks a malformed client-secret before refusing it', () => {
    const s = source({ 'client-secret': 'secret-token:conductorone.com:v1:%%%not-base64%%%' });
    expect(() => readInputs(s)).toThrow(InputError);
    expect(s.masked).toContain('secret-token:conductorone.com:v1:%%%not-base64%%%');
  });

  it('does not mask empty values', () => {
    const s = source({ 'github-token': '' });
    expect(() => readInputs(s)).toThrow(InputError);
    expect(s.masked).toEqual([clientSecret]);
  });
});

describe('readInputs refuses each malformed input, naming it', () => {
  it('refuses a missing app-id', () => {
    expectInputError({ 'app-id': '' }, 'app-id', /required/);
  });

  it('refuses a connector-id with a slash', () => {
    expectInputError({ 'connector-id': 'conn/../other' }, 'connector-id', /not a ConductorOne ID/);
  });

  it('refuses an app-id or connector-id that could change a URL path, or be "." or ".."', () => {
    for (const id of ['app?x=1', '.', '..', '../x', 'a/b', 'a\u0007b', 'x'.repeat(129)]) {
      expectInputError({ 'app-id': id }, 'app-id', /is not a ConductorOne ID: use only letters, digits/);
      expectInputError({ 'connector-id': id }, 'connector-id', /is not a ConductorOne ID/);
    }
  });

  it('refuses a missing client-id', () => {
    expectInputError({ 'client-id': '' }, 'client-id', /required/);
  });

  it('refuses a client-id without @', () => {
    expectInputError({ 'client-id': 'rotator.acme.conductor.one/spc' }, 'client-id', /<name>@<tenant host>/);
  });

  it('refuses a client-id without a kind', () => {
    expectInputError({ 'client-id': 'rotator@acme.conductor.one' }, 'client-id');
  });

  it('refuses a client-id with an unknown kind', () => {
    expectInputError({ 'client-id': 'rotator@acme.conductor.one/xyz' }, 'client-id');
  });

  it("refuses a connector's own credential (/ccc) as client-id, saying what it is", () => {
    expectInputError(
      { 'client-id': 'gentle-fox-1234@acme.conductor.one/ccc' },
      'client-id',
      /is a connector credential \(\/ccc\), the one the connector itself signs in with: pass an identity that may rotate it/,
    );
  });

  it('refuses a client-id without a client-secret', () => {
    expectInputError({ 'client-secret': '' }, 'client-secret', /needs its secret.*\/wfe/);
  });

  it('refuses a client-secret with the wrong prefix', () => {
    expectInputError(
      { 'client-secret': clientSecret.replace('conductorone.com', 'example.com') },
      'client-secret',
      /not a ConductorOne client secret/,
    );
    expectInputError(
      { 'client-secret': clientSecret.replace(':v1:', ':v2:') },
      'client-secret',
      /not a ConductorOne client secret/,
    );
  });

  it('refuses a client-secret with an extra colon-separated part', () => {
    expectInputError({ 'client-secret': `${clientSecret}:extra` }, 'client-secret');
  });

  it('refuses a client-secret whose key part is not base64url', () => {
    expectInputError({ 'client-secret': `${SECRET_PREFIX}abc+def/==` }, 'client-secret', /not base64url/);
    expectInputError({ 'client-secret': SECRET_PREFIX }, 'client-secret', /not base64url/);
  });

  it('refuses a client-secret whose key part is base64url but not JSON', () => {
    expectInputError(
      { 'client-secret': SECRET_PREFIX + Buffer.from('not json').toString('base64url') },
      'client-secret',
      /not base64url JSON/,
    );
  });

  it('refuses a client-secret that does not hold an Ed25519 private JWK', () => {
    const cases: unknown[] = [
      null,
      { ...jwk, kty: 'EC' },
      { ...jwk, crv: 'Ed448' },
      { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
      { ...jwk, d: Buffer.alloc(16).toString('base64url') },
      { ...jwk, x: 42 },
    ];
    for (const value of cases) {
      expectInputError({ 'client-secret': encodeSecret(value) }, 'client-secret', /Ed25519 private key/);
    }
  });

  it('refuses a plain http server-url to a non-loopback host', () => {
    expectInputError({ 'server-url': 'http://acme.conductor.one' }, 'server-url', /https/);
    expectInputError({ 'server-url': 'http://127.example.com' }, 'server-url', /https/);
  });

  it('refuses a server-url that is not a URL, or carries credentials or a query', () => {
    expectInputError({ 'server-url': 'acme.conductor.one' }, 'server-url', /not a URL/);
    expectInputError({ 'server-url': 'https://user:pw@acme.conductor.one' }, 'server-url', /credentials/);
    expectInputError({ 'server-url': 'https://acme.conductor.one/?x=1' }, 'server-url', /query/);
  });

  it('never quotes the user or password a refused URL carries', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['https://rotator:hunter2@acme.conductor.one', '"https://(redacted)@acme.conductor.one"', /credentials/],
      ['http://rotator:hunter2@acme.conductor.one', '"http://(redacted)@acme.conductor.one"', /https/],
      ['https://rotator:hunter2@acme conductor.one', '"https://(redacted)@acme conductor.one"', /not a URL/],
    ];
    for (const [value, shown, message] of cases) {
      for (const input of ['server-url', 'github-api-url']) {
        const err = expectInputError({ [input]: value }, input, message);
        expect(err.message).toContain(shown);
        expect(err.message).not.toMatch(/rotator|hunter2/);
      }
    }
  });

  it('refuses a missing github-token, saying the workflow GITHUB_TOKEN cannot write secrets', () => {
    expectInputError({ 'github-token': '' }, 'github-token', /GITHUB_TOKEN/);
  });

  it('refuses a plain http github-api-url to a non-loopback host, and allows it for loopback', () => {
    expectInputError({ 'github-api-url': 'http://ghe.example.com/api/v3' }, 'github-api-url', /https/);
    expectInputError({ 'github-api-url': 'not a url' }, 'github-api-url', /not a URL/);
    expect(readInputs(source({ 'github-api-url': 'http://127.0.0.1:5000' })).githubApiUrl.href).toBe(
      'http://127.0.0.1:5000/',
    );
  });

  it('refuses a client-secret-secret-name starting with a digit', () => {
    expectInputError(
      { 'client-secret-secret-name': '1SECRET' },
      'client-secret-secret-name',
      /not starting with a digit/,
    );
  });

  it('refuses secret names starting with GITHUB_, in any case', () => {
    expectInputError({ 'client-secret-secret-name': 'GITHUB_SECRET' }, 'client-secret-secret-name', /GITHUB_/);
    expectInputError({ 'client-id-secret-name': 'github_client_id' }, 'client-id-secret-name', /GITHUB_/);
  });

  it('refuses secret names with characters other than letters, digits and _', () => {
    expectInputError({ 'client-id-secret-name': 'BATON-CLIENT-ID' }, 'client-id-secret-name', /letters, digits/);
    expectInputError({ 'client-secret-secret-name': 'BATON CLIENT' }, 'client-secret-secret-name', /letters, digits/);
  });

  it('refuses an empty client-secret-secret-name', () => {
    expectInputError({ 'client-secret-secret-name': '' }, 'client-secret-secret-name', /required/);
  });

  it('refuses the two secret names when they are equal case-insensitively', () => {
    expectInputError(
      { 'client-id-secret-name': 'baton_secret', 'client-secret-secret-name': 'BATON_SECRET' },
      'client-secret-secret-name',
      /must differ/,
    );
  });

  it('refuses a bad repositories entry, quoting it', () => {
    for (const entry of [
      'acme',
      'acme/one/two',
      '-acme/one',
      'acme/..',
      'acme/.',
      'acme/re po',
      'ac_me/one',
      '/one',
      'acme/',
    ]) {
      const err = expectInputError({ repositories: `acme/good\n${entry}` }, 'repositories', /owner\/repo/);
      expect(err.message).toContain(`"${entry.trim()}"`);
    }
  });

  it('refuses an empty repositories list', () => {
    expectInputError({ repositories: '' }, 'repositories', /empty/);
    expectInputError({ repositories: ' ,\n , ' }, 'repositories', /empty/);
  });
});

describe('error messages never contain the client secret', () => {
  const breakers: Record<string, string>[] = [
    { 'app-id': '' },
    { 'connector-id': 'a/b' },
    { 'client-id': 'nope' },
    { 'server-url': 'http://acme.conductor.one' },
    { 'github-token': '' },
    { 'github-api-url': 'ftp://x' },
    { repositories: 'bad' },
    { 'client-id-secret-name': '9X' },
    { 'client-secret-secret-name': 'GITHUB_X' },
  ];

  it('for every other input that is wrong', () => {
    for (const overrides of breakers) {
      const err = inputErrorOf(() => readInputs(source(overrides)));
      expect(err.message).not.toContain(clientSecret);
      expect(err.message).not.toContain(jwk.d);
    }
  });

  it('for a client-secret that is itself malformed', () => {
    const malformed = [
      clientSecret.replace(':v1:', ':v9:'),
      `${SECRET_PREFIX}abc+def/`,
      encodeSecret({ ...jwk, kty: 'RSA' }),
      encodeSecret({ ...jwk, d: 'c2hvcnQ' }),
      `not-a-secret-${jwk.d}`,
    ];
    for (const value of malformed) {
      const err = expectInputError({ 'client-secret': value }, 'client-secret');
      expect(err.message).not.toContain(value);
      expect(err.message).not.toContain(value.slice(SECRET_PREFIX.length));
      expect(err.message).not.toContain(jwk.d);
    }
  });
});

describe('parseRepositories', () => {
  it('splits newline and comma separated lists, ignoring blanks', () => {
    expect(parseRepositories('acme/one, acme/two\n\n  acme/three ,')).toEqual([
      { owner: 'acme', repo: 'one' },
      { owner: 'acme', repo: 'two' },
      { owner: 'acme', repo: 'three' },
    ]);
  });

  it('removes duplicates case-insensitively, keeping the first spelling', () => {
    expect(parseRepositories('Acme/Connectors\nacme/connectors,ACME/CONNECTORS,acme/other')).toEqual([
      { owner: 'Acme', repo: 'Connectors' },
      { owner: 'acme', repo: 'other' },
    ]);
  });

  it('accepts dots, dashes and underscores in repository names', () => {
    expect(parseRepositories('my-org/repo.name_1')).toEqual([{ owner: 'my-org', repo: 'repo.name_1' }]);
  });

  it('refuses an empty list', () => {
    expect(() => parseRepositories('')).toThrow(InputError);
  });
});

describe('clientSecretKey', () => {
  it('returns exactly the four JWK members, dropping any others', () => {
    expect(clientSecretKey(encodeSecret({ ...jwk, kid: 'k1', use: 'sig' }))).toEqual(jwk);
  });
});

describe('secretName', () => {
  it('returns a valid name unchanged', () => {
    expect(secretName('x', '_Baton_Client_1')).toBe('_Baton_Client_1');
  });

  it('accepts a name that merely contains GITHUB', () => {
    expect(secretName('x', 'MY_GITHUB_SECRET')).toBe('MY_GITHUB_SECRET');
  });
});

describe('readInputs picks exactly one ConductorOne authentication', () => {
  const trust = 'github-rotator@acme.conductor.one/wfe';

  it('uses GitHub OIDC federation for a /wfe client-id without a secret, audience the tenant host', () => {
    const { auth, serverUrl } = readInputs(source({ 'client-id': trust, 'client-secret': '' }, true));
    expect(auth).toEqual({ kind: 'federation', clientId: trust, audience: 'acme.conductor.one' });
    expect(serverUrl.href).toBe('https://acme.conductor.one/');
  });

  it('takes oidc-audience over the default audience', () => {
    const { auth } = readInputs(
      source({ 'client-id': trust, 'client-secret': '', 'oidc-audience': 'conductorone' }, true),
    );
    expect(auth.kind === 'federation' && auth.audience).toBe('conductorone');
  });

  it('asks for "id-token: write" when federation is chosen but the runner offers no OIDC token', () => {
    expectInputError({ 'client-id': trust, 'client-secret': '' }, 'client-id', /permissions: id-token: write/);
  });

  it('refuses a client-secret for a federation trust', () => {
    expectInputError({ 'client-id': trust }, 'client-secret', /must be empty for a federation trust/);
  });

  it('uses a ready access-token alone, masked, with server-url required', () => {
    const s = source({
      'client-id': '',
      'client-secret': '',
      'access-token': 'c1-ready-token',
      'server-url': 'https://acme.conductor.one',
    });
    const { auth } = readInputs(s);
    expect(auth).toEqual({ kind: 'access-token', token: 'c1-ready-token' });
    expect(s.masked).toContain('c1-ready-token');
    expectInputError(
      { 'client-id': '', 'client-secret': '', 'access-token': 'c1-ready-token' },
      'server-url',
      /required with access-token/,
    );
  });

  it('refuses ambiguous combinations, naming the input to drop', () => {
    expectInputError({ 'access-token': 'c1-ready-token' }, 'access-token', /cannot be combined with client-id/);
    expectInputError(
      { 'client-id': '', 'access-token': 'c1-ready-token', 'server-url': 'https://acme.conductor.one' },
      'access-token',
      /cannot be combined with client-secret/,
    );
    expectInputError({ 'client-id': '' }, 'client-id', /required with client-secret/);
    expectInputError({ 'oidc-audience': 'x' }, 'oidc-audience', /only to GitHub OIDC federation/);
  });

  it('refuses a run with no authentication at all', () => {
    expectInputError({ 'client-id': '', 'client-secret': '' }, 'client-id', /no ConductorOne authentication/);
  });
});

describe('readInputs: where the secrets go (environment, organization, visibility)', () => {
  it('writes repository secrets when neither environment nor organization is set', () => {
    expect(readInputs(source()).scope).toEqual({ kind: 'repository' });
  });

  it('writes environment secrets of the named environment, spaces and all', () => {
    expect(readInputs(source({ environment: 'production' })).scope).toEqual({
      kind: 'environment',
      environment: 'production',
    });
    expect(readInputs(source({ environment: 'Production EU / blue' })).scope).toEqual({
      kind: 'environment',
      environment: 'Production EU / blue',
    });
  });

  it('accepts an environment name of 255 characters and refuses one of 256', () => {
    expect(readInputs(source({ environment: 'e'.repeat(255) })).scope).toEqual({
      kind: 'environment',
      environment: 'e'.repeat(255),
    });
    expectInputError({ environment: 'e'.repeat(256) }, 'environment', /at most 255 characters/);
  });

  it('refuses an environment name holding a control character', () => {
    expectInputError({ environment: 'prod\nstaging' }, 'environment', /not a GitHub environment name/);
    expectInputError({ environment: 'prod\u0007' }, 'environment', /not a GitHub environment name/);
  });

  it('writes organization secrets, with no visibility when the input is empty (keep what exists)', () => {
    const { scope } = readInputs(source({ organization: 'acme' }));
    expect(scope).toEqual({ kind: 'organization', organization: 'acme' });
    expect('visibility' in scope).toBe(false);
  });

  it('takes each of all, private and selected as the organization secrets visibility', () => {
    for (const visibility of ['all', 'private', 'selected']) {
      expect(readInputs(source({ organization: 'acme', visibility })).scope).toEqual({
        kind: 'organization',
        organization: 'acme',
        visibility,
      });
    }
  });

  it('refuses a visibility GitHub does not have, quoting it', () => {
    for (const visibility of ['public', 'internal', 'Private', 'selected,private']) {
      const err = expectInputError({ organization: 'acme', visibility }, 'visibility', /use all, private or selected/);
      expect(err.message).toContain(`"${visibility}"`);
    }
  });

  it('refuses visibility without organization, for repository and environment secrets alike', () => {
    expectInputError({ visibility: 'private' }, 'visibility', /applies only to organization secrets/);
    expectInputError(
      { visibility: 'selected', environment: 'production' },
      'visibility',
      /applies only to organization secrets/,
    );
  });

  it('refuses environment together with organization', () => {
    expectInputError(
      { organization: 'acme', environment: 'production' },
      'environment',
      /cannot be combined with organization/,
    );
  });

  it('refuses an organization given as a URL or owner/repo, quoting it', () => {
    for (const organization of ['https://github.com/acme', 'acme/connectors', '-acme', 'ac_me', 'a'.repeat(40)]) {
      const err = expectInputError({ organization }, 'organization', /login only/);
      expect(err.message).toContain(`"${organization}"`);
    }
  });

  it('accepts an organization login of 39 characters with dashes', () => {
    const organization = `a${'-b'.repeat(19)}`;
    expect(organization).toHaveLength(39);
    expect(readInputs(source({ organization })).scope).toEqual({ kind: 'organization', organization });
  });
});

describe('readInputs: booleans (verify, revoke-previous, dry-run)', () => {
  const tracked = { 'credential-id-variable': 'C1_CREDENTIAL_ID' };

  it('defaults verify to true, revoke-previous and dry-run to false', () => {
    const inputs = readInputs(source());
    expect(inputs.verify).toBe(true);
    expect(inputs.revokePrevious).toBe(false);
    expect(inputs.dryRun).toBe(false);
  });

  it('reads the YAML 1.2 core spellings true/True/TRUE and false/False/FALSE', () => {
    for (const yes of ['true', 'True', 'TRUE']) {
      const inputs = readInputs(source({ ...tracked, verify: yes, 'revoke-previous': yes, 'dry-run': yes }));
      expect([inputs.verify, inputs.revokePrevious, inputs.dryRun]).toEqual([true, 'now', true]);
    }
    for (const no of ['false', 'False', 'FALSE']) {
      const inputs = readInputs(source({ ...tracked, verify: no, 'revoke-previous': no, 'dry-run': no }));
      expect([inputs.verify, inputs.revokePrevious, inputs.dryRun]).toEqual([false, false, false]);
    }
  });

  it('trims a boolean before reading it', () => {
    expect(readInputs(source({ 'dry-run': ' true\n' })).dryRun).toBe(true);
  });

  it('refuses anything else as a boolean, naming the input and quoting the value', () => {
    for (const input of ['verify', 'dry-run']) {
      for (const value of ['yes', 'no', '1', '0', 'on', 'tRUE', 'ture']) {
        const err = expectInputError({ ...tracked, [input]: value }, input, /is not a boolean: use true or false/);
        expect(err.message).toContain(`"${value}"`);
      }
    }
  });
});

describe('readInputs: revoke-previous', () => {
  it('reads next-run, and refuses anything that is neither a boolean nor next-run, quoting it', () => {
    expect(
      readInputs(source({ 'credential-id-variable': 'C1_CREDENTIAL_ID', 'revoke-previous': 'next-run' }))
        .revokePrevious,
    ).toBe('next-run');
    for (const value of ['yes', 'next', 'Next-Run', 'later', '1']) {
      const err = expectInputError(
        { 'previous-credential-id': 'cred-1', 'revoke-previous': value },
        'revoke-previous',
        /is not true, false or next-run\.$/,
      );
      expect(err.message).toContain(`"${value}"`);
    }
  });

  it('refuses next-run without credential-id-variable: the kept credential is recorded beside it', () => {
    expectInputError(
      { 'revoke-previous': 'next-run', 'previous-credential-id': 'cred-1' },
      'revoke-previous',
      /set credential-id-variable/,
    );
  });

  it('refuses next-run with verify: false, as it does true', () => {
    expectInputError(
      { 'revoke-previous': 'next-run', 'credential-id-variable': 'V', verify: 'false' },
      'revoke-previous',
      /needs verify: true/,
    );
  });
  it('reads keep-previous-for as a duration, 6h when not given, and refuses anything else naming it', () => {
    expect(readInputs(source({})).keepPreviousFor).toEqual({ text: '6h', ms: 6 * 3_600_000 });
    expect(readInputs(source({ 'keep-previous-for': '90s' })).keepPreviousFor).toEqual({ text: '90s', ms: 90_000 });
    expect(readInputs(source({ 'keep-previous-for': '1d' })).keepPreviousFor.ms).toBe(86_400_000);
    for (const value of ['6 hours', '0h', '-1h', 'PT6H'])
      expectInputError({ 'keep-previous-for': value }, 'keep-previous-for', /is not a duration: use a whole number/);
  });
});

describe('readInputs: deploy-workflows, deploy-inputs, deploy-timeout', () => {
  it('reads references like a reusable workflow uses:, newline or comma separated, dropping repeats', () => {
    const inputs = readInputs(
      source({
        repositories: 'acme/baton-okta, acme/ops',
        'deploy-workflows':
          'acme/baton-okta/.github/workflows/deploy.yml@main,\n acme/ops/.github/workflows/roll.yaml@v1.2.3\nacme/baton-okta/.github/workflows/deploy.yml@main',
      }),
    );
    expect(inputs.deployWorkflows).toEqual([
      {
        owner: 'acme',
        repo: 'baton-okta',
        file: 'deploy.yml',
        ref: 'main',
        label: 'acme/baton-okta/.github/workflows/deploy.yml@main',
      },
      {
        owner: 'acme',
        repo: 'ops',
        file: 'roll.yaml',
        ref: 'v1.2.3',
        label: 'acme/ops/.github/workflows/roll.yaml@v1.2.3',
      },
    ]);
    expect(inputs.deployTimeout).toEqual({ text: '30m', ms: 1_800_000 });
    expect(inputs).not.toHaveProperty('deployInputs');
  });

  it('refuses a reference that is not OWNER/REPO/.github/workflows/FILE.yml@REF, before any request', () => {
    for (const value of [
      'acme/baton-okta/deploy.yml@main',
      'acme/baton-okta/.github/workflows/deploy.yml',
      'acme/baton-okta/.github/workflows/deploy.yml@',
      'acme/baton-okta/.github/workflows/deploy.txt@main',
      'acme/../.github/workflows/deploy.yml@main',
      'acme/baton-okta/.github/workflows/deploy.yml@../main',
      'acme/baton-okta/.github/workflows/deploy.yml@-x',
      'acme/baton-okta/.github/workflows/deploy.yml@main x',
      'acme/baton-okta/.github/workflows/sub/deploy.yml@main',
    ]) {
      const err = expectInputError(
        { 'deploy-workflows': value },
        'deploy-workflows',
        /is not a workflow reference: use OWNER\/REPO\/\.github\/workflows\/FILE\.yml@REF/,
      );
      expect(err.message).toContain(`"${value}"`);
    }
  });

  it('reads deploy-inputs as a JSON object of strings, numbers and booleans', () => {
    const inputs = readInputs(
      source({
        repositories: 'acme/a',
        'deploy-workflows': 'acme/a/.github/workflows/d.yml@main',
        'deploy-inputs': '{"environment":"prod","replicas":2,"dry":false}',
      }),
    );
    expect(inputs.deployInputs).toEqual({ environment: 'prod', replicas: 2, dry: false });
  });

  it('refuses deploy-inputs that are not a JSON object of simple values, or more than 25, or without a workflow', () => {
    const workflow = { repositories: 'acme/a', 'deploy-workflows': 'acme/a/.github/workflows/d.yml@main' };
    expectInputError({ ...workflow, 'deploy-inputs': '{env: prod}' }, 'deploy-inputs', /is not JSON/);
    expectInputError({ ...workflow, 'deploy-inputs': '["prod"]' }, 'deploy-inputs', /must be a JSON object/);
    expectInputError(
      { ...workflow, 'deploy-inputs': '{"a":{"b":1}}' },
      'deploy-inputs',
      /the value of "a" must be a string, number or boolean/,
    );
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`k${i}`, 'v'])));
    expectInputError(
      { ...workflow, 'deploy-inputs': many },
      'deploy-inputs',
      /has 26 inputs; a workflow dispatch takes at most 25 \(10 on GitHub Enterprise Server 3\.17 to 3\.19\)/,
    );
    expectInputError({ 'deploy-inputs': '{}' }, 'deploy-inputs', /deploy-workflows is empty/);
  });

  it('refuses a deploy workflow in a repository that receives none of the secrets', () => {
    const err = expectInputError(
      { repositories: 'acme/connectors', 'deploy-workflows': 'acme/baton-okta/.github/workflows/deploy.yml@main' },
      'deploy-workflows',
    );
    expect(err.message).toBe(
      "Input deploy-workflows: acme/baton-okta/.github/workflows/deploy.yml@main runs in acme/baton-okta, which receives none of this run's secrets (repositories: acme/connectors): it would deploy the previous credential, which revoke-previous would then revoke. Add acme/baton-okta to repositories, or list the deploy workflow of a repository there.",
    );
    // Environment secrets live in the listed repositories too; GitHub's names are case-insensitive.
    const inputs = readInputs(
      source({
        repositories: 'Acme/Baton-Okta',
        environment: 'production',
        'deploy-workflows': 'acme/baton-okta/.github/workflows/deploy.yml@main',
      }),
    );
    expect(inputs.deployWorkflows).toHaveLength(1);
  });

  it('takes any repository of the organization for organization secrets (their visibility is read later), and refuses another owner', () => {
    const org = { organization: 'acme', repositories: 'acme/connectors' };
    expect(
      readInputs(source({ ...org, 'deploy-workflows': 'acme/ops/.github/workflows/d.yml@main' })).deployWorkflows,
    ).toHaveLength(1);
    expectInputError(
      { ...org, 'deploy-workflows': 'other/ops/.github/workflows/d.yml@main' },
      'deploy-workflows',
      /runs in other\/ops, outside the organization acme whose secrets this run writes/,
    );
  });

  it('refuses the workflow that runs this action (GITHUB_WORKFLOW_REF), on whichever ref', () => {
    const env = { GITHUB_WORKFLOW_REF: 'acme/connectors/.github/workflows/rotate.yml@refs/heads/main' };
    for (const ref of ['main', 'release']) {
      const err = inputErrorOf(() =>
        readInputs(source({ 'deploy-workflows': `ACME/connectors/.github/workflows/rotate.yml@${ref}` }, false, env)),
      );
      expect(err.message).toMatch(/^Input deploy-workflows: .* is the workflow running this action/);
    }
    const other = { 'deploy-workflows': 'acme/connectors/.github/workflows/deploy.yml@main' };
    expect(readInputs(source(other, false, env)).deployWorkflows).toHaveLength(1);
  });

  it('reads deploy-timeout in seconds, minutes, hours, days or weeks', () => {
    const workflow = { repositories: 'acme/a', 'deploy-workflows': 'acme/a/.github/workflows/d.yml@main' };
    expect(readInputs(source({ ...workflow, 'deploy-timeout': '90s' })).deployTimeout).toEqual({
      text: '90s',
      ms: 90_000,
    });
    expect(readInputs(source({ ...workflow, 'deploy-timeout': '2h' })).deployTimeout).toEqual({
      text: '2h',
      ms: 7_200_000,
    });
    expectInputError({ ...workflow, 'deploy-timeout': 'soon' }, 'deploy-timeout', /not a duration/);
  });
});

describe('readInputs: credential tracking (credential-id-variable, previous-credential-id)', () => {
  it('leaves both empty by default', () => {
    const inputs = readInputs(source());
    expect(inputs.credentialIdVariable).toBe('');
    expect(inputs.previousCredentialId).toBe('');
  });

  it('keeps a valid credential-id-variable and previous-credential-id', () => {
    const inputs = readInputs(
      source({ 'credential-id-variable': 'C1_CREDENTIAL_ID', 'previous-credential-id': '2Xk9.cred_1-a' }),
    );
    expect(inputs.credentialIdVariable).toBe('C1_CREDENTIAL_ID');
    expect(inputs.previousCredentialId).toBe('2Xk9.cred_1-a');
  });

  it('refuses a credential-id-variable that is not a valid variable name, quoting it', () => {
    for (const name of ['1ID', 'GITHUB_CRED', 'github_cred', 'C1-CREDENTIAL', 'C1 CREDENTIAL']) {
      const err = expectInputError(
        { 'credential-id-variable': name },
        'credential-id-variable',
        /not a valid variable name/,
      );
      expect(err.message).toContain(`"${name}"`);
    }
  });

  it('refuses a previous-credential-id that could change a URL path', () => {
    for (const id of ['cred/1', '../cred', 'cred?x=1', 'cred 1', '.', '..', '.hidden', 'cred\u0000']) {
      expectInputError(
        { 'previous-credential-id': id },
        'previous-credential-id',
        /is not a ConductorOne credential ID/,
      );
    }
  });
});

describe('readInputs: what revoke-previous and rotate-if-expires-within need', () => {
  it('refuses revoke-previous when nothing says which credential is the previous one', () => {
    const err = expectInputError(
      { 'revoke-previous': 'true' },
      'revoke-previous',
      /cannot list a connector's credentials/,
    );
    expect(err.message).toContain('credential-id-variable');
    expect(err.message).toContain('previous-credential-id');
  });

  it('accepts revoke-previous with credential-id-variable or with previous-credential-id', () => {
    expect(
      readInputs(source({ 'revoke-previous': 'true', 'credential-id-variable': 'C1_CREDENTIAL_ID' })).revokePrevious,
    ).toBe('now');
    expect(readInputs(source({ 'revoke-previous': 'true', 'previous-credential-id': 'cred-1' })).revokePrevious).toBe(
      'now',
    );
  });

  it('refuses revoke-previous with verify: false, since only a proved credential may replace the previous one', () => {
    expectInputError(
      { 'revoke-previous': 'true', verify: 'false', 'credential-id-variable': 'C1_CREDENTIAL_ID' },
      'revoke-previous',
      /needs verify: true/,
    );
  });

  it('allows verify: false when nothing is revoked', () => {
    expect(readInputs(source({ verify: 'false' })).verify).toBe(false);
  });

  it('refuses rotate-if-expires-within when the current credential is not known', () => {
    const err = expectInputError(
      { 'rotate-if-expires-within': '30d' },
      'rotate-if-expires-within',
      /needs to know the current credential/,
    );
    expect(err.message).toContain('credential-id-variable');
    expect(err.message).toContain('previous-credential-id');
  });

  it('reads rotate-if-expires-within as hours, days or weeks, with either way of tracking the credential', () => {
    const cases: Array<[string, number]> = [
      ['12h', 12 * 3_600_000],
      ['30d', 30 * 86_400_000],
      ['2w', 14 * 86_400_000],
    ];
    for (const [text, ms] of cases) {
      expect(
        readInputs(source({ 'rotate-if-expires-within': text, 'credential-id-variable': 'C1_CREDENTIAL_ID' }))
          .rotateIfExpiresWithin,
      ).toEqual({ text, ms });
      expect(
        readInputs(source({ 'rotate-if-expires-within': text, 'previous-credential-id': 'cred-1' }))
          .rotateIfExpiresWithin,
      ).toEqual({ text, ms });
    }
  });

  it('leaves rotate-if-expires-within unset when it is empty: every run rotates', () => {
    expect('rotateIfExpiresWithin' in readInputs(source())).toBe(false);
  });

  it('refuses a rotate-if-expires-within that is not a whole number of seconds, minutes, hours, days or weeks', () => {
    for (const value of ['30', 'd', '30ms', '1.5d', '-1d', '0d', '0h', '30 days', '1y', '1234567d']) {
      const err = expectInputError(
        { 'rotate-if-expires-within': value, 'previous-credential-id': 'cred-1' },
        'rotate-if-expires-within',
        /not a duration/,
      );
      expect(err.message).toContain(`"${value}"`);
    }
  });
});

describe('parseDuration', () => {
  it('reads the unit case-insensitively and keeps the text as given', () => {
    expect(parseDuration('x', '2W')).toEqual({ text: '2W', ms: 2 * 604_800_000 });
    expect(parseDuration('x', '1h')).toEqual({ text: '1h', ms: 3_600_000 });
  });

  it('names the input it was given in its error', () => {
    const err = inputErrorOf(() => parseDuration('rotate-if-expires-within', 'soon'));
    expect(err.input).toBe('rotate-if-expires-within');
    expect(err.message).toMatch(/e\.g\. 30m, 12h, 30d or 2w/);
  });
});

describe('readInputs: CONDUCTORONE_ACCESS_TOKEN from the environment', () => {
  const noAuth = { 'client-id': '', 'client-secret': '' };

  it('uses it when no authentication input is given, for the tenant of CONDUCTORONE_CLIENT_ID, masked before anything else', () => {
    const env = {
      CONDUCTORONE_ACCESS_TOKEN: 'env-token-0123456789',
      CONDUCTORONE_CLIENT_ID: 'github-trust@acme.conductor.one/wfe',
    };
    const s = source(noAuth, false, env);
    const inputs = readInputs(s);
    expect(inputs.auth).toEqual({
      kind: 'access-token',
      token: 'env-token-0123456789',
      source: 'CONDUCTORONE_ACCESS_TOKEN',
    });
    expect(inputs.serverUrl.href).toBe('https://acme.conductor.one/');
    expect(s.masked).toContain('env-token-0123456789');
  });

  it('takes the tenant from server-url over CONDUCTORONE_CLIENT_ID', () => {
    const env = { CONDUCTORONE_ACCESS_TOKEN: 'env-token', CONDUCTORONE_CLIENT_ID: 'x@other.conductor.one/wfe' };
    expect(
      readInputs(source({ ...noAuth, 'server-url': 'https://acme.conductor.one' }, false, env)).serverUrl.host,
    ).toBe('acme.conductor.one');
  });

  it('is ignored when an authentication input is given', () => {
    expect(readInputs(source({}, false, { CONDUCTORONE_ACCESS_TOKEN: 'env-token' })).auth.kind).toBe(
      'client-credentials',
    );
  });

  it('refuses it without a tenant, and with a line break, naming what to set', () => {
    expectInputError(
      { ...noAuth },
      'client-id',
      /no ConductorOne authentication is configured: .*conductorone\/oidc-token-action/,
    );
    const missingTenant = inputErrorOf(() =>
      readInputs(source(noAuth, false, { CONDUCTORONE_ACCESS_TOKEN: 'env-token' })),
    );
    expect(missingTenant.input).toBe('server-url');
    const broken = inputErrorOf(() =>
      readInputs(
        source({ ...noAuth, 'server-url': 'https://acme.conductor.one' }, false, { CONDUCTORONE_ACCESS_TOKEN: 'a\nb' }),
      ),
    );
    expect(broken.input).toBe('CONDUCTORONE_ACCESS_TOKEN');
    expect(broken.message).not.toContain('a\nb');
  });
});
