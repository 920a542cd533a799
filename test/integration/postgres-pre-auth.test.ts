import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cancelRequest, startupMessage } from '../../proxy/postgres/frontend-messages.js';
import { STARTUP_CODE } from '../../proxy/postgres/messages.js';
import type { PreAuthHealth, SourceCounts } from '../../proxy/postgres/pre-auth.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { startupExchange as exchange, RawPgClient } from '../helpers/raw-pg.js';

/**
 * Connections that have not logged in (issue 15, point 14): told no more than PostgreSQL 15 tells them
 * (compared with the real server the proxy leads to), never recorded as sessions, capped per listener,
 * timed out, counted and rate-limited per client address.
 */

const SSL_REQUEST = new Writer().int32(STARTUP_CODE.SSLRequest).untyped();

/** Polls an async `check` every 20 ms until it gives a truthy value or `timeoutMs` passes. */
async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function health(setup: PgProxySetup): Promise<PreAuthHealth> {
  const { apiUrl, token } = setup.test.engine.addresses;
  const response = await fetch(`${apiUrl}/api/health`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { postgres?: PreAuthHealth };
  return body.postgres ?? { pending: {}, sources: [] };
}

const local = async (setup: PgProxySetup): Promise<SourceCounts | undefined> =>
  (await health(setup)).sources.find((source) => source.address === '127.0.0.1');

const sessions = (setup: PgProxySetup) =>
  setup.test.engine.store.listSessions({ kind: 'postgres', limit: 10_000 });

describe('PostgreSQL proxy before login, default limits', () => {
  let setup: PgProxySetup;
  let authenticated: pg.Client;

  beforeAll(async () => {
    setup = await startPgProxy();
    authenticated = new pg.Client({ connectionString: setup.url });
    await authenticated.connect();
  });
  afterAll(async () => {
    await authenticated?.end();
    await setup?.cleanup();
  });

  it('makes no session of 2,000 connections that never log in, and counts them for their address', async () => {
    const before = sessions(setup).length;
    const counted = (await local(setup))?.refused.closed ?? 0;
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const raw = await RawPgClient.open(setup.port);
          raw.socket.destroy();
        }),
      );
    }
    // Counted, or (as before this was fixed) made sessions of.
    await eventually(
      async () =>
        ((await local(setup))?.refused.closed ?? 0) >= counted + 2000 ||
        sessions(setup).length >= before + 2000,
      30_000,
      '2,000 refused connections to be counted',
    );
    expect(sessions(setup).length).toBe(before);
  });

  it('makes no session of failed logins, and tells a stranger no more than PostgreSQL would', async () => {
    const before = sessions(setup).length;
    const refusal = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      return client.connect().then(
        async () => {
          await client.end();
          return undefined;
        },
        (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
      );
    };
    const proxied = (user: string, password: string, database = setup.pg.database) =>
      `postgres://${user}:${password}@127.0.0.1:${setup.port}/${database}`;
    const direct = (user: string, password: string) =>
      `postgres://${user}:${password}@127.0.0.1:${setup.pg.port}/${setup.pg.database}`;
    // A role that does not exist: the real server and the proxy both run SCRAM, then say the same.
    const unknownDirect = await refusal(direct('intruder', 'guess'));
    const unknownProxied = await refusal(proxied('intruder', 'guess'));
    expect(unknownDirect).toEqual({
      code: '28P01',
      message: 'password authentication failed for user "intruder"',
    });
    expect(unknownProxied).toEqual(unknownDirect);
    // The right role, a wrong password: the same again.
    expect(await refusal(proxied(setup.name, 'guess'))).toEqual({
      code: '28P01',
      message: `password authentication failed for user "${setup.name}"`,
    });
    // A database it does not serve, with a wrong password: nothing about databases before logging in.
    expect(await refusal(proxied(setup.name, 'guess', 'other_db'))).toMatchObject({ code: '28P01' });
    // Logged in, the client may learn which database the connection serves.
    expect(
      await refusal(proxied(setup.name, encodeURIComponent(setup.localPassword), 'other_db')),
    ).toMatchObject({
      code: '3D000',
      message: expect.stringContaining(`it serves "${setup.pg.database}"`),
    });
    const counts = await eventually(
      async () => {
        const source = await local(setup);
        return source && source.failed_logins >= 3 && source;
      },
      10_000,
      'the failed logins to be counted',
    );
    expect(counts.failed_logins).toBe(3);
    // Only the client that logged in (and was then refused the database) has a session.
    const added = sessions(setup).slice(0, sessions(setup).length - before);
    expect(added).toHaveLength(1);
    const events = setup.test.engine.store.listEvents(added[0]!.id, 0, 100);
    // Refused after logging in, for its database: a start-up error, not a failed login.
    expect(
      events.some((e) => e.kind === 'pg.error' && (e.payload as { sqlstate: string }).sqlstate === '3D000'),
    ).toBe(true);
    expect(events.at(-1)?.payload).toEqual({ reason: 'refused' });
  });
});

