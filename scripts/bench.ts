/**
 * npm run bench, with 40 ms of latency on every fake response:
 *
 * 1. The bundled action (dist/index.js, run as the runner runs it) for one
 *    rotation into one repository, against a floor of a bare `node -e 0`
 *    start plus the four round trips the work needs (token + public key,
 *    rotate, proof of the new credential, writes). Target: at most 1.5x the
 *    floor (goal 1.3).
 * 2. The bundled action for 20 repositories x 2 secrets, rotation and proof
 *    included: wall time, the round trips on its critical path as the fakes
 *    timed them (target: fewer than 25 for the whole run), and its ratio to
 *    a floor of start + 3 + 40 / concurrency round trips (no target). With
 *    PEER_DIST=<path to jpoehnelt/secrets-sync-action's dist/index.js>, also
 *    that action writing the same 2 secrets into the same 20 repositories (the
 *    writes alone: no rotation), run after each of ours on the same fake, in
 *    its default configuration (repositories matched in the installation's
 *    list, 10 writes at once) and with the explicit list (the form of this
 *    action's `repositories` input). Target: ours at most 0.5x its time.
 * 3. The same 20 x 2 run in-process (run() from src/run.ts) for write
 *    concurrency 4, 8 and 10, which is what WRITE_CONCURRENCY is chosen from.
 * 4. The full lifecycle for 20 repositories (credential-id-variable,
 *    revoke-previous: true), bundled.
 *
 * 6. 300 repositories x 2 secrets against a fake GitHub that enforces GitHub's
 *    documented secondary rate limits, on a simulated clock
 *    (scripts/bench-limits.ts): the requests refused for a limit (goal
 *    0) and the time against the least the limits allow (goal <= 1.1 x).
 *
 * 5. The stack's own floor: scripts/stack-floor.mjs (the action's packages
 *    making the action's four round trips, with nothing of the action around
 *    them), bundled as the action is, against a loopback server answering {}
 *    after the same latency, as a ratio to its own floor. It says how much of
 *    the 1-repository ratio Node and the packages take by themselves.
 *
 * Critical path: the longest chain of requests, across both fakes, in which
 * each request arrived after the previous one was answered. Requests that
 * overlap in time are one round trip; requests queued behind a full write
 * pool are not.
 *
 * Wall times are the action's process alone, spawn to end, as the `node -e 0`
 * start is measured.
 *
 * Usage: [PEER_DIST=/tmp/peer/dist/index.js] [ACTION_DIST=/tmp/before/dist/index.js] npm run bench [-- --runs N] [--runs-large M] [--trace]
 *   PEER_DIST      secrets-sync-action's bundle, which its repository commits; PEER_FETCH below gets it
 *   --runs N        runs of the 1-repository measurement (default 15)
 *   --runs-large M  runs of each 20-repository measurement (default 9, at most N)
 *   --trace         print the critical path of the last run of each 20-repository measurement
 */
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { Http } from '../src/http.js';
import { runPipeline, WRITE_CONCURRENCY } from '../src/run.js';
import { repoScope } from '../test/fakes/github.js';
import type { RequestLogEntry, RequestTiming } from '../test/fakes/log.js';
import { REPO_ROOT, type RunActionResult, runAction } from '../test/fakes/run-action.js';
import { type Scenario, startScenario } from '../test/fakes/scenario.js';
import { measureSecondaryLimits, silentCore } from './bench-limits.js';

const LATENCY_MS = 40;
const ROUND_TRIPS = 4;
const REPOSITORY_COUNT = 20;
const SECRETS_PER_REPOSITORY = 2;
const TARGET_ROUND_TRIPS = 25;
const CONCURRENCY_SETTINGS = [4, 8, 10];
/** Targets: the 1-repository run against its floor, and the 20 x 2 run against the peer's writes alone. */
const FLOOR_RATIO_TARGET = 1.5;
const FLOOR_RATIO_GOAL = 1.3;
const PEER_RATIO_TARGET = 0.5;
const PEER_DIST = process.env.PEER_DIST ?? '';
/** How to get the peer's bundle: v1.10.0 (commit 7840777f242539d96b60477b66aa1c179e7644ea) is the one measured in CONTRIBUTING.md. */
const PEER_FETCH =
  'git clone --depth 1 --branch v1.10.0 https://github.com/jpoehnelt/secrets-sync-action /tmp/peer, then PEER_DIST=/tmp/peer/dist/index.js npm run bench';
