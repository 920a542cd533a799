import { memo } from 'react';
import type { RecordedEvent } from '../../../proxy/api/types';
import { clockMs, count, counted, duration } from '../format';
import { Sql } from './Sql';
import { describePgEvent, type Statement } from './statements';

/** A parameter as shown after its statement: quoted text, NULL, or the size of a binary value. */
function paramText(p: Statement['params'][number]): string {
  if (p.value === null) return 'NULL';
  if (p.format === 'binary') return `<binary, ${p.value.length} base64 chars>`;
  return `'${p.value.length > 200 ? `${p.value.slice(0, 200)}…` : p.value}'`;
}

/**
 * What a result sample holds of the whole result, or null when it holds all of it: `first 20 rows recorded of
 * 50` when the engine stopped sampling (`sample_truncated`, at recording.sampleRows), or the first result set's
 * rows of a Query that ran several statements (its `rows` count every statement's).
 */
export function sampleNote(shown: number, rows: unknown, truncated: boolean): string | null {
  const total = typeof rows === 'number' && rows > shown ? rows : null;
  if (truncated)
    return total !== null
      ? `first ${counted(shown, 'row')} recorded of ${count(total)}`
      : `first ${counted(shown, 'row')} recorded; the rest was not`;
  return total !== null
    ? `${counted(shown, 'row')} recorded of ${count(total)}, from the first result set`
    : null;
}

/**
 * Every row of a statement's recorded result sample (at most recording.sampleRows, up to 1,000) as a table in
 * a box of bounded height that scrolls, its header kept in view, with a note of what the sample leaves out.
 */
function SampleTable({ result }: { result: Record<string, unknown> }) {
  const sample = Array.isArray(result.sample) ? (result.sample as Array<Array<string | null>>) : [];
  if (sample.length === 0) return null;
  const columns = Array.isArray(result.columns) ? (result.columns as Array<{ name: string }>) : [];
  const note = sampleNote(sample.length, result.rows, result.sample_truncated === true);
  return (
    <div className="sample">
      <div className="sample-rows">
        <table>
          {columns.length ? (
            <thead>
              <tr>
                {columns.map((c, i) => (
                  <th key={i}>{c.name}</th>
                ))}
              </tr>
            </thead>
          ) : null}
          <tbody>
            {sample.map((row, r) => (
              <tr key={r}>
                {row.map((value, c) => (
                  <td key={c} className={value === null ? 'null' : undefined}>
                    {value === null ? 'NULL' : value.length > 120 ? `${value.slice(0, 120)}…` : value}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {note ? (
        <div className="faint small" data-testid="sample-note">
          {note}
        </div>
      ) : null}
    </div>
  );
}

/**
 * One statement of the timeline: time, a duration bar scaled to the session's slowest statement, the SQL
 * highlighted, parameters, rows and command tag or the error with its SQLSTATE, and a result sample.
 */
export const StatementView = memo(function StatementView({
  statement,
  maxDurationUs,
  pending,
  heldFor,
}: {
  statement: Statement;
  maxDurationUs: number;
  pending: boolean;
  /** The approval this statement waits for (held, not yet forwarded), if any. */
  heldFor?: string | undefined;
}) {
  const { result, error } = statement;
  const done = result !== undefined && !pending;
  const share = done && maxDurationUs > 0 ? Math.max((statement.durationUs ?? 0) / maxDurationUs, 0.01) : 0;
  const tags = Array.isArray(result?.tags) ? (result.tags as string[]).join(', ') : '';
  return (
    <article
      className={`stmt${done && error ? ' stmt-error' : ''}`}
      data-testid="statement"
      data-seq={statement.seq}
    >
      <div className="stmt-gutter">
        <span className="mono faint">{clockMs(statement.ts)}</span>
        {done || !heldFor ? (
          <span className="mono">{done ? duration(statement.durationUs) : 'running'}</span>
        ) : (
          <span className="tone-warn" data-testid="held" title={`held until ${heldFor} is decided`}>
            waiting for approval
          </span>
        )}
        <span className="bar" title={done ? duration(statement.durationUs) : 'running'}>
          <span className="bar-fill" style={{ width: `${share * 100}%` }} />
        </span>
      </div>
      <div className="stmt-main">
        {statement.sql !== null ? (
          <Sql text={statement.sql.trim()} />
        ) : (
          <div className="faint">
            {statement.protocol === 'function' ? 'function call' : 'statement text not seen'}
          </div>
        )}
        {statement.params.length ? (
          <div className="params mono">
            {statement.params.map((p, i) => (
              <span key={i}>
                <span className="faint">${i + 1}</span> {paramText(p)}
              </span>
            ))}
          </div>
        ) : null}
        {done && error ? (
          <div className="stmt-outcome error-text" data-testid="sql-error">
            <span className="sqlstate">{error.sqlstate}</span> {error.message}
            {error.position ? <span className="faint"> at character {error.position}</span> : null}
            {error.detail ? <div className="faint">{error.detail}</div> : null}
            {error.hint ? <div className="faint">hint: {error.hint}</div> : null}
          </div>
        ) : done ? (
          <div className="stmt-outcome faint">
            {tags || String(result?.outcome ?? '')} · {counted(statement.rows, 'row')}
            {result?.copy ? ' · COPY (data not recorded)' : ''}
            {result?.outcome === 'suspended' ? ' · portal suspended' : ''}
          </div>
        ) : null}
        {done && result ? <SampleTable result={result} /> : null}
      </div>
    </article>
  );
});

/** A notice, notification, parameter change, error or session event, in place in the timeline. */
export const PgEventView = memo(function PgEventView({ event }: { event: RecordedEvent }) {
  const { text, tone } = describePgEvent(event);
  return (
    <div className={`event-line tone-${tone}`} data-testid="pg-event">
      <span className="mono faint">{clockMs(event.ts)}</span> <span className="mono">{event.kind}</span>{' '}
      {text}
    </div>
  );
});
