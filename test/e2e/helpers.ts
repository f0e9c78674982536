// Shared pieces of the end-to-end tests: a scenario that closes itself when its
// test finishes, one request timeline across both fakes, and readers for the
// action's log.
import type { TestContext } from 'vitest';
import type { IssuedCredential } from '../fakes/conductorone.js';
import { repoScope } from '../fakes/github.js';
import type { RequestLogEntry } from '../fakes/log.js';
import { findLeaks, type RunActionOptions, type RunActionResult, runAction } from '../fakes/run-action.js';
import { type Scenario, type ScenarioOptions, startScenario } from '../fakes/scenario.js';

export const ROTATE_PATH = '/api/v1/apps/connectors/credentials';
export const TOKEN_PATH = '/auth/v1/token';

export const publicKeyPath = (repository: string) => `/repos/${repository}/actions/secrets/public-key`;
export const secretPath = (repository: string, name: string) => `/repos/${repository}/actions/secrets/${name}`;

export interface E2EScenario extends Scenario {
  /**
   * Every request either fake received, in arrival order, as
   * "conductorone|github METHOD PATH STATUS [fault]".
   */
  timeline(): string[];
  /** Runs dist/index.js with the scenario's inputs; `undefined` removes an input. */
  run(
    overrides?: Record<string, string | undefined>,
    options?: Pick<RunActionOptions, 'env' | 'onStart'>,
  ): Promise<RunActionResult>;
}

/** A scenario for one test; its fakes close when the test finishes, pass or fail (also under describe.concurrent). */
export async function scenarioFor(context: TestContext, options: ScenarioOptions = {}): Promise<E2EScenario> {
  const scenario = await startScenario(options);
  context.onTestFinished(() => scenario.close());
  const arrivals: Array<{ server: string; entry: RequestLogEntry }> = [];
  // Both fakes log a request on arrival; tapping their logs gives one order across the two servers.
  for (const [server, requests] of [
    ['conductorone', scenario.conductorOne.requests],
    ['github', scenario.github.requests],
  ] as const) {
    const push = requests.push.bind(requests);
    // Not enumerable, so the log still compares equal to a plain array.
    Object.defineProperty(requests, 'push', {
      enumerable: false,
      value: (...entries: RequestLogEntry[]) => {
        for (const entry of entries) arrivals.push({ server, entry });
        return push(...entries);
      },
    });
  }
  return Object.assign(scenario, {
    timeline: () => arrivals.map(({ server, entry }) => `${server} ${describeRequest(entry)}`),
    run: async (
      overrides: Record<string, string | undefined> = {},
      options: Pick<RunActionOptions, 'env' | 'onStart'> = {},
    ) => {
      const inputs: Record<string, string> = { ...scenario.inputs };
      for (const [name, value] of Object.entries(overrides)) {
        if (value === undefined) delete inputs[name];
        else inputs[name] = value;
      }
      const result = await runAction({ inputs, ...options });
      if (result.timedOut) throw new Error('the action did not finish within the harness timeout');
      return result;
    },
  });
}

/** "METHOD PATH STATUS", plus "[fault]" when an injected fault answered it (status 0: the socket was destroyed). */
export function describeRequest(entry: RequestLogEntry): string {
  return `${entry.method} ${entry.path} ${entry.status}${entry.fault ? ` [${entry.fault}]` : ''}`;
}

/** A fake's request log, one line per request. */
export function requestLog(fake: { requests: RequestLogEntry[] }): string[] {
  return fake.requests.map(describeRequest);
}

/** The log lines of requests to one method and path (e.g. a faulted request and its retries). */
export function requestsTo(fake: { requests: RequestLogEntry[] }, method: string, path: string): string[] {
  return fake.requests.filter((r) => r.method === method && r.path.split('?')[0]!.endsWith(path)).map(describeRequest);
}

export function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line !== '');
}

/** `::error::` annotations, message only (as @actions/core escapes it). */
export function errorAnnotations(stdout: string): string[] {
  return lines(stdout)
    .filter((line) => line.startsWith('::error'))
    .map((line) => line.replace(/^::error[^:]*::/, ''));
}

/** The single `::error::` message of a failed run; fails the test when there is not exactly one. */
export function onlyError(result: RunActionResult): string {
  const errors = errorAnnotations(result.stdout);
  if (errors.length !== 1)
    throw new Error(`expected exactly one ::error:: line, got ${errors.length}:\n${errors.join('\n')}`);
  return errors[0]!;
}

