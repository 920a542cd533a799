import { spawn } from 'node:child_process';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDataRow } from '../../proxy/postgres/backend-messages.js';
import type { Frame } from '../../proxy/postgres/framer.js';
import type { PgMaskingPolicy } from '../../proxy/postgres/masking.js';
import type { ResultPayload } from '../../proxy/postgres/tracker.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { waitFor } from '../helpers/cli.js';
import { CUSTOMER_RULES, CUSTOMERS, customersSql } from '../helpers/customers.js';
import { testMaskingPolicy } from '../helpers/masking-policy.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { collectOutput } from '../helpers/process.js';
import { RawPgClient } from '../helpers/raw-pg.js';

const masked = {
  email: '[MASKED:column.email]',
  card: (card: string) => '•'.repeat(card.length - 4) + card.slice(-4),
};

const Query = (sql: string) => new Writer().cstring(sql).frame('Q');

/** Sends `messages` and returns every message back up to (and with) the ReadyForQuery after the last one. */
async function exchange(client: RawPgClient, messages: Buffer[], readies = 1): Promise<Frame[]> {
  client.socket.write(Buffer.concat(messages));
  const frames: Frame[] = [];
  for (let seen = 0; seen < readies; ) {
    const frame = await client.next(20_000);
    frames.push(frame);
    if (frame.type === 0x5a) seen++;
  }
  return frames;
}

