/**
 * ConductorOne answers errors with a gRPC status as JSON, `{code, message,
 * details}`; only `message` is for people. Bodies of successful responses are
 * never passed here: they can hold a client secret or a token.
 */
export async function describeErrorResponse(response: Response): Promise<string> {
  let message = '';
  try {
    const text = await response.text();
    const body = JSON.parse(text) as { message?: unknown; error_description?: unknown; error?: unknown };
    const candidate = body.message ?? body.error_description ?? body.error;
    if (typeof candidate === 'string') message = candidate;
  } catch {
    // not JSON (a proxy's HTML page, say): the status alone must do
  }
  message = message.replace(/\s+/g, ' ').trim().slice(0, 300);
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return message ? `${status}: ${message}` : status;
}
