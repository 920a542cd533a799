/**
 * SQL with the facts the guardrails classifier must find in it (proxy/policy/guard/sql.ts), in the style of
 * PostgreSQL's regression suite (src/test/regress/sql: with.sql, update.sql, delete.sql, merge.sql,
 * insert_conflict.sql, copy2.sql, privileges.sql) and of the docs' examples. Used by the unit tests and, as
 * its text, by test/bench/policy-classify.ts. A case lists the facts that differ from "nothing": reads,
 * writes and functions default to [], the flags to false.
 */
import type { SqlEffect } from '../../proxy/policy/guard/types.js';

/** One statement or Query message and the whole-message facts expected of it. */
export interface SqlCase {
  sql: string;
  effect: SqlEffect;
  commands: string[];
  reads?: string[];
  writes?: string[];
  noWhere?: boolean;
  functions?: string[];
  copyProgram?: boolean;
  alterDrop?: boolean;
}

export const READS: SqlCase[] = [
  { sql: 'SELECT * FROM orders', effect: 'read', commands: ['SELECT'], reads: ['orders'] },
  { sql: 'select 1', effect: 'read', commands: ['SELECT'] },
  {
    sql: 'SELECT o.id, c.name FROM public.orders o JOIN "Customers" c ON c.id = o.customer_id WHERE o.total > 10',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['Customers', 'public.orders'],
  },
  {
    sql: 'SELECT * FROM Sales.Orders, "Sales"."Order Items", mydb.public.t',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['Sales.Order Items', 'mydb.public.t', 'sales.orders'],
  },
  {
    sql: "SELECT * FROM jobs WHERE state = 'new' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
    effect: 'read',
    commands: ['SELECT'],
    reads: ['jobs'],
  },
  {
    sql: 'SELECT a FROM t1 WHERE b IN (SELECT b FROM t2 WHERE EXISTS (SELECT 1 FROM s.t3)) UNION ALL SELECT a FROM t4',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['s.t3', 't1', 't2', 't4'],
  },
  {
    sql: 'WITH RECURSIVE tree(id, parent) AS (SELECT id, parent FROM nodes WHERE parent IS NULL UNION ALL SELECT n.id, n.parent FROM nodes n JOIN tree t ON n.parent = t.id) SELECT * FROM tree',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['nodes'],
  },
  // A CTE's own query sees only the CTEs before it: here `orders` inside is the table.
  {
    sql: 'WITH orders AS (SELECT * FROM orders WHERE paid) SELECT count(*) FROM orders',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['orders'],
  },
  {
    sql: 'WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b, c',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['c'],
  },
  { sql: 'VALUES (1, 2), (3, 4)', effect: 'read', commands: ['SELECT'] },
  {
    sql: 'SELECT * FROM t WHERE lower(name) = $1 AND id = ANY($2::int[])',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['t'],
  },
  { sql: 'TABLE pg_catalog.pg_class', effect: 'read', commands: ['SELECT'], reads: ['pg_catalog.pg_class'] },
  {
    sql: 'SELECT * FROM orders o, LATERAL (SELECT * FROM items i WHERE i.order_id = o.id LIMIT 3) li',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['items', 'orders'],
  },
  {
    sql: "SELECT jt.* FROM docs, JSON_TABLE(docs.body, '$.items[*]' COLUMNS (name text PATH '$.name')) AS jt",
    effect: 'read',
    commands: ['SELECT'],
    reads: ['docs'],
  },
  {
    sql: "SELECT * FROM XMLTABLE('/r' PASSING (SELECT x FROM xdocs) COLUMNS a int)",
    effect: 'read',
    commands: ['SELECT'],
    reads: ['xdocs'],
  },
  {
    sql: 'SELECT (SELECT max(id) FROM a) + (SELECT count(*) FROM b.c), g FROM generate_series(1, 3) g',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['a', 'b.c'],
  },
  {
    sql: 'SELECT * FROM a NATURAL JOIN b FULL JOIN c USING (id)',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['a', 'b', 'c'],
  },
];

