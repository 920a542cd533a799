import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDataRow, parseErrorFields } from '../../proxy/postgres/backend-messages.js';
import { cancelRequest, startupMessage, terminate } from '../../proxy/postgres/frontend-messages.js';
import { BACKEND } from '../../proxy/postgres/messages.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { RawPgClient } from '../helpers/raw-pg.js';

/**
 * Behaviour that node-postgres' and postgres.js' own test suites rely on, found by running those suites
 * through Glassbox: each case failed through the proxy while passing against PostgreSQL directly.
 */
describe('PostgreSQL proxy: what client libraries expect of a server', () => {
  let setup: PgProxySetup;

  beforeAll(async () => {
    setup = await startPgProxy();
  });
  afterAll(async () => {
    await setup.cleanup();
  });

  const query = (sql: string) => new Writer().cstring(sql).frame('Q');
  const terminateBackend = async (pid: number) => {
    const admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
  };

  it("passes the server's FATAL and close on without an error of its own (pg_terminate_backend)", async () => {
    const client = await RawPgClient.login(setup.port, setup.name, setup.localPassword, setup.pg.database);
    client.socket.write(query('select pg_backend_pid()'));
    let pid = 0;
    for (let frame = await client.next(); frame.type !== BACKEND.ReadyForQuery; frame = await client.next())
      if (frame.type === BACKEND.DataRow) pid = Number(parseDataRow(frame.body)[0]?.toString());
    client.socket.write(query('select pg_sleep(30)'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await terminateBackend(pid);
    await client.waitClosed();
    const errors: string[] = [];
    for (;;) {
      const frame = await client.next().catch(() => undefined);
      if (!frame) break;
      if (frame.type === BACKEND.ErrorResponse) errors.push(parseErrorFields(frame.body).C ?? '?');
    }
    // PostgreSQL sends one ErrorResponse (57P01) and closes; node-postgres emits 'error' once per message.
    expect(errors).toEqual(['57P01']);
  });

  it('closes a connection whose start-up packet has an impossible length without answering', async () => {
    // node-postgres' end() before the socket connects queues Terminate ahead of the StartupMessage.
    const raw = await RawPgClient.open(setup.port);
    raw.socket.write(Buffer.concat([terminate(), startupMessage({ user: setup.name })]));
    await raw.waitClosed();
    expect(raw.received()).toHaveLength(0);

    const client = new pg.Client({ connectionString: setup.url });
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    // As in node-postgres' quick-disconnect test: the connect promise never settles, end() resolves.
    client.connect().catch(() => undefined);
    await client.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors).toEqual([]);
  });

  it("hands clients the upstream backend's process id, so it matches pg_backend_pid()", async () => {
    const client = new pg.Client({ connectionString: setup.url });
    await client.connect();
    const { pid } = (await client.query('select pg_backend_pid() as pid')).rows[0] as { pid: number };
    expect((client as unknown as { processID: number }).processID).toBe(pid);
    // Cancels still go through Glassbox's own secret key.
    const sleeping = client.query('select pg_sleep(30)').catch((error: { code?: string }) => error.code);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const key = client as unknown as { processID: number; secretKey: number };
    const secret = Buffer.alloc(4);
    secret.writeInt32BE(key.secretKey);
    const canceller = await RawPgClient.open(setup.port);
    canceller.socket.end(cancelRequest(key.processID, secret));
    expect(await sleeping).toBe('57014');
    await client.end();
  });
});