export function parseTargets(result: RunActionResult): Array<{ target: string; secret: string; result: string }> {
  return JSON.parse(result.outputs.targets ?? 'null') as Array<{ target: string; secret: string; result: string }>;
}

/** What the two secrets of a repository open to, to compare with an issued credential. */
export async function storedCredential(
  scenario: Scenario,
  repository: string,
): Promise<{ clientId: string; clientSecret: string }> {
  return {
    clientId: await scenario.github.open(repoScope(repository), 'BATON_CLIENT_ID'),
    clientSecret: await scenario.github.open(repoScope(repository), 'BATON_CLIENT_SECRET'),
  };
}

/** The only credential ConductorOne issued; fails when rotation happened zero or several times. */
export function onlyIssued(scenario: Scenario): IssuedCredential {
  const { issued } = scenario.conductorOne;
  if (issued.length !== 1) throw new Error(`expected exactly one rotation, ConductorOne issued ${issued.length}`);
  return issued[0]!;
}

/** The texts a secret must never reach: the log streams, every output and the summary. */
export function visibleTexts(result: RunActionResult): Record<string, string> {
  const texts: Record<string, string> = { stdout: result.stdout, stderr: result.stderr, summary: result.summary };
  for (const [name, value] of Object.entries(result.outputs)) texts[`output ${name}`] = value;
  return texts;
}

const ADD_MASK = '::add-mask::';

/**
 * Checks that each secret was masked in time, and returns the problems without
 * ever quoting a secret. `knownAtStart` secrets (inputs) must be masked before
 * the first line that is not a mask; `received` ones (they arrive from a server
 * before the rotation) before the first line reporting the rotation and before
 * any annotation, which are the first lines printed after they exist that
 * could carry them; `receivedLater` ones (the proof's token) before any
 * annotation.
 */
export function maskingProblems(
  stdout: string,
  secrets: { knownAtStart: string[]; received: string[]; receivedLater?: string[] },
): string[] {
  const all = lines(stdout);
  const firstIndex = (test: (line: string) => boolean) => {
    const index = all.findIndex(test);
    return index < 0 ? all.length : index;
  };
  const firstNonMask = firstIndex((line) => !line.startsWith(ADD_MASK));
  const firstAfterReceipt = firstIndex((line) =>
    /^ConductorOne issued credential|^::(error|warning|notice)/.test(line),
  );
  const problems: string[] = [];
  const check = (group: string, values: string[], deadline: number, deadlineName: string) =>
    values.forEach((value, index) => {
      const maskedAt = all.indexOf(`${ADD_MASK}${value}`);
      if (maskedAt < 0) problems.push(`${group} #${index} (${value.length} chars) was never masked`);
      else if (maskedAt > deadline)
        problems.push(
          `${group} #${index} was masked on line ${maskedAt + 1}, after ${deadlineName} (line ${deadline + 1})`,
        );
    });
  check('input secret', secrets.knownAtStart, firstNonMask, 'the first log line');
  check('received secret', secrets.received, firstAfterReceipt, 'the rotation report or an annotation');
  check(
    'later secret',
    secrets.receivedLater ?? [],
    firstIndex((line) => /^::(error|warning|notice)/.test(line)),
    'an annotation',
  );
  return problems;
}

/**
 * Where any of the scenario's secrets (and the `extra` ones) shows outside an
 * `::add-mask::` line, in the log streams, the outputs or the summary; and
 * whatever is shaped like a ConductorOne secret or a JWT anywhere but there.
 */
export function leaks(scenario: Scenario, result: RunActionResult, extra: string[] = []): string[] {
  const texts = visibleTexts(result);
  const problems = findLeaks([...scenario.knownSecrets(), ...extra], texts);
  for (const [name, text] of Object.entries(texts)) {
    const visible = lines(text).filter((line) => !line.startsWith(ADD_MASK));
    if (visible.some((line) => /secret-token:conductorone\.com:v1:[A-Za-z0-9_-]/.test(line)))
      problems.push(`a ConductorOne client secret appears in ${name}`);
    if (visible.some((line) => /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./.test(line)))
      problems.push(`a JWT appears in ${name}`);
  }
  return problems;
}

/** Lines of stdout the runner would read as a workflow command other than a mask, an error or a warning. */
export function unexpectedCommands(stdout: string): string[] {
  return stdout
    .split(/\r?\n/)
    .filter((line) => line.trimStart().startsWith('::'))
    .filter((line) => !/^::(add-mask|error|warning|debug)(::| )/.test(line));
}

