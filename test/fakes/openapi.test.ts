// The fake GitHub against GitHub's own OpenAPI description (@octokit/openapi,
// api.github.com.deref.json): every answer the action can get from the endpoints it uses, and
// every request body sent to them (by these tests and by the bundled action), must be valid for
// that path, method and status. A fake that only agrees with our own reading of the docs could
// pass a test the real API would fail.
// https://github.com/github/rest-api-description
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import sodium from 'libsodium-wrappers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { envScope, type FakeGitHub, orgScope, repoScope, startFakeGitHub } from './github.js';
import { GHES_VERSION, type Platform } from './github-workflows.js';
import type { RequestLogEntry } from './log.js';
import { runAction } from './run-action.js';
import { type Scenario, startScenario } from './scenario.js';

// ---- the description ------------------------------------------------------------------------

/** The part of an OpenAPI 3.0 document these checks read. */
interface MediaTypes {
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId: string;
  requestBody?: MediaTypes;
  responses: Record<string, MediaTypes>;
}
type Schema = Record<string, unknown>;
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

/** The description each fake answers by: github.com's, or GHES 3.19's for a fake that answers as that server. */
const DESCRIPTIONS: Record<Platform, string> = {
  'github.com': 'api.github.com.deref.json',
  'ghes-3.19': 'ghes-3.19.deref.json',
};
const JSON_TYPE = 'application/json';
/** GitHub answers errors the operation does not list with these shared schemas (validation-error(-simple) for 422). */
const ERROR_SCHEMA_TITLES: Record<number, string[]> = {
  400: ['Basic Error'],
  401: ['Basic Error'],
  403: ['Basic Error'],
  404: ['Basic Error'],
  409: ['Basic Error'],
  422: ['Validation Error', 'Validation Error Simple'],
};

/** One OpenAPI description, read for checks: its paths, their templates, and GitHub's shared error schemas. */
interface Description {
  api: OpenApi;
  templates: Array<{ template: string; segments: string[] }>;
  errorSchemas: Map<string, Schema>;
}
const descriptions = new Map<Platform, Description>();
// OpenAPI 3.0 schemas: `nullable` is an Ajv keyword (it needs `type` beside it); `example` and
// the like are not, so strict mode is off. Formats (uri, date-time, int64) are checked.
const ajv = new Ajv({ strict: false, allErrors: true });
// ajv-formats is CommonJS: its default import is module.exports, whose `default` is the plugin.
ajvFormats.default(ajv);
const validators = new WeakMap<Schema, ValidateFunction>();

async function readDescription(file: string): Promise<Description> {
  const path = createRequire(import.meta.url).resolve(`@octokit/openapi/generated/${file}`);
  const api = JSON.parse(await readFile(path, 'utf8')) as OpenApi;
  const templates = Object.keys(api.paths).map((template) => ({ template, segments: template.split('/').slice(1) }));
  const errorSchemas = new Map<string, Schema>();
  for (const item of Object.values(api.paths)) {
    for (const operation of Object.values(item)) {
      for (const response of Object.values(operation.responses ?? {})) {
        const schema = response.content?.[JSON_TYPE]?.schema;
        const title = schema?.title;
        if (typeof title === 'string' && title.includes('Error') && !errorSchemas.has(title))
          errorSchemas.set(title, schema!);
      }
    }
  }
  return { api, templates, errorSchemas };
}

beforeAll(async () => {
  // About 70 MB each: read once for the whole file.
  for (const [platform, file] of Object.entries(DESCRIPTIONS) as Array<[Platform, string]>) {
    descriptions.set(platform, await readDescription(file));
  }
  await sodium.ready;
}, 120_000);

/** The description the fake answers by. */
const described = (fake: Pick<FakeGitHub, 'platform'>): Description => descriptions.get(fake.platform)!;

function validator(schema: Schema): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  return validate;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ');
}

/** The path template of a request path (without the API prefix): the one with the most literal segments. */
function templateOf(path: string, platform: Platform = 'github.com'): string | undefined {
  const segments = path.split('/').slice(1);
  let best: { template: string; literals: number } | undefined;
  for (const candidate of descriptions.get(platform)!.templates) {
    if (candidate.segments.length !== segments.length) continue;
    let literals = 0;
    const matches = candidate.segments.every((part, i) => {
      if (part.startsWith('{') && part.endsWith('}')) return segments[i] !== '';
      literals += 1;
      return part === segments[i];
    });
    if (matches && (!best || literals > best.literals)) best = { template: candidate.template, literals };
  }
  return best?.template;
}

