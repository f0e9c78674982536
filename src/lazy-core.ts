/**
 * @actions/core, loaded when the run first needs it rather than at start:
 * loading it takes several milliseconds (its HTTP client for OIDC tokens, its
 * exec and io helpers), and nothing it does is on the run's critical path.
 * Output asked for before it is loaded waits, in order; the entry point starts
 * the loading once the first requests are in flight (ActionCore.preload).
 *
 * Two things never wait: inputs are read from INPUT_* as @actions/core's
 * getInput reads them, and masks are written at once as its setSecret writes
 * them, so that no secret can be printed before its `::add-mask::` line.
 */
import { EOL } from 'node:os';
import type * as Core from '@actions/core';

export type CoreModule = typeof Core;

export class LazyCore {
  private core: CoreModule | undefined;
  private loading: Promise<CoreModule> | undefined;
  private readonly waiting: Array<(core: CoreModule) => void> = [];

  /** `failed` hears of a waiting call that threw once it ran: nobody is left to catch it. */
  constructor(private readonly failed: (core: CoreModule, err: unknown) => void) {}

  /** Starts loading @actions/core (once); resolves once it and every call that waited for it have run. */
  load(): Promise<CoreModule> {
    this.loading ??= import('@actions/core').then((core) => {
      this.core = core;
      for (const call of this.waiting.splice(0)) {
        try {
          call(core);
        } catch (err) {
          this.failed(core, err);
        }
      }
      return core;
    });
    return this.loading;
  }

  /** Calls `call` with @actions/core now if it is loaded, else once it is, after the calls before it. */
  use(call: (core: CoreModule) => void): void {
    if (this.core) call(this.core);
    else this.waiting.push(call);
  }
}

/** @actions/core's getInput(name): INPUT_<NAME> (spaces as _), trimmed, empty when not set. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
}

/**
 * @actions/core's setSecret(value): the `::add-mask::` workflow command, with
 * its escaping of the command data (lib/command.js, escapeData).
 */
export function mask(value: string): void {
  const data = value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  process.stdout.write(`::add-mask::${data}${EOL}`);
}
