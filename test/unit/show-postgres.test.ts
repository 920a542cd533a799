import { describe, expect, it } from 'vitest';
import { renderStatementLog } from '../../proxy/cli/show-postgres.js';
import type { RecordedEvent } from '../../proxy/store/types.js';

const T0 = Date.UTC(2026, 0, 1) * 1000;

/** Events of one session, seq 1…n, one ms apart. */
function session(...events: Array<[string, Record<string, unknown>]>): RecordedEvent[] {
  return events.map(([kind, payload], i) => ({
    session_id: 's',
    seq: i + 1,
    ts: T0 + i * 1000,
    kind,
    payload,
    hash: '',
  }));
}

const rule = { id: 'pg.delete-without-where', message: 'DELETE without WHERE', builtin: true };
const requested = { approval_id: 'ap_1', request_seq: 1, text: 'DELETE FROM t', rule };
const result = (tag: string) => ({ statement_seq: 1, outcome: 'ok', tags: [tag], rows: 3, duration_us: 1 });

/** The index of the first line containing each text. */
function positions(lines: string[], texts: string[]): number[] {
  return texts.map((text) => lines.findIndex((line) => line.includes(text)));
}

describe('glassbox show: a PostgreSQL statement held for approval', () => {
  it('tells the statement, the approval asked for and decided, then the outcome', () => {
    const lines = renderStatementLog(
      session(
        ['pg.statement', { sql: 'DELETE FROM t', protocol: 'simple' }],
        ['approval.requested', requested],
        ['approval.decided', { approval_id: 'ap_1', request_seq: 1, decision: 'approved' }],
        ['pg.result', result('DELETE 3')],
        ['pg.statement', { sql: 'SELECT 1', protocol: 'simple' }],
        ['pg.result', { ...result('SELECT 1'), statement_seq: 5 }],
      ),
    );
    expect(
      positions(lines, ['DELETE FROM t', 'ap_1 requested', 'ap_1 approved', '→ DELETE 3', 'SELECT 1']),
    ).toEqual([0, 1, 2, 3, 4]);
  });

  it('tells a statement still waiting as waiting, after its request', () => {
    const lines = renderStatementLog(
      session(
        ['pg.statement', { sql: 'DELETE FROM t', protocol: 'simple' }],
        ['approval.requested', requested],
      ),
    );
    expect(positions(lines, ['DELETE FROM t', 'ap_1 requested', 'no outcome recorded yet'])).toEqual([
      0, 1, 2,
    ]);
  });

  it('keeps a retry-mode outcome (refused at once) before the decision that came later', () => {
    const lines = renderStatementLog(
      session(
        ['pg.statement', { sql: 'DELETE FROM t', protocol: 'simple' }],
        ['approval.requested', { ...requested, mode: 'retry' }],
        ['pg.result', { statement_seq: 1, outcome: 'error', error: { sqlstate: '42501', message: 'retry' } }],
        ['approval.decided', { approval_id: 'ap_1', request_seq: 1, decision: 'approved' }],
      ),
    );
    expect(positions(lines, ['DELETE FROM t', 'ap_1 requested', '42501', 'ap_1 approved'])).toEqual([
      0, 1, 2, 3,
    ]);
  });
});
