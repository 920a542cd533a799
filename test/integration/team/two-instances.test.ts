/**
 * Two `glassbox-server` bins side by side on one (Debian) PostgreSQL, as behind a load balancer: started
 * together they migrate once (the second waits on node-pg-migrate's advisory lock); a live client on
 * instance B hears of a batch posted to instance A (LISTEN/NOTIFY); with the database stopped `/readyz` says
 * 503 and why, and once it is back `/readyz` is 200 again and the LISTEN connection has reconnected.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js';
import { type PgServer, startPostgres } from '../../helpers/postgres.js';
import { batch, chain, postBatch, sessionId } from '../../helpers/team-chain.js';
import {
  accessTokenFor,
  type ServerProcess,
  spawnTeamServer,
  TEAM_AUDIENCE,
} from '../../helpers/team-server.js';

const execFileAsync = promisify(execFile);

let database: PgServer;
let provider: TestOidcProvider;
let a: ServerProcess;
let b: ServerProcess;
let alice: string;

beforeAll(async () => {
  database = await startPostgres();
  provider = await startOidcProvider({
    apiResource: { indicator: TEAM_AUDIENCE },
    ttl: { AccessToken: 600 },
  });
  const start = () => spawnTeamServer({ databaseUrl: database.superuserUrl, issuer: provider.issuer });
  [a, b] = await Promise.all([start(), start()]);
  alice = await accessTokenFor(provider, 'alice');
}, 180_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await provider?.close();
  await database?.stop();
});

/** A WebSocket on `/v1/live` of `server` with alice's token, collecting the messages it receives. */
async function liveClient(
  server: ServerProcess,
): Promise<{ socket: WebSocket; messages: Array<Record<string, unknown>> }> {
  const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/live`, {
    headers: { authorization: `Bearer ${alice}` },
  });
  const messages: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, messages };
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function readyz(server: ServerProcess) {
  const response = await fetch(`${server.url}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as { ready: boolean; problems?: string[] },
  };
}

/** pg_ctl as the cluster's owner (PostgreSQL refuses root), on the same data directory, port and socket dir. */
async function pgCtl(...args: string[]): Promise<void> {
  const command = [join(database.binDir, 'pg_ctl'), ...args, '-D', database.dataDir];
  const [file, argv] =
    process.getuid?.() === 0
      ? ['runuser', ['-u', await ownerOf(database.dataDir), '--', ...command]]
      : [command[0]!, command.slice(1)];
  await execFileAsync(file, argv, { cwd: dirname(database.dataDir), timeout: 60_000 });
}
async function ownerOf(path: string): Promise<string> {
  return (await execFileAsync('stat', ['-c', '%U', path])).stdout.trim();
}

describe('two instances on one database', () => {
  it('migrated once, both ready', async () => {
    const db = new pg.Client({ connectionString: database.superuserUrl });
    await db.connect();
    const rows = (await db.query<{ name: string }>('SELECT name FROM glassbox_migrations ORDER BY id')).rows;
    await db.end();
    expect(rows.map((r) => r.name)).toEqual(['0001_init']);
    const migrated = [a, b].filter((server) => server.logs().some((l) => l.msg === 'database migrated'));
    expect(migrated).toHaveLength(1);
    expect((await readyz(a)).status).toBe(200);
    expect((await readyz(b)).status).toBe(200);
  });

  it("B's live client hears of A's batch; readiness follows the database; the LISTEN connection comes back", async () => {
    const live = await liveClient(b);
    try {
      await until('hello', () => live.messages.find((m) => m.type === 'hello'));
      const id = sessionId('twoinst');
      const events = chain(id, 6);
      expect((await postBatch(a.url, id, batch(events.slice(0, 3)), alice)).status).toBe(200);
      expect(
        await until('the session notice', () => live.messages.find((m) => m.type === 'session')),
      ).toEqual({
        type: 'session',
        session_id: id,
        head_seq: 3,
        owner: 'alice',
      });

      await pgCtl('stop', '-m', 'fast', '-w');
      const down = await until('503', async () => {
        const answer = await readyz(b);
        return answer.status === 503 && answer.body.problems?.length === 2 ? answer : undefined;
      });
      expect(down.body.ready).toBe(false);
      expect(down.body.problems).toEqual([
        'the live LISTEN connection is down',
        expect.stringMatching(/^the database does not answer: /),
      ]);
      expect((await postBatch(a.url, id, batch(events.slice(3)), alice)).status).toBe(503);

      await pgCtl(
        'start',
        '-w',
        '-t',
        '60',
        '-l',
        join(dirname(database.dataDir), 'server.log'),
        '-o',
        `-p ${database.port}`,
      );
      await until('200 from A and B', async () =>
        (await readyz(a)).status === 200 && (await readyz(b)).status === 200 ? true : undefined,
      );
      expect(await until('resync', () => live.messages.find((m) => m.type === 'resync'))).toEqual({
        type: 'resync',
      });
      expect((await postBatch(a.url, id, batch(events.slice(3)), alice)).status).toBe(200);
      expect(
        await until('the notice after the restart', () =>
          live.messages.find((m) => m.type === 'session' && m.head_seq === 6),
        ),
      ).toMatchObject({ session_id: id, head_seq: 6 });
      expect(b.logs().some((l) => l.msg === 'the live LISTEN connection failed; reconnecting')).toBe(true);
    } finally {
      live.socket.close();
    }
  }, 180_000);
});
