/**
 * The session exports (JSONL, HAR, SQL) shared with the team server through proxy/sync, like the protocol: the
 * server serves `GET /v1/sessions/:id/export` with exactly the engine's formatting (proxy/cli/export.ts,
 * export-sql.ts — pure functions of a session and its events, no store), so a file exported from the team
 * server and one exported by `glassbox export` read the same.
 */
import type { RecordedEvent, Session } from '../store/types.js';
import type { ServerSession, WireEvent } from './protocol.js';

export { EXPORT_FORMATS, type ExportFormat, exportHar, exportJsonl, formatRefusal } from '../cli/export.js';
export { exportSql } from '../cli/export-sql.js';

/** A session the exports can format, and an event of it. */
export type { RecordedEvent as ExportEvent, Session as ExportSession };

/**
 * The engine's session shape for a session as the server holds it (the exports read id, kind, target, times,
 * identity and stats). `last_event_at` is the last time the server stored events of it (µs).
 */
export function exportSession(session: ServerSession): Session {
  return {
    id: session.id,
    kind: session.kind,
    target: session.target,
    client: session.client,
    identity: {
      ...session.identity,
      issuer: session.identity.issuer ?? null,
      name: session.identity.name ?? null,
    },
    external_id: null,
    started_at: session.started_at,
    ended_at: session.ended_at,
    last_event_at: session.last_received_at,
    idle_at: null,
    status: session.status,
    stats: session.stats,
    head_seq: session.head_seq,
    head_hash: session.head_hash,
  };
}

/** An event of session `sessionId` as the exports take it. */
export function exportEvent(sessionId: string, event: WireEvent): RecordedEvent {
  return { session_id: sessionId, ...event };
}
