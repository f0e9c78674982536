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
 * Where the runner did not start the action, an input that is not set at all
 * gets action.yml's default, as the runner would have given it.
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

/** `${{ github.<name> }}`, as action.yml writes a default taken from the github context. */
function githubContext(name: string): string {
  return `\${{ github.${name} }}`;
}

/**
 * What the runner gives an input that the workflow does not set: its default
 * in action.yml (test/unit/lazy-core.test.ts keeps the two equal). The runner
 * sets INPUT_<NAME> for every input that has a default, so on a runner these
 * are never read; anything else that starts the action (`node dist/index.js`
 * by hand, @github/local-action) gets the same inputs as a workflow would.
 * Inputs whose default is empty are left out.
 */
export const INPUT_DEFAULTS: Readonly<Record<string, string>> = {
  'github-api-url': githubContext('api_url'),
  repositories: githubContext('repository'),
  'client-id-secret-name': 'BATON_CLIENT_ID',
  'client-secret-secret-name': 'BATON_CLIENT_SECRET',
  verify: 'true',
  'revoke-previous': 'false',
  'keep-previous-for': '6h',
  'deploy-timeout': '30m',
  'dry-run': 'false',
};

/** The expressions in those defaults, and the variables in which the runner gives every step their values. */
const CONTEXT_VARIABLES: Readonly<Record<string, string>> = {
  [githubContext('api_url')]: 'GITHUB_API_URL',
  [githubContext('repository')]: 'GITHUB_REPOSITORY',
};

/**
 * @actions/core's getInput(name): INPUT_<NAME> (spaces as _), trimmed; an
 * input that is not set at all gets its default from action.yml, as the
 * runner gives it (an input set empty stays empty, as on the runner).
 */
export function getInput(name: string): string {
  const value = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? defaultOf(name);
  return value.trim();
}

function defaultOf(name: string): string {
  const value = INPUT_DEFAULTS[name] ?? '';
  const variable = CONTEXT_VARIABLES[value];
  return variable ? (process.env[variable] ?? '') : value;
}

/**
 * @actions/core's setSecret(value): the `::add-mask::` workflow command, with
 * its escaping of the command data (lib/command.js, escapeData).
 */
export function mask(value: string): void {
  const data = value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  process.stdout.write(`::add-mask::${data}${EOL}`);
}