describe('PostgreSQL wire masking (column rules with wire: true)', () => {
  let setup: PgProxySetup;
  let policy: PgMaskingPolicy = testMaskingPolicy(CUSTOMER_RULES);
  let direct: pg.Client;

  beforeAll(async () => {
    setup = await startPgProxy({
      masking: () => policy,
      // Not about guardrails: the script's DO block would wait for approval under the default policy.
      policy: { version: 1, guardrails: { enabled: false } },
    });
    direct = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await direct.connect();
    await direct.query(customersSql());
  });
  afterAll(async () => {
    await direct?.end();
    await setup?.cleanup();
  });

  const client = async () => {
    const c = new pg.Client({ connectionString: setup.url });
    await c.connect();
    return c;
  };

  it('psql gets masked values for masked columns, the rest as they are; the database keeps the real ones', async () => {
    const child = spawn(
      '/usr/bin/psql',
      [
        '-X',
        '-A',
        '-t',
        '-F',
        '|',
        '-d',
        setup.url,
        '-c',
        'SELECT id, name, email, card_number, phone, balance FROM customers ORDER BY id',
        '-c',
        'SELECT email AS contact FROM public.customers ORDER BY id LIMIT 1',
      ],
      { env: { ...process.env, LC_ALL: 'C', PGCONNECT_TIMEOUT: '10' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const run = await collectOutput(child);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual([
      ...CUSTOMERS.map((c) => `${c.id}|${c.name}|${masked.email}|${masked.card(c.card)}|${c.phone}|`),
      masked.email,
    ]);
    const real = await direct.query('SELECT email, card_number, balance::text FROM customers ORDER BY id');
    expect(real.rows).toEqual(
      CUSTOMERS.map((c) => ({ email: c.email, card_number: c.card, balance: c.balance })),
    );
  });

  it('node-postgres in text and binary format; postgres.js (prepared, described once) in text', async () => {
    const c = await client();
    try {
      const text = await c.query('SELECT name, email, card_number, balance FROM customers ORDER BY id');
      expect(text.rows).toEqual(
        CUSTOMERS.map((x) => ({
          name: x.name,
          email: masked.email,
          card_number: masked.card(x.card),
          balance: null,
        })),
      );
      // node-postgres asks for every result column in binary format with `binary: true` (lib/query.js).
      const binaryQuery: pg.QueryConfig & { binary: boolean } = {
        text: 'SELECT id, name, email, card_number, balance FROM customers WHERE id = $1',
        values: [2],
        binary: true,
      };
      const binary = await c.query(binaryQuery);
      expect(binary.rows).toEqual([
        { id: 2, name: "Bob O'Neil", email: null, card_number: null, balance: null },
      ]);
    } finally {
      await c.end();
    }
    const sql = postgres(setup.url, { max: 1, onnotice: () => undefined });
    try {
      for (let i = 0; i < 2; i++) {
        const rows = await sql`SELECT id, email, card_number, notes FROM customers WHERE id = ${1}`;
        expect([...rows]).toEqual([
          { id: 1, email: masked.email, card_number: masked.card('4111111111111111'), notes: 'note 1' },
        ]);
      }
    } finally {
      await sql.end();
    }
  });

  it('COPY OUT in text and CSV (psql) and binary (raw protocol) is masked the same way', async () => {
    const psql = async (command: string) => {
      const child = spawn('/usr/bin/psql', ['-X', '-d', setup.url, '-c', command], {
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const run = await collectOutput(child);
      expect(run.stderr).toBe('');
      return run.stdout;
    };
    expect(await psql('COPY customers (id, email, card_number, balance, notes) TO STDOUT')).toBe(
      CUSTOMERS.map((c) => `${c.id}\t${masked.email}\t${masked.card(c.card)}\t\\N\tnote ${c.id}\n`).join(''),
    );
    expect(
      await psql(
        "COPY (SELECT id, name, email AS mail, card_number FROM customers ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER, QUOTE '''')",
      ),
    ).toBe(
      `id,name,mail,card_number\n${CUSTOMERS.map((c) => `${c.id},${c.name.includes("'") ? "'Bob O''Neil'" : c.name},'${masked.email}','${masked.card(c.card)}'\n`).join('')}`,
    );
    const raw = await RawPgClient.login(setup.port, setup.name, setup.localPassword, setup.pg.database);
    try {
      const frames = await exchange(raw, [
        Query('COPY customers (id, email, name) TO STDOUT (FORMAT binary)'),
      ]);
      const data = Buffer.concat(frames.filter((f) => f.type === 0x64).map((f) => f.body));
      // 11-byte signature, flags and header extension length, then tuples (Int16 count, Int32 length, bytes).
      const rows: Array<Array<string | null>> = [];
      for (let at = 19; data.readInt16BE(at) !== -1; ) {
        const row: Array<string | null> = [];
        const count = data.readInt16BE(at);
        at += 2;
        for (let i = 0; i < count; i++) {
          const length = data.readInt32BE(at);
          at += 4;
          row.push(
            length === -1
              ? null
              : i === 0
                ? String(data.readInt32BE(at))
                : data.toString('utf8', at, at + length),
          );
          at += Math.max(length, 0);
        }
        rows.push(row);
      }
      expect(rows).toEqual(CUSTOMERS.map((c) => [String(c.id), null, c.name]));
    } finally {
      raw.close();
    }
  });

  it('unmasked columns and every other message are byte-identical to a direct connection', async () => {
    const script = [
      Query(
        "SELECT id, name, email, card_number, phone, balance FROM customers ORDER BY id; SELECT 1 AS one, 'x' AS email; " +
          "DO $$BEGIN RAISE NOTICE 'hello %', 42; END$$; COPY customers (id, email, name) TO STDOUT (FORMAT csv); SELECT * FROM nosuch",
      ),
      new Writer()
        .cstring('')
        .cstring('SELECT id, name, email, balance FROM customers WHERE id > $1 ORDER BY id')
        .int16(0)
        .frame('P'),
      new Writer()
        .cstring('')
        .cstring('')
        .int16(0)
        .int16(1)
        .int32(1)
        .bytes(Buffer.from('1'))
        .int16(1)
        .int16(1)
        .frame('B'),
      new Writer().int8(0x50).cstring('').frame('D'),
      new Writer().cstring('').int32(0).frame('E'),
      new Writer().frame('S'),
    ];
    const run = async (port: number, user: string, password: string) => {
      const raw = await RawPgClient.login(port, user, password, setup.pg.database);
      try {
        return await exchange(raw, script, 2);
      } finally {
        raw.close();
      }
    };
    const straight = await run(setup.pg.port, setup.pg.user, setup.pg.password);
    const proxied = await run(setup.port, setup.name, setup.localPassword);
    expect(proxied.map((f) => String.fromCharCode(f.type)).join('')).toBe(
      straight.map((f) => String.fromCharCode(f.type)).join(''),
    );
    let rewritten = 0;
    for (const [i, frame] of proxied.entries()) {
      const before = straight[i]!;
      if (frame.raw.equals(before.raw)) continue;
      rewritten++;
      // Only rows of the customers table differ, and only in the masked columns.
      const text = (v: Buffer | null) => v?.toString('utf8') ?? null;
      if (frame.type === 0x64) {
        const [id, , name] = before.body.toString().trim().split(',');
        expect(frame.body.toString()).toBe(`${id},"${masked.email}",${name}\n`);
        continue;
      }
      expect(frame.type).toBe(0x44);
      const got = parseDataRow(frame.body);
      const want = parseDataRow(before.body);
      if (got.length === 6) {
        const card = text(want[3]!)!;
        expect(got.map(text)).toEqual([
          text(want[0]!),
          text(want[1]!),
          masked.email,
          masked.card(card),
          text(want[4]!),
          null,
        ]);
      } else {
        // The extended query, in binary: masked columns are NULL.
        expect(got.map((v, c) => (c === 2 || c === 3 ? v : text(v)))).toEqual([
          text(want[0]!),
          text(want[1]!),
          null,
          null,
        ]);
      }
    }
    // 3 rows of the first SELECT, 3 CSV rows, 2 rows of the extended query (id > 1); the rest identical.
    expect(rewritten).toBe(8);
  });

  it('what the server sent before closing reaches the client, even while its rows wait for table names', async () => {
    // A table of its own, so its name is not cached yet and its first rows wait for the lookup.
    await direct.query('CREATE SCHEMA other; CREATE TABLE other.customers AS SELECT * FROM public.customers');
    const raw = await RawPgClient.login(setup.port, setup.name, setup.localPassword, setup.pg.database);
    try {
      raw.socket.write(
        Query(
          'SELECT id, email FROM other.customers ORDER BY id; SELECT pg_terminate_backend(pg_backend_pid())',
        ),
      );
      const frames: Frame[] = [];
      while (!raw.closed || frames.at(-1)?.type !== 0x45) {
        const frame = await raw.next(20_000).catch(() => undefined);
        if (!frame) break;
        frames.push(frame);
      }
      const rows = frames
        .filter((f) => f.type === 0x44)
        .map((f) => parseDataRow(f.body).map((v) => v?.toString() ?? null));
      // The second statement's row (pg_terminate_backend's true) may come before its FATAL.
      expect(rows.filter((r) => r.length === 2)).toEqual(CUSTOMERS.map((c) => [String(c.id), masked.email]));
      const last = frames.at(-1)!;
      expect(last.type).toBe(0x45);
      expect(last.body.toString()).toContain('57P01'); // the server's own reason, not "closed unexpectedly"
    } finally {
      raw.close();
    }
  });

  it('a policy swapped between two statements applies to the second, and samples are masked for storage', async () => {
    const c = await client();
    const sql = 'SELECT email, phone FROM customers WHERE id = 1';
    try {
      expect((await c.query(sql)).rows).toEqual([{ email: masked.email, phone: '+1 415 555 0101' }]);
      policy = testMaskingPolicy(CUSTOMER_RULES.filter((r) => r.id !== 'column.email'));
      expect((await c.query(sql)).rows).toEqual([{ email: 'ann.lee@example.com', phone: '+1 415 555 0101' }]);
      policy = testMaskingPolicy(CUSTOMER_RULES);
      expect((await c.query(sql)).rows).toEqual([{ email: masked.email, phone: '+1 415 555 0101' }]);
    } finally {
      await c.end();
    }
    const store = setup.test.engine.store;
    const results = await waitFor(
      () => {
        const session = store
          .listSessions({ kind: 'postgres', limit: 100 })
          .find((s) => s.status === 'closed' && s.stats.statements === 3);
        const events = session ? store.listEvents(session.id, 0, 100) : [];
        const found = events.filter((e) => e.kind === 'pg.result').map((e) => e.payload as ResultPayload);
        return found.length === 3 ? found : undefined;
      },
      10_000,
      'the three results',
    );
    // Storage masks by every rule in effect (phone is a storage-only rule), and says which fired.
    expect(results.map((r) => [r.sample, r.masked])).toEqual([
      [[[masked.email, '[MASKED:column.phone]']], { 'column.email': 1, 'column.phone': 1 }],
      [[['[MASKED:pii.email]', '[MASKED:column.phone]']], { 'column.phone': 1, 'pii.email': 1 }],
      [[[masked.email, '[MASKED:column.phone]']], { 'column.email': 1, 'column.phone': 1 }],
    ]);
  });
});