/** Another build of this action to measure instead of dist/index.js (a before/after comparison). */
const ACTION_DIST = process.env.ACTION_DIST ?? '';
const CREDENTIAL_ID_VARIABLE = 'BATON_CREDENTIAL_ID';
/** The large run measured against GitHub's secondary limits, and its goal against the least time they allow. */
const LIMITS_REPOSITORIES = 300;
const LIMITS_RATIO_GOAL = 1.1;

function countArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} needs a whole number of runs >= 1, got ${process.argv[index + 1] ?? 'nothing'}`);
  return value;
}
const RUNS = countArg('--runs', 15);
const LARGE_RUNS = countArg('--runs-large', Math.min(9, RUNS));
const TRACE = process.argv.includes('--trace');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function timeNodeStart(): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
  return performance.now() - started;
}

// ---- request timing --------------------------------------------------------------------------

interface TimedRequest {
  server: 'ConductorOne' | 'GitHub';
  entry: RequestLogEntry;
  arrivedAt: number;
  answeredAt: number;
}

/** Where each fake's request log stood before a run. */
interface Mark {
  conductorOne: number;
  github: number;
}

const mark = (scenario: Scenario): Mark => ({
  conductorOne: scenario.conductorOne.requests.length,
  github: scenario.github.requests.length,
});

/** The requests both fakes received since `from`, with their timing; unanswered ones (none expected) are left out. */
function requestsSince(scenario: Scenario, from: Mark): TimedRequest[] {
  const timed: TimedRequest[] = [];
  const add = (
    server: TimedRequest['server'],
    entries: RequestLogEntry[],
    timing: (entry: RequestLogEntry) => RequestTiming | undefined,
  ) => {
    for (const entry of entries) {
      const t = timing(entry);
      if (t?.answeredAt !== undefined) timed.push({ server, entry, arrivedAt: t.arrivedAt, answeredAt: t.answeredAt });
    }
  };
  add('ConductorOne', scenario.conductorOne.requests.slice(from.conductorOne), scenario.conductorOne.timing);
  add('GitHub', scenario.github.requests.slice(from.github), scenario.github.timing);
  return timed;
}

/**
 * The longest chain of requests in which each arrived after the previous one
 * was answered: the round trips on the critical path. Taking, among the
 * requests that arrive after the chain's last answer, the one answered first
 * is optimal (interval scheduling), so a greedy pass over answer times finds it.
 */
function criticalPath(requests: TimedRequest[]): TimedRequest[] {
  const byAnswer = [...requests].sort((a, b) => a.answeredAt - b.answeredAt);
  const chain: TimedRequest[] = [];
  let lastAnswer = -Infinity;
  for (const request of byAnswer) {
    if (request.arrivedAt >= lastAnswer) {
      chain.push(request);
      lastAnswer = request.answeredAt;
    }
  }
  return chain;
}

interface Sample {
  wallMs: number;
  roundTrips: number;
  githubRequests: number;
  conductorOneRequests: number;
  chain: TimedRequest[];
  /** Retries the in-process Http logged (none expected against the fakes). */
  retries: string[];
}

function sampleOf(scenario: Scenario, from: Mark, wallMs: number, retries: string[] = []): Sample {
  const requests = requestsSince(scenario, from);
  const chain = criticalPath(requests);
  return {
    wallMs,
    roundTrips: chain.length,
    githubRequests: scenario.github.requests.length - from.github,
    conductorOneRequests: scenario.conductorOne.requests.length - from.conductorOne,
    chain,
    retries,
  };
}

/** Every secret of every repository must have been written in this run. */
function checkWrites(scenario: Scenario, from: Mark, repositories: number): void {
  const writes = scenario.github.requests
    .slice(from.github)
    .filter(
      (r) => r.method === 'PUT' && /\/actions\/secrets\/[^/]+$/.test(r.path) && (r.status === 201 || r.status === 204),
    );
  const expected = repositories * SECRETS_PER_REPOSITORY;
  if (writes.length !== expected)
    throw new Error(`expected ${expected} secret writes in a run, the fake GitHub answered ${writes.length}`);
}

function checkExit(result: RunActionResult): void {
  if (result.code !== 0) throw new Error(`the action failed during the benchmark:\n${result.stdout}\n${result.stderr}`);
}

// ---- ways to run the action ------------------------------------------------------------------

async function runBundled(
  scenario: Scenario,
  inputs: Record<string, string>,
): Promise<{ sample: Sample; result: RunActionResult }> {
  const from = mark(scenario);
  const result = await runAction({ inputs, ...(ACTION_DIST ? { entry: ACTION_DIST } : {}) });
  // The process's own time, spawn to end, as timeNodeStart measures node -e 0.
  return { sample: sampleOf(scenario, from, result.elapsedMs), result };
}

/** run() in this process, wired like src/index.ts (without the proxy handling), masks ignored, outputs and summary discarded. */
async function runInProcess(
  scenario: Scenario,
  inputs: Record<string, string>,
  writeConcurrency: number,
): Promise<Sample> {
  const dispatcher = new Agent({ connect: { timeout: 10_000 } });
  const retries: string[] = [];
  const http = new Http({ dispatcher, log: (message) => retries.push(message) });
  const core = silentCore(inputs);
  const from = mark(scenario);
  try {
    const started = performance.now();
    await runPipeline({ core, http, writeConcurrency });
    const wallMs = performance.now() - started;
    return sampleOf(scenario, from, wallMs, retries);
  } finally {
    await dispatcher.close();
  }
}

/**
 * jpoehnelt/secrets-sync-action, configured as its action.yml and the runner
 * would: the inputs below, and every other input at its default. It copies
 * the environment variables its `secrets` patterns match into every
 * repository, so it writes the 2 secrets this action writes, with values of
 * the same shapes.
 */
interface PeerConfiguration {
  name: string;
  /** true: its default, repositories matched in the list GET /installation/repositories gives; false: the list as given. */
  listRegex: boolean;
}

const PEER_CONFIGURATIONS: PeerConfiguration[] = [
  { name: 'its defaults: repositories matched in the installation list', listRegex: true },
  { name: 'repositories_list_regex: false: the explicit list', listRegex: false },
];

function peerInputs(scenario: Scenario, repositories: string[], listRegex: boolean): Record<string, string> {
  const pattern = (name: string) => `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  return {
    github_token: scenario.githubToken,
    github_api_url: scenario.github.url,
    repositories: (listRegex ? repositories.map(pattern) : repositories).join('\n'),
    repositories_list_regex: String(listRegex),
    secrets: '^BATON_CLIENT_ID$\n^BATON_CLIENT_SECRET$',
    dry_run: '',
    retries: '3',
    concurrency: '10',
    delete: 'false',
    environment: '',
    target: 'actions',
  };
}

