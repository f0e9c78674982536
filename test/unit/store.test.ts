import sodium from 'libsodium-wrappers';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OrgSecretAccess } from '../../src/github/organization.js';
import { repositoryTarget, targetsFor } from '../../src/github/targets.js';
import type { OrganizationTarget, RotatedCredential, Target } from '../../src/model.js';
import { RunProgress } from '../../src/progress.js';
import { sealEverywhere, secretsToWrite, writeEverywhere } from '../../src/store.js';
import { type MockApi, mockApi, rejectionOf } from './mock-api.js';

const GH = 'https://api.github.com';
const one = repositoryTarget({ owner: 'acme', repo: 'one' });
const two = repositoryTarget({ owner: 'acme', repo: 'two' });
const org = targetsFor({ kind: 'organization', organization: 'acme' }, [])[0] as OrganizationTarget;
const credential: RotatedCredential = {
  id: 'cred-new',
  clientId: 'c@acme.conductor.one/ccc',
  clientSecret: 'secret-token:x',
  expiresTime: '',
};
const keys = new Map<Target, { keyId: string; publicKey: Uint8Array; privateKey: Uint8Array }>();

beforeAll(async () => {
  await sodium.ready;
  for (const [target, keyId] of [
    [one, 'key-one'],
    [two, 'key-two'],
    [org, 'key-org'],
  ] as const) {
    const pair = sodium.crypto_box_keypair();
    keys.set(target, { keyId, ...pair });
  }
});

const publicKeys = () =>
  new Map(
    [...keys].map(([target, k]) => [
      target,
      { keyId: k.keyId, key: sodium.to_base64(k.publicKey, sodium.base64_variants.ORIGINAL) },
    ]),
  );
const open = (target: Target, sealed: string) => {
  const k = keys.get(target)!;
  return sodium.to_string(
    sodium.crypto_box_seal_open(sodium.from_base64(sealed, sodium.base64_variants.ORIGINAL), k.publicKey, k.privateKey),
  );
};
const secrets = secretsToWrite({
  clientIdSecretName: 'BATON_CLIENT_ID',
  clientSecretSecretName: 'BATON_CLIENT_SECRET',
});

let api: MockApi;

beforeEach(() => {
  api = mockApi();
});

afterEach(async () => {
  await api.close();
});

describe('secretsToWrite', () => {
  it('writes the client ID first, then the client secret, and only the secret when the client ID is not stored', () => {
    expect(secrets.map((s) => [s.name, s.value(credential)])).toEqual([
      ['BATON_CLIENT_ID', credential.clientId],
      ['BATON_CLIENT_SECRET', credential.clientSecret],
    ]);
    expect(secretsToWrite({ clientIdSecretName: '', clientSecretSecretName: 'S' }).map((s) => s.name)).toEqual(['S']);
  });
});

describe('sealEverywhere', () => {
  it('seals each value for its own target, target by target, and carries an organization secret its access', async () => {
    const access: OrgSecretAccess = { visibility: 'selected', selectedRepositoryIds: [7], origin: 'kept' };
    const orgAccess = new Map([[org as Target, new Map([['BATON_CLIENT_SECRET', access]])]]);
    const writes = await sealEverywhere(
      { targets: [one, org], publicKeys: publicKeys(), orgAccess, secrets },
      credential,
    );

    expect(writes.map((w) => `${w.target.label} ${w.secret} ${w.publicKey.keyId}`)).toEqual([
      'acme/one BATON_CLIENT_ID key-one',
      'acme/one BATON_CLIENT_SECRET key-one',
      'organization acme BATON_CLIENT_ID key-org',
      'organization acme BATON_CLIENT_SECRET key-org',
    ]);
    expect(writes.map((w) => open(w.target, w.encryptedValue))).toEqual([
      credential.clientId,
      credential.clientSecret,
      credential.clientId,
      credential.clientSecret,
    ]);
    expect(writes[3]!.access).toEqual(access);
    expect(writes[2]).not.toHaveProperty('access');
    expect(api.requests).toEqual([]);
  });

  it('refuses a value larger than GitHub keeps, before any write', async () => {
    const huge = { ...credential, clientSecret: 'x'.repeat(49 * 1024) };
    const err = await rejectionOf(
      sealEverywhere({ targets: [one], publicKeys: publicKeys(), orgAccess: new Map(), secrets }, huge),
    );
    expect(err.message).toBe('The value to store is larger than the 48 KB GitHub allows for a secret.');
  });
});