/** The repository's two secrets hold `previous`, as before a rotation. */
export function holdCredential(
  scenario: Scenario,
  repository: string,
  previous: { clientId: string; clientSecret: string },
): void {
  scenario.github.presetSecret(repoScope(repository), 'BATON_CLIENT_ID', { value: previous.clientId });
  scenario.github.presetSecret(repoScope(repository), 'BATON_CLIENT_SECRET', { value: previous.clientSecret });
}

/** Every request of the timeline that changes a secret. */
export function secretWrites(scenario: E2EScenario): string[] {
  return scenario.timeline().filter((line) => /^github PUT .*\/secrets\//.test(line));
}

/** A ledger as the action writes it in credential-id-variable (README, "What the action remembers"). */
export interface LedgerJson {
  version: number;
  connector: string;
  revision: number;
  credentials: Array<{ id: string; state: string; source: string; replaced?: string; note?: string; nowhere?: true }>;
}

/** The ledger in a fake scope's variable, parsed; undefined when the variable is not set. */
export function ledgerOf(scenario: Scenario, scope: string, name = 'BATON_CREDENTIAL_ID'): LedgerJson | undefined {
  const value = scenario.github.variables.get(scope)?.get(name)?.value;
  return value === undefined ? undefined : (JSON.parse(value) as LedgerJson);
}

/**
 * A ledger as a person might hand-edit it into the repository's credential-id variable: the scenario's
 * connector, the given revision and credentials (the fields the tests want, as they would be written).
 */
export function presetLedger(
  scenario: Scenario,
  repository: string,
  revision: number,
  credentials: ReadonlyArray<Record<string, unknown>>,
  variable = 'BATON_CREDENTIAL_ID',
): void {
  const connector = `${scenario.inputs['app-id']}/${scenario.inputs['connector-id']}`;
  scenario.github.presetVariable(
    repoScope(repository),
    variable,
    JSON.stringify({ version: 1, connector, revision, credentials }),
  );
}

/** "id state" for every credential the ledger records, in its order. */
export function ledgerStates(scenario: Scenario, scope: string, name = 'BATON_CREDENTIAL_ID'): string[] {
  return (ledgerOf(scenario, scope, name)?.credentials ?? []).map((c) => `${c.id} ${c.state}`);
}

/** The credentials ConductorOne still honours, of those given (a previous one made with addCredential, say) and every one it issued. */
export function validCredentials(scenario: Scenario, others: readonly IssuedCredential[] = []): string[] {
  return [...others, ...scenario.conductorOne.issued].filter((c) => !c.revoked).map((c) => c.id);
}

/**
 * As if `ms` had gone by: every time in the ledgers the fake GitHub keeps, and every credential's
 * createdAt and lastUsedAt in the fake ConductorOne, move that far into the past. keep-previous-for
 * and the in-use guard are then tested at their real defaults, without waiting.
 */
export function letTimePass(scenario: Scenario, ms: number): void {
  scenario.conductorOne.ageCredentials(ms);
  for (const scope of scenario.github.variables.values()) {
    for (const variable of scope.values()) {
      if (variable.value.startsWith('{"version"')) variable.value = agedLedger(variable.value, ms);
    }
  }
}

function agedLedger(value: string, ms: number): string {
  const ledger = JSON.parse(value) as { credentials: Array<Record<string, unknown>> };
  for (const credential of ledger.credentials) {
    for (const field of ['issued', 'held', 'replaced']) {
      const at = credential[field];
      if (typeof at === 'string') credential[field] = new Date(Date.parse(at) - ms).toISOString();
    }
  }
  return JSON.stringify(ledger);
}

/**
 * The state a rotation starts from: a live credential the repository's two secrets hold and, with `variable`,
 * whose ID that variable of the repository holds (the ledger starts from it, as a first rotation's set-up does).
 */
export async function holdingRecorded(
  scenario: Scenario,
  repository: string,
  variable = 'BATON_CREDENTIAL_ID',
): Promise<IssuedCredential> {
  const credential = await scenario.conductorOne.addCredential();
  holdCredential(scenario, repository, credential);
  scenario.github.presetVariable(repoScope(repository), variable, credential.id);
  return credential;
}

/** One deploy run as the `deploy-runs` output lists it. */
export interface DeployRunOutput {
  workflow: string;
  run_id: number | null;
  url: string;
  conclusion: string;
}

/** The `deploy-runs` output, parsed. */
export function deployRuns(outputs: Record<string, string>): DeployRunOutput[] {
  return JSON.parse(outputs['deploy-runs'] ?? 'null') as DeployRunOutput[];
}
