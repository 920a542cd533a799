import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../proxy/common/canonical-json.js';
import { Framer } from '../../proxy/postgres/framer.js';
import { type Execution, StatementTracker } from '../../proxy/postgres/tracker.js';
import { emptyOutput } from '../../proxy/postgres/tracker-output.js';
import { Writer } from '../../proxy/postgres/wire.js';

// Frontend messages (PostgreSQL docs, 55.7).
const Parse = (name: string, sql: string) => new Writer().cstring(name).cstring(sql).int16(0).frame('P');
const Bind = (portal: string, statement: string, values: string[] = []) => {
  const w = new Writer().cstring(portal).cstring(statement).int16(0).int16(values.length);
  for (const value of values) w.int32(Buffer.byteLength(value)).bytes(Buffer.from(value));
  return w.int16(0).frame('B');
};
const Describe = (target: 'S' | 'P', name: string) =>
  new Writer().int8(target.charCodeAt(0)).cstring(name).frame('D');
const Execute = (portal = '', maxRows = 0) => new Writer().cstring(portal).int32(maxRows).frame('E');
const Sync = () => new Writer().frame('S');
const Query = (sql: string) => new Writer().cstring(sql).frame('Q');
const CopyData = (text: string) => new Writer().bytes(Buffer.from(text)).frame('d');
const CopyDone = () => new Writer().frame('c');

// Backend messages.
const ParseComplete = () => new Writer().frame('1');
const BindComplete = () => new Writer().frame('2');
const RowDescription = (...names: string[]) => {
  const w = new Writer().int16(names.length);
  for (const name of names) w.cstring(name).int32(0).int16(0).int32(23).int16(4).int32(-1).int16(0);
  return w.frame('T');
};
const DataRow = (...values: string[]) => {
  const w = new Writer().int16(values.length);
  for (const value of values) w.int32(Buffer.byteLength(value)).bytes(Buffer.from(value));
  return w.frame('D');
};
const CommandComplete = (tag: string) => new Writer().cstring(tag).frame('C');
const ErrorResponse = (code: string, message: string) =>
  new Writer()
    .int8(0x53)
    .cstring('ERROR')
    .int8(0x43)
    .cstring(code)
    .int8(0x4d)
    .cstring(message)
    .int8(0)
    .frame('E');
const CopyInResponse = () => new Writer().int8(0).int16(1).int16(0).frame('G');
const ReadyForQuery = (status = 'I') => new Writer().int8(status.charCodeAt(0)).frame('Z');

/** Feeds a client→server then server→client exchange and returns the statements recorded and finished. */
function exchange(tracker: StatementTracker, client: Buffer[], server: Buffer[]) {
  const out = emptyOutput();
  for (const frame of new Framer().push(Buffer.concat(client))) tracker.onFrontend(frame, out);
  out.record.forEach((execution, i) => {
    execution.seq = 100 + i;
  });
  for (const frame of new Framer().push(Buffer.concat(server))) tracker.onBackend(frame, out);
  const finished = out.emitted.flatMap((e) => (e.type === 'result' ? [e] : []));
  return { recorded: out.record, finished, events: out.emitted.filter((e) => e.type === 'event') };
}

const sqlOf = (execution: Execution) => execution.payload.sql;