type Pool = ReturnType<MockApi['agent']['get']>;

function servePut(pool: Pool, path: string, reply: ReturnType<MockApi['answer']>) {
  return pool.intercept({ path, method: 'PUT' }).reply(reply);
}

describe('writeEverywhere', () => {
  async function sealed(targets: Target[]) {
    return sealEverywhere({ targets, publicKeys: publicKeys(), orgAccess: new Map(), secrets }, credential);
  }

  it('writes every secret, says created or updated, and records each as stored', async () => {
    const pool = api.agent.get(GH);
    servePut(pool, '/repos/acme/one/actions/secrets/BATON_CLIENT_ID', api.answer(201, {}));
    servePut(pool, '/repos/acme/one/actions/secrets/BATON_CLIENT_SECRET', api.answer(204));
    const progress = new RunProgress();

    const outcomes = await writeEverywhere({ octokit: api.octokit(), concurrency: 4, progress }, await sealed([one]));

    expect(outcomes.map((o) => `${o.target.label} ${o.secret} ${o.result}`)).toEqual([
      'acme/one BATON_CLIENT_ID created',
      'acme/one BATON_CLIENT_SECRET updated',
    ]);
    expect(progress.holdings()).toEqual([{ target: 'acme/one', holds: 'new' }]);
    const body = JSON.parse(api.requests[0]!.body) as { encrypted_value: string; key_id: string };
    expect(body.key_id).toBe('key-one');
    expect(open(one, body.encrypted_value)).toBe(credential.clientId);
  });

  it('lets one refused target fail alone, saying whether GitHub may have stored the value', async () => {
    const pool = api.agent.get(GH);
    servePut(pool, '/repos/acme/one/actions/secrets/BATON_CLIENT_ID', api.answer(201, {}));
    servePut(pool, '/repos/acme/one/actions/secrets/BATON_CLIENT_SECRET', api.answer(201, {}));
    servePut(
      pool,
      '/repos/acme/two/actions/secrets/BATON_CLIENT_ID',
      api.answer(403, { message: 'Resource not accessible by integration' }),
    );
    pool
      .intercept({ path: '/repos/acme/two/actions/secrets/BATON_CLIENT_SECRET', method: 'PUT' })
      .reply(api.answer(500, { message: 'boom' }))
      .persist();
    const progress = new RunProgress();

    const outcomes = await writeEverywhere(
      { octokit: api.octokit(), concurrency: 4, progress },
      await sealed([one, two]),
    );

    expect(outcomes.map((o) => [o.target.label, o.secret, o.result, o.mayBeStored])).toEqual([
      ['acme/one', 'BATON_CLIENT_ID', 'created', undefined],
      ['acme/one', 'BATON_CLIENT_SECRET', 'created', undefined],
      ['acme/two', 'BATON_CLIENT_ID', 'failed', false],
      ['acme/two', 'BATON_CLIENT_SECRET', 'failed', true],
    ]);
    expect(outcomes[2]!.error).toContain('github-token cannot write the secret BATON_CLIENT_ID in acme/two (403');
    expect(progress.holdings()).toEqual([
      { target: 'acme/one', holds: 'new' },
      { target: 'acme/two', holds: 'previous' },
    ]);
  });

  it('keeps at most `concurrency` writes in flight', async () => {
    const pool = api.agent.get(GH);
    for (const repo of ['one', 'two']) {
      for (const name of ['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET']) {
        // Each answer is held for a few event-loop turns, so whatever else the pool sends meanwhile arrives first.
        pool
          .intercept({ path: `/repos/acme/${repo}/actions/secrets/${name}`, method: 'PUT' })
          .reply(...api.answerWhen(() => true, 201, {}));
      }
    }

    const outcomes = await writeEverywhere(
      { octokit: api.octokit(), concurrency: 2, progress: new RunProgress() },
      await sealed([one, two]),
    );

    expect(outcomes.every((o) => o.result === 'created')).toBe(true);
    let inFlight = 0;
    let most = 0;
    for (const event of api.events) {
      inFlight += event.startsWith('>') ? 1 : -1;
      most = Math.max(most, inFlight);
    }
    expect(most).toBe(2);
  });
});
