import { asRecord } from '../anthropic/message.js';
import { isoFromMicros } from '../common/time.js';
import type { RecordedEvent, Session } from '../store/types.js';
import { statementLog } from './pg-log.js';
import { inlineParameters, type RecordedParamLike } from './sql-literals.js';

/**
 * A replayable SQL script of a PostgreSQL session: every statement in recorded order, with bind parameters
 * inlined as properly quoted literals. It starts with `SET standard_conforming_strings = on;`, which the
 * literals need wherever the script is replayed. What cannot be replayed safely stays in the script as a comment with
 * the reason: statements with binary parameters, COPY (its data is not recorded), function calls, and
 * statements that failed when recorded.
 */
export function exportSql(session: Session, events: Iterable<RecordedEvent>): string {
  const lines = [
    // Literals are written for standard_conforming_strings = on (PostgreSQL docs, 4.1.2.1 String Constants):
    // under off, a backslash in a recorded value would escape its closing quote and the rest would run as SQL.
    'SET standard_conforming_strings = on;',
    `-- Glassbox session ${session.id}: PostgreSQL, ${sqlTarget(session.target)}`,
    `-- recorded ${isoFromMicros(session.started_at)}; exported ${new Date().toISOString()}`,
    '-- Statements are in recorded order; parameters are inlined. Commented-out statements say why.',
    '',
  ];
  for (const item of statementLog(events)) {
    if (item.kind !== 'statement') continue;
    const { ts, statement, result } = item.entry;
    const tag = result
      ? asRecord(result.error)
        ? `failed: ${String(asRecord(result.error)!.sqlstate)}`
        : ((result.tags as string[] | undefined)?.join(', ') ?? String(result.outcome))
      : 'no outcome';
    lines.push(`-- ${isoFromMicros(ts)} · ${tag}`);
    const sql = typeof statement.sql === 'string' ? statement.sql.trim() : null;
    const skip = (reason: string, text: string | null) => {
      // PostgreSQL ends a -- comment at CR as well as LF: split on both, or a recorded "\r" would revive SQL.
      lines.push(...commented(`not replayed: ${reason}`));
      if (text) lines.push(...commented(text));
      lines.push('');
    };
    if (sql === null) {
      skip(
        statement.protocol === 'function' ? 'a FunctionCall, not SQL' : 'the statement text was not seen',
        null,
      );
      continue;
    }
    if (result?.copy) {
      skip('COPY data is not recorded', sql);
      continue;
    }
    if (result && asRecord(result.error)) {
      skip(`it failed when recorded (${String(asRecord(result.error)!.message)})`, sql);
      continue;
    }
    const params = (Array.isArray(statement.params) ? statement.params : []) as RecordedParamLike[];
    const inlined = params.length ? inlineParameters(sql, params) : { sql };
    if ('reason' in inlined) {
      skip(inlined.reason, sql);
      continue;
    }
    lines.push(inlined.sql.endsWith(';') ? inlined.sql : `${inlined.sql};`, '');
  }
  return `${lines.join('\n')}\n`;
}

function commented(text: string): string[] {
  return text.split(/\r\n|\r|\n/).map((line) => `-- ${line}`);
}

/** A session's target as the script's header says it: `connection "prod"`, or `connection "s2", database "reports"`. */
function sqlTarget(target: string): string {
  const slash = target.indexOf('/');
  if (slash < 0) return `connection "${target}"`;
  return `connection "${target.slice(0, slash)}", database "${target.slice(slash + 1)}"`;
}
