import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultPayload, StatementPayload } from '../../proxy/postgres/tracker.js';
import type { Store } from '../../proxy/store/store.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

/** A recorded statement with the outcome sealed for it (if any). */
interface Recorded {
  seq: number;
  statement: StatementPayload;
  result: ResultPayload | undefined;
  resultSeq: number | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('postgres.js through the PostgreSQL proxy', () => {
  let setup: PgProxySetup;
  let store: Store;
  /** Every postgres.js instance a test opened, ended in afterAll should a test fail half-way. */
  const opened: postgres.Sql[] = [];

  beforeAll(async () => {
    setup = await startPgProxy();
    store = setup.test.engine.store;
  });
  afterAll(async () => {
    await Promise.all(opened.map((sql) => sql.end({ timeout: 1 }).catch(() => undefined)));
    await setup?.cleanup();
  });

  const sessionIds = () => new Set(store.listSessions({ kind: 'postgres', limit: 1000 }).map((s) => s.id));

  /** One postgres.js instance with ONE connection to the proxy. */
  function connect(): postgres.Sql {
    const sql = postgres(setup.url, {
      max: 1,
      connection: { application_name: 'glassbox-postgresjs' },
      onnotice: () => undefined,
    });
    opened.push(sql);
    return sql;
  }

  /**
   * Runs `use` on a fresh single-connection postgres.js instance, ends it, and returns the events of the one
   * session it produced, once that session is closed.
   */
  async function session(use: (sql: postgres.Sql, sessionId: () => string) => Promise<void>) {
    const before = sessionIds();
    const sql = connect();
    const sessionId = () => {
      const created = store.listSessions({ kind: 'postgres', limit: 1000 }).filter((s) => !before.has(s.id));
      expect(created).toHaveLength(1);
      return created[0]!.id;
    };
    try {
      await use(sql, sessionId);
    } finally {
      await sql.end({ timeout: 5 });
    }
    const created = store.listSessions({ kind: 'postgres', limit: 1000 }).filter((s) => !before.has(s.id));
    expect(created, 'one connection, one session').toHaveLength(1);
    const id = created[0]!.id;
    await waitFor(() => store.getSession(id)?.status === 'closed', 5_000, 'the session to close');
    return store.listEvents(id, 0, 100_000);
  }

  const recorded = (events: RecordedEvent[]): Recorded[] =>
    events
      .filter((e) => e.kind === 'pg.statement')
      .map((statement) => {
        const result = events.find(
          (e) =>
            e.kind === 'pg.result' && (e.payload as unknown as ResultPayload).statement_seq === statement.seq,
        );
        return {
          seq: statement.seq,
          statement: statement.payload as unknown as StatementPayload,
          result: result?.payload as unknown as ResultPayload | undefined,
          resultSeq: result?.seq,
        };
      });

  it('records prepared statements with their SQL and parameters, also on re-executions by name', async () => {
    const events = await session(async (sql) => {
      for (const x of [7, 8, 9]) expect(await sql`select ${x}::int as v`).toEqual([{ v: x }]);
      for (const word of ['alpha', 'beta']) {
        const rows = await sql.unsafe('select $1::text as word, length($1::text) as n', [word], {
          prepare: true,
        });
        expect([...rows]).toEqual([{ word, n: word.length }]);
      }
    });
    const all = recorded(events);

    const tagged = all.filter((r) => r.statement.sql === 'select $1::int as v');
    expect(tagged.map((r) => r.statement.params?.map((p) => p.value))).toEqual([['7'], ['8'], ['9']]);
    expect(tagged.map((r) => r.result?.sample)).toEqual([[['7']], [['8']], [['9']]]);
    for (const r of tagged) {
      expect(r.statement).toMatchObject({ protocol: 'extended', params: [{ format: 'text' }] });
      expect(r.result).toMatchObject({ outcome: 'complete', tags: ['SELECT 1'], rows: 1 });
      expect(r.result!.columns).toEqual([{ name: 'v', type_oid: 23 }]);
    }
    // One named server-side statement, parsed once and bound three times.
    const names = new Set(tagged.map((r) => r.statement.statement));
    expect(names.size).toBe(1);
    expect([...names][0]).not.toBe('');

    const unsafe = all.filter((r) => r.statement.sql === 'select $1::text as word, length($1::text) as n');
    expect(unsafe.map((r) => r.statement.params?.map((p) => p.value))).toEqual([['alpha'], ['beta']]);
    expect(unsafe.map((r) => r.result?.sample)).toEqual([[['alpha', '5']], [['beta', '4']]]);
    expect(unsafe[0]!.statement.statement).not.toBe('');
    expect(unsafe[1]!.statement.statement).toBe(unsafe[0]!.statement.statement);
    expect(unsafe[0]!.result!.columns).toEqual([
      { name: 'word', type_oid: 25 },
      { name: 'n', type_oid: 23 },
    ]);

    // Nothing was recorded without its SQL.
    for (const r of all) expect(r.statement.sql, JSON.stringify(r.statement)).toEqual(expect.any(String));
  });

  it('pairs pipelined statements with their own results on one connection', async () => {
    const count = 25;
    let pipelined: Array<{ i: number; s: string }[]> = [];
    const events = await session(async (sql) => {
      // Prepare once so that the statement needs no describe round trip and later executions pipeline.
      await sql`select ${0}::int as i, repeat('x', ${0}::int) as s`;
      pipelined = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          i % 5 === 4
            ? sql.unsafe(`select ${i} as i, repeat('x', ${i}) as s`).then((rows) => [...rows] as never)
            : sql`select ${i}::int as i, repeat('x', ${i}::int) as s`.then((rows) => [...rows] as never),
        ),
      );
    });
    expect(pipelined).toEqual(Array.from({ length: count }, (_, i) => [{ i, s: 'x'.repeat(i) }]));

    const all = recorded(events).filter((r) => r.statement.sql?.includes("repeat('x'"));
    expect(all).toHaveLength(count + 1);
    // In the order sent, each statement's result holds its own row.
    for (const [i, r] of all.slice(1).entries()) {
      expect(r.result, `statement ${i}`).toMatchObject({ outcome: 'complete', rows: 1, tags: ['SELECT 1'] });
      expect(r.result!.sample, `statement ${i}`).toEqual([[String(i), 'x'.repeat(i)]]);
      if (i % 5 !== 4) expect(r.statement.params?.map((p) => p.value)).toEqual([String(i), String(i)]);
    }
    // Results were sealed in the order the statements were sent …
    const resultSeqs = all.map((r) => r.resultSeq!);
    expect(resultSeqs).toEqual([...resultSeqs].sort((a, b) => a - b));
    // … and they really were pipelined: several statements were on the wire before the first of them answered.
    const firstAnswer = all[1]!.resultSeq!;
    expect(all.slice(1).filter((r) => r.seq < firstAnswer).length).toBeGreaterThan(1);
  });

