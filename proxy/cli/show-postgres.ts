import { asRecord } from '../anthropic/message.js';
import type { RecordedEvent } from '../store/types.js';
import { clip, clock, counted, duration, hang } from './format.js';
import { statementLog } from './pg-log.js';
import { approvalLine } from './show-approvals.js';

const PAD = ' '.repeat(26);

/**
 * A PostgreSQL session's statement log for `glassbox show`: time, duration, SQL, parameters, then rows and
 * command tag or the error with its SQLSTATE; notices, notifications, cancels and session events in place.
 * A statement held for approval tells its story in the order it happened: the statement, the approval asked
 * for and decided, then its outcome.
 */
export function renderStatementLog(events: RecordedEvent[]): string[] {
  const lines: string[] = [];
  const outcomeAfter = approvalsBeforeOutcome(events);
  /** Outcomes to print after the event of that seq. */
  const deferred = new Map<number, string[]>();
  for (const item of statementLog(events)) {
    if (item.kind === 'event') {
      lines.push(...renderEvent(item.event), ...(deferred.get(item.event.seq) ?? []));
      continue;
    }
    const { ts, statement, result } = item.entry;
    const outcome = [`${PAD}${outcomeLine(result)}`, ...sampleLines(result)];
    const took = result ? duration(result.duration_us as number) : 'running';
    const sql = typeof statement.sql === 'string' ? statement.sql.trim() : describeUnnamed(statement);
    lines.push(`  ${clock(ts)}  ${took.padStart(8)}  ${hang(clip(sql, 4_000), PAD)}`);
    const params = Array.isArray(statement.params)
      ? (statement.params as Array<Record<string, unknown>>)
      : [];
    if (params.length > 0) {
      const shown = params.map(
        (p, i) =>
          `$${i + 1} = ${p.value === null ? 'NULL' : p.format === 'binary' ? `<binary ${String(p.value).length} b64 chars>` : JSON.stringify(clip(String(p.value), 200))}`,
      );
      lines.push(`${PAD}params ${shown.join(', ')}`);
    }
    const after = outcomeAfter.get(item.entry.seq);
    if (after === undefined) lines.push(...outcome);
    else deferred.set(after, [...(deferred.get(after) ?? []), ...outcome]);
  }
  return lines;
}

/**
 * For each statement with approval events recorded before its outcome (a held statement), the seq of the
 * last of them: its outcome is told after it. A `retry`-mode statement's outcome comes before its approval is
 * decided, and stays with the statement.
 */
function approvalsBeforeOutcome(events: RecordedEvent[]): Map<number, number> {
  const outcomeSeq = new Map<number, number>();
  for (const event of events) {
    if (event.kind === 'pg.result') outcomeSeq.set(Number(asRecord(event.payload)?.statement_seq), event.seq);
  }
  const after = new Map<number, number>();
  for (const event of events) {
    if (event.kind !== 'approval.requested' && event.kind !== 'approval.decided') continue;
    const statement = Number(asRecord(event.payload)?.request_seq);
    if (event.seq < (outcomeSeq.get(statement) ?? Number.POSITIVE_INFINITY)) after.set(statement, event.seq);
  }
  return after;
}

const SHOWN_ROWS = 5;

/** The first recorded result rows as `col | col` lines under their column names. */
function sampleLines(result: Record<string, unknown> | undefined): string[] {
  const sample = Array.isArray(result?.sample) ? (result.sample as Array<Array<string | null>>) : [];
  if (sample.length === 0) return [];
  const columns = Array.isArray(result?.columns)
    ? (result.columns as Array<{ name: string }>).map((c) => c.name)
    : [];
  const row = (values: Array<string | null>) =>
    clip(values.map((v) => (v === null ? 'NULL' : v)).join(' | '), 200);
  const lines = columns.length ? [`${PAD}  ${row(columns)}`] : [];
  for (const values of sample.slice(0, SHOWN_ROWS)) lines.push(`${PAD}  ${row(values)}`);
  if (sample.length > SHOWN_ROWS || result?.sample_truncated) lines.push(`${PAD}  …`);
  return lines;
}

function outcomeLine(result: Record<string, unknown> | undefined): string {
  if (!result) return '… no outcome recorded yet';
  const error = asRecord(result.error);
  if (error) {
    const position = error.position ? ` (at character ${String(error.position)})` : '';
    return `✗ ${String(result.outcome)} ${String(error.sqlstate)} ${String(error.message)}${position}`;
  }
  const tags =
    Array.isArray(result.tags) && result.tags.length
      ? (result.tags as string[]).join(', ')
      : String(result.outcome);
  const copy = result.copy ? ` · COPY ${String(result.copy).toUpperCase()} (data not recorded)` : '';
  const suspended = result.outcome === 'suspended' ? ' · portal suspended (row limit reached)' : '';
  return `→ ${tags} · ${counted(result.rows as number, 'row')}${copy}${suspended}`;
}

function describeUnnamed(statement: Record<string, unknown>): string {
  if (statement.protocol === 'function') return `<function call, oid ${String(statement.function_oid)}>`;
  return `<portal "${String(statement.portal ?? '')}" of an unknown statement>`;
}

function renderEvent(event: RecordedEvent): string[] {
  const p = asRecord(event.payload) ?? {};
  const at = `  ${clock(event.ts)}  `;
  switch (event.kind) {
    case 'pg.session':
      return p.event === 'start'
        ? [`${at}connected as ${String(p.user)} to ${String(p.database)} from ${String(p.client_address)}`]
        : [
            `${at}upstream ${String(p.upstream)}/${String(p.database)} as ${String(p.upstream_user)}, PostgreSQL ${String(p.server_version)}, TLS ${String(asRecord(p.tls)?.upstream ?? 'off')}`,
          ];
    case 'pg.auth_failed':
      return [`${at}authentication refused: ${String(p.sqlstate)} ${String(p.message)}`];
    case 'pg.error':
      return [`${at}error (${String(p.context)}): ${String(p.sqlstate)} ${String(p.message)}`];
    case 'pg.notice':
      return [`${at}notice: ${String(p.severity)} ${String(p.message)}`];
    case 'pg.notification':
      return [`${at}notification on "${String(p.channel)}": ${clip(String(p.payload), 500)}`];
    case 'pg.parameter':
      return [`${at}parameter ${String(p.name)} = ${String(p.value)}`];
    case 'pg.cancel':
      return [`${at}cancel request ${p.forwarded ? 'forwarded upstream' : `failed: ${String(p.error)}`}`];
    case 'session.end':
      return [`${at}session ended (${String(p.reason)})`];
    case 'approval.requested':
    case 'approval.annotated':
    case 'approval.decided':
      return [`${at}${hang(approvalLine(event.kind, p) ?? '', PAD)}`];
    default:
      return [`${at}${event.kind} ${clip(JSON.stringify(p), 300)}`];
  }
}
