import { STATUS_CODES } from 'node:http';
import { asRecord } from '../anthropic/message.js';
import { isoFromMicros } from '../common/time.js';
import type { RecordedEvent, Session } from '../store/types.js';

/** Export formats of `glassbox export`. */
export const EXPORT_FORMATS = ['jsonl', 'har', 'sql'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * JSON Lines: a `{"type":"session",…}` line, then one `{"type":"event",…}` line per event with its hash, so
 * the chain can be re-verified from the file alone.
 */
export function* exportJsonl(session: Session, events: Iterable<RecordedEvent>): Generator<string> {
  yield `${JSON.stringify({ type: 'session', ...session })}\n`;
  for (const event of events) yield `${JSON.stringify({ type: 'event', ...event })}\n`;
}

/**
 * Why `session` cannot be exported as `format`, phrased to follow "--format " or "format ": HAR holds HTTP
 * exchanges (Claude sessions, and other HTTP sessions), SQL holds statements (PostgreSQL sessions).
 * @returns undefined when it can
 */
export function formatRefusal(
  session: Pick<Session, 'id' | 'kind'>,
  format: ExportFormat,
): string | undefined {
  if (format === 'har' && session.kind === 'postgres')
    return `har is for Claude sessions; ${session.id} is postgres (use jsonl or sql)`;
  if (format === 'sql' && session.kind !== 'postgres')
    return `sql is for PostgreSQL sessions; ${session.id} is ${session.kind} (use jsonl or har)`;
  return undefined;
}

type HarHeader = { name: string; value: string };

/**
 * HAR 1.2 (W3C Web Performance WG draft "HTTP Archive (HAR) format"): one entry per recorded exchange, its
 * URL the one the request was forwarded to (recorded `upstream` + path; `https://` + the session's target
 * for recordings made before the upstream was recorded), `statusText` the status's reason phrase (RFC 9110
 * §15) and Glassbox's outcome in the entry's `comment`. Credentials appear as the fingerprints that were
 * stored. A streamed reply's content is the message Glassbox reconstructed from the stream, not the raw
 * event stream: its `content.comment` says so.
 */
export function exportHar(session: Session, events: Iterable<RecordedEvent>, version: string): string {
  const requests = new Map<number, RecordedEvent>();
  const entries: unknown[] = [];
  for (const event of events) {
    const payload = asRecord(event.payload) ?? {};
    if (event.kind === 'http.request') {
      requests.set(event.seq, event);
      continue;
    }
    if (event.kind !== 'llm.turn' && event.kind !== 'http.exchange') continue;
    const request = requests.get(Number(payload.request_seq));
    if (request) entries.push(harEntry(session, asRecord(request.payload) ?? {}, request.ts, payload));
  }
  return `${JSON.stringify(
    {
      log: {
        version: '1.2',
        creator: { name: 'Glassbox', version },
        comment: `Glassbox session ${session.id} (${session.kind}, ${session.target})`,
        entries,
      },
    },
    null,
    2,
  )}\n`;
}

function harEntry(session: Session, req: Record<string, unknown>, ts: number, out: Record<string, unknown>) {
  const url = upstreamUrl(session, req);
  const timings = asRecord(out.timings) ?? {};
  const ms = (us: unknown) => (typeof us === 'number' ? us / 1000 : -1);
  const total = ms(timings.total_us);
  const wait = ms(timings.headers_us);
  const requestText = bodyText(req);
  const responseText =
    out.response !== undefined && out.response !== null ? JSON.stringify(out.response) : bodyText(out);
  const responseHeaders = headerList(out.response_headers);
  const status = typeof out.status === 'number' ? out.status : 0;
  const comment = [`outcome: ${String(out.outcome ?? 'unknown')}`];
  if (out.stream) comment.push('streamed reply; content is the message reconstructed from the event stream');
  return {
    startedDateTime: isoFromMicros(ts),
    time: Math.max(total, 0),
    request: {
      method: String(req.method ?? 'GET'),
      url: url.toString(),
      httpVersion: 'HTTP/1.1',
      headers: headerList(req.headers),
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      cookies: [],
      headersSize: -1,
      bodySize: typeof req.body_bytes === 'number' ? req.body_bytes : -1,
      ...(requestText !== null
        ? {
            postData: {
              mimeType: headerValue(req.headers, 'content-type') ?? 'application/json',
              text: requestText,
            },
          }
        : {}),
    },
    response: {
      status,
      statusText: STATUS_CODES[status] ?? '',
      httpVersion: 'HTTP/1.1',
      headers: responseHeaders,
      cookies: [],
      content: {
        size: typeof out.response_bytes === 'number' ? out.response_bytes : -1,
        mimeType: out.stream
          ? 'application/json'
          : (headerValue(out.response_headers, 'content-type') ?? 'application/json'),
        ...(responseText !== null ? { text: responseText } : {}),
        ...(out.stream ? { comment: STREAMED_CONTENT } : {}),
      },
      redirectURL: '',
      headersSize: -1,
      bodySize: typeof out.response_bytes === 'number' ? out.response_bytes : -1,
    },
    cache: {},
    timings: { send: 0, wait: Math.max(wait, 0), receive: Math.max(total - Math.max(wait, 0), 0) },
    comment: comment.join('; '),
  };
}

/** The note on a streamed reply's content: what its text is, and what it is not. */
const STREAMED_CONTENT =
  'The reply was streamed as text/event-stream; this is the message Glassbox reconstructed from its events ' +
  '(as application/json), not the raw stream. size is the size of the stream.';

/** The URL a request was forwarded to: its recorded upstream base and path (see {@link exportHar}). */
function upstreamUrl(session: Session, req: Record<string, unknown>): URL {
  const path = String(req.path ?? '/');
  const base = typeof req.upstream === 'string' ? req.upstream : `https://${session.target}`;
  try {
    return path.startsWith('/') ? new URL(`${base}${path}`) : new URL(path, base);
  } catch {
    return new URL(base);
  }
}

function bodyText(payload: Record<string, unknown>): string | null {
  if (payload.body !== undefined) return JSON.stringify(payload.body);
  if (typeof payload.body_raw === 'string') return payload.body_raw;
  return null;
}

function headerList(headers: unknown): HarHeader[] {
  return Object.entries(asRecord(headers) ?? {}).map(([name, value]) => ({ name, value: String(value) }));
}

function headerValue(headers: unknown, name: string): string | undefined {
  const value = asRecord(headers)?.[name];
  return typeof value === 'string' ? value : undefined;
}