  it('records a failing statement inside sql.begin with its SQLSTATE, and the rollback', async () => {
    const events = await session(async (sql) => {
      await sql`create table pjs_tx (id int primary key, note text)`;
      await expect(
        sql.begin(async (tx) => {
          await tx`insert into pjs_tx values (${1}, ${'first'})`;
          await tx`insert into pjs_tx values (${1}, ${'duplicate'})`;
        }),
      ).rejects.toMatchObject({ code: '23505' });
      // The rollback undid the first insert, and the connection is usable.
      expect(await sql`select count(*)::int as n from pjs_tx`).toEqual([{ n: 0 }]);
    });
    const all = recorded(events);
    const sqls = all.map((r) => r.statement.sql?.trim());
    const begin = sqls.indexOf('begin');
    expect(begin, sqls.join(' | ')).toBeGreaterThan(-1);
    const tx = all.slice(begin);
    expect(tx[0]!.result).toMatchObject({ outcome: 'complete', tags: ['BEGIN'] });
    expect(tx[1]!.statement).toMatchObject({
      sql: 'insert into pjs_tx values ($1, $2)',
      params: [{ value: '1' }, { value: 'first' }],
    });
    expect(tx[1]!.result).toMatchObject({ outcome: 'complete', tags: ['INSERT 0 1'], rows: 1 });
    expect(tx[2]!.statement).toMatchObject({
      sql: 'insert into pjs_tx values ($1, $2)',
      params: [{ value: '1' }, { value: 'duplicate' }],
    });
    expect(tx[2]!.result).toMatchObject({
      outcome: 'error',
      error: { sqlstate: '23505', severity: 'ERROR' },
    });
    expect(tx[2]!.result!.error!.message).toContain('duplicate key');
    expect(tx[3]!.statement.sql).toBe('rollback');
    expect(tx[3]!.result).toMatchObject({ outcome: 'complete', tags: ['ROLLBACK'] });
    expect(tx[4]!.statement.sql).toBe('select count(*)::int as n from pjs_tx');
    expect(tx[4]!.result).toMatchObject({ outcome: 'complete', sample: [['0']] });
  });

