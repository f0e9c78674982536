import sodium from 'libsodium-wrappers';
import { MockAgent } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ActionError, TransportError } from '../../src/errors.js';
import { createOctokit } from '../../src/github/client.js';
import { describeGitHubError, UndocumentedStatusError } from '../../src/github/errors.js';
import { sealSecret } from '../../src/github/seal.js';
import { readPublicKey, SecretWriteError, writeSecret } from '../../src/github/secrets.js';
import { repositoryTarget } from '../../src/github/targets.js';
import { DEFAULT_RETRY_POLICY, Http, MAX_ANSWER_BYTES } from '../../src/http.js';
import type { Target } from '../../src/model.js';
import { fakeClock } from './fake-clock.js';
import { headersOf, type Recorded } from './mock-api.js';

const READ_KEY = { doing: 'read the secrets public key of', permission: 'Secrets' } as const;
const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0);
const TOKEN = 'ghs_installationtoken';
const target = repositoryTarget({ owner: 'acme', repo: 'connectors' });

let keyPair: { publicKey: Uint8Array; privateKey: Uint8Array };
let publicKeyBase64: string;

beforeAll(async () => {
  await sodium.ready;
  keyPair = sodium.crypto_box_keypair();
  publicKeyBase64 = sodium.to_base64(keyPair.publicKey, sodium.base64_variants.ORIGINAL);
});

function open(sealed: string): string {
  const bytes = sodium.from_base64(sealed, sodium.base64_variants.ORIGINAL);
  return sodium.to_string(sodium.crypto_box_seal_open(bytes, keyPair.publicKey, keyPair.privateKey));
}

describe('sealSecret', () => {
  it('produces a sealed box that opens to the value with the target key pair', async () => {
    const sealed = await sealSecret('secret-token:conductorone.com:v1:abc', publicKeyBase64);
    expect(open(sealed)).toBe('secret-token:conductorone.com:v1:abc');
  });

  it('encodes as standard base64 with padding, not URL-safe base64', async () => {
    // 1 byte + 48 bytes of sealed-box overhead = 49: a length that needs "==" padding
    const sealed = await sealSecret('x', publicKeyBase64);
    expect(sealed).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(sealed.endsWith('==')).toBe(true);
    expect(Buffer.from(sealed, 'base64')).toHaveLength(1 + 48);
  });

  it('seals the same value differently every time', async () => {
    expect(await sealSecret('v', publicKeyBase64)).not.toBe(await sealSecret('v', publicKeyBase64));
  });

  it('keeps non-ASCII values intact', async () => {
    expect(open(await sealSecret('clé-✓', publicKeyBase64))).toBe('clé-✓');
  });

  it('refuses a public key that is not base64 of 32 bytes', async () => {
    for (const bad of [
      'not a key!',
      Buffer.alloc(16).toString('base64'),
      '',
      `${sodium.to_base64(keyPair.publicKey, sodium.base64_variants.URLSAFE_NO_PADDING)}!`,
    ]) {
      await expect(sealSecret('value', bad)).rejects.toThrow(ActionError);
    }
    await expect(sealSecret('value', 'AAAA')).rejects.toThrow('not a 32-byte base64 key');
  });

  it('refuses a value larger than 48 KB', async () => {
    await expect(sealSecret('x'.repeat(48 * 1024 + 1), publicKeyBase64)).rejects.toThrow(/48 KB/);
    expect(open(await sealSecret('x'.repeat(48 * 1024), publicKeyBase64))).toHaveLength(48 * 1024);
  });
});

