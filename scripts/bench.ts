/**
 * npm run bench: wall time of the bundled action (dist/index.js, run as the
 * runner runs it) for one rotation into one repository, with 40 ms of latency
 * on every fake response, against a floor of a bare `node -e 0` start plus the
 * three round trips the work needs (token + public key, rotate, writes).
 *
 * Usage: npm run bench [-- --runs N]
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { runAction } from '../test/fakes/run-action.js';
import { startScenario } from '../test/fakes/scenario.js';

const LATENCY_MS = 40;
const ROUND_TRIPS = 3;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function timeNodeStart(): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
  return performance.now() - started;
}

const scenario = await startScenario({ latencyMs: LATENCY_MS });
try {
  // One round trip as the action sees it: a request answered after the latency.
  const rtts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const response = await fetch(`${scenario.conductorOne.url}/api/v1/ping`);
    await response.arrayBuffer();
    rtts.push(performance.now() - started);
  }
  const starts: number[] = [];
  const actions: number[] = [];
  // Warm the file cache once for each, then alternate so drift hits both.
  await timeNodeStart();
  await runAction({ inputs: scenario.inputs });
  for (let i = 0; i < RUNS; i++) {
    starts.push(await timeNodeStart());
    const started = performance.now();
    const result = await runAction({ inputs: scenario.inputs });
    actions.push(performance.now() - started);
    if (result.code !== 0) throw new Error(`the action failed during the benchmark:\n${result.stdout}\n${result.stderr}`);
  }
  const rtt = median(rtts);
  const start = median(starts);
  const action = median(actions);
  const floor = start + ROUND_TRIPS * rtt;
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(`runs: ${RUNS}, latency per fake response: ${LATENCY_MS} ms`);
  console.log(`node -e 0 start (median):          ${fmt(start)}`);
  console.log(`one round trip (median):           ${fmt(rtt)}`);
  console.log(`floor = start + ${ROUND_TRIPS} round trips:      ${fmt(floor)}`);
  console.log(`action, 1 repository (median):    ${fmt(action)}  [min ${fmt(Math.min(...actions))}, max ${fmt(Math.max(...actions))}]`);
  console.log(`ratio action / floor:              ${(action / floor).toFixed(2)}  (target <= 1.5)`);
} finally {
  await scenario.close();
}
