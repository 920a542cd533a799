import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, SqlClassifier } from '../../proxy/policy/guard/sql.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';
import { CONSTANT_TRUE_WHERE, REAL_WHERE } from '../helpers/sql-corpus.js';

/**
 * The SQL classifier checked against a real PostgreSQL: the command names it gives are the command tags the
 * server completes each statement with, and the WHERE clauses it calls constant true really delete every row
 * (and the others do not).
 */

/** Statements run in this order on one connection, each its own Query message. */
const SCRIPT = [
  'CREATE SCHEMA app',
  'CREATE TABLE app.customers (id int PRIMARY KEY, name text)',
  'CREATE TABLE app.orders (id serial PRIMARY KEY, customer_id int REFERENCES app.customers (id), total numeric, legacy text)',
  'CREATE INDEX orders_customer_idx ON app.orders (customer_id)',
  'CREATE VIEW app.big_orders AS SELECT id, total FROM app.orders WHERE total > 100',
  'CREATE SEQUENCE app.seq',
  "INSERT INTO app.customers VALUES (1, 'a'), (2, 'b')",
  'INSERT INTO app.orders (customer_id, total) VALUES (1, 10), (2, 200) ON CONFLICT DO NOTHING',
  'UPDATE app.orders SET total = total + 1 WHERE id = 1',
  'WITH d AS (DELETE FROM app.orders WHERE total > 1000 RETURNING *) SELECT count(*) FROM d',
  'MERGE INTO app.orders o USING app.customers c ON o.customer_id = c.id WHEN MATCHED THEN UPDATE SET total = 0',
  'SELECT * FROM app.orders FOR UPDATE',
  'TABLE app.customers',
  'EXPLAIN SELECT * FROM app.orders',
  'ALTER TABLE app.orders DROP COLUMN legacy',
  'ALTER TABLE app.orders RENAME COLUMN total TO amount',
  'ALTER INDEX app.orders_customer_idx RENAME TO orders_cust_idx',
  'ALTER SEQUENCE app.seq RESTART WITH 5',
  "COMMENT ON TABLE app.orders IS 'DROP TABLE app.orders'",
  'GRANT SELECT ON app.orders TO PUBLIC',
  'REVOKE SELECT ON app.orders FROM PUBLIC',
  'CREATE ROLE guard_reader',
  'ALTER ROLE guard_reader NOLOGIN',
  'GRANT guard_reader TO CURRENT_USER',
  'REVOKE guard_reader FROM CURRENT_USER',
  'DROP ROLE guard_reader',
  'BEGIN',
  'SAVEPOINT s1',
  'LOCK TABLE app.orders IN SHARE MODE',
  'DECLARE c CURSOR FOR SELECT * FROM app.customers',
  'FETCH 1 FROM c',
  'MOVE 1 IN c',
  'CLOSE c',
  'ROLLBACK TO SAVEPOINT s1',
  'RELEASE SAVEPOINT s1',
  'COMMIT',
  'START TRANSACTION READ ONLY',
  'ROLLBACK',
  'SET search_path TO app, public',
  'SHOW search_path',
  'RESET search_path',
  'VACUUM app.customers',
  'ANALYZE app.customers',
  'LISTEN ch',
  "NOTIFY ch, 'x'",
  'UNLISTEN ch',
  'CHECKPOINT',
  'PREPARE q AS SELECT 1',
  'DEALLOCATE q',
  'DO $$ BEGIN PERFORM 1; END $$',
  "CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
  "CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1'",
  'CALL app.p()',
  'CREATE MATERIALIZED VIEW app.mv AS SELECT 1 AS x',
  'REFRESH MATERIALIZED VIEW app.mv',
  'CREATE TABLE app.t2 AS SELECT 1 AS x',
  'SELECT * INTO app.t3 FROM app.t2',
  "CREATE TYPE app.mood AS ENUM ('a')",
  "ALTER TYPE app.mood ADD VALUE 'b'",
  'CREATE EXTENSION IF NOT EXISTS plpgsql',
  'TRUNCATE app.t2',
  'DROP MATERIALIZED VIEW app.mv',
  'DROP VIEW app.big_orders',
  'DROP SEQUENCE app.seq',
  'DROP INDEX app.orders_cust_idx',
  'DROP FUNCTION app.f()',
  'DROP PROCEDURE app.p()',
  'DROP TYPE app.mood',
  'DROP TABLE app.t2, app.t3',
  'DROP SCHEMA app CASCADE',
  'CREATE DATABASE guard_tmp',
  "ALTER DATABASE guard_tmp SET work_mem = '1MB'",
  'DROP DATABASE guard_tmp',
  'DISCARD ALL',
];

/**
 * Where the completed command's tag differs from the statement's command (CreateCommandTag): CREATE TABLE AS
 * and its kin complete as `SELECT n`; TRUNCATE is named as the issue names it, not `TRUNCATE TABLE`.
 */
const COMPLETES_AS: Readonly<Record<string, string>> = {
  'SELECT INTO': 'SELECT',
  'CREATE TABLE AS': 'SELECT',
  'CREATE MATERIALIZED VIEW': 'SELECT',
  TRUNCATE: 'TRUNCATE TABLE',
};

let server: PgServer;
let sql: postgres.Sql;
const classifier = new SqlClassifier();

beforeAll(async () => {
  await loadSqlParser();
  server = await startPostgres();
  sql = postgres(server.superuserUrl, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end();
  await server?.stop();
});

describe('SQL classifier against PostgreSQL', () => {
  it("names each statement's command as the server's command tag does", async () => {
    const mismatches: string[] = [];
    for (const statement of SCRIPT) {
      const facts = classifier.classify(statement);
      expect(facts.parseError, statement).toBeUndefined();
      const result = await sql.unsafe(statement).simple();
      const ours = facts.commands[0] ?? '';
      const tag = COMPLETES_AS[ours] ?? ours;
      if (result.command !== tag)
        mismatches.push(`${statement}: server ${result.command}, classifier ${ours}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('a WHERE it calls constant true deletes every row; the others do not', async () => {
    await sql.unsafe('CREATE TABLE t (id int NOT NULL, a int); CREATE TABLE other (x int)').simple();
    const runnable = (where: string) => !where.includes('$') && !where.includes('random(');
    const deleted = async (where: string) => {
      await sql.unsafe('BEGIN; INSERT INTO t SELECT i, i FROM generate_series(1, 5) i').simple();
      try {
        const result = await sql.unsafe(`DELETE FROM t WHERE ${where}`).simple();
        return result.count;
      } finally {
        await sql.unsafe('ROLLBACK').simple();
      }
    };
    for (const where of CONSTANT_TRUE_WHERE.filter(runnable)) {
      expect(classifier.classify(`DELETE FROM t WHERE ${where}`).noWhere, where).toBe(true);
      expect(await deleted(where), where).toBe(5);
    }
    for (const where of REAL_WHERE.filter(runnable)) {
      expect(classifier.classify(`DELETE FROM t WHERE ${where}`).noWhere, where).toBe(false);
      expect(await deleted(where), where).toBeLessThan(5);
    }
  });
});