async function runPeer(scenario: Scenario, repositories: string[], configuration: PeerConfiguration): Promise<Sample> {
  const from = mark(scenario);
  const result = await runAction({
    inputs: peerInputs(scenario, repositories, configuration.listRegex),
    env: { BATON_CLIENT_ID: scenario.clientId, BATON_CLIENT_SECRET: scenario.clientSecret },
    entry: PEER_DIST,
  });
  if (result.code !== 0) throw new Error(`the peer failed during the benchmark:\n${result.stdout}\n${result.stderr}`);
  checkWrites(scenario, from, repositories.length);
  return sampleOf(scenario, from, result.elapsedMs);
}

/** The secrets and the variable hold a credential that exists in ConductorOne, as after a previous run. */
async function presetPreviousCredential(scenario: Scenario, repositories: string[]): Promise<string> {
  const previous = await scenario.conductorOne.addCredential();
  for (const repository of repositories)
    scenario.github.presetVariable(repoScope(repository), CREDENTIAL_ID_VARIABLE, previous.id);
  return previous.id;
}

// ---- reporting -------------------------------------------------------------------------------

interface Row {
  name: string;
  samples: Sample[];
}

function range(values: number[], show: (n: number) => string): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? show(min) : `${show(median(values))} [${show(min)}-${show(max)}]`;
}

