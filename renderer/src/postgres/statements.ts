import type { RecordedEvent } from '../../../proxy/api/types';
import { asRecord } from '../claude/conversation';

/** A statement with its outcome, paired from `pg.statement` and `pg.result`. Times µs since epoch. */
export interface Statement {
  seq: number;
  ts: number;
  /** Statement time + recorded duration, or null while running. */
  endTs: number | null;
  sql: string | null;
  protocol: string;
  params: Array<{ value: string | null; format?: string; type_oid?: number }>;
  /** The sealed `pg.result` payload, or undefined while the statement is still running. */
  result: Record<string, unknown> | undefined;
  durationUs: number | null;
  rows: number | null;
  error: { sqlstate: string; message: string; detail?: string; hint?: string; position?: number } | null;
  raw: unknown;
}

/** An entry of the statement timeline in recorded order. */
export type StatementItem =
  | { type: 'statement'; statement: Statement }
  | { type: 'event'; event: RecordedEvent };

/**
 * Pairs each `pg.statement` with its `pg.result` (by statement_seq) and keeps other events (session start,
 * notices, notifications, parameter changes, errors, cancels, session end) in place.
 */
export function buildStatements(events: readonly RecordedEvent[]): StatementItem[] {
  const items: StatementItem[] = [];
  const open = new Map<number, Statement>();
  for (const event of events) {
    const payload = asRecord(event.payload) ?? {};
    if (event.kind === 'pg.statement') {
      const statement: Statement = {
        seq: event.seq,
        ts: event.ts,
        endTs: null,
        sql: typeof payload.sql === 'string' ? payload.sql : null,
        protocol: String(payload.protocol ?? ''),
        params: Array.isArray(payload.params) ? (payload.params as Statement['params']) : [],
        result: undefined,
        durationUs: null,
        rows: null,
        error: null,
        raw: event.payload,
      };
      open.set(event.seq, statement);
      items.push({ type: 'statement', statement });
    } else if (event.kind === 'pg.result' && open.has(Number(payload.statement_seq))) {
      const statement = open.get(Number(payload.statement_seq))!;
      open.delete(statement.seq);
      statement.result = payload;
      statement.durationUs = typeof payload.duration_us === 'number' ? payload.duration_us : null;
      statement.endTs = statement.ts + (statement.durationUs ?? 0);
      statement.rows = typeof payload.rows === 'number' ? payload.rows : null;
      statement.error = (asRecord(payload.error) as Statement['error']) ?? null;
    } else {
      items.push({ type: 'event', event });
    }
  }
  return items;
}

/** A one-line description of a non-statement PostgreSQL event. */
export function describePgEvent(event: RecordedEvent): { text: string; tone: 'info' | 'warn' | 'error' } {
  const p = asRecord(event.payload) ?? {};
  const s = (v: unknown) => String(v ?? '');
  switch (event.kind) {
    case 'pg.session':
      return p.event === 'start'
        ? { text: `connected as ${s(p.user)} to ${s(p.database)} from ${s(p.client_address)}`, tone: 'info' }
        : {
            text: `upstream ${s(p.upstream)}/${s(p.database)}, PostgreSQL ${s(p.server_version)}`,
            tone: 'info',
          };
    case 'pg.notice':
      return { text: `${s(p.severity)}: ${s(p.message)}`, tone: 'warn' };
    case 'pg.notification':
      return { text: `notification on "${s(p.channel)}": ${s(p.payload)}`, tone: 'info' };
    case 'pg.parameter':
      return { text: `parameter ${s(p.name)} = ${s(p.value)}`, tone: 'info' };
    case 'pg.error':
      return { text: `error (${s(p.context)}): ${s(p.sqlstate)} ${s(p.message)}`, tone: 'error' };
    case 'pg.auth_failed':
      return { text: `authentication refused: ${s(p.sqlstate)} ${s(p.message)}`, tone: 'error' };
    case 'pg.cancel':
      return {
        text: `cancel request ${p.forwarded ? 'forwarded upstream' : `failed: ${s(p.error)}`}`,
        tone: 'warn',
      };
    case 'session.end':
      return { text: `session ended (${s(p.reason)})`, tone: 'info' };
    default:
      return { text: `${event.kind} ${JSON.stringify(p).slice(0, 300)}`, tone: 'info' };
  }
}