export const COMMENTS_AND_QUOTES: SqlCase[] = [
  { sql: '/* DELETE FROM orders */ SELECT 1 -- DROP TABLE x', effect: 'read', commands: ['SELECT'] },
  {
    sql: '-- DROP TABLE users;\nSELECT id FROM users',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['users'],
  },
  {
    sql: '/* outer /* nested DELETE FROM t; */ still a comment; TRUNCATE t */ SELECT 2',
    effect: 'read',
    commands: ['SELECT'],
  },
  { sql: 'SELECT $$DROP TABLE users; DELETE FROM t$$ AS s', effect: 'read', commands: ['SELECT'] },
  { sql: 'SELECT $tag$ ; DELETE FROM x; $$ $tag$', effect: 'read', commands: ['SELECT'] },
  { sql: "SELECT 'it''s; DROP TABLE t; --' AS s", effect: 'read', commands: ['SELECT'] },
  { sql: "SELECT E'\\'; DELETE FROM t; --'", effect: 'read', commands: ['SELECT'] },
  {
    sql: 'SELECT "DELETE FROM t" FROM "drop table"',
    effect: 'read',
    commands: ['SELECT'],
    reads: ['drop table'],
  },
  { sql: '-- only a comment', effect: 'read', commands: [] },
  { sql: '   \n\t', effect: 'read', commands: [] },
];

export const WRITES: SqlCase[] = [
  { sql: 'INSERT INTO orders (id) VALUES (1)', effect: 'insert', commands: ['INSERT'], writes: ['orders'] },
  {
    sql: 'INSERT INTO archive.orders SELECT * FROM orders WHERE created_at < now() - interval $$1 year$$',
    effect: 'insert',
    commands: ['INSERT'],
    reads: ['orders'],
    writes: ['archive.orders'],
  },
  {
    sql: "INSERT INTO distributors (did, dname) VALUES (5, 'Gizmo') ON CONFLICT (did) DO UPDATE SET dname = EXCLUDED.dname",
    effect: 'update',
    commands: ['INSERT'],
    writes: ['distributors'],
  },
  {
    sql: "INSERT INTO distributors (did, dname) VALUES (7, 'Redline') ON CONFLICT (did) DO NOTHING",
    effect: 'insert',
    commands: ['INSERT'],
    writes: ['distributors'],
  },
  {
    sql: 'UPDATE orders SET status = 1 WHERE id = 3',
    effect: 'update',
    commands: ['UPDATE'],
    writes: ['orders'],
  },
  {
    sql: 'UPDATE "Sales"."Order Items" SET qty = 0',
    effect: 'update',
    commands: ['UPDATE'],
    writes: ['Sales.Order Items'],
    noWhere: true,
  },
  {
    sql: 'UPDATE accounts a SET balance = a.balance + t.amount FROM transfers t WHERE t.account_id = a.id',
    effect: 'update',
    commands: ['UPDATE'],
    reads: ['transfers'],
    writes: ['accounts'],
  },
  {
    sql: 'UPDATE employees SET sales_count = sales_count + 1 WHERE id = (SELECT sales_person FROM accounts WHERE name = $1)',
    effect: 'update',
    commands: ['UPDATE'],
    reads: ['accounts'],
    writes: ['employees'],
  },
  { sql: 'DELETE FROM orders', effect: 'delete', commands: ['DELETE'], writes: ['orders'], noWhere: true },
  {
    sql: 'delete from ONLY public.orders where id = 1',
    effect: 'delete',
    commands: ['DELETE'],
    writes: ['public.orders'],
  },
  {
    sql: "DELETE FROM films USING producers WHERE producer_id = producers.id AND producers.name = 'foo'",
    effect: 'delete',
    commands: ['DELETE'],
    reads: ['producers'],
    writes: ['films'],
  },
  {
    sql: 'UPDATE t SET (a, b) = (SELECT x, y FROM s WHERE s.id = t.id) WHERE t.k > 0 RETURNING *',
    effect: 'update',
    commands: ['UPDATE'],
    reads: ['s'],
    writes: ['t'],
  },
  {
    sql: 'INSERT INTO t SELECT * FROM s ON CONFLICT ON CONSTRAINT t_pkey DO UPDATE SET v = excluded.v WHERE t.v IS DISTINCT FROM excluded.v',
    effect: 'update',
    commands: ['INSERT'],
    reads: ['s'],
    writes: ['t'],
  },
  {
    sql: 'DELETE FROM tasks WHERE CURRENT OF c_tasks',
    effect: 'delete',
    commands: ['DELETE'],
    writes: ['tasks'],
  },
  {
    sql: 'MERGE INTO customer_account ca USING recent_transactions t ON t.customer_id = ca.customer_id WHEN MATCHED THEN UPDATE SET balance = balance + transaction_value WHEN NOT MATCHED THEN INSERT (customer_id, balance) VALUES (t.customer_id, t.transaction_value)',
    effect: 'update',
    commands: ['MERGE'],
    reads: ['recent_transactions'],
    writes: ['customer_account'],
  },
  {
    sql: 'MERGE INTO wines w USING wine_stock_changes s ON s.winename = w.winename WHEN NOT MATCHED AND s.stock_delta > 0 THEN INSERT VALUES(s.winename, s.stock_delta) WHEN MATCHED AND w.stock + s.stock_delta > 0 THEN UPDATE SET stock = w.stock + s.stock_delta WHEN MATCHED THEN DELETE',
    effect: 'delete',
    commands: ['MERGE'],
    reads: ['wine_stock_changes'],
    writes: ['wines'],
  },
  {
    sql: 'MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE',
    effect: 'delete',
    commands: ['MERGE'],
    reads: ['s'],
    writes: ['t'],
    noWhere: true,
  },
  {
    sql: 'MERGE INTO t USING (SELECT 1 AS id) s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)',
    effect: 'insert',
    commands: ['MERGE'],
    writes: ['t'],
  },
];

