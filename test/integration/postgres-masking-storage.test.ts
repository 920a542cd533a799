import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../proxy/store/store.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { CUSTOMER_RULES } from '../helpers/customers.js';
import { filesUnder } from '../helpers/files.js';
import { testMaskingPolicy } from '../helpers/masking-policy.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { collectOutput } from '../helpers/process.js';

/**
 * Values planted in what clients send and what the database returns. Each holds a token of its own
 * (`zq…`), searched for too: the full-text index stores words, not whole values.
 */
const PLANTED = {
  literal: 'zq1literal@example.com',
  dollar: 'zq2dollar@example.com',
  notice: 'zq3notice@example.com',
  param: 'zq4param@example.com',
  bytea: 'zq5bytea@example.com',
  pgjs: 'zq6pgjs@example.com',
  rowEmail: 'zq7row@example.com',
  rowNotes: 'zq8notes@example.com',
  cast: 'zq9cast@example.com',
  notify: 'zq10notify@example.com',
  parse: 'zq11parse@example.com',
  key: 'sk-ant-api03-zq12key0123456789abcdefghijABCDEFGHIJ',
  literalCard: '4012888888881881',
  paramCard: '5105105105105100',
  rowCard: '4000056655665556',
  rowPhone: '+1 212 555 0199 zq13phone',
};

describe('PostgreSQL masking before storage', () => {
  let setup: PgProxySetup;
  let store: Store;

  beforeAll(async () => {
    setup = await startPgProxy({
      masking: () => testMaskingPolicy(CUSTOMER_RULES),
      // Not about guardrails: the DO block would wait for approval under the default policy.
      policy: { version: 1, guardrails: { enabled: false } },
    });
    store = setup.test.engine.store;
    const direct = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await direct.connect();
    await direct.query(
      'CREATE TABLE customers (id int PRIMARY KEY, name text, email text UNIQUE, card_number text, phone text, notes text)',
    );
    await direct.query('INSERT INTO customers VALUES (1, $1, $2, $3, $4, $5)', [
      'Row Person',
      PLANTED.rowEmail,
      PLANTED.rowCard,
      PLANTED.rowPhone,
      `call ${PLANTED.rowNotes}`,
    ]);
    await direct.end();
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  it('puts none of the planted values anywhere under GLASSBOX_HOME, and says what it masked', async () => {
    const psql = spawn(
      '/usr/bin/psql',
      [
        '-X',
        '-d',
        setup.url,
        '-c',
        `SELECT count(*) FROM customers WHERE email = '${PLANTED.literal}' OR notes = '${PLANTED.key}' /* ${PLANTED.literalCard} */`,
        '-c',
        `SELECT $tag$${PLANTED.dollar}$tag$ AS v, '${PLANTED.literalCard}' AS card`,
        '-c',
        `DO $$BEGIN RAISE NOTICE 'contact %', '${PLANTED.notice}'; END$$`,
        '-c',
        'SELECT * FROM customers',
        '-c',
        `SELECT '${PLANTED.cast}'::int`,
      ],
      { env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const run = await collectOutput(psql);
    expect(run.stderr).toContain('invalid input syntax for type integer');
    expect(run.stdout).toContain('[MASKED:column.email]'); // the wire rule, seen by psql

    const client = new pg.Client({ connectionString: setup.url });
    await client.connect();
    await client.query('LISTEN planted');
    const notified = new Promise((resolve) => client.once('notification', resolve));
    await client.query(`SELECT pg_notify('planted', $1)`, [PLANTED.notify]);
    expect(await notified).toMatchObject({ payload: PLANTED.notify }); // not masked on the wire
    expect(
      (await client.query('SELECT $1::text AS v, $2::text AS c', [PLANTED.param, PLANTED.paramCard])).rows,
    ).toEqual([{ v: PLANTED.param, c: PLANTED.paramCard }]);
    await client.query('SELECT $1::bytea AS b', [Buffer.from(PLANTED.bytea)]);
    await expect(client.query(`SELECT '${PLANTED.parse}' FROM nosuch WHERE x = $1`, [1])).rejects.toThrow(
      /nosuch/,
    );
    await expect(
      client.query('INSERT INTO customers (id, email) VALUES (2, $1)', [PLANTED.rowEmail]),
    ).rejects.toThrow(/duplicate key/);
    await client.end();

    const sql = postgres(setup.url, { max: 1 });
    expect([...(await sql`SELECT ${PLANTED.pgjs}::text AS v`)]).toEqual([{ v: PLANTED.pgjs }]);
    await sql.end();

    await waitFor(
      () => {
        const sessions = store.listSessions({ kind: 'postgres', limit: 10 });
        return sessions.length === 3 && sessions.every((s) => s.status === 'closed') ? sessions : undefined;
      },
      10_000,
      'the three sessions to close',
    );
    const events: RecordedEvent[] = store
      .listSessions({ kind: 'postgres', limit: 10 })
      .flatMap((s) => store.listEvents(s.id, 0, 1_000));
    const masked = (kind: string) =>
      events
        .filter((e) => e.kind === kind)
        .map((e) => (e.payload as { masked?: Record<string, number> }).masked ?? {});
    // Counts, never values: the first psql statement alone masked an email, a key and a card.
    expect(masked('pg.statement')).toContainEqual({
      'pii.email': 1,
      'secret.anthropic_api_key': 1,
      'pii.card': 1,
    });
    expect(masked('pg.result')).toContainEqual({
      'column.card_number': 1,
      'column.email': 1,
      'column.phone': 1,
      'pii.email': 1,
    });
    expect(masked('pg.notice')).toContainEqual({ 'pii.email': 1 });
    expect(masked('pg.notification')).toContainEqual({ 'pii.email': 1 });

    const search = (when: string) => {
      for (const path of filesUnder(setup.test.home)) {
        const bytes = readFileSync(path);
        for (const [name, value] of Object.entries(PLANTED)) {
          const token = /zq\d+[a-z]+/.exec(value)?.[0];
          for (const needle of token ? [value, token] : [value]) {
            if (bytes.includes(needle))
              throw new Error(`${when}: planted ${name} (${needle}) found in ${path}`);
          }
        }
      }
    };
    search('while running');
    await setup.test.engine.stop();
    search('after stopping');
  });
});
