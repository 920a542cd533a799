/**
 * What every team client of the engine (mirror client.ts, approvals-client.ts, team-policy-sync.ts, join.ts)
 * does the same way around `fetch`: the bearer header (RFC 6750 §2.1), reading a body that may not be JSON,
 * the server's error fields (protocol.ts: every error is `{error, message}`), and a failed fetch's cause in a
 * few words for a status line or a log.
 */

/** `Authorization: Bearer <token>` (RFC 6750 §2.1) with `extra` headers. */
export function bearerHeaders(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}

/** Largest answer body a team client reads (bytes): a hostile or broken server cannot exhaust the engine's memory. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * The body of `response` as UTF-8 text, read up to `limit` bytes; undefined when it is larger (the rest is not
 * read: the stream is cancelled) or unreadable. Never throws.
 */
export async function readText(response: Response, limit = MAX_ANSWER_BYTES): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body of `response` parsed as JSON; undefined when it is empty, larger than {@link MAX_ANSWER_BYTES},
 * unreadable or not JSON. Never throws.
 */
export async function readJson(response: Response): Promise<unknown> {
  const text = await readText(response);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The server's `{error, message}` of an error answer's body; each undefined when absent or not a string. */
export function errorFields(body: unknown): { error?: string; message?: string } {
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return {
    ...(typeof fields.error === 'string' ? { error: fields.error } : {}),
    ...(typeof fields.message === 'string' ? { message: fields.message } : {}),
  };
}

/**
 * A failed fetch's cause in a few words: "timed out" for a timeout, else the system error's code
 * ("ECONNREFUSED") or message that undici wraps in `cause`, else the error's own message; one line of at most
 * 300 characters.
 */
export function fetchFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) return oneLine((cause as Error & { code?: string }).code ?? cause.message);
    return oneLine(error.message);
  }
  return 'failed';
}

/** At most one line of 300 characters. */
export function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
