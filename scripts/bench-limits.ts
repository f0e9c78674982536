/**
 * npm run bench, part 6: a rotation into 300 repositories x 2 secrets against a
 * fake GitHub that enforces GitHub's documented secondary rate limits (100
 * concurrent requests; 900 points a minute, a write costing 5; 80
 * content-creating requests a minute and 500 an hour: test/fakes/github-limits.ts).
 *
 * The run is an hour long in GitHub's time, so it runs on a simulated clock:
 * run() from src/run.ts in this process, its Http on a clock that moves only
 * when nothing is in flight and every part of the run waits on the clock
 * (then it jumps to the earliest wait's end), and the fake's limits on the
 * same clock. Requests themselves take no simulated time (no latency). What it
 * reports: the requests GitHub refused for a limit (goal 0), and the time from
 * the first GitHub request to the last write against the least the limits
 * allow for the same requests in the same order (goal at most 1.1 x).
 */
import { setImmediate as turn } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { type Clock, Http } from '../src/http.js';
import { type ActionCore, runPipeline } from '../src/run.js';
import { leastTimeMs } from '../test/fakes/github-limits.js';
import { startScenario } from '../test/fakes/scenario.js';

export interface LimitsMeasurement {
  repositories: number;
  githubRequests: number;
  writes: number;
  hits: { total: number; by: Record<string, number> };
  /** From the first GitHub request to the last write, on the simulated clock. */
  elapsedMs: number;
  leastMs: number;
  /** The same run's real time, spent mostly sealing and sending. */
  realMs: number;
  /** What the action said while its budget held requests back (the first such line). */
  pacing: string | undefined;
}

/** A clock that moves only when told: to the end of the earliest wait. */
class SimulatedClock implements Clock {
  private at = Date.UTC(2026, 2, 1, 12, 0, 0);
  private readonly sleepers: Array<{ at: number; wake: () => void }> = [];

  readonly now = (): number => this.at;
  readonly random = (): number => 0.5;
  readonly sleep = (ms: number): Promise<void> =>
    new Promise((wake) => this.sleepers.push({ at: this.at + Math.max(0, ms), wake }));

  /** Jumps to the earliest wait's end and wakes everyone due then; false when nobody waits. */
  advance(): boolean {
    if (this.sleepers.length === 0) return false;
    this.at = Math.max(this.at, Math.min(...this.sleepers.map((s) => s.at)));
    for (const due of this.sleepers.filter((s) => s.at <= this.at)) {
      this.sleepers.splice(this.sleepers.indexOf(due), 1);
      due.wake();
    }
    return true;
  }
}

/** Event-loop turns with nothing in flight before the clock may move: the run's own work between requests settles first. */
const QUIET_TURNS = 50;

export async function measureSecondaryLimits(repositories = 300): Promise<LimitsMeasurement> {
  const clock = new SimulatedClock();
  const names = Array.from({ length: repositories }, (_, i) => `acme/repo-${String(i + 1).padStart(3, '0')}`);
  const scenario = await startScenario({
    repositories: Object.fromEntries(names.map((name) => [name, 'write' as const])),
    githubSecondaryLimits: { now: clock.now },
  });
  const githubOrigin = new URL(scenario.github.url).origin;
  const sent: Array<{ method: string; at: number }> = [];
  let inFlight = 0;
  const agent = new Agent({ connect: { timeout: 10_000 } });
  // Http sends with request() and reads the body whole: the answer is read here, so that
  // "in flight" lasts until it is in.
  const counting = {
    async request(options: Dispatcher.RequestOptions) {
      inFlight += 1;
      if (String(options.origin) === githubOrigin) sent.push({ method: String(options.method), at: clock.now() });
      try {
        const answer = await agent.request(options);
        const bytes = Buffer.from(await answer.body.arrayBuffer());
        return { ...answer, body: Object.assign(wholeBody(bytes), { destroy() {} }) };
      } finally {
        inFlight -= 1;
      }
    },
  } as unknown as Dispatcher;
  let done = false;
  const driver = (async () => {
    for (let quiet = 0; !done; ) {
      await turn();
      if (inFlight > 0) quiet = 0;
      else if (++quiet >= QUIET_TURNS && clock.advance()) quiet = 0;
    }
  })();
  const logged: string[] = [];
  const started = performance.now();
  try {
    await runPipeline({ core: silentCore(scenario.inputs, logged), http: new Http({ dispatcher: counting, clock }) });
  } finally {
    done = true;
    await driver;
    await agent.close();
    await scenario.close();
  }
  const realMs = performance.now() - started;
  const writes = sent.filter((s) => s.method !== 'GET');
  const first = sent[0]?.at ?? 0;
  return {
    repositories,
    githubRequests: sent.length,
    writes: writes.length,
    hits: scenario.github.limitHits(),
    elapsedMs: (writes.at(-1)?.at ?? first) - first,
    leastMs: leastTimeMs(sent.map((s) => s.method)),
    realMs,
    pacing: logged.find((line) => line.startsWith("GitHub's secondary rate limits")),
  };
}

async function* wholeBody(bytes: Buffer): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** The runner's side of run(), for the benchmarks: inputs from the record, masks and outputs ignored, info lines kept in `logged`. */
export function silentCore(inputs: Record<string, string>, logged: string[] = []): ActionCore {
  return {
    getInput: (name) => inputs[name] ?? '',
    setSecret: () => {},
    oidcAvailable: () => false,
    getEnv: () => '',
    getIdToken: () => Promise.reject(new Error('the benchmark has no GitHub OIDC token')),
    setOutput: () => {},
    info: (message) => logged.push(message),
    warning: () => {},
    writeSummary: async () => {},
  };
}
