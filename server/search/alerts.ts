/**
 * Integrity alerts as auditors list them (`GET /v1/alerts`): newest first, keyset-paginated on (created_at, id)
 * with the `integrity_alerts_created` index.
 */
import type pg from 'pg';
import type { AlertPage, IntegrityAlert } from '../../proxy/sync/protocol.js';
import { AlertKey, decodeCursor, encodeCursor } from './cursor.js';

interface AlertRow {
  id: number;
  session_id: string;
  seq: number;
  kind: IntegrityAlert['kind'];
  stored_hash: string | null;
  received_hash: string | null;
  reason: string;
  reporter_issuer: string;
  reporter_subject: string;
  created_at: number;
}

/**
 * A page of alerts after `cursor` (from a previous page's `next_cursor`).
 * @throws HttpError 400 for a bad cursor
 */
export async function listAlerts(
  pool: pg.Pool,
  cursor: string | undefined,
  limit: number,
): Promise<AlertPage> {
  const after = decodeCursor(cursor, AlertKey);
  const rows = (
    await pool.query<AlertRow>(
      `SELECT id, session_id, seq, kind, stored_hash, received_hash, reason, reporter_issuer, reporter_subject,
         created_at
       FROM integrity_alerts ${after ? 'WHERE (created_at, id) < ($2, $3)' : ''}
       ORDER BY created_at DESC, id DESC LIMIT $1`,
      after ? [limit + 1, after[0], after[1]] : [limit + 1],
    )
  ).rows;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    alerts: page.map((row) => ({
      id: row.id,
      session_id: row.session_id,
      seq: row.seq,
      kind: row.kind,
      stored_hash: row.stored_hash,
      received_hash: row.received_hash,
      reason: row.reason,
      reporter: { issuer: row.reporter_issuer, subject: row.reporter_subject },
      created_at: row.created_at,
    })),
    next_cursor: rows.length > limit && last ? encodeCursor([last.created_at, last.id]) : null,
  };
}
