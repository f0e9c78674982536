// ConductorOne as its own SDKs speak to it (conductorone-sdk-go, conductorone-sdk-typescript): a
// User-Agent on every request (GitHub's too), a client assertion with no `typ` header, a tenant
// host without a dot read as NormalizeTenant reads it, and a revoke answered with an empty body
// accepted once a read confirms the credential is gone.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { describe, it } from 'vitest';
import { startFakeProxy } from '../fakes/proxy.js';
import { REPO_ROOT, runAction } from '../fakes/run-action.js';
import { holdCredential, leaks, onlyError, onlyIssued, requestLog, scenarioFor, TOKEN_PATH } from './helpers.js';

const REPO = 'acme/connectors';
const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const USER_AGENT = `conductorone-rotate-credential-action/${VERSION}`;

describe.concurrent('as ConductorOne SDKs speak to ConductorOne', () => {
  it('names the action and its version in the User-Agent of every request, to ConductorOne and to GitHub alike', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    holdCredential(scenario, REPO, previous);

    const result = await scenario.run({ 'revoke-previous': 'true', 'previous-credential-id': previous.id });

    expect(result.code, result.stdout).toBe(0);
    const agents = (fake: typeof scenario.github | typeof scenario.conductorOne) =>
      fake.requests.map((entry) => String(fake.exchange(entry)?.requestHeaders['user-agent']));
    const c1 = agents(scenario.conductorOne);
    expect(c1.length).toBeGreaterThanOrEqual(4); // token, rotate, proof, revoke
    expect(new Set(c1)).toEqual(new Set([USER_AGENT]));
    const github = agents(scenario.github);
    expect(github.length).toBeGreaterThanOrEqual(3); // public key, two writes
    for (const agent of github) expect(agent.startsWith(`${USER_AGENT} `), agent).toBe(true);
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('signs client assertions with no typ header, as the SDKs do', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);

    const result = await scenario.run();

    expect(result.code, result.stdout).toBe(0);
    const assertions = scenario.conductorOne.requests
      .filter((entry) => entry.path === TOKEN_PATH)
      .map((entry) => new URLSearchParams(scenario.conductorOne.exchange(entry)!.requestBody.toString('utf8')))
      .map((form) => form.get('client_assertion') ?? '');
    expect(assertions).toHaveLength(2); // the run's own token and the proof of the new credential
    for (const assertion of assertions) {
      expect(Object.keys(decodeProtectedHeader(assertion)).sort()).toEqual(['alg', 'nonce']);
    }
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('accepts a revoke answered 200 with an empty body once a read shows the credential gone', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    const previous = await scenario.conductorOne.addCredential();
    holdCredential(scenario, REPO, previous);
    scenario.conductorOne.answerRevokesEmpty();

    const result = await scenario.run({ 'revoke-previous': 'true', 'previous-credential-id': previous.id });

    expect(result.code, result.stdout).toBe(0);
    expect(previous.revoked).toBe(true);
    const credential = `/api/v1/apps/${scenario.inputs['app-id']}/connectors/${scenario.inputs['connector-id']}/credentials/${previous.id}`;
    expect(requestLog(scenario.conductorOne).slice(-2)).toEqual([`POST ${credential} 200`, `GET ${credential} 404`]);
    expect(result.outputs['revoked-credential-id']).toBe(previous.id);
    expect(result.summary).toMatch(
      new RegExp(`\\| \`${previous.id}\` \\| previous, replaced \\S+ \\| \\*\\*revoked\\*\\* \\|`),
    );
    expect(leaks(scenario, result)).toEqual([]);
  });

  it('reads a client-ID host without a dot as a tenant of conductor.one (NormalizeTenant), and asks nothing of a public host', async (context) => {
    const { expect } = context;
    const scenario = await scenarioFor(context);
    // The proxy refuses every host that is not loopback (403): the tenant's name is seen, never reached.
    const proxy = await startFakeProxy();
    context.onTestFinished(() => proxy.close());
    const inputs = { ...scenario.inputs, 'client-id': 'rotator@Acme/spc', 'server-url': '' };

    const result = await runAction({ inputs, env: { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });

    expect(result.code).toBe(1);
    expect(new Set(proxy.connects)).toEqual(new Set(['acme.conductor.one:443']));
    expect(onlyError(result)).toContain('Could not reach ConductorOne at acme.conductor.one for a token');
    expect(scenario.conductorOne.issued).toEqual([]);
    expect(() => onlyIssued(scenario)).toThrow();
    expect(leaks(scenario, result)).toEqual([]);
  });
});
