/**
 * Posting mirrored chains to a team server as an engine would (proxy/sync/protocol.ts): real chain hashes,
 * real HTTP. For the operations tests (embedded database, two instances, retention, graceful stop).
 */
import { chainHash, type EventBatch, type WireEvent } from '../../proxy/sync/protocol.js';

/** Base time of generated events (µs since the epoch), 2023-11-14. Pass `ts` to place a chain elsewhere. */
export const BASE_TS = 1_700_000_000_000_000;

/**
 * `count` events of session `sessionId` from seq `from`, chained after `prev` (the session id for seq 1),
 * with timestamps `ts + seq` µs.
 */
export function chain(
  sessionId: string,
  count: number,
  options: { from?: number; prev?: string; ts?: number } = {},
): WireEvent[] {
  const events: WireEvent[] = [];
  let prev = options.prev ?? sessionId;
  const base = options.ts ?? BASE_TS;
  for (let i = 0; i < count; i++) {
    const seq = (options.from ?? 1) + i;
    const payload = { n: seq, sql: `SELECT ${seq} AS word_${seq}` };
    const ts = base + seq;
    const hash = chainHash(prev, seq, ts, 'pg.statement', JSON.stringify(payload));
    events.push({ seq, ts, kind: 'pg.statement', payload, hash });
    prev = hash;
  }
  return events;
}

/** A batch of `events` with the session's metadata, recorded by `subject`, started at `startedAt` µs. */
export function batch(
  events: WireEvent[],
  subject = 'alice',
  startedAt = events[0]?.ts ?? BASE_TS,
): EventBatch {
  return {
    session: {
      kind: 'postgres',
      target: 'app',
      client: 'psql',
      identity: {
        subject,
        email: `${subject}@example.test`,
        groups: [],
        verified: true,
        os_user: 'dev',
        host: 'laptop',
      },
      started_at: startedAt,
      ended_at: null,
      status: 'live',
      stats: {},
    },
    events,
  };
}

/** An HTTP answer: status and parsed JSON body. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POST /v1/sessions/:id/events with `token`. */
export async function postBatch(
  serverUrl: string,
  id: string,
  body: EventBatch,
  token: string,
): Promise<Answer> {
  const response = await fetch(`${serverUrl}/v1/sessions/${id}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

/** GET /v1/sessions/:id/head with `token` (undefined: no Authorization header). */
export async function getHead(serverUrl: string, id: string, token: string | undefined): Promise<Answer> {
  const response = await fetch(`${serverUrl}/v1/sessions/${id}/head`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

/** A session id (26 characters, ULID alphabet) made of `label` (letters/digits) padded with 'A'. */
export function sessionId(label: string): string {
  return `01J${label.toUpperCase().replace(/[^0-9A-HJKMNP-TV-Z]/g, 'X')}`.padEnd(26, 'A').slice(0, 26);
}
