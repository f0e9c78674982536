/**
 * What the action prints is read by the runner as workflow commands and by
 * people in the job summary, so nothing that came from a server (an error
 * message, an ID, a date) may reach either unchecked, and no secret may reach
 * them at all:
 *
 * - `Redactor` remembers every secret the run masked and replaces it, and
 *   anything shaped like a ConductorOne client secret, a JWT or a bearer
 *   token, before an error body is shown. The runner masks registered secrets
 *   too, but only line by line and only in the log, not in the job summary.
 * - `oneLine` keeps a server's text on one line, so it cannot start a line the
 *   runner reads as a workflow command (`::stop-commands::`, `::set-output`).
 *   https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
 */

/** Plain text in a log line and in Markdown alike: no character here starts a link, a tag or a cell. */
const REDACTED = '(redacted)';

/** Shapes of credentials worth hiding even when this run never saw the value. */
const CREDENTIAL_SHAPES: ReadonlyArray<[RegExp, string]> = [
  // ConductorOne client secrets: secret-token:conductorone.com:v1:<base64url JWK>
  [/secret-token:[^\s"'<>]*:[A-Za-z0-9_-]{8,}/gi, REDACTED],
  // JWTs (client assertions, OIDC tokens): three base64url parts, the first a JSON header.
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // An authorization header as a server might echo it.
  [/\b(Bearer|Basic|token) +[A-Za-z0-9._~+/=-]{16,}/gi, `$1 ${REDACTED}`],
  // GitHub tokens (https://github.blog/engineering/behind-githubs-new-authentication-token-formats/)
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
];

export class Redactor {
  private readonly secrets = new Set<string>();

  /**
   * Remembers a secret, and each of its lines (the runner masks line by line),
   * also as the job summary would show it escaped.
   */
  add(value: string): void {
    for (const part of secretParts(value)) {
      if (part.length < 4) continue;
      this.secrets.add(part);
      this.secrets.add(markdownText(part));
    }
  }

  /** The text with every known secret and every credential-shaped string replaced. */
  redact(text: string): string {
    let result = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length))
      result = result.split(secret).join(REDACTED);
    return redactCredentialShapes(result);
  }
}

/** The text with everything shaped like a credential replaced (no knowledge of this run's secrets needed). */
export function redactCredentialShapes(text: string): string {
  let result = text;
  for (const [shape, replacement] of CREDENTIAL_SHAPES) result = result.replace(shape, replacement);
  return result;
}

/** The value and each of its non-empty lines: what must be masked for the runner to hide it. */
export function secretParts(value: string): string[] {
  const lines = value.split(/\r\n|\r|\n/).filter((line) => line.trim() !== '');
  return lines.length > 1 ? [value, ...lines] : [value];
}

/** Line breaks and other control characters (C0, DEL, C1, Unicode line and paragraph separators). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what these are for.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/**
 * Text from a server, made fit for one log line: control characters become a
 * space and the length is capped, so it can neither start a workflow command
 * nor flood the log.
 */
export function oneLine(text: string, maxLength = 300): string {
  const flat = text.replace(CONTROLS, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

/**
 * A server's words (an error message, an exception's text) for a message:
 * one line, cut short, and nothing shaped like a credential.
 */
export function serverText(text: string, maxLength = 300): string {
  return oneLine(redactCredentialShapes(text), maxLength);
}

/**
 * Text for one cell or line of the job summary (GitHub-flavoured Markdown,
 * which also renders some HTML): one line, with HTML characters as entities
 * and the characters that make code spans, links, images and table cells
 * escaped, so a server's text can add no tag, link, image or cell.
 */
export function markdownText(text: string): string {
  return oneLine(text, 2000)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`|[\]]/g, '\\$&');
}
