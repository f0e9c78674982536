// The stack's own floor, for `npm run bench`: the action's packages doing the action's four round
// trips with nothing of the action around them (no input checks, no Octokit, no @actions/core, no
// masks, outputs or summary). The bench bundles it as the action is bundled and runs it against a
// loopback server that answers every request with {} after the same latency, so its time over
// `node -e 0` + 4 round trips is what Node, undici, jose and libsodium cost by themselves.
// Env: URL (the server), JWK (an Ed25519 private JWK to sign with).
import { setFlagsFromString } from 'node:v8';
import { importJWK, SignJWT } from 'jose';
// The parts of undici the action's bundle holds, with the request API on every dispatcher.
import { EnvHttpProxyAgent } from '../bundle/undici.js';

// As the action does (src/main.ts), so that both end alike.
setFlagsFromString('--liftoff-only');
const dispatcher = new EnvHttpProxyAgent();
const { origin } = new URL(process.env.URL ?? '');
const jwk = JSON.parse(process.env.JWK ?? '{}');

async function call(method, path, body) {
  const headers = body === undefined ? {} : { 'content-type': 'application/json' };
  const answer = await dispatcher.request({ origin, path, method, headers, body });
  return answer.body.text();
}

async function token() {
  const key = await importJWK(jwk, 'EdDSA');
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).setIssuer('x').sign(key);
  return call('POST', '/auth/v1/token', JSON.stringify({ client_assertion: assertion }));
}

// 1. The token, with the public key read beside it.
await Promise.all([call('GET', '/public-key'), token()]);
// 2. The rotation, while libsodium loads.
const sodium = import('libsodium-wrappers').then(async ({ default: loaded }) => {
  await loaded.ready;
  return loaded;
});
await call('POST', '/rotate', '{}');
// 3. The proof, while the secrets are sealed.
const proof = token();
const s = await sodium;
const { publicKey } = s.crypto_box_keypair();
const seal = (value) => s.to_base64(s.crypto_box_seal(value, publicKey), s.base64_variants.ORIGINAL);
const sealed = [seal('client-id'), seal('client-secret')];
await proof;
// 4. The writes.
await Promise.all(sealed.map((value, i) => call('PUT', `/secrets/${i}`, JSON.stringify({ encrypted_value: value }))));
await dispatcher.destroy();
process.exit();