  it('forwards query.cancel() and records the cancel and the 57014 outcome', async () => {
    const events = await session(async (sql, sessionId) => {
      await sql`select 1`; // connected, so the sleeping query goes out at once
      const id = sessionId();
      const query = sql`select pg_sleep(10)`;
      const settled = query.then(
        () => new Error('pg_sleep(10) was not cancelled'),
        (error: unknown) => error,
      );
      // Cancel once the statement is on its way upstream (recorded), then ~200 ms into it.
      await waitFor(
        () =>
          store
            .listEvents(id, 0, 1000)
            .some(
              (e) =>
                e.kind === 'pg.statement' && (e.payload as { sql?: string }).sql === 'select pg_sleep(10)',
            ),
        5_000,
        'the pg_sleep statement to be recorded',
      );
      await sleep(200);
      await query.cancel();
      const error = await settled;
      expect(error).toMatchObject({ code: '57014' });
      await waitFor(
        () => store.listEvents(id, 0, 1000).some((e) => e.kind === 'pg.cancel'),
        5_000,
        'the pg.cancel event',
      );
      expect(await sql`select 2 as after`).toEqual([{ after: 2 }]);
    });
    expect(events.filter((e) => e.kind === 'pg.cancel').map((e) => e.payload)).toEqual([
      { forwarded: true, error: null },
    ]);
    const sleeping = recorded(events).find((r) => r.statement.sql === 'select pg_sleep(10)')!;
    expect(sleeping.result).toMatchObject({ outcome: 'error', error: { sqlstate: '57014' } });
    expect(sleeping.result!.duration_us).toBeGreaterThan(150_000);
    // Cancelled: it did not sleep its 10 s.
    expect(sleeping.result!.duration_us).toBeLessThan(10_000_000);
    const after = recorded(events).find((r) => r.statement.sql === 'select 2 as after')!;
    expect(after.result).toMatchObject({ outcome: 'complete', sample: [['2']] });
  });

  it('delivers 50,000 rows complete, recording the count and a sample capped at 20', async () => {
    let rows: Array<{ n: number }> = [];
    const events = await session(async (sql) => {
      rows = [...(await sql<Array<{ n: number }>>`select generate_series(1, 50000) as n`)];
    });
    expect(rows).toHaveLength(50_000);
    expect(rows.every((row, i) => row.n === i + 1)).toBe(true);
    const big = recorded(events).find((r) => r.statement.sql === 'select generate_series(1, 50000) as n')!;
    expect(big.result).toMatchObject({
      outcome: 'complete',
      tags: ['SELECT 50000'],
      rows: 50_000,
      sample_truncated: true,
    });
    expect(big.result!.sample).toEqual(Array.from({ length: 20 }, (_, i) => [String(i + 1)]));
    // postgres.js sent Parse, Describe(S), Bind, Execute, Sync in one go: the columns come from that Describe.
    expect(big.result!.columns, 'columns of a statement described in the same pipeline').toEqual([
      { name: 'n', type_oid: 23 },
    ]);
  });

  it('keeps every chain intact', () => {
    for (const id of store.allSessionIds())
      expect(store.verifySession(id), id).toMatchObject({ intact: true });
  });
});