describe('Octokit through the action HTTP policy', () => {
  let agent: MockAgent;
  let clock: ReturnType<typeof fakeClock>;
  let requests: Recorded[];

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    clock = fakeClock(NOW_MS);
    requests = [];
  });

  afterEach(async () => {
    await agent.close();
  });

  function octokit(apiUrl = 'https://api.github.com') {
    return createOctokit(TOKEN, new URL(apiUrl), new Http({ dispatcher: agent, clock, policy: DEFAULT_RETRY_POLICY }));
  }

  function answer(status: number, data: unknown = '', headers: Record<string, string> = {}) {
    return (opts: { method: string; path: string; headers?: unknown; body?: unknown }) => {
      requests.push({
        method: opts.method,
        path: opts.path,
        headers: headersOf(opts.headers),
        body: typeof opts.body === 'string' ? opts.body : '',
      });
      const json = typeof data !== 'string';
      return {
        statusCode: status,
        data: json ? JSON.stringify(data) : data,
        responseOptions: {
          headers: { ...(json ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers },
        },
      };
    };
  }

  const publicKeyPath = '/repos/acme/connectors/actions/secrets/public-key';

  it('explains a network failure as GitHub being unreachable, not as a 500', async () => {
    agent
      .get('https://api.github.com')
      .intercept({ path: publicKeyPath })
      .replyWithError(new Error('socket hang up'))
      .times(4);
    const err = (await readPublicKey(octokit(), target).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toMatch(/^Could not reach GitHub for acme\/connectors: .*github-api-url/);
  });
  describe('the answer limit (MAX_ANSWER_BYTES), at its edge', () => {
    /** A JSON answer of exactly `bytes` bytes: one string, the shape that parses last. */
    const jsonOf = (bytes: number) => `{"key":"${'A'.repeat(bytes - 10)}"}`;

    async function readAnswer(bytes: number, http: Http): Promise<unknown> {
      agent
        .get('https://api.github.com')
        .intercept({ path: '/big' })
        .reply(200, jsonOf(bytes), { headers: { 'content-type': 'application/json; charset=utf-8' } });
      const client = createOctokit(TOKEN, new URL('https://api.github.com'), http);
      return (await client.request('GET /big')).data;
    }

    it('parses a JSON answer of exactly MAX_ANSWER_BYTES (8 MB) into an object', async () => {
      expect(jsonOf(MAX_ANSWER_BYTES)).toHaveLength(8_000_000);
      const data = await readAnswer(MAX_ANSWER_BYTES, new Http({ dispatcher: agent, clock }));
      expect(typeof data).toBe('object');
      expect((data as { key: string }).key).toHaveLength(MAX_ANSWER_BYTES - 10);
    });

    it('refuses an answer one byte larger, once, saying it is larger than 8 MB', async () => {
      const err = (await readAnswer(MAX_ANSWER_BYTES + 1, new Http({ dispatcher: agent, clock })).catch(
        (e: unknown) => e,
      )) as { cause?: unknown };
      expect(err.cause).toBeInstanceOf(TransportError);
      expect((err.cause as Error).message).toBe(
        'GET api.github.com/big failed: the answer is larger than 8 MB, more than any answer the action asks for',
      );
      expect(clock.waits).toEqual([]);
    });

    it('is set below what Octokit parses: a string of 8 MiB comes back from it as text, not an object', async () => {
      const roomy = new Http({ dispatcher: agent, clock, maxAnswerBytes: 9_000_000 });
      expect(typeof (await readAnswer(8_388_574 + 10, roomy))).toBe('string');
    });
  });

  const secretPath = '/repos/acme/connectors/actions/secrets/BATON_CLIENT_SECRET';

  it('reads the repository public key from api.github.com with the token', async () => {
    agent
      .get('https://api.github.com')
      .intercept({ path: publicKeyPath })
      .reply(answer(200, { key_id: '568250167242549743', key: publicKeyBase64 }));
    expect(await readPublicKey(octokit(), target)).toEqual({ keyId: '568250167242549743', key: publicKeyBase64 });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.method).toBe('GET');
    expect(requests[0]!.headers.authorization).toMatch(new RegExp(`^(token|bearer) ${TOKEN}$`, 'i'));
    expect(requests[0]!.headers['user-agent']).toMatch(/^conductorone-rotate-credential-action\/\d+\.\d+\.\d+\S* /);
    agent.assertNoPendingInterceptors();
  });

  it('writes a sealed secret with its key id and answers created on 201', async () => {
    agent.get('https://api.github.com').intercept({ path: secretPath, method: 'PUT' }).reply(answer(201, {}));
    const sealed = await sealSecret('new-secret', publicKeyBase64);
    const result = await writeSecret(octokit(), target, 'BATON_CLIENT_SECRET', sealed, {
      keyId: 'k-1',
      key: publicKeyBase64,
    });
    expect(result).toBe('created');
    const body = JSON.parse(requests[0]!.body) as { encrypted_value: string; key_id: string };
    expect(body).toEqual({ encrypted_value: sealed, key_id: 'k-1' });
    expect(open(body.encrypted_value)).toBe('new-secret');
    agent.assertNoPendingInterceptors();
  });

  it('answers updated on 204', async () => {
    agent.get('https://api.github.com').intercept({ path: secretPath, method: 'PUT' }).reply(answer(204));
    const result = await writeSecret(octokit(), target, 'BATON_CLIENT_SECRET', 'c2VhbGVk', {
      keyId: 'k-1',
      key: publicKeyBase64,
    });
    expect(result).toBe('updated');
  });

  it('uses the GHES base URL, keeping /api/v3 in every path', async () => {
    const pool = agent.get('https://ghe.example.com');
    pool.intercept({ path: `/api/v3${publicKeyPath}` }).reply(answer(200, { key_id: 'ghes-1', key: publicKeyBase64 }));
    pool.intercept({ path: `/api/v3${secretPath}`, method: 'PUT' }).reply(answer(204));
    const client = octokit('https://ghe.example.com/api/v3');
    const key = await readPublicKey(client, target);
    expect(key.keyId).toBe('ghes-1');
    expect(await writeSecret(client, target, 'BATON_CLIENT_SECRET', 'c2VhbGVk', key)).toBe('updated');
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v3${publicKeyPath}`,
      `PUT /api/v3${secretPath}`,
    ]);
    agent.assertNoPendingInterceptors();
  });

  it('retries a 502 on the idempotent PUT through the shared policy', async () => {
    const pool = agent.get('https://api.github.com');
    pool.intercept({ path: secretPath, method: 'PUT' }).reply(answer(502, 'bad gateway'));
    pool.intercept({ path: secretPath, method: 'PUT' }).reply(answer(204));
    expect(
      await writeSecret(octokit(), target, 'BATON_CLIENT_SECRET', 'c2VhbGVk', { keyId: 'k', key: publicKeyBase64 }),
    ).toBe('updated');
    expect(clock.waits).toHaveLength(1);
  });

  async function failure(
    status: number,
    data: unknown,
    headers: Record<string, string> = {},
    doing: 'read' | 'write' = 'write',
  ): Promise<Error> {
    const pool = agent.get('https://api.github.com');
    if (doing === 'read') {
      pool
        .intercept({ path: publicKeyPath })
        .reply(answer(status, data, headers))
        .persist();
      return (await readPublicKey(octokit(), target).catch((e: unknown) => e)) as Error;
    }
    pool
      .intercept({ path: secretPath, method: 'PUT' })
      .reply(answer(status, data, headers))
      .persist();
    return (await writeSecret(octokit(), target, 'BATON_CLIENT_SECRET', 'c2VhbGVk', {
      keyId: 'k',
      key: publicKeyBase64,
    }).catch((e: unknown) => e)) as Error;
  }

  it('explains a 401 as a refused github-token', async () => {
    const err = await failure(401, { message: 'Bad credentials' }, {}, 'read');
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain('GitHub refused github-token for acme/connectors (401 Bad credentials)');
    expect(err.message).toMatch(/expired or revoked/);
    expect(err.message).not.toContain(TOKEN);
  });

  it('explains a 403 on a write: the Secrets permission, and that GITHUB_TOKEN cannot write secrets', async () => {
    const err = await failure(403, { message: 'Resource not accessible by integration' });
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain('acme/connectors');
    expect(err.message).toContain('BATON_CLIENT_SECRET');
    expect(err.message).toContain('403 Resource not accessible by integration');
    expect(err.message).toMatch(/Secrets read and write permission/);
    expect(err.message).toContain('GITHUB_TOKEN');
    expect(requests).toHaveLength(1);
  });

  it('explains a 403 on the public key read the same way', async () => {
    const err = await failure(403, { message: 'Resource not accessible by integration' }, {}, 'read');
    expect(err.message).toContain('cannot read the secrets public key of acme/connectors');
    expect(err.message).toContain('GITHUB_TOKEN');
  });

  it('explains a 404 as a missing repository or one the token cannot see', async () => {
    const err = await failure(404, { message: 'Not Found' }, {}, 'read');
    expect(err.message).toContain('acme/connectors');
    expect(err.message).toContain('404 Not Found');
    expect(err.message).toMatch(/check the name in repositories/);
    expect(requests).toHaveLength(1);
  });

  it('explains a 422 with the target and the status', async () => {
    const err = await failure(422, { message: 'Bad request: key_id is not valid' });
    expect(err.message).toBe(
      'GitHub could not write the secret BATON_CLIENT_SECRET in acme/connectors (422 Bad request: key_id is not valid).',
    );
  });

  it('explains a rate-limited 403 that outlasts the wait as a rate limit, not a permission problem', async () => {
    const reset = String(NOW_MS / 1000 + 3_600);
    const err = await failure(
      403,
      { message: 'API rate limit exceeded' },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
    );
    expect(err.message).toContain('rate-limited');
    expect(err.message).toContain('acme/connectors');
    expect(err.message).toMatch(/re-run later/);
    expect(err.message).not.toContain('GITHUB_TOKEN');
    expect(requests).toHaveLength(1);
    expect(clock.waits).toEqual([]);
  });

  for (const [status, mayBeStored] of [
    [200, true],
    [202, true],
    [301, false],
    [307, false],
  ] as const) {
    it(`counts a ${status} on a secret write as not stored (only 201 and 204 are); may it have stored the value? ${mayBeStored}`, async () => {
      const redirect = status >= 300;
      const err = await failure(
        status,
        redirect ? '' : '<html>proxy</html>',
        redirect ? { location: 'https://evil.example/x' } : { 'content-type': 'text/html' },
      );
      expect(err).toBeInstanceOf(SecretWriteError);
      expect((err as SecretWriteError).mayBeStored).toBe(mayBeStored);
      if (status === 301) {
        expect(err.message).toMatch(/^Repository acme\/connectors moved \(301\): .* so it did not count as done\./);
      } else {
        expect(err.message).toContain(
          `GitHub answered the attempt to write the secret BATON_CLIENT_SECRET in acme/connectors with status ${status}`,
        );
        expect(err.message).toContain('not the documented 201 or 204, so it did not count as done');
      }
      expect(err.message).not.toContain('proxy</html>');
      expect(requests).toHaveLength(1);
    });
  }

  it('says a write refused with a 4xx stored nothing, and one still answered 500 after the retries may have', async () => {
    expect(((await failure(422, { message: 'bad key' })) as SecretWriteError).mayBeStored).toBe(false);
    expect(((await failure(401, { message: 'Bad credentials' })) as SecretWriteError).mayBeStored).toBe(false);
    const other = { ...target, repo: 'other', label: 'acme/other' };
    agent
      .get('https://api.github.com')
      .intercept({ path: '/repos/acme/other/actions/secrets/S', method: 'PUT' })
      .reply(answer(500, { message: 'boom' }))
      .persist();
    const err = (await writeSecret(octokit(), other, 'S', 'c2VhbGVk', { keyId: 'k', key: publicKeyBase64 }).catch(
      (e: unknown) => e,
    )) as SecretWriteError;
    expect(err.mayBeStored).toBe(true);
    expect(err.message).toBe('GitHub could not write the secret S in acme/other (500 boom).');
  });

  it('refuses a public key that could not seal, before anything rotates', async () => {
    for (const body of [
      { key_id: 'k', key: 'a2V5' },
      { key_id: 'k\n::x', key: publicKeyBase64 },
      { key: publicKeyBase64 },
      '<html></html>',
    ]) {
      agent.get('https://api.github.com').intercept({ path: publicKeyPath }).reply(answer(200, body));
      const err = (await readPublicKey(octokit(), target).catch((e: unknown) => e)) as Error;
      expect(err.message).toBe(
        'GitHub answered the read of the secrets public key of acme/connectors without a key_id and a 32-byte base64 key: check github-api-url and any proxy between the runner and GitHub.',
      );
    }
  });

  it('keeps a GitHub message on one line, with nothing shaped like a token', async () => {
    const err = await failure(422, { message: 'bad\n::warning::x token ghs_abcdefghijklmnopqrstuvwxyz0123' });
    expect(err.message).toBe(
      'GitHub could not write the secret BATON_CLIENT_SECRET in acme/connectors (422 bad ::warning::x token (redacted)).',
    );
  });

  it('waits out a short rate limit and then writes', async () => {
    const pool = agent.get('https://api.github.com');
    pool
      .intercept({ path: secretPath, method: 'PUT' })
      .reply(answer(403, { message: 'secondary' }, { 'retry-after': '3' }));
    pool.intercept({ path: secretPath, method: 'PUT' }).reply(answer(201, {}));
    expect(
      await writeSecret(octokit(), target, 'BATON_CLIENT_SECRET', 'c2VhbGVk', { keyId: 'k', key: publicKeyBase64 }),
    ).toBe('created');
    expect(clock.waits).toEqual([3_000]);
  });

  describe('before Octokit has loaded', () => {
    /** An Octokit that loads only once `load()` is called, as the session's does after the token request. */
    function held() {
      let load: () => void = () => {};
      const loadAfter = new Promise<void>((resolve) => {
        load = resolve;
      });
      const http = new Http({ dispatcher: agent, clock, policy: DEFAULT_RETRY_POLICY });
      return { octokit: createOctokit(TOKEN, new URL('https://api.github.com'), http, { loadAfter }), load };
    }

    const until = async (done: () => boolean) => {
      for (let i = 0; i < 1_000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
      expect(done()).toBe(true);
    };

    it('sends a GET at once, with the headers Octokit sends, and hands Octokit that answer', async () => {
      agent
        .get('https://api.github.com')
        .intercept({ path: publicKeyPath })
        .reply(answer(200, { key_id: 'kid', key: publicKeyBase64 }));
      const { octokit, load } = held();
      const reading = readPublicKey(octokit, target);
      await until(() => requests.length === 1);
      expect(requests[0]).toMatchObject({ method: 'GET', path: publicKeyPath });
      expect(requests[0]!.headers).toMatchObject({
        authorization: `token ${TOKEN}`,
        accept: 'application/vnd.github.v3+json',
      });
      expect(requests[0]!.headers['user-agent']).toMatch(
        /^conductorone-rotate-credential-action\/\d+\.\d+\.\d+\S* octokit-endpoint\.js\//,
      );
      load();
      // One request in all: the interceptor answers once, and a second request would find none.
      expect(await reading).toEqual({ keyId: 'kid', key: publicKeyBase64 });
      expect(requests).toHaveLength(1);
    });

    it('fills the route parameters and the query as Octokit does, so Octokit takes the same request', async () => {
      const path = '/repos/acme/connectors/environments/prod%20eu/variables/BATON_ID?per_page=5';
      agent
        .get('https://api.github.com')
        .intercept({ path })
        .reply(answer(200, { name: 'BATON_ID', value: 'cred-1' }));
      const { octokit, load } = held();
      const reading = octokit.request('GET /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}', {
        owner: 'acme',
        repo: 'connectors',
        environment_name: 'prod eu',
        name: 'BATON_ID',
        per_page: 5,
      });
      await until(() => requests.length === 1);
      load();
      expect((await reading).data).toEqual({ name: 'BATON_ID', value: 'cred-1' });
      expect(requests.map((r) => r.path)).toEqual([path]);
    });

    it("raises Octokit's own error for an early GET GitHub refused", async () => {
      agent
        .get('https://api.github.com')
        .intercept({ path: publicKeyPath })
        .reply(answer(404, { message: 'Not Found' }));
      const { octokit, load } = held();
      const reading = readPublicKey(octokit, target).catch((e: unknown) => e);
      await until(() => requests.length === 1);
      load();
      expect(String(await reading)).toMatch(
        /^ActionError: Repository acme\/connectors was not found.*\(404 Not Found\)/,
      );
    });

    it('holds every other request until Octokit has loaded', async () => {
      const secretPath = '/repos/acme/connectors/actions/secrets/BATON_CLIENT_SECRET';
      agent.get('https://api.github.com').intercept({ path: secretPath, method: 'PUT' }).reply(answer(201, {}));
      const { octokit, load } = held();
      const writing = writeSecret(octokit, target, 'BATON_CLIENT_SECRET', 'c2VhbGVk', { keyId: 'k', key: 'x' });
      for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(requests).toHaveLength(0);
      load();
      expect(await writing).toBe('created');
      expect(requests.map((r) => r.method)).toEqual(['PUT']);
    });

    it('sends a GitHub App JWT as a bearer token, as Octokit does', async () => {
      const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2lnbmF0dXJl';
      agent
        .get('https://api.github.com')
        .intercept({ path: publicKeyPath })
        .reply(answer(200, { key_id: 'kid', key: publicKeyBase64 }));
      const http = new Http({ dispatcher: agent, clock, policy: DEFAULT_RETRY_POLICY });
      await readPublicKey(createOctokit(jwt, new URL('https://api.github.com'), http), target);
      expect(requests[0]!.headers.authorization).toBe(`bearer ${jwt}`);
    });
  });
});

describe('describeGitHubError', () => {
  function requestError(status: number, message: string, headers: Record<string, string> = {}) {
    return Object.assign(new Error(message), { status, response: { data: { message }, headers } });
  }

  it('wraps a TransportError with the target', () => {
    const err = describeGitHubError(
      new TransportError('GET api.github.com/x failed: network error ECONNRESET', true),
      target,
      READ_KEY,
    ) as Error;
    expect(err).toBeInstanceOf(ActionError);
    expect(err.message).toContain('acme/connectors');
    expect(err.message).toContain('ECONNRESET');
  });

  it('passes through errors that are not request errors', () => {
    const bug = new TypeError('boom');
    expect(describeGitHubError(bug, target, READ_KEY)).toBe(bug);
  });

  it('treats a 429 with retry-after as a rate limit', () => {
    const err = describeGitHubError(requestError(429, 'slow down', { 'retry-after': '600' }), target, {
      doing: 'write the secret BATON_CLIENT_ID in',
      permission: 'Secrets',
    }) as Error;
    expect(err.message).toBe(
      'GitHub rate-limited the attempt to write the secret BATON_CLIENT_ID in acme/connectors (429 slow down) longer than this action waits; re-run later.',
    );
  });

  it('says a repository that answers 301 moved (renamed or transferred), and where to change its name', () => {
    const moved = describeGitHubError(new UndocumentedStatusError(301, [200]), target, READ_KEY) as Error;
    expect(moved).toBeInstanceOf(ActionError);
    expect(moved.message).toBe(
      'Repository acme/connectors moved (301): GitHub answered the attempt to read the secrets public key of acme/connectors with its new location, which the action never follows, so it did not count as done. It was renamed or transferred: use its new name in repositories.',
    );
    const deploy = describeGitHubError(new UndocumentedStatusError(301, [200]), target, {
      doing: 'read the deploy workflow deploy.yml (@main) in',
      permission: 'Actions',
      input: 'deploy-workflows',
    }) as Error;
    expect(deploy.message).toMatch(/moved \(301\).*use its new name in deploy-workflows\.$/);
    const org: Target = { kind: 'organization', org: 'acme', repositories: [], label: 'organization acme' };
    expect((describeGitHubError(new UndocumentedStatusError(301, [200]), org, READ_KEY) as Error).message).toMatch(
      /^Organization acme moved \(301\).*It was renamed: use its new name in organization\.$/,
    );
  });

  it('shows the status alone when GitHub gave no message', () => {
    const err = describeGitHubError(Object.assign(new Error('x'), { status: 500 }), target, READ_KEY) as Error;
    expect(err.message).toBe('GitHub could not read the secrets public key of acme/connectors (500).');
  });
});