describe('PostgreSQL proxy before login, small limits', () => {
  let setup: PgProxySetup;
  let authenticated: pg.Client;
  const sockets: RawPgClient[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    setup = await startPgProxy({
      tweak: (config) => {
        config.postgres.preAuth = {
          maxPending: 5,
          timeoutMs: 2_000,
          maxFailedLoginsPerMinute: 3,
          maxCancelsPerMinute: 3,
        };
      },
    });
    authenticated = new pg.Client({ connectionString: setup.url });
    await authenticated.connect();
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).includes('PostgreSQL: before authentication')) logged.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
  });
  afterEach(() => {
    for (const raw of sockets.splice(0)) raw.socket.destroy();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await authenticated?.end();
    await setup?.cleanup();
  });

  it('refuses the connection over the cap with 53300 while a logged-in client still works', async () => {
    for (let i = 0; i < 5; i++) sockets.push(await RawPgClient.open(setup.port));
    await eventually(
      async () => (await health(setup)).pending[setup.name] === 5,
      10_000,
      '5 pending connections',
    );
    const over = await exchange(setup.port, [SSL_REQUEST]);
    expect(over.error).toMatchObject({ S: 'FATAL', C: '53300', M: 'sorry, too many clients already' });
    const client = new pg.Client({ connectionString: setup.url });
    await expect(client.connect()).rejects.toMatchObject({ code: '53300' });
    expect((await authenticated.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    for (const raw of sockets.splice(0)) raw.socket.destroy();
    await eventually(
      async () => !(setup.name in (await health(setup)).pending),
      10_000,
      'the cap to free up',
    );
    const again = new pg.Client({ connectionString: setup.url });
    await again.connect();
    await again.end();
    expect((await local(setup))?.refused.too_many_pending).toBe(2);
  });

  it('closes a connection that does not log in within the time limit', async () => {
    const raw = await RawPgClient.open(setup.port);
    raw.socket.write(startupMessage({ user: setup.name, database: setup.pg.database }));
    await waitFor(() => raw.closed, 20_000, 'the silent client to be closed');
    expect((await local(setup))?.refused.timeout).toBeGreaterThanOrEqual(1);
  });

  it('rate-limits failed logins and CancelRequests per address, logging them at most once a minute', async () => {
    const started = Date.now();
    const wrong = `postgres://${setup.name}:guess@127.0.0.1:${setup.port}/${setup.pg.database}`;
    for (let i = 0; i < 3; i++) {
      const client = new pg.Client({ connectionString: wrong });
      await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
    }
    // Now even the right password is refused, before any SCRAM exchange, until the minute has passed.
    const right = new pg.Client({ connectionString: setup.url });
    await expect(right.connect()).rejects.toMatchObject({
      code: '53300',
      message: expect.stringMatching(/^too many failed logins from 127\.0\.0\.1; try again in \d+ s$/),
    });
    expect((await authenticated.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
    for (let i = 0; i < 5; i++) {
      const raw = await RawPgClient.open(setup.port);
      raw.socket.write(cancelRequest(12345, Buffer.from([1, 2, 3, 4])));
      await waitFor(() => raw.closed, 10_000, 'the cancel connection to close');
    }
    const counts = await eventually(
      async () => {
        const source = await local(setup);
        return source && source.cancels >= 5 && source;
      },
      10_000,
      'the cancels to be counted',
    );
    expect(counts).toMatchObject({
      failed_logins: 3,
      cancels: 5,
      cancels_unknown: 3,
      cancels_dropped: 2,
      refused: { too_many_failures: 1 },
    });
    const minutes = Math.ceil((Date.now() - started) / 60_000);
    const lines = logged.filter((line) => line.includes('failed login') || line.includes('cancel request'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(minutes + 1);
    expect(lines[0]).toMatch(/from 127\.0\.0\.1: .*failed login as "/);
  });
});