function describe(samples: Sample[]): string {
  const walls = samples.map((s) => s.wallMs);
  return [
    `wall ${fmt(median(walls))} median [min ${fmt(Math.min(...walls))}, max ${fmt(Math.max(...walls))}]`,
    `critical path ${range(
      samples.map((s) => s.roundTrips),
      String,
    )} round trips`,
    `GitHub requests ${range(
      samples.map((s) => s.githubRequests),
      String,
    )}`,
    `ConductorOne requests ${range(
      samples.map((s) => s.conductorOneRequests),
      String,
    )}`,
  ].join(', ');
}

function trace(name: string, samples: Sample[]): void {
  if (!TRACE) return;
  const chain = samples.at(-1)?.chain ?? [];
  const origin = chain[0]?.arrivedAt ?? 0;
  console.log(`  critical path of the last run (${name}), ms from its first arrival:`);
  for (const r of chain) {
    console.log(
      `    ${(r.arrivedAt - origin).toFixed(1).padStart(7)} -> ${(r.answeredAt - origin).toFixed(1).padStart(7)}  ${r.server.padEnd(12)} ${r.entry.method} ${r.entry.path}`,
    );
  }
}

function printTable(rows: Row[], rtt: number): void {
  const header = ['scenario', 'runs', 'wall median', 'min', 'max', 'wall/RTT', 'crit. RTs', 'GitHub req', 'C1 req'];
  const body = rows.map(({ name, samples }) => {
    const walls = samples.map((s) => s.wallMs);
    return [
      name,
      String(samples.length),
      fmt(median(walls)),
      fmt(Math.min(...walls)),
      fmt(Math.max(...walls)),
      (median(walls) / rtt).toFixed(1),
      range(
        samples.map((s) => s.roundTrips),
        String,
      ),
      range(
        samples.map((s) => s.githubRequests),
        String,
      ),
      range(
        samples.map((s) => s.conductorOneRequests),
        String,
      ),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
}

/**
 * What the bundled run would take at each swept concurrency: its measured
 * time, less the in-process time at the default, plus the in-process time at
 * that concurrency (node start and loading do not depend on it). An
 * estimate, printed as one; only the default is measured bundled.
 */
function estimateBundled(): void {
  const atDefault = inProcessMs.get(WRITE_CONCURRENCY);
  if (atDefault === undefined || bundledLargeMs === 0) return;
  console.log('  bundled, estimated from the sweep (measured at the default only):');
  for (const [concurrency, ms] of inProcessMs) {
    const estimate = bundledLargeMs - atDefault + ms;
    const versus = [...peerMs].map(([name, peer]) => `${(estimate / peer).toFixed(2)} of the peer (${name})`);
    console.log(`    concurrency ${concurrency}: ${fmt(estimate)}${versus.length ? `, ${versus.join(', ')}` : ''}`);
  }
}

/**
 * RUNS round trips to `url` as the action sees one: a request answered after
 * the latency (after one that opens the connection, so a short --runs is not
 * skewed by it).
 */
async function roundTrips(url: string): Promise<number[]> {
  await (await fetch(url)).arrayBuffer();
  const rtts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await (await fetch(url)).arrayBuffer();
    rtts.push(performance.now() - started);
  }
  return rtts;
}

/** scripts/stack-floor.mjs bundled with ncc, as `npm run bundle` bundles the action: the path of its entry. */
function bundleStackFloor(): { entry: string; remove: () => void } {
  const out = mkdtempSync(path.join(tmpdir(), 'stack-floor-'));
  const ncc = path.join(REPO_ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  execFileSync(process.execPath, [ncc, 'build', 'scripts/stack-floor.mjs', '-o', out, '--minify', '-q'], {
    cwd: REPO_ROOT,
    stdio: 'ignore',
  });
  return { entry: path.join(out, 'index.mjs'), remove: () => rmSync(out, { recursive: true, force: true }) };
}

/** The stack alone against a server answering {} after LATENCY_MS: its median time and its ratio to its own floor. */
async function measureStackFloor(): Promise<{ ms: number; floor: number; ratio: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.end('{}'), LATENCY_MS));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const jwk = JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }));
  const bundle = bundleStackFloor();
  const timeRun = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const env = { PATH: process.env.PATH ?? '', URL: url, JWK: jwk };
      const child = spawn(process.execPath, [bundle.entry], { stdio: 'ignore', env });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(performance.now() - started) : reject(new Error(`stack-floor.mjs exited with ${code}`)),
      );
    });
  try {
    const rtts = await roundTrips(`${url}/ping`);
    await timeRun();
    const starts: number[] = [];
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      starts.push(await timeNodeStart());
      runs.push(await timeRun());
    }
    const floor = median(starts) + ROUND_TRIPS * median(rtts);
    return { ms: median(runs), floor, ratio: median(runs) / floor };
  } finally {
    bundle.remove();
    await new Promise((resolve) => server.close(resolve));
  }
}