interface Located {
  label: string;
  operation: Operation;
}

function locate(fake: FakeGitHub, entry: RequestLogEntry): Located | string {
  const prefix = new URL(fake.url).pathname.replace(/\/$/, '');
  const path = entry.path.split('?')[0]!;
  if (!path.startsWith(`${prefix}/`)) return `${entry.method} ${entry.path}: outside the API prefix ${prefix}`;
  const template = templateOf(path.slice(prefix.length), fake.platform);
  const operation =
    template === undefined ? undefined : described(fake).api.paths[template]?.[entry.method.toLowerCase()];
  if (!template || !operation) return `${entry.method} ${entry.path}: no such operation in GitHub's description`;
  return { label: `${entry.method} ${template} (${operation.operationId})`, operation };
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** What is wrong with the request body of a logged request, per its operation's requestBody; [] when valid. */
function requestProblems(fake: FakeGitHub, entry: RequestLogEntry): string[] {
  const located = locate(fake, entry);
  if (typeof located === 'string') return [located];
  const exchange = fake.exchange(entry)!;
  const body = exchange.requestBody.toString('utf8');
  const schema = located.operation.requestBody?.content?.[JSON_TYPE]?.schema;
  if (!schema) return body === '' ? [] : [`${located.label}: takes no request body, got ${body.length} bytes`];
  const type = (exchange.requestHeaders['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== JSON_TYPE) return [`${located.label}: request content-type ${type || 'none'}, not ${JSON_TYPE}`];
  const parsed = parseJson(body);
  if (!parsed) return [`${located.label}: request body is not JSON`];
  const validate = validator(schema);
  return validate(parsed.value) ? [] : [`${located.label} request: ${describeErrors(validate.errors)}`];
}

/** What is wrong with the answer to a logged request, per its operation's responses; [] when valid. */
function responseProblems(fake: FakeGitHub, entry: RequestLogEntry): string[] {
  const located = locate(fake, entry);
  if (typeof located === 'string') return [located];
  const response = fake.exchange(entry)?.response;
  if (!response) return [`${located.label}: no answer was written`];
  const label = `${located.label} ${response.status}`;
  const schemas = responseSchemas(located.operation, response.status, described(fake).errorSchemas);
  if (!schemas) return [`${label}: status not in GitHub's description of the operation`];
  if (schemas.length === 0)
    return response.body === '' ? [] : [`${label}: has no body in the description, got ${response.body.length} bytes`];
  const type = (response.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== JSON_TYPE) return [`${label}: content-type ${type || 'none'}, not ${JSON_TYPE}`];
  const parsed = parseJson(response.body);
  if (!parsed) return [`${label}: body is not JSON`];
  const failures: string[] = [];
  for (const schema of schemas) {
    const problem = schemaProblem(schema, parsed.value, response.status >= 400);
    if (problem === undefined) return [];
    failures.push(problem);
  }
  return [`${label}: ${failures.join(' | ')}`];
}

/**
 * The schemas an answer with this status may match: the operation's own for a status it lists
 * ([] when that answer has no body), else GitHub's shared error schemas; undefined when neither.
 */
function responseSchemas(
  operation: Operation,
  status: number,
  errorSchemas: Map<string, Schema>,
): Schema[] | undefined {
  const declared = operation.responses[String(status)];
  if (declared) return [declared.content?.[JSON_TYPE]?.schema].filter((s) => s !== undefined);
  const fallbacks = (ERROR_SCHEMA_TITLES[status] ?? []).map((title) => errorSchemas.get(title)!);
  return fallbacks.length > 0 ? fallbacks : undefined;
}

/** Why a body does not match one schema (invalid, or with properties it does not describe); undefined when it does. */
function schemaProblem(schema: Schema, value: unknown, isError: boolean): string | undefined {
  const title = String(schema.title ?? 'schema');
  const validate = validator(schema);
  if (!validate(value)) return `${title}: ${describeErrors(validate.errors)}`;
  const extra = undocumented(schema, value, '', isError);
  return extra.length === 0 ? undefined : `${title}: properties the description does not have: ${extra.join(', ')}`;
}

/**
 * Properties of `value` that `schema` does not describe: valid JSON Schema (OpenAPI objects allow
 * additional properties), but a fake that invents fields could pass a test the real API fails.
 * Error bodies may carry `status`: GitHub puts it on every error, the description lists it only
 * in basic-error.
 */
function undocumented(schema: Schema, value: unknown, path: string, isError: boolean): string[] {
  if (Array.isArray(value)) {
    const items = schema.items as Schema | undefined;
    return items ? value.flatMap((item, i) => undocumented(items, item, `${path}/${i}`, isError)) : [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (!properties || schema.additionalProperties !== undefined) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childSchema = properties[key];
    if (childSchema) return undocumented(childSchema, child, `${path}/${key}`, isError);
    return isError && path === '' && key === 'status' ? [] : [`${path}/${key}`];
  });
}

// ---- requests to the fake ---------------------------------------------------------------------

const TOKEN = 'ghs_conformance';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function github(pathPrefix = '', platform: Platform = 'github.com'): Promise<FakeGitHub> {
  const fake = await startFakeGitHub({
    token: TOKEN,
    repositories: { 'acme/app': 'write', 'acme/readonly': 'read', 'octocat/tools': 'write' },
    environments: { 'acme/app': ['prod east'] },
    organizations: { acme: 'write' },
    workflows: { 'acme/app': { 'deploy.yml': { readsInProgress: 1, tags: ['v1'] }, 'ci.yml': {} } },
    pathPrefix,
    platform,
  });
  closers.push(fake.close);
  return fake;
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
  token?: string;
  status: number;
  /** Whether the request body is valid per the description; default true. */
  valid?: boolean;
}

/** Sends a call, then checks its status and both bodies against the description. */
async function check(fake: FakeGitHub, call: Call): Promise<unknown> {
  const response = await fetch(`${fake.url}${call.path}`, {
    method: call.method,
    headers: {
      authorization: `Bearer ${call.token ?? TOKEN}`,
      accept: 'application/vnd.github+json',
      ...(call.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    },
    ...(call.body !== undefined ? { body: typeof call.body === 'string' ? call.body : JSON.stringify(call.body) } : {}),
  });
  const text = await response.text();
  const name = `${call.method} ${call.path} ${JSON.stringify(call.body) ?? ''}`;
  expect(response.status, name).toBe(call.status);
  const entry = fake.requests.at(-1)!;
  expect(responseProblems(fake, entry), name).toEqual([]);
  const problems = requestProblems(fake, entry);
  if (call.valid ?? true) expect(problems, name).toEqual([]);
  else {
    expect(problems, `${name}: the description refuses this body`).not.toEqual([]);
    // What the description refuses, the fake must not accept.
    expect(response.status, name).toBeGreaterThanOrEqual(400);
  }
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

async function sealedFor(
  fake: FakeGitHub,
  base: string,
  value: string,
): Promise<{ encrypted_value: string; key_id: string }> {
  const { key_id, key } = (await check(fake, { method: 'GET', path: `${base}/secrets/public-key`, status: 200 })) as {
    key_id: string;
    key: string;
  };
  const sealed = sodium.crypto_box_seal(value, sodium.from_base64(key, sodium.base64_variants.ORIGINAL));
  return { encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL), key_id };
}

const REPO = '/repos/acme/app/actions';
const ENV = `/repos/acme/app/environments/${encodeURIComponent('prod east')}`;
const ORG = '/orgs/acme/actions';

describe('fake GitHub against the OpenAPI description', () => {
  it('finds the shared error schemas and the operations the action uses', () => {
    expect([...described({ platform: 'github.com' }).errorSchemas.keys()]).toEqual(
      expect.arrayContaining(['Basic Error', 'Validation Error', 'Validation Error Simple']),
    );
    expect(templateOf('/repos/a/b/actions/secrets/public-key')).toBe(
      '/repos/{owner}/{repo}/actions/secrets/public-key',
    );
    expect(templateOf('/repos/a/b/actions/secrets/S')).toBe('/repos/{owner}/{repo}/actions/secrets/{secret_name}');
    expect(templateOf('/repos/a/b')).toBe('/repos/{owner}/{repo}');
    expect(templateOf('/repos/a/b/nothing/here/at/all/x')).toBeUndefined();
  });

  it('answers public keys, secrets and their writes in every scope as described', async () => {
    const fake = await github();
    for (const base of [REPO, ENV, ORG]) {
      const org = base === ORG ? { visibility: 'private' } : {};
      const body = { ...(await sealedFor(fake, base, `value for ${base}`)), ...org };
      await check(fake, { method: 'GET', path: `${base}/secrets/S`, status: 404 });
      expect(await check(fake, { method: 'PUT', path: `${base}/secrets/S`, body, status: 201 })).toEqual({});
      expect(await check(fake, { method: 'PUT', path: `${base}/secrets/S`, body, status: 204 })).toBeUndefined();
      await check(fake, { method: 'GET', path: `${base}/secrets/S`, status: 200 });
    }
    expect(await fake.open(envScope('acme/app', 'prod east'), 'S')).toBe(`value for ${ENV}`);

    // Organization secrets: visibility only, digit-string IDs, and the selected repositories.
    const app = fake.repositoryId('acme/app');
    const tools = fake.repositoryId('octocat/tools');
    await check(fake, {
      method: 'PUT',
      path: `${ORG}/secrets/S`,
      body: { visibility: 'selected', selected_repository_ids: [app, String(tools)] },
      status: 204,
    });
    expect(fake.secrets.get(orgScope('acme'))!.get('S')!.selected_repository_ids).toEqual([app, tools]);
    const meta = (await check(fake, { method: 'GET', path: `${ORG}/secrets/S`, status: 200 })) as Record<
      string,
      unknown
    >;
    expect(meta.selected_repositories_url).toBe(`${fake.url}${ORG}/secrets/S/repositories`);
    const listed = (await check(fake, { method: 'GET', path: `${ORG}/secrets/S/repositories`, status: 200 })) as {
      total_count: number;
    };
    expect(listed.total_count).toBe(2);
    fake.presetSecret(orgScope('acme'), 'UNKNOWN_REPO', { visibility: 'selected', selected_repository_ids: [987654] });
    await check(fake, { method: 'GET', path: `${ORG}/secrets/UNKNOWN_REPO/repositories`, status: 200 });
    fake.presetSecret(orgScope('acme'), 'ALL', { visibility: 'all' });
    expect(await check(fake, { method: 'GET', path: `${ORG}/secrets/ALL/repositories`, status: 200 })).toEqual({
      total_count: 0,
      repositories: [],
    });
  });

  it('answers GET /repos/{owner}/{repo} with a full repository, for organization and user owners, on GitHub.com and GHES paths', async () => {
    for (const prefix of ['', '/api/v3']) {
      const fake = await github(prefix);
      for (const repo of ['acme/app', 'acme/readonly', 'octocat/tools']) {
        const body = (await check(fake, { method: 'GET', path: `/repos/${repo}`, status: 200 })) as {
          id: number;
          url: string;
        };
        expect(body.id).toBe(fake.repositoryId(repo));
        expect(body.url).toBe(`${fake.url}/repos/${repo}`);
      }
      await check(fake, { method: 'GET', path: '/repos/acme/missing', status: 404 });
    }
  });

  it('answers GET /installation/repositories with a page of repositories, on GitHub.com and GHES paths', async () => {
    for (const prefix of ['', '/api/v3']) {
      const fake = await github(prefix);
      const all = (await check(fake, { method: 'GET', path: '/installation/repositories', status: 200 })) as {
        total_count: number;
        repositories: unknown[];
      };
      expect(all.total_count).toBe(3);
      expect(all.repositories).toHaveLength(3);
      const path = '/installation/repositories?per_page=2&page=2';
      const last = (await check(fake, { method: 'GET', path, status: 200 })) as { repositories: unknown[] };
      expect(last.repositories).toHaveLength(1);
    }
  });

  it('answers Actions variables in every scope as described', async () => {
    const fake = await github();
    const app = fake.repositoryId('acme/app');
    for (const base of [REPO, ENV, ORG]) {
      const org = base === ORG ? { visibility: 'selected', selected_repository_ids: [app] } : {};
      await check(fake, { method: 'GET', path: `${base}/variables/V`, status: 404 });
      expect(
        await check(fake, {
          method: 'POST',
          path: `${base}/variables`,
          body: { name: 'V', value: 'one', ...org },
          status: 201,
        }),
      ).toEqual({});
      await check(fake, {
        method: 'POST',
        path: `${base}/variables`,
        body: { name: 'V', value: 'one', ...org },
        status: 409,
      });
      await check(fake, { method: 'PATCH', path: `${base}/variables/V`, body: { value: 'two' }, status: 204 });
      const variable = (await check(fake, { method: 'GET', path: `${base}/variables/V`, status: 200 })) as {
        value: string;
      };
      expect(variable.value).toBe('two');
    }
    await check(fake, { method: 'PATCH', path: `${ORG}/variables/V`, body: { visibility: 'all' }, status: 204 });
    await check(fake, { method: 'PATCH', path: `${REPO}/variables/NONE`, body: { value: 'x' }, status: 404 });
  });

  it('refuses with described error bodies, and never accepts a body the description refuses', async () => {
    const fake = await github();
    const repoBody = await sealedFor(fake, REPO, 'v');
    const orgBody = await sealedFor(fake, ORG, 'v');
    const app = fake.repositoryId('acme/app');
    const unpadded = repoBody.encrypted_value.replace(/=+$/, '');
    const calls: Call[] = [
      // 401, 403, 404
      { method: 'GET', path: `${REPO}/secrets/public-key`, token: 'wrong', status: 401 },
      { method: 'PUT', path: '/repos/acme/readonly/actions/secrets/S', body: repoBody, status: 403 },
      { method: 'POST', path: '/repos/acme/readonly/actions/variables', body: { name: 'V', value: '1' }, status: 403 },
      { method: 'GET', path: '/repos/acme/missing/actions/secrets/public-key', status: 404 },
      { method: 'GET', path: `${ORG}/secrets/NONE/repositories`, status: 404 },
      { method: 'GET', path: `${REPO}/variables/NONE`, status: 404 },
      // 422 for bodies the description allows but GitHub cannot act on
      { method: 'PUT', path: `${REPO}/secrets/S`, body: { ...repoBody, key_id: '123' }, status: 422 },
      { method: 'PUT', path: `${REPO}/secrets/1ABC`, body: repoBody, status: 422 },
      { method: 'PUT', path: `${ORG}/secrets/NEW`, body: { visibility: 'all' }, status: 422 },
      {
        method: 'PUT',
        path: `${ORG}/secrets/S`,
        body: { ...orgBody, visibility: 'selected', selected_repository_ids: ['abc'] },
        status: 422,
      },
      {
        method: 'PUT',
        path: `${ORG}/secrets/S`,
        body: { ...orgBody, visibility: 'all', selected_repository_ids: [app] },
        status: 422,
      },
      // bodies the description refuses
      {
        method: 'PUT',
        path: `${REPO}/secrets/S`,
        body: { encrypted_value: repoBody.encrypted_value },
        status: 422,
        valid: false,
      },
      {
        method: 'PUT',
        path: `${REPO}/secrets/S`,
        body: { ...repoBody, encrypted_value: unpadded },
        status: 422,
        valid: false,
      },
      { method: 'PUT', path: `${ORG}/secrets/S`, body: orgBody, status: 422, valid: false },
      {
        method: 'PUT',
        path: `${ORG}/secrets/S`,
        body: { ...orgBody, visibility: 'public' },
        status: 422,
        valid: false,
      },
      { method: 'POST', path: `${ORG}/variables`, body: { name: 'V', value: '1' }, status: 422, valid: false },
      {
        method: 'POST',
        path: `${ORG}/variables`,
        body: { name: 'V', value: '1', visibility: 'selected', selected_repository_ids: [String(app)] },
        status: 422,
        valid: false,
      },
      { method: 'POST', path: `${REPO}/variables`, body: { name: 'V' }, status: 422, valid: false },
      { method: 'POST', path: `${REPO}/variables`, body: { name: 'V', value: 1 }, status: 422, valid: false },
      { method: 'PUT', path: `${REPO}/secrets/S`, body: '{not json', status: 400, valid: false },
    ];
    for (const call of calls) await check(fake, call);
    expect(fake.secrets.get(repoScope('acme/app'))!.size).toBe(0);
    expect(fake.secrets.get(orgScope('acme'))!.size).toBe(0);
  });
});

describe('fake GitHub workflows, on github.com and on GHES 3.19, against their descriptions', () => {
  const WORKFLOWS = '/repos/acme/app/actions/workflows';
  const inputs = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`in${i}`, 'x']));

  /** The reads every platform answers alike: the workflow, its runs (filtered), a run, and git refs. */
  async function checkReads(fake: FakeGitHub, runId: number): Promise<void> {
    await check(fake, { method: 'GET', path: `${WORKFLOWS}/deploy.yml`, status: 200 });
    const since = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const query = `event=workflow_dispatch&branch=main&created=${encodeURIComponent(`>=${since}`)}&per_page=20`;
    const listed = (await check(fake, {
      method: 'GET',
      path: `${WORKFLOWS}/deploy.yml/runs?${query}`,
      status: 200,
    })) as {
      workflow_runs: Array<{ id: number }>;
    };
    expect(listed.workflow_runs.map((r) => r.id)).toContain(runId);
    await check(fake, { method: 'GET', path: `/repos/acme/app/actions/runs/${runId}`, status: 200 });
    await check(fake, { method: 'GET', path: '/repos/acme/app/git/ref/heads%2Fmain', status: 200 });
    await check(fake, { method: 'GET', path: '/repos/acme/app/git/ref/tags%2Fv1', status: 200 });
    await check(fake, { method: 'GET', path: '/repos/acme/app/git/ref/heads%2Fnope', status: 404 });
  }

  it('answers as github.com does: run details when asked, 204 when not, at most 25 inputs', async () => {
    const fake = await github();
    const dispatches = `${WORKFLOWS}/deploy.yml/dispatches`;
    const details = (await check(fake, {
      method: 'POST',
      path: dispatches,
      body: { ref: 'main', inputs: inputs(25), return_run_details: true },
      status: 200,
    })) as { workflow_run_id: number };
    await check(fake, { method: 'POST', path: dispatches, body: { ref: 'main' }, status: 204 });
    await check(fake, {
      method: 'POST',
      path: dispatches,
      body: { ref: 'main', inputs: inputs(26) },
      status: 422,
      valid: false,
    });
    await check(fake, { method: 'POST', path: dispatches, body: { ref: 'nope' }, status: 422 });
    await checkReads(fake, details.workflow_run_id);
    expect(fake.requests.some((r) => r.path.startsWith('/repos'))).toBe(true);
  });

  it('answers as GitHub Enterprise Server 3.19 does: return_run_details refused, a plain 204, at most 10 inputs, its version on every answer', async () => {
    const fake = await github('/api/v3', 'ghes-3.19');
    const dispatches = `${WORKFLOWS}/deploy.yml/dispatches`;
    const refused = (await check(fake, {
      method: 'POST',
      path: dispatches,
      body: { ref: 'main', return_run_details: true },
      status: 422,
    })) as { message: string };
    expect(refused.message).toContain('return_run_details is not a permitted key.');
    expect(
      await check(fake, { method: 'POST', path: dispatches, body: { ref: 'main', inputs: inputs(10) }, status: 204 }),
    ).toBe(undefined);
    await check(fake, {
      method: 'POST',
      path: dispatches,
      body: { ref: 'main', inputs: inputs(11) },
      status: 422,
      valid: false,
    });
    const [run] = [...fake.runs.values()];
    await checkReads(fake, run!.id);
    for (const entry of fake.requests) {
      expect(fake.exchange(entry)?.response?.headers['x-github-enterprise-version']).toBe(GHES_VERSION);
    }
  });
});

// ---- the bundled action ---------------------------------------------------------------------

/** Runs dist/index.js in a scenario and checks every GitHub request and answer it exchanged. */
async function runAndCheck(scenario: Scenario, inputs: Record<string, string>, code = 0): Promise<string[]> {
  const result = await runAction({ inputs: { ...scenario.inputs, ...inputs } });
  expect(result.code, result.stdout).toBe(code);
  const problems = scenario.github.requests.flatMap((entry) => [
    ...requestProblems(scenario.github, entry),
    ...responseProblems(scenario.github, entry),
  ]);
  expect(problems).toEqual([]);
  return scenario.github.requests.map((entry) => {
    const located = locate(scenario.github, entry);
    return `${typeof located === 'string' ? located : located.label} ${entry.status}`;
  });
}

describe('the bundled action against the OpenAPI description', () => {
  it('sends described requests and gets described answers when it dispatches a deploy workflow and waits for its run', async () => {
    const scenario = await startScenario({
      repositories: { 'acme/connectors': 'write' },
      workflows: { 'acme/connectors': { 'deploy.yml': { readsInProgress: 1 } } },
    });
    closers.push(scenario.close);

    const exchanged = await runAndCheck(scenario, {
      'deploy-workflows': 'acme/connectors/.github/workflows/deploy.yml@main',
      'deploy-inputs': '{"environment":"production","replicas":2}',
    });

    expect([...new Set(exchanged)].sort()).toEqual([
      'GET /repos/{owner}/{repo}/actions/runs/{run_id} (actions/get-workflow-run) 200',
      'GET /repos/{owner}/{repo}/actions/secrets/public-key (actions/get-repo-public-key) 200',
      'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id} (actions/get-workflow) 200',
      'GET /repos/{owner}/{repo}/git/ref/{ref} (git/get-ref) 200',
      'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches (actions/create-workflow-dispatch) 200',
      'PUT /repos/{owner}/{repo}/actions/secrets/{secret_name} (actions/create-or-update-repo-secret) 201',
    ]);
  });

  it('sends described requests and gets described answers from GitHub Enterprise Server 3.19, finding the deploy run without run details', async () => {
    const scenario = await startScenario({
      repositories: { 'acme/connectors': 'write' },
      workflows: { 'acme/connectors': { 'deploy.yml': { readsInProgress: 1 } } },
      githubPlatform: 'ghes-3.19',
    });
    closers.push(scenario.close);

    const exchanged = await runAndCheck(scenario, {
      'deploy-workflows': 'acme/connectors/.github/workflows/deploy.yml@main',
      'deploy-inputs': '{"environment":"production","replicas":2}',
    });

    expect([...new Set(exchanged)].sort()).toEqual([
      'GET /repos/{owner}/{repo}/actions/runs/{run_id} (actions/get-workflow-run) 200',
      'GET /repos/{owner}/{repo}/actions/secrets/public-key (actions/get-repo-public-key) 200',
      'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id} (actions/get-workflow) 200',
      'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs (actions/list-workflow-runs) 200',
      'GET /repos/{owner}/{repo}/git/ref/{ref} (git/get-ref) 200',
      'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches (actions/create-workflow-dispatch) 204',
      'PUT /repos/{owner}/{repo}/actions/secrets/{secret_name} (actions/create-or-update-repo-secret) 201',
    ]);
    // Its version was known from the first answer: return_run_details was never sent to it.
    const dispatches = scenario.github.requests.filter((r) => r.path.endsWith('/dispatches'));
    expect(dispatches.map((r) => JSON.parse(scenario.github.exchange(r)!.requestBody.toString('utf8')))).toEqual([
      { ref: 'main', inputs: { environment: 'production', replicas: 2 } },
    ]);
  });

  it('sends described requests and gets described answers in a repository rotation', async () => {
    const scenario = await startScenario({ repositories: { 'acme/connectors': 'write' } });
    closers.push(scenario.close);
    const previous = await scenario.conductorOne.addCredential();
    scenario.github.presetVariable(repoScope('acme/connectors'), 'BATON_CREDENTIAL_ID', previous.id);

    const exchanged = await runAndCheck(scenario, {
      'credential-id-variable': 'BATON_CREDENTIAL_ID',
      'revoke-previous': 'true',
    });

    // The ledger read and written, the lock created, read back and deleted, _PREVIOUS looked for once.
    expect([...new Set(exchanged)].sort()).toEqual([
      'DELETE /repos/{owner}/{repo}/actions/variables/{name} (actions/delete-repo-variable) 204',
      'GET /repos/{owner}/{repo}/actions/secrets/public-key (actions/get-repo-public-key) 200',
      'GET /repos/{owner}/{repo}/actions/variables/{name} (actions/get-repo-variable) 200',
      'GET /repos/{owner}/{repo}/actions/variables/{name} (actions/get-repo-variable) 404',
      'PATCH /repos/{owner}/{repo}/actions/variables/{name} (actions/update-repo-variable) 204',
      'POST /repos/{owner}/{repo}/actions/variables (actions/create-repo-variable) 201',
      'PUT /repos/{owner}/{repo}/actions/secrets/{secret_name} (actions/create-or-update-repo-secret) 201',
    ]);
    expect(previous.revoked).toBe(true);
  });

  it('sends described requests and gets described answers when another run holds the lock (409)', async () => {
    const scenario = await startScenario({ repositories: { 'acme/connectors': 'write' } });
    closers.push(scenario.close);
    const holder = JSON.stringify({
      run: 'acme/rotation run 7 attempt 1',
      since: new Date().toISOString(),
      until: new Date(Date.now() + 3_600_000).toISOString(),
      nonce: 'another-run',
    });
    scenario.github.presetVariable(repoScope('acme/connectors'), 'BATON_CREDENTIAL_ID_LOCK', holder);

    const exchanged = await runAndCheck(scenario, { 'credential-id-variable': 'BATON_CREDENTIAL_ID' }, 1);

    expect([...new Set(exchanged)].sort()).toEqual([
      'GET /repos/{owner}/{repo}/actions/secrets/public-key (actions/get-repo-public-key) 200',
      'GET /repos/{owner}/{repo}/actions/variables/{name} (actions/get-repo-variable) 200',
      'GET /repos/{owner}/{repo}/actions/variables/{name} (actions/get-repo-variable) 404',
      'POST /repos/{owner}/{repo}/actions/variables (actions/create-repo-variable) 409',
    ]);
    expect(scenario.conductorOne.issued).toEqual([]);
  });

  it('sends described requests and gets described answers in an organization rotation with visibility selected', async () => {
    const repositories = { 'acme/baton-okta': 'write', 'acme/baton-slack': 'write' } as const;
    const scenario = await startScenario({ repositories, organizations: { acme: 'write' } });
    closers.push(scenario.close);
    const okta = scenario.github.repositoryId('acme/baton-okta');
    const slack = scenario.github.repositoryId('acme/baton-slack');
    // One secret is already selected (its repositories are read and kept), the other is new
    // (the listed repositories are looked up and selected).
    scenario.github.presetSecret(orgScope('acme'), 'BATON_CLIENT_ID', {
      visibility: 'selected',
      selected_repository_ids: [okta],
    });

    const exchanged = await runAndCheck(scenario, {
      organization: 'acme',
      visibility: 'selected',
      repositories: 'acme/baton-okta\nacme/baton-slack',
      'credential-id-variable': 'BATON_CREDENTIAL_ID',
    });

    expect([...new Set(exchanged)].sort()).toEqual([
      'DELETE /orgs/{org}/actions/variables/{name} (actions/delete-org-variable) 204',
      'GET /orgs/{org}/actions/secrets/public-key (actions/get-org-public-key) 200',
      'GET /orgs/{org}/actions/secrets/{secret_name} (actions/get-org-secret) 200',
      'GET /orgs/{org}/actions/secrets/{secret_name} (actions/get-org-secret) 404',
      'GET /orgs/{org}/actions/secrets/{secret_name}/repositories (actions/list-selected-repos-for-org-secret) 200',
      'GET /orgs/{org}/actions/variables/{name} (actions/get-org-variable) 200',
      'GET /orgs/{org}/actions/variables/{name} (actions/get-org-variable) 404',
      'GET /repos/{owner}/{repo} (repos/get) 200',
      'PATCH /orgs/{org}/actions/variables/{name} (actions/update-org-variable) 204',
      'POST /orgs/{org}/actions/variables (actions/create-org-variable) 201',
      'PUT /orgs/{org}/actions/secrets/{secret_name} (actions/create-or-update-org-secret) 201',
      'PUT /orgs/{org}/actions/secrets/{secret_name} (actions/create-or-update-org-secret) 204',
    ]);
    const stored = scenario.github.secrets.get(orgScope('acme'))!;
    expect(stored.get('BATON_CLIENT_ID')).toMatchObject({ visibility: 'selected', selected_repository_ids: [okta] });
    expect(stored.get('BATON_CLIENT_SECRET')).toMatchObject({
      visibility: 'selected',
      selected_repository_ids: [okta, slack],
    });
  });
});