describe('StatementTracker', () => {
  it('does not let a refused Parse relabel what a later Bind of that name runs', () => {
    const tracker = new StatementTracker();
    exchange(tracker, [Parse('s1', 'DELETE FROM accounts'), Sync()], [ParseComplete(), ReadyForQuery()]);
    const refused = exchange(
      tracker,
      [Parse('s1', 'SELECT 1'), Sync()],
      [ErrorResponse('42P05', 'prepared statement "s1" already exists'), ReadyForQuery()],
    );
    expect(refused.events).toHaveLength(1);
    const run = exchange(
      tracker,
      [Bind('', 's1'), Execute(), Sync()],
      [BindComplete(), CommandComplete('DELETE 3'), ReadyForQuery()],
    );
    expect(run.recorded.map(sqlOf)).toEqual(['DELETE FROM accounts']);
    expect(run.finished[0]!.execution.result('complete')).toMatchObject({ tags: ['DELETE 3'], rows: 3 });
  });

  it('gives each of two pipelined unnamed statements its own description', () => {
    const tracker = new StatementTracker();
    const result = exchange(
      tracker,
      [
        Parse('', 'select 1 as a'),
        Describe('S', ''),
        Bind('', ''),
        Execute(),
        Parse('', 'select 2 as b'),
        Describe('S', ''),
        Bind('', ''),
        Execute(),
        Sync(),
      ],
      [
        ParseComplete(),
        new Writer().int16(0).frame('t'),
        RowDescription('a'),
        BindComplete(),
        DataRow('1'),
        CommandComplete('SELECT 1'),
        ParseComplete(),
        new Writer().int16(0).frame('t'),
        RowDescription('b'),
        BindComplete(),
        DataRow('2'),
        CommandComplete('SELECT 1'),
        ReadyForQuery(),
      ],
    );
    expect(result.finished.map((f) => f.execution.result('complete').columns?.map((c) => c.name))).toEqual([
      ['a'],
      ['b'],
    ]);
    expect(result.finished.map((f) => f.execution.result('complete').sample)).toEqual([[['1']], [['2']]]);
  });

  it('follows COPY FROM STDIN in the extended protocol, where the server ignores the Sync sent before CopyDone', () => {
    const tracker = new StatementTracker();
    const copy = exchange(
      tracker,
      [
        Parse('', 'COPY t FROM STDIN'),
        Bind('', ''),
        Execute(),
        Sync(),
        CopyData('1\n2\n'),
        CopyDone(),
        Sync(),
      ],
      [ParseComplete(), BindComplete(), CopyInResponse(), CommandComplete('COPY 2'), ReadyForQuery()],
    );
    expect(copy.finished[0]!.execution.result('complete')).toMatchObject({
      copy: 'in',
      tags: ['COPY 2'],
      rows: 2,
    });
    // The next statement is matched with its own replies, not one ReadyForQuery late.
    const next = exchange(
      tracker,
      [Query('select 7')],
      [RowDescription('x'), DataRow('7'), CommandComplete('SELECT 1'), ReadyForQuery()],
    );
    expect(next.finished[0]!.execution.result('complete')).toMatchObject({ rows: 1, sample: [['7']] });
  });

  it('keeps the Describe after a Sync when an earlier statement of the pipeline fails', () => {
    const tracker = new StatementTracker();
    const result = exchange(
      tracker,
      [
        Parse('', 'select broken('),
        Bind('', ''),
        Execute(),
        Sync(),
        Parse('', 'select 3 as c'),
        Describe('S', ''),
        Bind('', ''),
        Execute(),
        Sync(),
      ],
      [
        ErrorResponse('42601', 'syntax error at end of input'),
        ReadyForQuery(),
        ParseComplete(),
        new Writer().int16(0).frame('t'),
        RowDescription('c'),
        BindComplete(),
        DataRow('3'),
        CommandComplete('SELECT 1'),
        ReadyForQuery(),
      ],
    );
    const [failed, ok] = result.finished.map((f) => f.execution.result(f.outcome));
    expect(failed).toMatchObject({
      outcome: 'error',
      error: { sqlstate: '42601', message: 'syntax error at end of input' },
    });
    expect(ok).toMatchObject({ outcome: 'complete', columns: [{ name: 'c' }], sample: [['3']] });
  });

  it('samples only the first result set of a multi-statement Query and counts every row', () => {
    const tracker = new StatementTracker();
    const result = exchange(
      tracker,
      [Query('select 1 as a; select 2 as b')],
      [
        RowDescription('a'),
        DataRow('1'),
        CommandComplete('SELECT 1'),
        RowDescription('b'),
        DataRow('2'),
        CommandComplete('SELECT 1'),
        ReadyForQuery(),
      ],
    );
    expect(result.finished[0]!.execution.result('complete')).toMatchObject({
      tags: ['SELECT 1', 'SELECT 1'],
      rows: 2,
      columns: [{ name: 'a' }],
      sample: [['1']],
    });
  });

  it('does not carry a row limit over to a later Execute of the same portal', () => {
    const tracker = new StatementTracker();
    exchange(
      tracker,
      [Parse('', 'select g from generate_series(1, 5) g'), Bind('p', ''), Execute('p', 2), Sync()],
      [
        ParseComplete(),
        BindComplete(),
        DataRow('1'),
        DataRow('2'),
        new Writer().frame('s'),
        ReadyForQuery('T'),
      ],
    );
    const again = exchange(
      tracker,
      [Execute('p', 0), Sync()],
      [DataRow('3'), CommandComplete('SELECT 3'), ReadyForQuery('T')],
    );
    expect(again.recorded[0]!.payload).not.toHaveProperty('max_rows');
  });

  it('forgets statements dropped with DEALLOCATE or DISCARD ALL', () => {
    const tracker = new StatementTracker();
    exchange(tracker, [Parse('keep', 'select 1'), Sync()], [ParseComplete(), ReadyForQuery()]);
    exchange(tracker, [Query('DISCARD ALL')], [CommandComplete('DISCARD ALL'), ReadyForQuery()]);
    const after = exchange(
      tracker,
      [Bind('', 'keep'), Execute(), Sync()],
      [ErrorResponse('26000', 'prepared statement "keep" does not exist'), ReadyForQuery()],
    );
    expect(after.recorded.map(sqlOf)).toEqual([null]);
  });
});

describe('recorded payloads', () => {
  // The store hashes canonical JSON; payloads built in sorted key order take its fast path (canonical-json.ts).
  const isCanonical = (payload: unknown) => JSON.stringify(payload) === canonicalJson(payload);

  it('are built in canonical key order for the statements and results of the simple and extended protocols', () => {
    const tracker = new StatementTracker();
    const simple = exchange(
      tracker,
      [Query('SELECT 1 AS a')],
      [RowDescription('a'), DataRow('1'), CommandComplete('SELECT 1'), ReadyForQuery()],
    );
    const extended = exchange(
      tracker,
      [
        Parse('s1', 'SELECT $1::int AS a'),
        Bind('p1', 's1', ['7']),
        Describe('P', 'p1'),
        Execute('p1', 5),
        Sync(),
      ],
      [
        ParseComplete(),
        BindComplete(),
        RowDescription('a'),
        DataRow('7'),
        CommandComplete('SELECT 1'),
        ReadyForQuery(),
      ],
    );
    const executions = [...simple.recorded, ...extended.recorded];
    expect(executions).toHaveLength(2);
    for (const execution of executions) expect(isCanonical(execution.payload)).toBe(true);
    const results = [...simple.finished, ...extended.finished].map((f) => f.execution.result('complete'));
    expect(results).toHaveLength(2);
    for (const result of results) expect(isCanonical(result)).toBe(true);
  });
});
