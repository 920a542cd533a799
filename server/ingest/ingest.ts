/**
 * Stores a mirrored batch (`POST /v1/sessions/:id/events`) in one transaction: the session row locked
 * (created on first sight, owned by the token's person), the batch checked (check-batch.ts), the new events
 * inserted, the head advanced, an integrity alert written when the batch is refused for integrity, and a
 * NOTIFY sent on commit for live views on every server instance.
 */
import type pg from 'pg';
import type { BatchAccepted, EventBatch, SessionHead } from '../../proxy/sync/protocol.js';
import { mirroredEventText } from '../../proxy/sync/search-text.js';
import type { Principal } from '../auth/principal.js';
import { inTransaction } from '../db/database.js';
import { LIVE_CHANNEL } from '../live/channel.js';
import { type CheckedEvent, checkBatch } from './check-batch.js';

/** The outcome of {@link ingestBatch}, mapped to HTTP by the route. */
export type IngestResult =
  | { type: 'accepted'; body: BatchAccepted }
  | { type: 'forbidden'; message: string }
  | { type: 'gap'; head: SessionHead }
  | {
      type: 'integrity';
      error: 'hash_conflict' | 'bad_chain';
      seq: number;
      head: SessionHead;
      reason: string;
      alertId: number | undefined;
    };

interface SessionRow {
  owner_issuer: string;
  owner_subject: string;
  head_seq: number;
  head_hash: string;
  identity_mismatch: boolean;
}

/**
 * Checks and stores `batch` for session `sessionId` sent by `principal`.
 * @throws the database's errors (the route answers 503 and the mirror retries)
 */
export async function ingestBatch(
  pool: pg.Pool,
  principal: Principal,
  sessionId: string,
  batch: EventBatch,
  now: number = Date.now() * 1000,
): Promise<IngestResult> {
  return inTransaction(pool, async (client) => {
    const mismatch = identityMismatch(principal, batch.session.identity);
    await client.query(
      `INSERT INTO sessions (id, owner_issuer, owner_subject, owner_email, owner_name, owner_groups, kind, target,
         client, identity, started_at, ended_at, status, stats, head_seq, head_hash, first_received_at, last_received_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,0,$1,$15,$15)
       ON CONFLICT (id) DO NOTHING`,
      [
        sessionId,
        principal.issuer,
        principal.subject,
        principal.email,
        principal.name,
        principal.groups,
        batch.session.kind,
        batch.session.target,
        batch.session.client,
        batch.session.identity,
        batch.session.started_at,
        batch.session.ended_at,
        batch.session.status,
        batch.session.stats,
        now,
      ],
    );
    const row = (
      await client.query<SessionRow>(
        'SELECT owner_issuer, owner_subject, head_seq, head_hash, identity_mismatch FROM sessions WHERE id = $1 FOR UPDATE',
        [sessionId],
      )
    ).rows[0]!;
    if (row.owner_issuer !== principal.issuer || row.owner_subject !== principal.subject)
      return { type: 'forbidden', message: `session ${sessionId} was mirrored by someone else` };
    const head = { seq: row.head_seq, hash: row.head_hash };
    const overlap = batch.events.filter((e) => e.seq <= head.seq).map((e) => e.seq);
    const stored = new Map<number, string>();
    if (overlap.length > 0) {
      const result = await client.query<{ seq: number; hash: string }>(
        'SELECT seq, hash FROM events WHERE session_id = $1 AND seq = ANY($2::bigint[])',
        [sessionId, overlap],
      );
      for (const r of result.rows) stored.set(r.seq, r.hash);
    }
    const verdict = checkBatch(head, batch.events, stored);
    if (verdict.type === 'gap') return { type: 'gap', head };
    if (verdict.type === 'hash_conflict' || verdict.type === 'bad_chain') {
      const reason =
        verdict.type === 'hash_conflict'
          ? `seq ${verdict.seq} arrived with a different hash than the one stored; the stored event is kept`
          : verdict.reason;
      const alertId = await recordAlert(client, principal, sessionId, {
        seq: verdict.seq,
        kind: verdict.type,
        storedHash: verdict.type === 'hash_conflict' ? verdict.storedHash : null,
        receivedHash: verdict.receivedHash,
        reason,
        now,
      });
      return { type: 'integrity', error: verdict.type, seq: verdict.seq, head, reason, alertId };
    }
    if (verdict.fresh.length > 0) await insertEvents(client, sessionId, verdict.fresh, now);
    const last = verdict.fresh.at(-1);
    const newHead = last ? { seq: last.seq, hash: last.hash } : head;
    await client.query(
      `UPDATE sessions SET kind = $2, target = $3, client = $4, identity = $5, ended_at = $6, status = $7, stats = $8,
         head_seq = $9, head_hash = $10, last_received_at = $11, identity_mismatch = identity_mismatch OR $12
       WHERE id = $1`,
      [
        sessionId,
        batch.session.kind,
        batch.session.target,
        batch.session.client,
        batch.session.identity,
        batch.session.ended_at,
        batch.session.status,
        batch.session.stats,
        newHead.seq,
        newHead.hash,
        now,
        mismatch,
      ],
    );
    if (mismatch && !row.identity_mismatch)
      await recordAlert(client, principal, sessionId, {
        seq: batch.events[0]!.seq,
        kind: 'identity_mismatch',
        storedHash: null,
        receivedHash: null,
        reason: `the session's recorded identity (${describeIdentity(batch.session.identity)}) is not the token's (${principal.subject} at ${principal.issuer})`,
        now,
      });
    if (last)
      await client.query('SELECT pg_notify($1, $2)', [
        LIVE_CHANNEL,
        JSON.stringify({
          type: 'session',
          session_id: sessionId,
          head_seq: newHead.seq,
          owner: principal.subject,
        }),
      ]);
    return {
      type: 'accepted',
      body: {
        head: newHead,
        duplicates: verdict.duplicates,
        identity_mismatch: mismatch || row.identity_mismatch,
      },
    };
  });
}

