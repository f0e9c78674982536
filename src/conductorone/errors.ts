/**
 * ConductorOne answers errors with a gRPC status as JSON, `{code, message,
 * details}`; only `message` is for people. Bodies of successful responses are
 * never passed here: they can hold a client secret or a token. Even an error
 * body is a server's text: it is shown on one line, cut short, and with
 * anything shaped like a credential redacted (a hostile or broken server may
 * echo the request, client assertion included).
 */

import type { HttpResponse } from '../http-response.js';
import { oneLine, serverText } from '../redact.js';

/** The parts of messages that several answers share. */
export const ANY_PROXY = 'any proxy between the runner and ConductorOne';
export const CHECK_NETWORK = "Check server-url and the runner's network access.";

export async function describeErrorResponse(response: HttpResponse): Promise<string> {
  let message = '';
  try {
    const body = JSON.parse(await response.text()) as {
      message?: unknown;
      error_description?: unknown;
      error?: unknown;
    };
    const candidate = body.message ?? body.error_description ?? body.error;
    if (typeof candidate === 'string') message = candidate;
  } catch {
    // not JSON (a proxy's HTML page, say): the status alone must do
  }
  message = serverText(message, 300);
  const statusText = oneLine(response.statusText, 60);
  const status = `${response.status}${statusText ? ` ${statusText}` : ''}`;
  return message ? `${status}: ${message}` : status;
}

/** Whether an error answer is ConductorOne's own gRPC status JSON, not a proxy's page. */
export async function isConductorOneError(response: HttpResponse): Promise<boolean> {
  const body = await readJson(response);
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { code?: unknown }).code === 'number' &&
    typeof (body as { message?: unknown }).message === 'string'
  );
}

/** The JSON body, or undefined when it is not JSON. */
export async function readJson(response: HttpResponse): Promise<unknown> {
  try {
    return JSON.parse(await response.text()) as unknown;
  } catch {
    return undefined;
  }
}
