/**
 * The mirror's HTTP client for the two mirroring routes of the team server (proxy/sync/protocol.ts): a
 * session's head and a batch of its next events. Every answer becomes an {@link Outcome} the mirror can act on;
 * nothing here throws for what the server or the network does. The token is sent, never logged nor put in an
 * outcome's message.
 */
import { retryAfterMs } from './backoff.js';
import { bearerHeaders, errorFields, fetchFailure, oneLine, readJson } from './http.js';
import { BatchAcceptedSchema, type SessionHead, SessionHeadSchema } from './protocol.js';

/** What one request came to. */
export type Outcome =
  /** 200 (a batch: the head after it; a head request: the server's head; 404 on a head: seq 0). */
  | { type: 'head'; head: SessionHead; duplicates: number }
  /** 409 gap: resume after the server's head. */
  | { type: 'gap'; head: SessionHead }
  /** 422 (integrity), 403 (not the owner), 413 or 400: the server will refuse this again. */
  | { type: 'refused'; status: number; code: string; message: string }
  /** 401: the token is not accepted; wait for another. */
  | { type: 'unauthorized'; message: string }
  /** 429: come back after `retryAfterMs`. */
  | { type: 'rate_limited'; retryAfterMs: number }
  /** Network error, timeout, 5xx or an unreadable answer: back off and retry. */
  | { type: 'unavailable'; message: string };

/** How long one request may take before it counts as failed (ms). */
const REQUEST_TIMEOUT_MS = 60_000;
/** Retry-After when a 429 carries none (ms). */
const DEFAULT_RETRY_AFTER_MS = 1_000;

/** Requests to one team server. */
export class TeamClient {
  /**
   * @param baseUrl the server's URL without trailing slash (settings.ts teamBaseUrl)
   * @param stop aborts requests in flight
   * @param timeoutMs how long one request may take (ms)
   */
  constructor(
    private readonly baseUrl: string,
    /** Aborts every request in flight (the mirror stopping). */
    private readonly stop?: AbortSignal,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  /** `GET /v1/sessions/:id/head`; 404 (the server has none of it) is head seq 0, hash = the id. */
  async head(sessionId: string, token: string): Promise<Outcome> {
    const answer = await this.request('GET', sessionId, 'head', token);
    if (answer.type !== 'response') return answer;
    const { status, body } = answer;
    if (status === 404) return { type: 'head', head: { seq: 0, hash: sessionId }, duplicates: 0 };
    if (status === 200) {
      const parsed = SessionHeadSchema.safeParse(body);
      if (parsed.success) return { type: 'head', head: parsed.data, duplicates: 0 };
      return { type: 'unavailable', message: 'the server answered a head that is not a head' };
    }
    return classify(status, body, answer.retryAfter);
  }

  /** `POST /v1/sessions/:id/events` with a body from batch.ts. */
  async send(sessionId: string, body: string, token: string): Promise<Outcome> {
    const answer = await this.request('POST', sessionId, 'events', token, body);
    if (answer.type !== 'response') return answer;
    const { status } = answer;
    if (status === 200) {
      const parsed = BatchAcceptedSchema.safeParse(answer.body);
      if (parsed.success) return { type: 'head', head: parsed.data.head, duplicates: parsed.data.duplicates };
      return {
        type: 'unavailable',
        message: 'the server accepted the batch with an answer that is not the protocol',
      };
    }
    return classify(status, answer.body, answer.retryAfter);
  }

  private async request(
    method: 'GET' | 'POST',
    sessionId: string,
    what: 'head' | 'events',
    token: string,
    body?: string,
  ): Promise<
    | { type: 'response'; status: number; body: unknown; retryAfter: string | null }
    | Extract<Outcome, { type: 'unavailable' }>
  > {
    const url = `${this.baseUrl}/v1/sessions/${encodeURIComponent(sessionId)}/${what}`;
    try {
      const response = await fetch(url, {
        method,
        headers: bearerHeaders(token, {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        }),
        ...(body !== undefined ? { body } : {}),
        signal: this.stop
          ? AbortSignal.any([this.stop, AbortSignal.timeout(this.timeoutMs)])
          : AbortSignal.timeout(this.timeoutMs),
      });
      return {
        type: 'response',
        status: response.status,
        body: await readJson(response),
        retryAfter: response.headers.get('retry-after'),
      };
    } catch (error) {
      return { type: 'unavailable', message: `cannot reach ${this.baseUrl}: ${fetchFailure(error)}` };
    }
  }
}

/** The outcome of a non-200 answer. */
function classify(status: number, body: unknown, retryAfter: string | null): Outcome {
  const fields = errorFields(body);
  const code = fields.error ?? `http_${status}`;
  const message = oneLine(fields.message ?? `HTTP ${status}`);
  if (status === 409 && code === 'gap') {
    const head = SessionHeadSchema.safeParse((body as { head?: unknown } | undefined)?.head);
    if (head.success) return { type: 'gap', head: head.data };
  }
  if (status === 401) return { type: 'unauthorized', message: `401 ${code}: ${message}` };
  if (status === 429)
    return { type: 'rate_limited', retryAfterMs: retryAfterMs(retryAfter) ?? DEFAULT_RETRY_AFTER_MS };
  if (status === 422 || status === 403 || status === 413 || status === 400)
    return { type: 'refused', status, code, message: `${status} ${code}: ${message}` };
  return { type: 'unavailable', message: `${status} ${code}: ${message}` };
}