/**
 * Whether the engine's recorded identity names someone other than the token's person: a verified subject (or
 * issuer) that differs. An unverified recording (signed out) names nobody, so it cannot disagree.
 */
export function identityMismatch(
  principal: Principal,
  recorded: { subject: string | null; issuer?: string | null | undefined; verified: boolean },
): boolean {
  if (!recorded.subject) return false;
  if (recorded.subject !== principal.subject) return true;
  return recorded.issuer != null && recorded.issuer.replace(/\/+$/, '') !== principal.issuer;
}

function describeIdentity(identity: { subject: string | null; email: string | null }): string {
  return identity.email ?? identity.subject ?? 'nobody';
}

/**
 * Inserts the batch's new events in one statement. The rows travel as one JSON parameter read back with
 * json_to_recordset (PostgreSQL docs, 9.16 JSON Functions): V8's native JSON.stringify writes it in one pass,
 * where eight text[] parameters cost node-postgres a regex escape per element (a third of the ingest path's
 * own CPU in a profile of `npm run bench:server`). The payload text is ASCII-safe canonical JSON; `kind` and
 * the search text are made well-formed first (a lone surrogate, which PostgreSQL's JSON refuses, becomes
 * U+FFFD — as UTF-8 encoding of a text[] parameter would store it).
 */
async function insertEvents(client: pg.PoolClient, sessionId: string, events: CheckedEvent[], now: number) {
  const rows = events.map((e) => ({
    seq: e.seq,
    ts: e.ts,
    kind: wellFormed(e.kind),
    payload: e.payload,
    hash: e.hash,
    text: wellFormed(mirroredEventText(sessionId, e.seq, e.kind, e.value) ?? null),
  }));
  await client.query(
    `INSERT INTO events (session_id, seq, ts, kind, payload, hash, received_at, search)
     SELECT $1, e.seq, e.ts, e.kind, e.payload, e.hash, $2,
            CASE WHEN e.text IS NULL THEN NULL ELSE to_tsvector('simple', e.text) END
     FROM json_to_recordset($3::json) AS e (seq bigint, ts bigint, kind text, payload text, hash text, text text)`,
    [sessionId, now, JSON.stringify(rows)],
  );
}

/** `text` with lone UTF-16 surrogates replaced by U+FFFD (ES2024 String.prototype.toWellFormed, Node ≥ 20). */
function wellFormed<T extends string | null>(text: T): T {
  if (text === null) return text;
  const s = text as string & { isWellFormed(): boolean; toWellFormed(): string };
  return (s.isWellFormed() ? s : s.toWellFormed()) as T;
}

/** Alerts kept per session and kind; more of the same session add nothing an auditor needs. */
export const MAX_ALERTS_PER_SESSION = 20;
/** Alerts one person's batches may raise per hour (over all sessions), so no one can flood auditors. */
export const MAX_ALERTS_PER_REPORTER_HOUR = 200;
const HOUR_US = 3_600_000_000;

/**
 * True when `sessionId` already has {@link MAX_ALERTS_PER_SESSION} alerts of `kind`, or the reporter raised
 * {@link MAX_ALERTS_PER_REPORTER_HOUR} in the last hour: the batch is still refused (422), only not alerted again.
 */
async function alertsExhausted(
  client: pg.PoolClient,
  principal: Principal,
  sessionId: string,
  kind: string,
  now: number,
): Promise<boolean> {
  const result = await client.query<{ session: number; reporter: number }>(
    `SELECT (SELECT count(*) FROM integrity_alerts WHERE session_id = $1 AND kind = $2)::int AS session,
            (SELECT count(*) FROM integrity_alerts
              WHERE created_at > $5 AND reporter_subject = $4 AND reporter_issuer = $3)::int AS reporter`,
    [sessionId, kind, principal.issuer, principal.subject, now - HOUR_US],
  );
  const row = result.rows[0]!;
  return row.session >= MAX_ALERTS_PER_SESSION || row.reporter >= MAX_ALERTS_PER_REPORTER_HOUR;
}

async function recordAlert(
  client: pg.PoolClient,
  principal: Principal,
  sessionId: string,
  alert: {
    seq: number;
    kind: string;
    storedHash: string | null;
    receivedHash: string | null;
    reason: string;
    now: number;
  },
): Promise<number | undefined> {
  if (await alertsExhausted(client, principal, sessionId, alert.kind, alert.now)) return undefined;
  const result = await client.query<{ id: number }>(
    `INSERT INTO integrity_alerts (session_id, seq, kind, stored_hash, received_hash, reason, reporter_issuer,
       reporter_subject, created_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
     ON CONFLICT (session_id, seq, kind, received_hash) DO NOTHING
     RETURNING id`,
    [
      sessionId,
      alert.seq,
      alert.kind,
      alert.storedHash,
      alert.receivedHash,
      alert.reason,
      principal.issuer,
      principal.subject,
      alert.now,
    ],
  );
  const id = result.rows[0]?.id;
  if (id !== undefined)
    await client.query('SELECT pg_notify($1, $2)', [
      LIVE_CHANNEL,
      JSON.stringify({ type: 'alert', alert_id: id, session_id: sessionId }),
    ]);
  return id;
}
