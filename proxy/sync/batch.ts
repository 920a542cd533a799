/**
 * Cuts a session's next events into one `POST /v1/sessions/:id/events` body (proxy/sync/protocol.ts
 * EventBatch), bounded by {@link MAX_BATCH_EVENTS} events and {@link MAX_BATCH_BYTES} bytes of JSON. The body is
 * written from the stored rows as they are: each payload is the canonical JSON text the chain hash covers, so
 * it is never parsed and serialised again, and the size measured is the size sent.
 */
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, type SessionMeta } from './protocol.js';
import type { EventSource, SessionSource } from './state.js';

/** One request body and what it carries. */
export interface Batch {
  /** The JSON body (UTF-8). */
  body: string;
  /** Its size in bytes. */
  bytes: number;
  /** Events in it (≥ 1). */
  count: number;
  /** Its last event's seq and hash: the server's head once it accepts the batch. */
  last: { seq: number; hash: string };
}

/** Limits of {@link buildBatch} (defaults: the protocol's). */
export interface BatchLimits {
  maxEvents: number;
  /** Bytes. */
  maxBytes: number;
}

const KINDS = new Set(['anthropic', 'postgres', 'http']);
const STATUSES = new Set(['live', 'closed', 'interrupted']);

/**
 * The session's metadata as the protocol carries it, from its stored row (identity and stats are JSON text
 * there; stats keep their numeric counters only).
 * @throws Error when the row holds what the protocol cannot carry (an unknown kind or status, bad JSON)
 */
export function sessionMeta(row: SessionSource): SessionMeta {
  if (!KINDS.has(row.kind))
    throw new Error(`session ${row.id} has a kind the protocol does not know (${row.kind})`);
  if (!STATUSES.has(row.status)) throw new Error(`session ${row.id} has an unknown status (${row.status})`);
  const stats: Record<string, number> = {};
  for (const [key, value] of Object.entries(JSON.parse(row.stats) as Record<string, unknown>)) {
    if (typeof value === 'number' && Number.isFinite(value)) stats[key] = value;
  }
  return {
    kind: row.kind as SessionMeta['kind'],
    target: row.target,
    client: row.client,
    identity: JSON.parse(row.identity) as SessionMeta['identity'],
    started_at: row.started_at,
    ended_at: row.ended_at,
    status: row.status as SessionMeta['status'],
    stats,
  };
}

/**
 * The body of the batch that sends the longest prefix of `events` within `limits` — at least one event, even
 * one larger than `maxBytes` on its own (the server then answers 413, and the session is refused).
 * @throws Error when `events` is empty
 */
export function buildBatch(
  meta: SessionMeta,
  events: readonly EventSource[],
  limits: BatchLimits = { maxEvents: MAX_BATCH_EVENTS, maxBytes: MAX_BATCH_BYTES },
): Batch {
  if (events.length === 0) throw new Error('a batch needs at least one event');
  const head = `{"session":${JSON.stringify(meta)},"events":[`;
  const tail = ']}';
  const parts: string[] = [];
  let bytes = Buffer.byteLength(head) + Buffer.byteLength(tail);
  for (const event of events.slice(0, limits.maxEvents)) {
    const part = `${parts.length ? ',' : ''}{"seq":${event.seq},"ts":${event.ts},"kind":${JSON.stringify(event.kind)},"payload":${event.payload},"hash":${JSON.stringify(event.hash)}}`;
    const size = Buffer.byteLength(part);
    if (parts.length > 0 && bytes + size > limits.maxBytes) break;
    parts.push(part);
    bytes += size;
  }
  const last = events[parts.length - 1]!;
  return {
    body: head + parts.join('') + tail,
    bytes,
    count: parts.length,
    last: { seq: last.seq, hash: last.hash },
  };
}
