import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import { BACKEND, STARTUP_CODE } from '../../proxy/postgres/messages.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { runCli, waitFor } from '../helpers/cli.js';
import { startTestEngine, tempHome } from '../helpers/engine.js';
import { filesUnder } from '../helpers/files.js';
import { freePort, type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { RawPgClient } from '../helpers/raw-pg.js';

const events = (setup: PgProxySetup, kind: string) => {
  const store = setup.test.engine.store;
  return store
    .listSessions({ kind: 'postgres', limit: 1000 })
    .flatMap((s) => store.listEvents(s.id, 0, 5000))
    .filter((e) => e.kind === kind);
};

describe('PostgreSQL proxy: bad input and faults', () => {
  let setup: PgProxySetup;
  /** A client that stays connected through every fault, proving the engine keeps serving the others. */
  let bystander: pg.Client;

  beforeAll(async () => {
    setup = await startPgProxy();
    bystander = new pg.Client({ connectionString: setup.url });
    await bystander.connect();
  });
  afterAll(async () => {
    await bystander.end();
    await setup.cleanup();
  });

  const stillServing = async () =>
    expect((await bystander.query('select 1 as one')).rows).toEqual([{ one: 1 }]);

  it('declines SSLRequest and GSSENCRequest with N, then serves the start-up', async () => {
    const client = await RawPgClient.open(setup.port);
    client.socket.write(new Writer().int32(STARTUP_CODE.GSSENCRequest).untyped());
    await waitFor(() => client.received().length >= 1, 2_000, 'the GSSENC answer');
    client.socket.write(new Writer().int32(STARTUP_CODE.SSLRequest).untyped());
    await waitFor(() => client.received().length >= 2, 2_000, 'the SSL answer');
    expect(client.received().toString('latin1', 0, 2)).toBe('NN');
    client.close();
  });

  it('answers a protocol 3.2 start-up with NegotiateProtocolVersion and continues as 3.0', async () => {
    const client = await RawPgClient.open(setup.port);
    client.socket.write(
      new Writer()
        .int32(STARTUP_CODE.v32)
        .cstring('user')
        .cstring(setup.name)
        .cstring('_pq_.test_option')
        .cstring('x')
        .int8(0)
        .untyped(),
    );
    const first = await client.next();
    expect(first.type).toBe(BACKEND.NegotiateProtocolVersion);
    expect(first.body.readInt32BE(0)).toBe(0);
    expect(first.body.subarray(8).toString()).toContain('_pq_.test_option');
    expect((await client.next()).type).toBe(BACKEND.Authentication);
    client.close();
  });

  it('refuses an unsupported protocol version with 0A000 and closes on a malformed start-up packet', async () => {
    const old = await RawPgClient.open(setup.port);
    old.socket.write(
      new Writer()
        .int32(2 << 16)
        .cstring('user')
        .cstring('x')
        .int8(0)
        .untyped(),
    );
    expect(await old.error()).toMatchObject({ C: '0A000', S: 'FATAL' });
    const garbage = await RawPgClient.open(setup.port);
    garbage.socket.write(Buffer.from([0, 0, 0, 2, 1, 2, 3, 4]));
    // Unanswered, as PostgreSQL does (the peer may not speak the protocol); counted, not recorded.
    await garbage.waitClosed();
    expect(garbage.received()).toHaveLength(0);
    const { apiUrl, token } = setup.test.engine.addresses;
    const health = async () =>
      (
        (await (
          await fetch(`${apiUrl}/api/health`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as {
          postgres: { sources: Array<{ address: string; refused: { malformed?: number } }> };
        }
      ).postgres.sources.find((source) => source.address === '127.0.0.1')?.refused.malformed ?? 0;
    const deadline = Date.now() + 5_000;
    while ((await health()) < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await health()).toBeGreaterThanOrEqual(2);
    await stillServing();
  });

  it('ends the session with 08P01 for unknown message types, a length over 1 GiB, and malformed bodies', async () => {
    const cases: Array<[string, Buffer]> = [
      ['unknown type', Buffer.from([0x7a, 0, 0, 0, 4])],
      ['length over 1 GiB', Buffer.from([0x51, 0x40, 0, 0, 0])],
      ['length under 4', Buffer.from([0x51, 0, 0, 0, 2])],
      ['unterminated Query string', Buffer.from([0x51, 0, 0, 0, 7, 0x61, 0x62, 0x63])],
      [
        'Bind with a negative value length',
        new Writer().cstring('').cstring('').int16(0).int16(1).int32(-5).int16(0).frame('B'),
      ],
    ];
    for (const [label, bytes] of cases) {
      const client = await RawPgClient.login(setup.port, setup.name, setup.localPassword, setup.pg.database);
      client.socket.write(bytes);
      expect(await client.error(), label).toMatchObject({ C: '08P01', S: 'FATAL' });
      await client.waitClosed();
    }
    const recorded = events(setup, 'pg.error').map((e) => (e.payload as { message: string }).message);
    expect(recorded.some((m) => m.includes('invalid frontend message type'))).toBe(true);
    expect(recorded.some((m) => m.includes('outside 4 to'))).toBe(true);
    await stillServing();
  });

  it('records a truncated message left hanging when the client disconnects', async () => {
    const client = await RawPgClient.login(setup.port, setup.name, setup.localPassword, setup.pg.database);
    client.socket.write(Buffer.from([0x51, 0, 0, 0, 100, 0x73, 0x65]));
    client.close();
    await waitFor(
      () =>
        events(setup, 'session.end').some(
          (e) => (e.payload as { reason: string }).reason === 'client_closed',
        ),
      5_000,
      'the session end',
    );
    await stillServing();
  });

  it('reports an upstream dying mid-query and records the statement as not completed', async () => {
    const victim = new pg.Client({ connectionString: setup.url });
    await victim.connect();
    victim.on('error', () => undefined);
    const pid = (await victim.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    const sleeping = victim.query('select pg_sleep(30)').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
    const error = (await sleeping) as { code?: string; message: string };
    expect(error).toBeInstanceOf(Error);
    expect(['57P01', '08006']).toContain(error.code);
    const store = setup.test.engine.store;
    const outcome = await waitFor(
      () => {
        const statement = events(setup, 'pg.statement').find(
          (e) => (e.payload as { sql: string }).sql === 'select pg_sleep(30)',
        );
        return (
          statement &&
          store.listEvents(statement.session_id, statement.seq).find((e) => e.kind === 'pg.result')
        );
      },
      5_000,
      'the interrupted statement outcome',
    );
    expect(['error', 'aborted']).toContain((outcome.payload as { outcome: string }).outcome);
    await stillServing();
  });

  it('keeps the upstream password out of every file but the vault', () => {
    for (const file of filesUnder(setup.test.home)) {
      if (file.endsWith('vault.json')) continue;
      expect(readFileSync(file).includes(Buffer.from(setup.pg.password)), file).toBe(false);
    }
    expect(readFileSync(join(setup.test.home, 'vault.json'), 'utf8')).toContain(setup.pg.password);
  });
});

describe('PostgreSQL proxy: upstream failures at start-up', () => {
  it('answers 08006 naming the cause when the upstream is unreachable or refuses the stored credential', async () => {
    const setup = await startPgProxy();
    try {
      const home = setup.test.home;
      const vault = new FileVault(join(home, 'vault.json'));
      const deadPort = await freePort();
      const unreachable = addConnection(home, vault, 'nowhere', `postgres://u:p@127.0.0.1:${deadPort}/db`, {
        listen: await freePort(),
        upstreamTls: 'disable',
      });
      const refused = addConnection(
        home,
        vault,
        'badpass',
        `postgres://${setup.pg.user}:wrong@127.0.0.1:${setup.pg.port}/${setup.pg.database}`,
        { listen: await freePort(), upstreamTls: 'disable' },
      );
      // Restart the engine so it opens the new listeners.
      await setup.test.engine.stop();
      const engine = await startTestEngine('http://127.0.0.1:9', () => undefined, home);
      try {
        const one = new pg.Client({ connectionString: unreachable.url });
        await expect(one.connect()).rejects.toMatchObject({
          code: '08006',
          message: expect.stringMatching(/could not connect to upstream 127\.0\.0\.1:\d+: .*ECONNREFUSED/),
        });
        const two = new pg.Client({ connectionString: refused.url });
        await expect(two.connect()).rejects.toMatchObject({
          code: '08006',
          message: expect.stringContaining('password authentication failed'),
        });
        const store = engine.engine.store;
        const reasons = () =>
          store
            .listSessions({ kind: 'postgres' })
            .flatMap((session) => store.listEvents(session.id))
            .filter(
              (e) =>
                e.kind === 'session.end' &&
                (e.payload as { reason: string }).reason === 'upstream_unavailable',
            );
        await waitFor(() => reasons().length === 2, 2_000, 'both sessions to end as upstream_unavailable');
      } finally {
        await engine.engine.stop();
      }
    } finally {
      await setup.pg.stop();
      rmSync(setup.test.home, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL proxy: a client that leaves while Glassbox connects upstream', () => {
  it('stops connecting at once: the upstream socket is closed and the session ends as the client closed', async () => {
    // An upstream that accepts the TCP connection and never answers the start-up message.
    const accepted: Socket[] = [];
    const silent = createServer((socket) => void accepted.push(socket.resume())).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port: silentPort } = silent.address() as AddressInfo;
    const home = tempHome();
    const vault = new FileVault(join(home, 'vault.json'));
    const added = addConnection(home, vault, 'silent', `postgres://u:p@127.0.0.1:${silentPort}/db`, {
      listen: await freePort(),
      upstreamTls: 'disable',
    });
    const test = await startTestEngine('http://127.0.0.1:9', () => undefined, home);
    try {
      // psql logs in to Glassbox, then waits while Glassbox connects upstream; it is killed meanwhile.
      const psql = spawn('/usr/bin/psql', ['-X', '-w', '-c', 'select 1', added.url], { stdio: 'ignore' });
      await waitFor(() => accepted.length === 1, 10_000, 'Glassbox to connect to the silent upstream');
      const upstreamClosed = once(accepted[0]!, 'close');
      psql.kill('SIGKILL');
      // Within the handshake's 10 s limit; were the attempt not stopped, it would end upstream_unavailable.
      await upstreamClosed;
      const store = test.engine.store;
      const ends = () =>
        store
          .listSessions({ kind: 'postgres' })
          .flatMap((session) => store.listEvents(session.id))
          .filter((e) => e.kind === 'session.end')
          .map((e) => (e.payload as { reason: string }).reason);
      await waitFor(() => ends().length === 1, 5_000, 'the session to end');
      expect(ends()).toEqual(['client_closed']);
    } finally {
      await test.cleanup();
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  });
});

describe('PostgreSQL proxy: upstream TLS', () => {
  it('encrypts the upstream hop (require, and verify-full with the server CA), and refuses verify-full without trust', async () => {
    const setup = await startPgProxy({ ssl: true, upstreamTls: 'require' });
    try {
      const client = new pg.Client({ connectionString: setup.url });
      await client.connect();
      expect((await client.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows).toEqual([
        { ssl: true },
      ]);
      await client.end();
      const connected = events(setup, 'pg.session').find(
        (e) => (e.payload as { event: string }).event === 'connected',
      );
      expect((connected!.payload as { tls: { upstream: string } }).tls.upstream).toMatch(/^TLSv1\.[23]$/);

      const home = setup.test.home;
      const vault = new FileVault(join(home, 'vault.json'));
      const upstream = `postgres://${setup.pg.user}:${encodeURIComponent(setup.pg.password)}@localhost:${setup.pg.port}/${setup.pg.database}`;
      const trusted = addConnection(home, vault, 'verified', upstream, {
        listen: await freePort(),
        upstreamTls: 'verify-full',
        upstreamCa: join(setup.pg.dataDir, 'server.crt'),
      });
      const untrusted = addConnection(home, vault, 'unverified', upstream, {
        listen: await freePort(),
        upstreamTls: 'verify-full',
      });
      await setup.test.engine.stop();
      const engine = await startTestEngine('http://127.0.0.1:9', () => undefined, home);
      try {
        const ok = new pg.Client({ connectionString: trusted.url });
        await ok.connect();
        expect((await ok.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
        await ok.end();
        const bad = new pg.Client({ connectionString: untrusted.url });
        await expect(bad.connect()).rejects.toMatchObject({
          code: '08006',
          message: expect.stringContaining('TLS with upstream'),
        });
      } finally {
        await engine.engine.stop();
      }
    } finally {
      await setup.pg.stop();
      rmSync(setup.test.home, { recursive: true, force: true });
    }
  });
});

describe('glassbox pg add / list / remove', () => {
  it('stores the upstream password only in the vault and shows a local URL', () => {
    const home = tempHome();
    const add = runCli(home, [
      'pg',
      'add',
      'prod',
      '--upstream',
      'postgres://app:s3cret-Pass@db.internal:5433/shop',
      '--listen',
      '16432',
      '--no-check', // no such server: save it untested
    ]);
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/postgres:\/\/prod:[\w-]+@127\.0\.0\.1:16432\/shop/);
    const second = runCli(
      home,
      ['pg', 'add', 'stage', '--upstream', 'postgres://app@db.stage/shop', '--no-check'],
      { PGPASSWORD: '', PGPASSFILE: join(home, 'none') },
    );
    expect(second.status, second.stderr).toBe(0);
    const list = JSON.parse(runCli(home, ['pg', 'list', '--json']).stdout) as Array<{
      name: string;
      url: string;
      upstream: string;
      listen: number;
    }>;
    expect(list.map((c) => [c.name, c.listen])).toEqual([
      ['prod', 16432],
      ['stage', 6432],
    ]);
    expect(list[0]!.upstream).toBe('postgres://app@db.internal:5433/shop');
    expect(readFileSync(join(home, 'config.json'), 'utf8')).not.toContain('s3cret-Pass');
    expect(readFileSync(join(home, 'vault.json'), 'utf8')).toContain('s3cret-Pass');
    expect(runCli(home, ['pg', 'add', 'prod', '--upstream', 'postgres://a@b/c']).stderr).toContain('exists');
    expect(runCli(home, ['pg', 'add', '9bad', '--upstream', 'postgres://a@b/c']).stderr).toContain(
      'must start with a letter',
    );
    expect(runCli(home, ['pg', 'add', 'x', '--upstream', 'mysql://a@b/c']).stderr).toContain(
      'must start with postgres://',
    );
    expect(runCli(home, ['pg', 'remove', 'prod']).status).toBe(0);
    expect(readFileSync(join(home, 'vault.json'), 'utf8')).not.toContain('s3cret-Pass');
    expect(runCli(home, ['pg', 'remove', 'prod']).stderr).toContain('no connection named "prod"');
    rmSync(home, { recursive: true, force: true });
  });
});