function printTargets(): void {
  const verdict = (ratio: number, target: number) => (ratio <= target ? 'met' : 'NOT met');
  console.log('\ntargets (medians)');
  console.log(
    `  1 repository / floor: ${floorRatio.toFixed(2)} (target <= ${FLOOR_RATIO_TARGET}: ${verdict(floorRatio, FLOOR_RATIO_TARGET)}; goal ${FLOOR_RATIO_GOAL}: ${verdict(floorRatio, FLOOR_RATIO_GOAL)})`,
  );
  console.log(
    `  the stack alone (scripts/stack-floor.mjs) / its floor: ${stackFloor.ratio.toFixed(2)} (${fmt(stackFloor.ms)} against ${fmt(stackFloor.floor)})`,
  );
  console.log(
    `  ${REPOSITORY_COUNT} x ${SECRETS_PER_REPOSITORY} / its floor: ${largeFloorRatio.toFixed(2)} (no target)`,
  );
  if (peerMs.size === 0) console.log(`  20 x 2 / secrets-sync-action: not measured (${PEER_FETCH})`);
  for (const [name, ms] of peerMs) {
    const ratio = bundledLargeMs / ms;
    console.log(
      `  ${REPOSITORY_COUNT} x ${SECRETS_PER_REPOSITORY} / peer (${name}): ${ratio.toFixed(2)} (target <= ${PEER_RATIO_TARGET}: ${verdict(ratio, PEER_RATIO_TARGET)})`,
    );
  }
}

// ---- the benchmark ---------------------------------------------------------------------------

const rows: Row[] = [];
const odd: string[] = [];

console.log(
  `runs: ${RUNS} (1 repository), ${LARGE_RUNS} (each ${REPOSITORY_COUNT}-repository measurement); latency per fake response: ${LATENCY_MS} ms`,
);
if (PEER_DIST) console.log(`peer (jpoehnelt/secrets-sync-action): ${PEER_DIST}`);
if (ACTION_DIST) console.log(`action: ${ACTION_DIST} (instead of dist/index.js)`);

