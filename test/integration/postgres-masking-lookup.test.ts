import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../proxy/config.js';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import type { ResultPayload } from '../../proxy/postgres/tracker.js';
import { waitFor } from '../helpers/cli.js';
import { CUSTOMERS, customersSql } from '../helpers/customers.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { testMaskingPolicy } from '../helpers/masking-policy.js';
import { freePort } from '../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';

/**
 * Table names come from a side connection with the connection's own credentials. Here the upstream role may
 * open one connection only (CONNECTION LIMIT 1): the client's takes it, so every lookup is refused.
 */
describe('PostgreSQL wire masking when table names cannot be looked up', () => {
  let server: PgServer;
  let test: TestEngine;
  let url: string;

  beforeAll(async () => {
    server = await startPostgres({ auth: 'scram-sha-256' });
    const admin = new pg.Client({ connectionString: server.superuserUrl });
    await admin.connect();
    await admin.query(customersSql());
    await admin.query("CREATE ROLE app LOGIN PASSWORD 'app-secret' CONNECTION LIMIT 1");
    await admin.query('GRANT SELECT ON customers TO app');
    await admin.end();
    const home = tempHome();
    const port = await freePort();
    const upstream = `postgres://app:app-secret@127.0.0.1:${server.port}/${server.database}`;
    const added = addConnection(home, new FileVault(`${home}/vault.json`), 'limited', upstream, {
      listen: port,
      upstreamTls: 'disable',
    });
    url = added.url;
    const policy = testMaskingPolicy([
      { id: 'column.card_number', column: 'card_number', action: { type: 'redact' }, wire: true },
      { id: 'column.email', table: 'customers', column: 'email', action: { type: 'redact' }, wire: true },
    ]);
    test = await startTestEngine('http://127.0.0.1:9', (_config: Config) => undefined, home, {
      pgMasking: () => policy,
    });
  });
  afterAll(async () => {
    await test?.cleanup();
    await server?.stop();
  });

  it('lets the rows through masked by column names alone, and records why', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT id, email, card_number FROM customers ORDER BY id');
      // The name rule applies; the rule naming the table cannot, since the table is not known.
      expect(rows).toEqual(
        CUSTOMERS.map((c) => ({ id: c.id, email: c.email, card_number: '[MASKED:column.card_number]' })),
      );
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    const store = test.engine.store;
    const events = await waitFor(
      () => {
        const session = store
          .listSessions({ kind: 'postgres', limit: 10 })
          .find((s) => s.status === 'closed');
        return session && store.listEvents(session.id, 0, 100);
      },
      10_000,
      'the session to close',
    );
    const warnings = events
      .filter((e) => e.kind === 'pg.error')
      .map((e) => e.payload as Record<string, unknown>);
    expect(warnings).toEqual([
      expect.objectContaining({
        context: 'masking',
        message: expect.stringMatching(
          /table names unknown, so columns are masked by their names alone: .*too many connections for role "app"/,
        ),
      }),
    ]);
    const results = events.filter((e) => e.kind === 'pg.result').map((e) => e.payload as ResultPayload);
    expect(results[0]?.sample).toEqual(
      CUSTOMERS.map((c) => [String(c.id), '[MASKED:pii.email]', '[MASKED:column.card_number]']),
    );
  });
});
