/**
 * The part of @actions/core the pipeline uses, narrowed to an interface so
 * tests pass a fake, and `guardCore`, which every run wraps around it so that
 * nothing the pipeline prints can carry a secret or a workflow command.
 */
import type { InputSource } from './inputs.js';
import { Redactor, secretParts } from './redact.js';
import type { ReportCore } from './report.js';

export interface ActionCore extends InputSource, ReportCore {
  info(message: string): void;
  /** A `::warning::` annotation: a run that succeeded but needs a person's attention. */
  warning(message: string, title: string): void;
  /** core.getIDToken: the workflow's GitHub OIDC token for an audience. */
  getIdToken(audience: string): Promise<string>;
  /** Appends Markdown to the job summary. */
  writeSummary(markdown: string): Promise<void>;
  /**
   * Starts loading what output needs, if that is not done yet: the pipeline
   * calls it while its first requests are in flight. Output asked for before
   * then is not lost, only later.
   */
  preload?(): void;
}

/**
 * - `setSecret` masks each line of a multi-line value as well as the whole
 *   (the runner masks line by line), and remembers the value for redaction.
 * - `info` keeps every message on one line: a value that slipped through with
 *   a line break can never start a line the runner reads as a command.
 * - Every text (log line, annotation, output, summary) is redacted of every
 *   secret the run knows and of anything shaped like a credential.
 */
export function guardCore(core: ActionCore, redactor: Redactor = new Redactor()): ActionCore {
  const clean = (text: string) => redactor.redact(text);
  return {
    getInput: (name) => core.getInput(name),
    oidcAvailable: () => core.oidcAvailable(),
    getEnv: (name) => core.getEnv(name),
    setSecret: (value) => {
      for (const part of secretParts(value)) core.setSecret(part);
      redactor.add(value);
    },
    getIdToken: (audience) => core.getIdToken(audience),
    setOutput: (name, value) => core.setOutput(name, clean(value)),
    info: (message) => core.info(clean(message).replace(/[\r\n\u2028\u2029]+/g, ' ')),
    warning: (message, title) => core.warning(clean(message), title),
    writeSummary: (markdown) => core.writeSummary(clean(markdown)),
    preload: () => core.preload?.(),
  };
}