export const CTES: SqlCase[] = [
  {
    sql: 'WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x',
    effect: 'delete',
    commands: ['SELECT'],
    writes: ['t'],
    noWhere: true,
  },
  {
    sql: 'WITH moved_rows AS (DELETE FROM products WHERE "date" >= $1 AND "date" < $2 RETURNING *) INSERT INTO products_log SELECT * FROM moved_rows',
    effect: 'delete',
    commands: ['INSERT'],
    writes: ['products', 'products_log'],
  },
  {
    // The USING t is the CTE, not a relation.
    sql: 'WITH t AS (INSERT INTO y SELECT * FROM src RETURNING *) DELETE FROM y USING t WHERE t.a = y.a',
    effect: 'delete',
    commands: ['DELETE'],
    reads: ['src'],
    writes: ['y'],
  },
  {
    sql: 'WITH t AS (UPDATE products SET price = price * 1.05 RETURNING *) SELECT * FROM products',
    effect: 'update',
    commands: ['SELECT'],
    reads: ['products'],
    writes: ['products'],
    noWhere: true,
  },
  {
    sql: 'WITH upd AS (UPDATE employees SET sales_count = sales_count + 1 WHERE id = 1 RETURNING id), ins AS (INSERT INTO audit SELECT id FROM upd) SELECT 1',
    effect: 'update',
    commands: ['SELECT'],
    writes: ['audit', 'employees'],
  },
  {
    // PostgreSQL refuses this later (data-modifying WITH only at the top level); it still counts.
    sql: 'SELECT * FROM (SELECT 1) s WHERE EXISTS (WITH d AS (DELETE FROM q WHERE 1 = 1 RETURNING 1) SELECT 1)',
    effect: 'delete',
    commands: ['SELECT'],
    writes: ['q'],
    noWhere: true,
  },
  {
    sql: 'COPY (DELETE FROM queue RETURNING *) TO STDOUT',
    effect: 'delete',
    commands: ['COPY'],
    writes: ['queue'],
    noWhere: true,
  },
];

/** UPDATE/DELETE whose WHERE is constant true select every row. */
export const CONSTANT_TRUE_WHERE = [
  'true',
  'TRUE',
  '1=1',
  "'a'='a'",
  'NOT false',
  "'t'",
  "'yes'::boolean",
  '1::boolean',
  '1 = 1 OR id = 3',
  'true AND 2 > 1',
  '1 IN (1, 2)',
  '2 NOT IN (3, 4)',
  '1 BETWEEN 0 AND 2',
  'NULL IS NULL',
  '1 <> 2',
  'id = id',
  '(1 = 1) IS TRUE',
  "'1' = 1",
  'NOT (1 = 0)',
  '1 IS NOT DISTINCT FROM 1',
];

/** …and these do not. */
export const REAL_WHERE = [
  'id = 1',
  '1 = 2',
  'false',
  '1=1 AND id=2',
  'NOT true',
  'random() > 0.5',
  'NULL',
  'NULL = NULL',
  "'a' = 'b'",
  'id = $1',
  'EXISTS (SELECT 1 FROM other)',
  "'off'::boolean",
];
