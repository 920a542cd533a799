import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../main/engine-client.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

describe('pausing recording for PostgreSQL traffic', () => {
  let setup: PgProxySetup;
  let api: EngineClient;
  beforeAll(async () => {
    setup = await startPgProxy({ name: 'pausedb' });
    api = new EngineClient({
      apiUrl: setup.test.engine.addresses.apiUrl,
      token: setup.test.engine.addresses.token,
    });
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  it('runs statements while paused without recording them, and records again after resuming', async () => {
    const client = new pg.Client({ connectionString: setup.url, application_name: 'pause-test' });
    await client.connect();
    try {
      await client.query('SELECT 1 AS before_pause');
      await api.setRecording(false, 'test');
      const paused = await client.query('SELECT $1::text AS secret_while_paused', ['p@ss']);
      expect(paused.rows).toEqual([{ secret_while_paused: 'p@ss' }]);
      await api.setRecording(true, 'test');
      await client.query('SELECT 3 AS after_resume');
    } finally {
      await client.end();
    }
    const store = setup.test.engine.store;
    await new Promise((resolve) => setTimeout(resolve, 50)); // lazy writes share the next commit (≤ 5 ms)
    const session = store
      .listSessions({ kind: 'postgres', limit: 10 })
      .find((s) => s.client === 'pause-test')!;
    const sql = store
      .listEvents(session.id)
      .filter((e) => e.kind === 'pg.statement')
      .map((e) => (e.payload as { sql: string }).sql);
    expect(sql).toEqual(['SELECT 1 AS before_pause', 'SELECT 3 AS after_resume']);
    const everything = JSON.stringify(store.listEvents(session.id));
    expect(everything).not.toContain('secret_while_paused');
    expect(everything).not.toContain('p@ss');
    expect(store.verifySession(session.id).intact).toBe(true);
  });
});
