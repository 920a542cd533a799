/**
 * Posting mirrored chains to a team server as an engine would (proxy/sync/protocol.ts): real chain hashes,
 * real HTTP. The primitives every team-server test and bench chains with; realistic Claude and PostgreSQL
 * sessions to chain are in team-sessions.ts.
 */
import { canonicalJson, chainHash, type EventBatch, type WireEvent } from '../../proxy/sync/protocol.js';

/** Base time of generated events (µs since the epoch), 2023-11-14. Pass `ts` to place a chain elsewhere. */
export const BASE_TS = 1_700_000_000_000_000;

/** An event before it is chained. */
export interface DraftEvent {
  ts: number;
  kind: string;
  payload: unknown;
}

/** Chains `drafts` after (`from` - 1, `prev`): each hash from the previous and the canonical JSON. */
export function chainEvents(
  sessionId: string,
  drafts: DraftEvent[],
  from = 1,
  prev = sessionId,
): WireEvent[] {
  return drafts.map((draft, i) => {
    const seq = from + i;
    const hash = chainHash(prev, seq, draft.ts, draft.kind, canonicalJson(draft.payload));
    prev = hash;
    return { seq, ts: draft.ts, kind: draft.kind, payload: draft.payload, hash };
  });
}

/**
 * `count` `pg.statement` events of session `sessionId` from seq `from`, chained after `prev` (the session id
 * for seq 1), with timestamps `ts + seq` µs.
 */
export function chain(
  sessionId: string,
  count: number,
  options: { from?: number; prev?: string; ts?: number } = {},
): WireEvent[] {
  const from = options.from ?? 1;
  const base = options.ts ?? BASE_TS;
  const drafts = Array.from({ length: count }, (_, i): DraftEvent => {
    const seq = from + i;
    return { ts: base + seq, kind: 'pg.statement', payload: { n: seq, sql: `SELECT ${seq} AS word_${seq}` } };
  });
  return chainEvents(sessionId, drafts, from, options.prev ?? sessionId);
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
