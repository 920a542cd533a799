import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Framer } from '../../proxy/postgres/framer.js';
import { BACKEND } from '../../proxy/postgres/messages.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { runCli, type ServeProcess, spawnServe, waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { freePort } from '../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';
import { RawPgClient } from '../helpers/raw-pg.js';

const ROWS = 100_000;
const ROW_BYTES = 2_000;

/** Resident memory of a process in bytes (Linux /proc). */
function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

/** Adds connection `name` to `pg` with `glassbox pg add` on a free port; returns its local URL. */
async function addConnectionWithCli(home: string, pg: PgServer, name: string): Promise<URL> {
  const upstream = `postgres://${pg.user}:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}/${pg.database}`;
  const args = [
    'pg',
    'add',
    name,
    '--upstream',
    upstream,
    '--listen',
    String(await freePort()),
    '--upstream-tls',
    'disable',
  ];
  const added = runCli(home, args);
  expect(added.status, added.stderr).toBe(0);
  const list = JSON.parse(runCli(home, ['pg', 'list', '--json']).stdout) as Array<{
    name: string;
    url: string;
  }>;
  return new URL(list.find((c) => c.name === name)!.url);
}

describe('PostgreSQL proxy with a slow client', () => {
  let pg: PgServer;
  let home: string;
  let serve: ServeProcess;
  let url: URL;

  beforeAll(async () => {
    pg = await startPostgres({ auth: 'scram-sha-256' });
    home = tempHome();
    url = await addConnectionWithCli(home, pg, 'slow');
    serve = await spawnServe(home, 'http://127.0.0.1:9');
  });
  afterAll(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
    await pg.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it(`streams ${((ROWS * ROW_BYTES) / 1e6).toFixed(0)} MB of rows in bounded memory while the client stalls, then delivers and counts every row`, async () => {
    const client = await RawPgClient.login(
      Number(url.port),
      'slow',
      decodeURIComponent(url.password),
      pg.database,
    );
    // Take over reading: count DataRows without keeping them.
    client.socket.removeAllListeners('data');
    const framer = new Framer();
    let rows = 0;
    let done = false;
    client.socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        if (frame.type === BACKEND.DataRow) rows++;
        if (frame.type === BACKEND.ReadyForQuery) done = true;
      }
    });
    const pid = serve.child.pid!;
    // One small run of the same query first, read at once: what the engine allocates once (its heap growing
    // to a working size, the classifier's first parse of this shape, socket buffers) is then in `before`,
    // and what is measured is only what a stalled client makes it hold.
    const query = (rows: number) =>
      client.socket.write(
        new Writer()
          .cstring(`select g, repeat('x', ${ROW_BYTES}) from generate_series(1, ${rows}) g`)
          .frame('Q'),
      );
    query(ROWS / 20);
    await waitFor(() => done, 60_000, 'the warm-up result');
    done = false;
    rows = 0;
    const before = rss(pid);
    client.socket.pause();
    query(ROWS);
    let peak = before;
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      peak = Math.max(peak, rss(pid));
    }
    client.socket.resume();
    await waitFor(() => done, 60_000, 'the whole result');
    expect(rows).toBe(ROWS);
    // While the client read nothing for 2 s, the engine held far less than the 200 MB result.
    expect(peak - before).toBeLessThan(40 * 1024 * 1024);

    client.socket.write(new Writer().frame('X'));
    client.close();
    const sessions = JSON.parse(runCli(home, ['sessions', '--json', '--kind', 'postgres']).stdout) as Array<{
      id: string;
    }>;
    const shown = await waitFor(
      () => {
        const json = JSON.parse(runCli(home, ['show', sessions[0]!.id, '--json']).stdout) as {
          events: Array<{ kind: string; payload: { rows?: number } }>;
        };
        // The second result: the warm-up's came first.
        return json.events.filter((e) => e.kind === 'pg.result')[1];
      },
      5_000,
      'the recorded result',
    );
    expect(shown.payload.rows).toBe(ROWS);
  });
});

describe('PostgreSQL proxy killed mid-statement', () => {
  it('keeps the statement on disk and answers it as interrupted at the next start', async () => {
    const pg = await startPostgres({ auth: 'scram-sha-256' });
    const home = tempHome();
    try {
      const url = await addConnectionWithCli(home, pg, 'crashy');
      const port = Number(url.port);
      const serve = await spawnServe(home, 'http://127.0.0.1:9');
      const client = await RawPgClient.login(port, 'crashy', decodeURIComponent(url.password), pg.database);
      client.socket.write(new Writer().cstring('select pg_sleep(30) as long_sleep').frame('Q'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      serve.child.kill('SIGKILL');
      expect(await serve.exited).toBe('SIGKILL');
      client.close();

      const again = await spawnServe(home, 'http://127.0.0.1:9');
      expect(again.output()).toMatch(/Recovered\s+1 session/);
      again.child.kill('SIGTERM');
      const exit = await again.exited;
      const sessions = JSON.parse(
        runCli(home, ['sessions', '--json', '--kind', 'postgres']).stdout,
      ) as Array<{
        id: string;
        status: string;
      }>;
      // Seen once in CI (status 'live'): the message carries what is needed to tell why.
      const context = `exit ${exit}; sessions ${JSON.stringify(sessions)}; stdout:\n${again.output()}\nstderr:\n${again.errors()}`;
      expect(sessions, context).toHaveLength(1);
      const [session] = sessions;
      expect(session!.status, context).toBe('interrupted');
      const { events } = JSON.parse(runCli(home, ['show', session!.id, '--json']).stdout) as {
        events: Array<{
          seq: number;
          kind: string;
          payload: { sql?: string; statement_seq?: number; outcome?: string };
        }>;
      };
      const statement = events.find(
        (e) => e.kind === 'pg.statement' && e.payload.sql === 'select pg_sleep(30) as long_sleep',
      );
      expect(statement).toBeDefined();
      expect(
        events.find((e) => e.kind === 'pg.result' && e.payload.statement_seq === statement!.seq)?.payload
          .outcome,
      ).toBe('interrupted');
      expect(runCli(home, ['verify', session!.id]).status).toBe(0);
    } finally {
      await pg.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
