/**
 * A session's stored events in seq order: read page by page (keyset on the (session_id, seq) key, never all
 * in memory), for the events route, the exports, and the server's own recomputation of the chain.
 */
import type pg from 'pg';
import {
  type ChainVerification,
  chainHash,
  type EventPage,
  type WireEvent,
} from '../../proxy/sync/protocol.js';

/** Events read per query while walking a whole session. */
const WALK_PAGE = 1000;

interface EventRow {
  seq: number;
  ts: number;
  kind: string;
  payload: string;
  hash: string;
}

/**
 * The event of a row: `payload` parsed from its stored canonical JSON, or the stored text itself when it is
 * not JSON (a row altered in the database; the chain check names it).
 */
function toWireEvent(row: EventRow): WireEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    payload = row.payload;
  }
  return { seq: row.seq, ts: row.ts, kind: row.kind, payload, hash: row.hash };
}

async function rowsAfter(
  pool: pg.Pool,
  sessionId: string,
  after: number,
  limit: number,
  upTo = Number.MAX_SAFE_INTEGER,
): Promise<EventRow[]> {
  const result = await pool.query<EventRow>(
    `SELECT seq, ts, kind, payload, hash FROM events WHERE session_id = $1 AND seq > $2 AND seq <= $3
     ORDER BY seq LIMIT $4`,
    [sessionId, after, upTo, limit],
  );
  return result.rows;
}

/** Up to `limit` events of a session after seq `after`; `next_after` is null on the last page. */
export async function eventPage(
  pool: pg.Pool,
  sessionId: string,
  after: number,
  limit: number,
): Promise<EventPage> {
  const rows = await rowsAfter(pool, sessionId, after, limit + 1);
  const page = rows.slice(0, limit);
  return {
    events: page.map(toWireEvent),
    next_after: rows.length > limit ? page.at(-1)!.seq : null,
  };
}

/** Every event of a session up to seq `upTo`, a page ({@link WALK_PAGE} rows) at a time. */
export async function* walkEvents(
  pool: pg.Pool,
  sessionId: string,
  upTo: number,
): AsyncGenerator<WireEvent[]> {
  let after = 0;
  for (;;) {
    const rows = await rowsAfter(pool, sessionId, after, WALK_PAGE, upTo);
    if (rows.length === 0) return;
    yield rows.map(toWireEvent);
    after = rows.at(-1)!.seq;
    if (rows.length < WALK_PAGE) return;
  }
}

/**
 * Recomputes the chain of session `sessionId` from the rows the server stored — each hash from the previous one
 * and the stored canonical JSON (chainHash, shared with the engine) — and compares it with the stored hashes
 * and the session's head. Names the first seq that does not hold: an altered payload, ts, kind or hash, a
 * missing event, or a head the events do not reach. Events beyond the head read first (a batch being stored
 * meanwhile) are not looked at.
 */
export async function verifyStoredChain(
  pool: pg.Pool,
  sessionId: string,
  head: { seq: number; hash: string },
): Promise<ChainVerification> {
  let prev = sessionId;
  let expected = 1;
  let count = 0;
  let after = 0;
  const broken = (seq: number, reason: string): ChainVerification => ({
    intact: false,
    events: count,
    head_seq: head.seq,
    broken_at_seq: seq,
    reason,
  });
  for (;;) {
    const rows = await rowsAfter(pool, sessionId, after, WALK_PAGE, head.seq);
    for (const row of rows) {
      count++;
      if (row.seq !== expected) return broken(expected, `event seq ${expected} is missing`);
      const computed = chainHash(prev, row.seq, row.ts, row.kind, row.payload);
      if (computed !== row.hash)
        return broken(
          row.seq,
          `seq ${row.seq}: the stored hash does not match the hash recomputed from the stored event (its payload, ts, kind or hash was altered after it was stored)`,
        );
      prev = computed;
      expected++;
    }
    if (rows.length < WALK_PAGE) break;
    after = rows.at(-1)!.seq;
  }
  if (count !== head.seq || prev !== head.hash)
    return broken(
      Math.min(count, head.seq) + 1,
      `the session's head says ${head.seq} events ending in ${head.hash.slice(0, 12)}… but the stored chain has ${count}`,
    );
  return { intact: true, events: count, head_seq: head.seq, head_hash: prev };
}
