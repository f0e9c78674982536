/**
 * One error type for every expected failure (bad input, authentication,
 * unreachable target, API refusal). main.ts turns it into a single
 * `core.setFailed(message)`; anything else is a bug and keeps its stack.
 */
export class ActionError extends Error {
  override readonly name: string = 'ActionError';
}

/** An input that fails validation: reported before any request is made. */
export class InputError extends ActionError {
  override readonly name = 'InputError';
  constructor(
    readonly input: string,
    problem: string,
  ) {
    super(`Input ${input}: ${problem}`);
  }
}

/**
 * A request that could not get an answer after the retry policy gave up
 * (network error, timeout, or a transient status that kept coming back).
 * `processed` says whether the server may have acted on it: a non-idempotent
 * call like RotateCredential needs to know.
 */
export class TransportError extends ActionError {
  override readonly name = 'TransportError';
  /** The deadline of the phase it belonged to (deploy-timeout, say) ran out, not its own attempts. */
  readonly deadlineRanOut: boolean;
  /** The server was rate-limiting it when it ended. */
  readonly rateLimited: boolean;
  constructor(
    message: string,
    readonly mayHaveBeenProcessed: boolean,
    options?: { cause?: unknown; deadlineRanOut?: boolean; rateLimited?: boolean },
  ) {
    super(message, options);
    this.deadlineRanOut = options?.deadlineRanOut ?? false;
    this.rateLimited = options?.rateLimited ?? false;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