// 1. One repository, bundled, against the floor.
let rtt: number;
let floorRatio: number;
/** `node -e 0` start, median; the 20 x 2 floor builds on it too. */
let nodeStartMs: number;
/** The 20 x 2 run against its own floor: start + the round trips it needs (3 + 40 writes / concurrency). */
let largeFloorRatio = 0;
/** Median wall times of the 20 x 2 runs: ours bundled, the peer per configuration, ours in-process per concurrency. */
let bundledLargeMs = 0;
const peerMs = new Map<string, number>();
const inProcessMs = new Map<number, number>();
{
  const scenario = await startScenario({ latencyMs: LATENCY_MS });
  try {
    const rtts = await roundTrips(`${scenario.conductorOne.url}/api/v1/ping`);
    const starts: number[] = [];
    const samples: Sample[] = [];
    // Warm the file cache once for each, then alternate so drift hits both.
    await timeNodeStart();
    checkExit((await runBundled(scenario, scenario.inputs)).result);
    for (let i = 0; i < RUNS; i++) {
      starts.push(await timeNodeStart());
      const { sample, result } = await runBundled(scenario, scenario.inputs);
      checkExit(result);
      samples.push(sample);
    }
    rtt = median(rtts);
    const start = median(starts);
    nodeStartMs = start;
    const action = median(samples.map((s) => s.wallMs));
    const floor = start + ROUND_TRIPS * rtt;
    const measuredRoundTrips = range(
      samples.map((s) => s.roundTrips),
      String,
    );
    console.log('\n1 repository, bundled action (child process)');
    console.log(`  node -e 0 start (median):          ${fmt(start)}`);
    console.log(`  one round trip (median):           ${fmt(rtt)}`);
    console.log(`  floor = start + ${ROUND_TRIPS} round trips:      ${fmt(floor)}`);
    console.log(
      `  action, 1 repository (median):    ${fmt(action)}  [min ${fmt(Math.min(...samples.map((s) => s.wallMs)))}, max ${fmt(Math.max(...samples.map((s) => s.wallMs)))}]`,
    );
    console.log(
      `  critical path (measured):          ${measuredRoundTrips} round trips (the floor assumes ${ROUND_TRIPS})`,
    );
    floorRatio = action / floor;
    console.log(
      `  ratio action / floor:              ${floorRatio.toFixed(2)}  (target <= ${FLOOR_RATIO_TARGET}, goal ${FLOOR_RATIO_GOAL})`,
    );
    rows.push({ name: '1 repo, bundled', samples });
    if (samples.some((s) => s.roundTrips !== ROUND_TRIPS))
      odd.push(
        `1 repository: the critical path was ${measuredRoundTrips} round trips, not the ${ROUND_TRIPS} the floor assumes`,
      );
  } finally {
    await scenario.close();
  }
}

// 5. The stack alone, against its own floor, beside the action's ratio.
const stackFloor = await measureStackFloor();
console.log('\nthe stack alone (scripts/stack-floor.mjs: the same packages and 4 round trips, nothing else), bundled');
console.log(`  median ${fmt(stackFloor.ms)}, floor ${fmt(stackFloor.floor)}: ratio ${stackFloor.ratio.toFixed(2)}`);
console.log(`  the action above it: ${(floorRatio - stackFloor.ratio).toFixed(2)} of its floor`);

