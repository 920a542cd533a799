/**
 * The masking policy in force, end to end on the PostgreSQL side: with the built-in default, a sensitive
 * column (`email`) is masked in what Glassbox stores but not on the wire; a policy.json saved while the engine
 * runs, with a `wire: true` rule, masks what psql receives from the next statement on, while the database
 * keeps the real values, and the change is recorded as `policy.changed`.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { collectOutput } from '../helpers/process.js';

const EMAIL = 'ada.lovelace@analytical.example';
const CARD = '4111 1111 1111 1111';

describe('the masking policy on a PostgreSQL connection', () => {
  let setup: PgProxySetup;
  let admin: pg.Client;

  /** psql through Glassbox (the engine runs in this process: never spawnSync), one line per row, `|` between columns. */
  const psql = async (sql: string) => {
    const child = spawn('/usr/bin/psql', ['-X', '-w', '-A', '-t', '-c', sql, setup.url], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    const run = await collectOutput(child);
    expect(run.stderr, run.stderr).toBe('');
    return run.stdout.trim();
  };
  /** The sample rows Glassbox recorded for the newest statement whose SQL starts with `prefix`. */
  const recordedSample = (prefix: string) => {
    const store = setup.test.engine.store;
    for (const session of store.listSessions({ kind: 'postgres', limit: 100 })) {
      const events = store.listEvents(session.id, 0, 1000);
      const statement = events.findLast(
        (e) => e.kind === 'pg.statement' && String((e.payload as { sql: string }).sql).startsWith(prefix),
      );
      const result =
        statement &&
        events.find(
          (e) =>
            e.kind === 'pg.result' &&
            (e.payload as { statement_seq: number }).statement_seq === statement.seq,
        );
      if (result) return (result.payload as { sample: string[][] }).sample;
    }
    return undefined;
  };

  beforeAll(async () => {
    setup = await startPgProxy();
    admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    await admin.query('CREATE TABLE customers (id int, email text, card_number text, emails_sent_count int)');
    await admin.query('INSERT INTO customers VALUES (1, $1, $2, 7)', [EMAIL, CARD]);
  });
  afterAll(async () => {
    await admin?.end();
    await setup?.cleanup();
  });

  it('by default masks a sensitive column in storage only: the client gets the value, the store does not', async () => {
    expect(await psql('SELECT email, emails_sent_count FROM customers')).toBe(`${EMAIL}|7`);
    const sample = await waitFor(
      () => recordedSample('SELECT email, emails_sent_count'),
      5_000,
      'the result',
    );
    expect(sample).toEqual([['[MASKED:column.email]', '7']]);
  });

  it('applies a wire rule saved while the engine runs to the next statement; the database keeps the real value', async () => {
    const before = setup.test.engine.policy.current().version;
    writeFileSync(
      join(setup.test.home, 'policy.json'),
      JSON.stringify({
        version: 1,
        columns: [
          { match: 'customers.email', action: 'redact', wire: true },
          { match: 'customers.card_number', action: { type: 'partial', keep: 4 }, wire: true },
        ],
      }),
    );
    await waitFor(() => setup.test.engine.policy.current().version !== before, 10_000, 'the new policy');
    const row = await psql('SELECT email, card_number, emails_sent_count FROM customers');
    const [email, card, count] = row.split('|');
    expect(email).toMatch(/^\[MASKED:[\w.]+\]$/);
    expect(card).toMatch(/^•+1111$/);
    expect(count).toBe('7');
    const direct = await admin.query('SELECT email, card_number FROM customers');
    expect(direct.rows).toEqual([{ email: EMAIL, card_number: CARD }]);
    // The change is on the record.
    const store = setup.test.engine.store;
    const changed = store
      .listSessions({ kind: 'http', limit: 100 })
      .flatMap((session) => store.listEvents(session.id, 0, 100))
      .filter((e) => e.kind === 'policy.changed');
    expect(changed.length).toBeGreaterThan(0);
  });
});
