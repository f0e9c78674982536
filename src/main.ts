/**
 * run(): the action as the runner starts it. It builds the real context
 * (@actions/core, loaded once needed: see lazy-core.ts; one undici dispatcher
 * for both APIs) and calls the pipeline in run.ts, then makes sure the process
 * ends: a cancelled run (SIGINT, SIGTERM) reports what it had done, and
 * connections are closed within a bound even when a proxy stalls.
 *
 * @github/local-action calls run() too, with a stand-in for @actions/core of
 * its own: the run must behave there as on the runner (inputs, masks, the
 * failure it reports), so only index.ts, the runner's entry point, asks for
 * the early start.
 */
import { setFlagsFromString } from 'node:v8';
import { EnvHttpProxyAgent } from 'undici';
import type { ActionCore } from './action-core.js';
import { ActionError, errorMessage } from './errors.js';
import { closeDispatcher, Http, warmHttpParser } from './http.js';
import { type CoreModule, getInput, LazyCore, mask } from './lazy-core.js';
import { cancelledMessage } from './messages.js';
import { RunProgress } from './progress.js';
import { Redactor } from './redact.js';
import { renderCancelledSummary } from './report.js';
import { runPipeline } from './run.js';

/** How long open connections get to close, and then to be destroyed, before the process exits anyway. */
const CLOSE_BOUND_MS = 2_000;

export interface RunOptions {
  /**
   * Start before @actions/core has loaded: inputs are read from INPUT_* and
   * masks written as `::add-mask::` lines, exactly as @actions/core does
   * (lazy-core.ts), so the first requests leave sooner. Without it, whatever
   * @actions/core the process has (a local runner's stand-in) loads first and
   * every mask goes through its setSecret, which keeps the secret out of that
   * runner's output as GitHub's runner hides `::add-mask::` lines.
   */
  early?: boolean;
}

export async function run(options: RunOptions = {}): Promise<void> {
  // Without this, V8 recompiles the busiest WebAssembly functions (undici's HTTP
  // parser, llhttp, first) with its optimizing compiler in background threads,
  // and a process cannot exit before they finish: tens of milliseconds after
  // the last answer, for code a run this short has no use for. Set before
  // either WebAssembly module compiles (the HTTP parser, libsodium).
  setFlagsFromString('--liftoff-only');
  warmHttpParser();
  // HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured for ConductorOne and GitHub
  // alike (self-hosted runners behind a corporate proxy).
  const dispatcher = new EnvHttpProxyAgent({ connect: { timeout: 10_000 } });
  const redactor = new Redactor();
  const failed = (core: CoreModule, err: unknown) => fail(core, err, redactor);
  const output = new LazyCore(failed);
  const setSecret = options.early ? mask : await maskThrough(output);
  const http = new Http({ dispatcher, log: (message) => output.use((core) => core.info(message)) });
  const progress = new RunProgress();
  const stopListening = onCancel(async (signal) => {
    // A new credential nothing records or holds yet is revoked before anything else.
    const revoke = progress.revokeUnrecorded;
    if (revoke) {
      progress.revokeUnrecorded = undefined;
      progress.revokedOnCancel = Boolean(
        await withinBound(
          revoke().then(() => true),
          CLOSE_BOUND_MS,
        ),
      );
    }
    const message = cancelledMessage(signal, progress);
    output.use((core) => core.setFailed(redactor.redact(message)));
    const summary = writeSummary(output, redactor.redact(renderCancelledSummary(message, progress)));
    // Give the rotation lock back, so a re-run need not wait for it to expire.
    const unlocked = progress.lock?.release();
    await withinBound(Promise.all([output.load(), summary, unlocked]), CLOSE_BOUND_MS);
    await closeDispatcher(dispatcher, CLOSE_BOUND_MS);
    process.exit(1);
  });
  try {
    await runPipeline({ core: actionsCore(output, setSecret), http, progress, redactor });
  } catch (err) {
    output.use((core) => fail(core, err, redactor));
  } finally {
    stopListening();
    // Keep-alive sockets would hold the process open for seconds; a stalled one, for ever.
    await Promise.all([output.load(), closeDispatcher(dispatcher, CLOSE_BOUND_MS)]);
    // Whatever else might still hold the event loop, the step ends. Unref'd,
    // so a process that can exit by itself does not wait for it.
    setTimeout(() => process.exit(), CLOSE_BOUND_MS).unref();
  }
}

/**
 * Expected failures are already one actionable sentence; a stack is shown
 * only when the run has step debug logging on (ACTIONS_STEP_DEBUG).
 */
function fail(core: CoreModule, err: unknown, redactor: Redactor): void {
  if (core.isDebug() && err instanceof Error && err.stack) core.debug(redactor.redact(err.stack));
  const message = err instanceof ActionError ? err.message : `Unexpected error: ${errorMessage(err)}`;
  core.setFailed(redactor.redact(message));
  // @actions/core's setFailed sets it; @github/local-action's stand-in does not, and would report success.
  process.exitCode = 1;
}

/** setSecret of @actions/core once loaded, for a run that waits for it. */
async function maskThrough(output: LazyCore): Promise<(value: string) => void> {
  const core = await output.load();
  return (value) => core.setSecret(value);
}

/** @actions/core, narrowed to what the pipeline uses. */
function actionsCore(output: LazyCore, setSecret: (value: string) => void): ActionCore {
  return {
    getInput,
    setSecret,
    oidcAvailable: () => Boolean(process.env.ACTIONS_ID_TOKEN_REQUEST_URL),
    getEnv: (name) => process.env[name] ?? '',
    getIdToken: async (audience) => (await output.load()).getIDToken(audience),
    setOutput: (name, value) => output.use((core) => core.setOutput(name, value)),
    info: (message) => output.use((core) => core.info(message)),
    warning: (message, title) => output.use((core) => core.warning(message, { title })),
    writeSummary: (markdown) => writeSummary(output, markdown),
    preload: () => void output.load().catch(() => {}),
  };
}

async function writeSummary(output: LazyCore, markdown: string): Promise<void> {
  // Outside a runner (a local try) there is no summary file to write.
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const core = await output.load();
  try {
    await core.summary.addRaw(markdown, true).write();
  } catch (err) {
    core.warning(`Could not write the job summary: ${errorMessage(err)}`);
  }
}

/** Calls `handler` once on the first SIGINT or SIGTERM; a second signal ends the process at once. */
function onCancel(handler: (signal: string) => Promise<void>): () => void {
  let cancelled = false;
  const listener = (signal: NodeJS.Signals) => {
    if (cancelled) process.exit(1);
    cancelled = true;
    void handler(signal).finally(() => process.exit(1));
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/** The promise's value, or undefined when it fails or takes longer than `ms`. */
function withinBound<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([
    promise.catch(() => undefined),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref()),
  ]);
}
