import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { type GuardedProxy, HOLD, idsIn, rejection, startGuardedProxy } from '../helpers/pg-guard.js';

const BY = { os_user: 'approver', via: 'test' };

/**
 * pg and postgres.js through Glassbox under a real policy.json (a `test.no-drop` block rule, then the built-in
 * rules), decided by the engine's guard and approval broker.
 */
describe('pg and postgres.js through the guarded PostgreSQL proxy', () => {
  let g: GuardedProxy;

  beforeAll(async () => {
    g = await startGuardedProxy();
  });
  afterAll(async () => {
    await g?.cleanup();
  });
  beforeEach(async () => {
    await g.setApprovals(HOLD);
    await g.direct.query(
      'DROP TABLE IF EXISTS t; CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3)',
    );
  });

  describe('pg', () => {
    let client: pg.Client;
    beforeEach(async () => {
      client = new pg.Client({ connectionString: g.setup.url, application_name: 'pg-guard' });
      await client.connect();
    });
    afterAll(async () => {
      await client?.end().catch(() => undefined);
    });

    it('refuses a blocked statement (simple and extended) with 42501, failing the transaction as PostgreSQL would', async () => {
      expect(await rejection(client.query('DROP TABLE t'))).toMatchObject({
        code: '42501',
        message: expect.stringContaining('rule test.no-drop (Dropping tables is not allowed)'),
      });
      await client.query('BEGIN');
      await client.query('INSERT INTO t VALUES ($1)', [10]);
      expect(
        await rejection(client.query({ text: 'DROP TABLE t', values: [], name: 'drop-t' })),
      ).toMatchObject({
        code: '42501',
      });
      expect(await rejection(client.query('INSERT INTO t VALUES ($1)', [11]))).toMatchObject({
        code: '25P02',
      });
      // In a failed transaction PostgreSQL answers any statement 25P02, a blocked one too.
      expect(await rejection(client.query('DROP TABLE t'))).toMatchObject({ code: '25P02' });
      await client.query('ROLLBACK');
      expect((await client.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 3 }]);
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      await client.end();
    });

    it('checks every execution of a prepared statement: approved once, held again, denied the second time', async () => {
      const wipe = { name: 'wipe', text: 'DELETE FROM t' };
      const first = client.query(wipe);
      const id = await g.nextPending();
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      // Its Parse and Bind wait with it: the server holds no lock on t while a person decides.
      const locks = await g.direct.query(
        "SELECT mode FROM pg_locks WHERE relation = 't'::regclass AND pid <> pg_backend_pid()",
      );
      expect(locks.rows).toEqual([]);
      g.broker.decide(id, { approve: true, by: BY });
      expect((await first).rowCount).toBe(3);
      await g.direct.query('INSERT INTO t VALUES (4)');
      // The second run is Bind/Execute of the named statement only: checked again.
      const second = client.query(wipe);
      const again = await g.nextPending();
      expect(again).not.toBe(id);
      g.broker.decide(again, { approve: false, reason: 'once was enough', by: BY });
      expect(await rejection(second)).toMatchObject({
        code: '42501',
        message: expect.stringContaining(`approval ${again} was denied by approver: once was enough`),
      });
      expect(await idsIn(g.direct)).toEqual([4]);
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    });

    it('a session-scope approval lets the same rule through at once in that session only', async () => {
      const first = client.query('DELETE FROM t');
      const id = await g.nextPending();
      // As the dashboard's "Approve for 15 min" does: through the control API.
      const { apiUrl, token } = g.setup.test.engine.addresses;
      const approved = await fetch(`${apiUrl}/api/approvals/${id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ for: '15m', via: 'dashboard' }),
      });
      expect(approved.status).toBe(200);
      expect(g.broker.get(id)).toMatchObject({
        status: 'approved',
        scope: { type: 'session' },
        decided_by: { via: 'dashboard' },
      });
      expect((await first).rowCount).toBe(3);
      await g.direct.query('INSERT INTO t VALUES (8)');
      expect((await client.query('DELETE FROM t')).rowCount).toBe(1);
      expect(g.broker.list()).toEqual([]);
      // Another connection is another session: held again.
      const other = new pg.Client(g.setup.url);
      await other.connect();
      await g.direct.query('INSERT INTO t VALUES (9)');
      const held = other.query('DELETE FROM t');
      const again = await g.nextPending();
      g.broker.decide(again, { approve: false, reason: 'not this one', by: BY });
      expect(await rejection(held)).toMatchObject({ code: '42501' });
      await other.end();
      expect(await idsIn(g.direct)).toEqual([9]);
      await client.end();
    });

    it('retry mode: an approval covers the statement and its Bind values in the session that asked, once', async () => {
      await g.setApprovals({ mode: 'retry', timeout: '60s' });
      // UPDATE without WHERE is held by the built-in rules; its value comes in the Bind message.
      const update = 'UPDATE t SET id = $1';
      const first = await rejection(client.query(update, [7]));
      expect(first.code).toBe('42501');
      const id = /approval (ap_\w+) requested/.exec(first.message)?.[1];
      expect(id).toBeDefined();
      g.broker.decide(id!, { approve: true, by: BY });
      // Another connection running the same statement with the same value is another session: it asks anew
      // and does not use the approval up.
      const other = new pg.Client(g.setup.url);
      await other.connect();
      const elsewhere = await rejection(other.query(update, [7]));
      expect(elsewhere.message).toMatch(/approval ap_\w+ requested/);
      expect(elsewhere.message).not.toContain(id!);
      await other.end();
      // The same statement with another value is another operation.
      const otherValue = await rejection(client.query(update, [8]));
      expect(otherValue.message).toMatch(/approval ap_\w+ requested/);
      expect(otherValue.message).not.toContain(id!);
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      // What was approved runs, once.
      expect((await client.query(update, [7])).rowCount).toBe(3);
      expect(await idsIn(g.direct)).toEqual([7, 7, 7]);
      expect((await rejection(client.query(update, [7]))).code).toBe('42501');
      // The requests refused in retry mode stay pending: withdrawn so that later tests wait for their own.
      for (const pending of g.broker.list()) g.broker.withdraw(pending.id, 'the test is over');
      await client.end();
    });

    it('withdraws the approval on client.cancel() and answers 57014', async () => {
      const query = new pg.Query('DELETE FROM t');
      const held = new Promise((resolve, reject) => {
        query.on('end', resolve);
        query.on('error', reject);
      });
      client.query(query);
      const id = await g.nextPending();
      // pg's cancel: a CancelRequest over a fresh connection with the key Glassbox gave this client.
      const canceller = new pg.Client(g.setup.url) as pg.Client & {
        cancel: (client: pg.Client, query: pg.Query) => void;
      };
      canceller.cancel(client, query);
      expect(await rejection(held)).toMatchObject({ code: '57014' });
      expect(g.broker.get(id)!.status).toBe('withdrawn');
      expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      await client.end();
    });

    it('withdraws the approval when pg_terminate_backend() ends the session', async () => {
      const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      client.on('error', () => undefined);
      // Caught from the start: the query fails while the test still awaits the termination below.
      const held = rejection(client.query('DELETE FROM t'));
      const id = await g.nextPending();
      await g.direct.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(await held).toMatchObject({ code: '57P01' });
      await waitFor(() => g.broker.get(id)!.status === 'withdrawn', 10_000, 'the withdrawal');
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    });
  });

  describe('postgres.js', () => {
    let sql: postgres.Sql;
    beforeEach(() => {
      sql = postgres(g.setup.url, {
        max: 1,
        onnotice: () => undefined,
        connection: { application_name: 'postgresjs-guard' },
      });
    });
    afterAll(async () => {
      await sql?.end({ timeout: 1 });
    });

    it('refuses a blocked statement with 42501 and goes on', async () => {
      expect(await rejection(sql`drop table t`)).toMatchObject({ code: '42501' });
      expect(await sql`select count(*)::int as n from t`).toEqual([{ n: 3 }]);
      await sql.end();
    });

    it('keeps a pipeline in order: nothing behind a held statement runs before it', async () => {
      const notices: string[] = [];
      await sql.end();
      sql = postgres(g.setup.url, { max: 1, onnotice: (n) => notices.push(n.message ?? '') });
      await sql`select 1`;
      const pipeline = Promise.all([
        sql`insert into t values (10)`,
        sql`delete from t`,
        sql`insert into t values (11)`,
      ]);
      const id = await g.nextPending();
      await waitFor(() => notices.some((n) => n.includes(id)), 10_000, 'the waiting notice');
      // The insert before ran; the delete and the insert behind it wait.
      expect(await idsIn(g.direct)).toEqual([1, 2, 3, 10]);
      g.broker.decide(id, { approve: true, by: BY });
      await pipeline;
      expect(await idsIn(g.direct)).toEqual([11]);
      await sql.end();
    });

    it('withdraws the approval on query.cancel()', async () => {
      await sql`select 1`;
      const query = sql`delete from t`;
      const settled = rejection(query);
      const id = await g.nextPending();
      await query.cancel();
      expect(await settled).toMatchObject({ code: '57014' });
      expect(g.broker.get(id)!.status).toBe('withdrawn');
      expect(await sql`select 3 as three`).toEqual([{ three: 3 }]);
      expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      await sql.end();
    });

    it('retry mode: refused with the approval id, then the same statement passes once', async () => {
      await g.setApprovals({ mode: 'retry', timeout: '60s' });
      const first = await rejection(sql`delete from t`);
      expect(first.code).toBe('42501');
      const id = /approval (ap_\w+) requested/.exec(first.message)?.[1];
      expect(id).toBeDefined();
      g.broker.decide(id!, { approve: true, by: BY });
      expect((await sql`delete from t`).count).toBe(3);
      await g.direct.query('INSERT INTO t VALUES (5)');
      expect(await rejection(sql`delete from t`)).toMatchObject({ code: '42501' });
      expect(await idsIn(g.direct)).toEqual([5]);
      await sql.end();
    });
  });
});