// 2-4. Twenty repositories x 2 secrets.
{
  const repositoryNames = Array.from(
    { length: REPOSITORY_COUNT },
    (_, i) => `acme/repo-${String(i + 1).padStart(2, '0')}`,
  );
  const scenario = await startScenario({
    repositories: Object.fromEntries(repositoryNames.map((name) => [name, 'write' as const])),
    latencyMs: LATENCY_MS,
  });
  try {
    // 2. Bundled, and the peer after each of our runs (same fake, same latency), so drift hits all alike.
    {
      const peers = PEER_DIST ? PEER_CONFIGURATIONS : [];
      checkExit((await runBundled(scenario, scenario.inputs)).result); // warm-up
      for (const peer of peers) await runPeer(scenario, repositoryNames, peer);
      const samples: Sample[] = [];
      const peerSamples = new Map<PeerConfiguration, Sample[]>(peers.map((peer) => [peer, []]));
      for (let i = 0; i < LARGE_RUNS; i++) {
        const from = mark(scenario);
        const { sample, result } = await runBundled(scenario, scenario.inputs);
        checkExit(result);
        checkWrites(scenario, from, REPOSITORY_COUNT);
        samples.push(sample);
        for (const peer of peers) peerSamples.get(peer)!.push(await runPeer(scenario, repositoryNames, peer));
      }
      const roundTrips = median(samples.map((s) => s.roundTrips));
      bundledLargeMs = median(samples.map((s) => s.wallMs));
      console.log(
        `\n${REPOSITORY_COUNT} repositories x ${SECRETS_PER_REPOSITORY} secrets, bundled action (child process), write concurrency ${WRITE_CONCURRENCY} (default), rotation and proof included`,
      );
      console.log(`  ${describe(samples)}`);
      console.log(
        `  target: fewer than ${TARGET_ROUND_TRIPS} round trips on the critical path: ${roundTrips < TARGET_ROUND_TRIPS ? 'met' : 'NOT met'} (${roundTrips}); wall time = ${(bundledLargeMs / rtt).toFixed(1)} round-trip times, node start included`,
      );
      const floorRoundTrips = 3 + Math.ceil((REPOSITORY_COUNT * SECRETS_PER_REPOSITORY) / WRITE_CONCURRENCY);
      const largeFloor = nodeStartMs + floorRoundTrips * rtt;
      largeFloorRatio = bundledLargeMs / largeFloor;
      console.log(
        `  floor = start + ${floorRoundTrips} round trips (token, rotate, proof, writes): ${fmt(largeFloor)}; ratio ${largeFloorRatio.toFixed(2)}`,
      );
      trace('bundled', samples);
      rows.push({ name: `${REPOSITORY_COUNT} repos, bundled`, samples });
      for (const [peer, list] of peerSamples) {
        const peerMedian = median(list.map((s) => s.wallMs));
        peerMs.set(peer.name, peerMedian);
        console.log(`  peer (${peer.name}), the writes alone:`);
        console.log(`    ${describe(list)}`);
        console.log(
          `    ratio ours / peer: ${(bundledLargeMs / peerMedian).toFixed(2)}  (target <= ${PEER_RATIO_TARGET})`,
        );
        rows.push({
          name: `${REPOSITORY_COUNT} repos, peer, ${peer.listRegex ? 'defaults' : 'explicit list'}`,
          samples: list,
        });
      }
      if (!PEER_DIST) console.log(`  jpoehnelt/secrets-sync-action: not measured; to compare, ${PEER_FETCH}`);
    }

    // 3. Write-concurrency sweep, in-process, settings interleaved so drift hits each alike.
    {
      await runInProcess(scenario, scenario.inputs, WRITE_CONCURRENCY); // warm-up: JIT, libsodium, the fakes
      const bySetting = new Map<number, Sample[]>(CONCURRENCY_SETTINGS.map((c) => [c, []]));
      for (let i = 0; i < LARGE_RUNS; i++) {
        for (const concurrency of CONCURRENCY_SETTINGS) {
          const from = mark(scenario);
          const sample = await runInProcess(scenario, scenario.inputs, concurrency);
          checkWrites(scenario, from, REPOSITORY_COUNT);
          bySetting.get(concurrency)!.push(sample);
          if (sample.retries.length > 0)
            odd.push(`in-process, concurrency ${concurrency}: ${sample.retries.length} retries (${sample.retries[0]})`);
        }
      }
      console.log(
        `\nwrite-concurrency sweep: ${REPOSITORY_COUNT} repositories x ${SECRETS_PER_REPOSITORY} secrets, run() in-process (no node start)`,
      );
      for (const [concurrency, samples] of bySetting) {
        inProcessMs.set(concurrency, median(samples.map((s) => s.wallMs)));
        console.log(`  concurrency ${concurrency}: ${describe(samples)}`);
        rows.push({
          name: `${REPOSITORY_COUNT} repos, in-process, concurrency ${concurrency}${concurrency === WRITE_CONCURRENCY ? ' *' : ''}`,
          samples,
        });
      }
      console.log(`  default: WRITE_CONCURRENCY = ${WRITE_CONCURRENCY} (src/session.ts; marked * in the table)`);
      estimateBundled();
      if (TRACE)
        for (const [concurrency, samples] of bySetting) trace(`in-process, concurrency ${concurrency}`, samples);
    }

    // 4. Full lifecycle, bundled: read the ledger and take the lock, rotate, record + prove, write, retire, write the ledger.
    {
      const inputs = {
        ...scenario.inputs,
        'credential-id-variable': CREDENTIAL_ID_VARIABLE,
        'revoke-previous': 'true',
      };
      // The ledger starts from a bare ID in its home (the first repository), as a first rotation does; each run
      // then replaces the credential the run before it issued, as a schedule does.
      let previousId = await presetPreviousCredential(scenario, repositoryNames.slice(0, 1));
      const lifecycleRun = async (): Promise<Sample> => {
        const from = mark(scenario);
        const { sample, result } = await runBundled(scenario, inputs);
        checkExit(result);
        checkWrites(scenario, from, REPOSITORY_COUNT);
        if (result.outputs['revoked-credential-id'] !== previousId) {
          throw new Error(
            `the lifecycle run did not revoke ${previousId} (revoked-credential-id: "${result.outputs['revoked-credential-id'] ?? ''}")`,
          );
        }
        previousId = result.outputs['credential-id'] ?? '';
        return sample;
      };
      await lifecycleRun(); // warm-up
      const samples: Sample[] = [];
      for (let i = 0; i < LARGE_RUNS; i++) samples.push(await lifecycleRun());
      const roundTrips = median(samples.map((s) => s.roundTrips));
      console.log(
        `\n${REPOSITORY_COUNT} repositories, full lifecycle (credential-id-variable: ${CREDENTIAL_ID_VARIABLE}, revoke-previous: true), bundled action`,
      );
      console.log(`  ${describe(samples)}`);
      console.log(
        `  target: fewer than ${TARGET_ROUND_TRIPS} round trips on the critical path: ${roundTrips < TARGET_ROUND_TRIPS ? 'met' : 'NOT met'} (${roundTrips}); wall time = ${(median(samples.map((s) => s.wallMs)) / rtt).toFixed(1)} round-trip times, node start included`,
      );
      trace('full lifecycle', samples);
      rows.push({ name: `${REPOSITORY_COUNT} repos, full lifecycle, bundled`, samples });
    }
  } finally {
    await scenario.close();
  }
}

