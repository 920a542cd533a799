import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorResponse, PolicyTableResponse, PolicyTablesResponse } from '../../proxy/api/types.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

const EMAIL = 'ana.lopez@acme-corp.io';
const CARD = '4111 1111 1111 1111';
const EMPLOYEE = 'EMP-482913';

/** The table preview of the masking view, against a real PostgreSQL through a real engine. */
describe('control API: preview a PostgreSQL table under a draft policy', () => {
  let setup: PgProxySetup;
  let api: string;
  let auth: Record<string, string>;
  let admin: pg.Client;

  const preview = async <T = PolicyTableResponse>(body: unknown) => {
    const response = await fetch(`${api}/api/policy/preview-table`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  /** Every session and its head: what "nothing was recorded" compares. */
  const recorded = () =>
    setup.test.engine.store
      .listSessions({ limit: 1000 })
      .map((s) => `${s.id}:${s.head_seq}`)
      .sort();

  beforeAll(async () => {
    setup = await startPgProxy();
    api = setup.test.engine.addresses.apiUrl;
    auth = { authorization: `Bearer ${setup.test.engine.addresses.token}` };
    admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    await admin.query(`
      CREATE TABLE customers (id int PRIMARY KEY, email text, card_number text, note text, emails_sent_count int);
      INSERT INTO customers VALUES
        (1, '${EMAIL}', '${CARD}', 'badge ${EMPLOYEE}, call me', 3),
        (2, NULL, NULL, 'no contact', 0);
      CREATE SCHEMA crm;
      CREATE TABLE crm."Odd ""Name""" (secret_key text, label text);
      INSERT INTO crm."Odd ""Name""" VALUES ('s3cr3t-value', 'first');
      CREATE SEQUENCE counter;
    `);
  });
  afterAll(async () => {
    await admin?.end();
    await setup?.cleanup();
  });

  it('lists the tables the connection can see', async () => {
    const response = await fetch(`${api}/api/policy/tables?connection=${setup.name}`, { headers: auth });
    expect(response.status).toBe(200);
    const body = (await response.json()) as PolicyTablesResponse;
    expect(body.tables).toEqual([
      { schema: 'crm', name: 'Odd "Name"' },
      { schema: 'public', name: 'customers' },
    ]);
  });

  it('shows a table as the database has it, as the agent sees it and as it is stored, and records nothing', async () => {
    const before = recorded();
    const draft = {
      custom: [{ id: 'custom.employee_id', pattern: 'EMP-[0-9]{6}' }],
      columns: [{ match: 'customers.email', action: { type: 'partial', keep: 6 }, wire: true }],
    };
    const { status, body } = await preview({ draft, connection: setup.name, table: 'customers' });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.recorded).toBe(false);
    expect(body.query).toBe('SELECT * FROM "customers" LIMIT 20');
    expect(body.columns.map((c) => [c.name, c.table, c.rule?.rule ?? null, c.rule?.wire ?? null])).toEqual([
      ['id', 'public.customers', null, null],
      ['email', 'public.customers', 'column.customers.email', true],
      ['card_number', 'public.customers', 'column.card_number', false],
      ['note', 'public.customers', null, null],
      ['emails_sent_count', 'public.customers', null, null],
    ]);
    expect(body.database).toEqual([
      ['1', EMAIL, CARD, `badge ${EMPLOYEE}, call me`, '3'],
      ['2', null, null, 'no contact', '0'],
    ]);
    const maskedEmail = `${'•'.repeat(EMAIL.length - 6)}orp.io`;
    // On the wire only the rule with wire: true applies; the dictionary masks storage only.
    expect(body.agent[0]).toEqual([
      { value: '1', masked_by: [] },
      { value: maskedEmail, masked_by: ['column.customers.email'] },
      { value: CARD, masked_by: [] },
      { value: `badge ${EMPLOYEE}, call me`, masked_by: [] },
      { value: '3', masked_by: [] },
    ]);
    expect(body.agent[1]![1]).toEqual({ value: null, masked_by: [] });
    expect(body.stored[0]).toEqual([
      { value: '1', masked_by: [] },
      { value: maskedEmail, masked_by: ['column.customers.email'] },
      { value: '[MASKED:column.card_number]', masked_by: ['column.card_number'] },
      { value: 'badge [MASKED:custom.employee_id], call me', masked_by: ['custom.employee_id'] },
      { value: '3', masked_by: [] },
    ]);
    // Without a draft, the policy in force: no wire rule, so the agent sees what the database has.
    const now = await preview({ connection: setup.name, table: { schema: 'public', name: 'customers' } });
    expect(now.body.version).toBe(setup.test.engine.policy.current().version);
    expect(now.body.agent[0]!.map((c) => c.value)).toEqual(body.database[0]);
    expect(recorded()).toEqual(before);
    expect(setup.test.engine.store.listSessions({ kind: 'postgres' })).toEqual([]);
  });

  it('shows a masked number as the proxy sends it: NULL, since [MASKED:…] is no valid integer', async () => {
    const draft = { columns: [{ match: 'customers.emails_sent_count', action: 'redact', wire: true }] };
    const { status, body } = await preview({ draft, connection: setup.name, table: 'customers' });
    expect(status, JSON.stringify(body)).toBe(200);
    const rule = 'column.customers.emails_sent_count';
    expect(body.agent.map((row) => row[4])).toEqual([
      { value: null, masked_by: [rule] },
      { value: null, masked_by: [rule] },
    ]);
    expect(body.stored[0]![4]).toEqual({ value: `[MASKED:${rule}]`, masked_by: [rule] });
  });

  it('quotes table names, and runs a typed SELECT wrapped with a limit', async () => {
    const odd = await preview({ connection: setup.name, table: { schema: 'crm', name: 'Odd "Name"' } });
    expect(odd.status, JSON.stringify(odd.body)).toBe(200);
    expect(odd.body.query).toBe('SELECT * FROM "crm"."Odd ""Name""" LIMIT 20');
    expect(odd.body.columns[0]).toMatchObject({ name: 'secret_key', table: 'crm.Odd "Name"' });
    expect(odd.body.stored[0]![0]).toEqual({
      value: '[MASKED:column.secret_key]',
      masked_by: ['column.secret_key'],
    });

    const typed = await preview({
      connection: setup.name,
      sql: `SELECT email AS contact, g AS n FROM customers, generate_series(1, 30) g WHERE id = 1; -- all of it`,
    });
    expect(typed.status, JSON.stringify(typed.body)).toBe(200);
    expect(typed.body.database).toHaveLength(20);
    expect(typed.body.columns.map((c) => [c.name, c.table])).toEqual([
      ['contact', 'public.customers'],
      ['n', null],
    ]);
    // Column rules go by the column's name as the result names it; detectors still mask what is stored.
    expect(typed.body.stored[0]![0]).toEqual({ value: '[MASKED:pii.email]', masked_by: ['pii.email'] });
  });

  it('refuses what is not one SELECT, and the database refuses writes in the read-only transaction', async () => {
    const refusals: Array<[unknown, number, string]> = [
      [{ sql: 'DELETE FROM customers' }, 400, 'bad_query'],
      [{ sql: 'SELECT 1; DELETE FROM customers' }, 400, 'bad_query'],
      [{ sql: "SELECT 'unterminated" }, 400, 'bad_query'],
      [{ sql: 'SELECT 1) AS x; DELETE FROM customers; SELECT (1' }, 400, 'bad_query'],
      [{ sql: 'SELECT 1', table: 'customers' }, 400, 'bad_body'],
      [{ table: 'a.b.c' }, 400, 'bad_query'],
      [{ table: 'no_such_table' }, 400, 'query_failed'],
      [{ sql: "SELECT nextval('counter')" }, 400, 'query_failed'],
      [{ sql: 'WITH gone AS (DELETE FROM customers RETURNING *) SELECT * FROM gone' }, 400, 'query_failed'],
      [{ sql: 'SELECT * FROM customers FOR UPDATE' }, 400, 'query_failed'],
      [{ sql: 'SELECT 1', draft: { columns: [{ match: 'x', action: 'scramble' }] } }, 400, 'invalid_policy'],
    ];
    for (const [body, status, code] of refusals) {
      const answer = await preview<ErrorResponse>({ connection: setup.name, ...(body as object) });
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.error.code, `${JSON.stringify(body)}: ${answer.body.error.message}`).toBe(code);
    }
    const missing = await preview<ErrorResponse>({ connection: setup.name, table: 'no_such_table' });
    expect(missing.body.error.sqlstate).toBe('42P01');
    const sequence = await preview<ErrorResponse>({
      connection: setup.name,
      sql: "SELECT nextval('counter')",
    });
    expect(sequence.body.error.sqlstate).toBe('25006'); // read_only_sql_transaction
    expect((await preview<ErrorResponse>({ connection: 'nope', table: 'customers' })).status).toBe(404);
    const rows = await admin.query('SELECT count(*)::int AS n FROM customers');
    expect(rows.rows[0].n).toBe(2);
    const counter = await admin.query('SELECT last_value, is_called FROM counter');
    expect(counter.rows[0]).toMatchObject({ is_called: false });
    // No preview connection is left open upstream.
    const openPreviews = async () =>
      (
        await admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'glassbox masking preview'",
        )
      ).rows[0].n as number;
    for (let tries = 0; (await openPreviews()) > 0 && tries < 100; tries++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await openPreviews()).toBe(0);
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    const { engine } = setup.test;
    const [connection] = engine.postgres.connections();
    const broken = { ...connection!, name: 'broken', port: 9 };
    const original = engine.postgres.connections.bind(engine.postgres);
    engine.postgres.connections = () => [...original(), broken];
    try {
      const answer = await preview<ErrorResponse>({ connection: 'broken', table: 'customers' });
      expect(answer.status).toBe(502);
      expect(answer.body.error.code).toBe('upstream_failed');
    } finally {
      engine.postgres.connections = original;
    }
  });
});
