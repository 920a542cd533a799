import pg from 'pg';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../proxy/store/store.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

describe('node-postgres through the PostgreSQL proxy', () => {
  let setup: PgProxySetup;
  let store: Store;

  beforeAll(async () => {
    setup = await startPgProxy();
    store = setup.test.engine.store;
  });
  afterAll(async () => {
    await setup.cleanup();
  });

  /** Runs `use` on a fresh client and returns the events of the session it produced, once it has ended. */
  async function session(use: (client: pg.Client) => Promise<void>): Promise<RecordedEvent[]> {
    const before = new Set(store.listSessions({ kind: 'postgres', limit: 1000 }).map((s) => s.id));
    const client = new pg.Client({ connectionString: setup.url, application_name: 'glassbox-test' });
    await client.connect();
    try {
      await use(client);
    } finally {
      await client.end();
    }
    const created = await waitFor(
      () =>
        store
          .listSessions({ kind: 'postgres', limit: 1000 })
          .find((s) => !before.has(s.id) && s.status === 'closed'),
      5_000,
      'the session to close',
    );
    return store.listEvents(created.id, 0, 5_000);
  }

  const results = (events: RecordedEvent[]) =>
    events
      .filter((e) => e.kind === 'pg.statement')
      .map((statement) => ({
        statement: statement.payload as Record<string, unknown>,
        result: events.find(
          (e) =>
            e.kind === 'pg.result' &&
            (e.payload as { statement_seq: number }).statement_seq === statement.seq,
        )?.payload as Record<string, unknown> | undefined,
      }));

  it('records simple and extended queries with parameters, rows, columns, samples and timing', async () => {
    const events = await session(async (client) => {
      expect((await client.query('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }]);
      const sum = await client.query('select $1::int + $2::int as total, $3::text as label', [2, 3, "it's"]);
      expect(sum.rows).toEqual([{ total: 5, label: "it's" }]);
    });
    expect(events[0]).toMatchObject({
      kind: 'pg.session',
      payload: { event: 'start', user: setup.name, application_name: 'glassbox-test' },
    });
    expect(events[1]).toMatchObject({
      kind: 'pg.session',
      payload: { event: 'connected', upstream_user: setup.pg.user },
    });
    const [simple, extended] = results(events);
    expect(simple!.statement).toMatchObject({ protocol: 'simple', sql: 'select 41 + 1 as answer' });
    expect(simple!.result).toMatchObject({
      outcome: 'complete',
      tags: ['SELECT 1'],
      rows: 1,
      columns: [{ name: 'answer', type_oid: 23 }],
      sample: [['42']],
    });
    expect(extended!.statement).toMatchObject({
      protocol: 'extended',
      sql: 'select $1::int + $2::int as total, $3::text as label',
      params: [
        { value: '2', format: 'text' },
        { value: '3', format: 'text' },
        { value: "it's", format: 'text' },
      ],
    });
    expect(extended!.result).toMatchObject({ outcome: 'complete', rows: 1, sample: [['5', "it's"]] });
    expect((extended!.result!.duration_us as number) > 0).toBe(true);
    expect(events.at(-1)).toMatchObject({ kind: 'session.end', payload: { reason: 'client_terminated' } });
  });

  it('records errors with SQLSTATE, message and position, and the connection keeps working', async () => {
    const events = await session(async (client) => {
      await expect(client.query('select * from no_such_table')).rejects.toMatchObject({ code: '42P01' });
      await expect(client.query('select $1::int', ['not a number'])).rejects.toMatchObject({ code: '22P02' });
      expect((await client.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    });
    const [missing, badParam, ok] = results(events);
    expect(missing!.result).toMatchObject({ outcome: 'error', error: { sqlstate: '42P01', position: 15 } });
    expect(missing!.result!.error).toMatchObject({ message: 'relation "no_such_table" does not exist' });
    expect(badParam!.result).toMatchObject({ outcome: 'error', error: { sqlstate: '22P02' } });
    expect(ok!.result).toMatchObject({ outcome: 'complete', rows: 1 });
  });

  it('streams 100,000 rows through a cursor, with a capped sample and every row counted', async () => {
    let seen = 0;
    const events = await session(async (client) => {
      const cursor = client.query(new Cursor('select g, md5(g::text) from generate_series(1, 100000) g'));
      for (;;) {
        const rows = await cursor.read(5_000);
        if (rows.length === 0) break;
        seen += rows.length;
      }
      await cursor.close();
    });
    expect(seen).toBe(100_000);
    const executions = results(events).filter((r) => r.statement.sql?.toString().includes('generate_series'));
    expect(executions.length).toBeGreaterThan(20);
    const suspended = executions.filter((r) => r.result?.outcome === 'suspended');
    expect(suspended.length).toBeGreaterThan(0);
    expect(executions.reduce((sum, r) => sum + (r.result!.rows as number), 0)).toBe(100_000);
    expect((suspended[0]!.result!.sample as unknown[]).length).toBe(20);
    expect(suspended[0]!.result!.sample_truncated).toBe(true);
    expect(suspended[0]!.statement).toMatchObject({ max_rows: 5_000 });
  });

  it('refuses a wrong local password and an unknown connection name alike (28P01), recording neither', async () => {
    const sessionsBefore = store.listSessions({ kind: 'postgres', limit: 1000 }).length;
    const wrong = new pg.Client({
      connectionString: setup.url.replace(`:${encodeURIComponent(setup.localPassword)}@`, ':wrong@'),
    });
    await expect(wrong.connect()).rejects.toMatchObject({
      code: '28P01',
      message: `password authentication failed for user "${setup.name}"`,
    });
    // As PostgreSQL does for a role that does not exist: the same SCRAM exchange, the same answer.
    const unknown = new pg.Client({ connectionString: setup.url.replace(`//${setup.name}:`, '//intruder:') });
    await expect(unknown.connect()).rejects.toMatchObject({
      code: '28P01',
      message: 'password authentication failed for user "intruder"',
    });
    // Before login nothing is recorded (issue 15, point 14): failed logins are counted per client address.
    expect(store.listSessions({ kind: 'postgres', limit: 1000 })).toHaveLength(sessionsBefore);
    const { apiUrl, token } = setup.test.engine.addresses;
    const health = (await (
      await fetch(`${apiUrl}/api/health`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { postgres: { sources: Array<{ address: string; failed_logins: number }> } };
    expect(health.postgres.sources.find((s) => s.address === '127.0.0.1')?.failed_logins).toBe(2);
    // The proxy keeps serving.
    const events = await session(async (client) => {
      await client.query('select 1');
    });
    expect(events.some((e) => e.kind === 'pg.result')).toBe(true);
  });

  it('refuses a replication connection with 0A000 rather than relaying it as a plain one', async () => {
    // node-postgres reads `replication` from the URL (its typings lack the option) and sends it at start-up.
    const url = new URL(setup.url);
    url.searchParams.set('replication', 'database');
    const replication = new pg.Client({ connectionString: url.toString() });
    await expect(replication.connect()).rejects.toMatchObject({
      code: '0A000',
      message: expect.stringMatching(/does not relay replication connections/),
    });
    await waitFor(
      () =>
        store
          .listSessions({ kind: 'postgres', limit: 1000 })
          .flatMap((s) => store.listEvents(s.id))
          .some((e) => e.kind === 'pg.error' && (e.payload as { sqlstate: string }).sqlstate === '0A000'),
      2_000,
      'the refusal to be recorded',
    );
  });

  it('keeps every chain intact', () => {
    for (const id of store.allSessionIds())
      expect(store.verifySession(id), id).toMatchObject({ intact: true });
  });
});