// 6. 300 repositories x 2 secrets against GitHub's documented secondary limits, on a simulated clock.
const limits = await measureSecondaryLimits(LIMITS_REPOSITORIES);
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
const limitsRatio = limits.leastMs > 0 ? limits.elapsedMs / limits.leastMs : 1;
console.log(
  `\n${LIMITS_REPOSITORIES} repositories x ${SECRETS_PER_REPOSITORY} secrets against GitHub's documented secondary rate limits (simulated clock, no latency; in-process)`,
);
console.log(
  `  ${limits.githubRequests} GitHub requests (${limits.writes} writes); refused for a limit: ${limits.hits.total}${limits.hits.total ? ` (${JSON.stringify(limits.hits.by)})` : ''}`,
);
console.log(
  `  first GitHub request to last write: ${minutes(limits.elapsedMs)}; least the limits allow: ${minutes(limits.leastMs)}; ratio ${limitsRatio.toFixed(2)} (real time ${fmt(limits.realMs)})`,
);
if (limits.pacing) console.log(`  the action's log: ${limits.pacing}`);

console.log(
  `\nsummary (latency ${LATENCY_MS} ms per fake response, one round trip ${fmt(rtt)}; * = default write concurrency)`,
);
printTable(rows, rtt);
for (const note of odd) console.log(`note: ${note}`);
printTargets();
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
console.log("\nGitHub's secondary limits, 300 x 2");
console.log(
  `  ${LIMITS_REPOSITORIES} x ${SECRETS_PER_REPOSITORY}, secondary-limit hits: ${limits.hits.total} (goal 0: ${met(limits.hits.total === 0)})`,
);
console.log(
  `  ${LIMITS_REPOSITORIES} x ${SECRETS_PER_REPOSITORY}, time / least the limits allow: ${limitsRatio.toFixed(2)} (goal <= ${LIMITS_RATIO_GOAL}: ${met(limitsRatio <= LIMITS_RATIO_GOAL)})`,
);
