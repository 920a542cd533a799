import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultPayload, StatementPayload } from '../../proxy/postgres/tracker.js';
import type { Store } from '../../proxy/store/store.js';
import type { RecordedEvent, Session } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { filesUnder } from '../helpers/files.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { collectOutput } from '../helpers/process.js';

const PSQL = '/usr/bin/psql';

interface PsqlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A statement as recorded, with the outcome sealed for it (undefined when none was). */
interface Recorded {
  seq: number;
  statement: StatementPayload;
  result: ResultPayload | undefined;
  /** seq of the `pg.result` event. */
  resultSeq: number | undefined;
}

/** The environment for client programs: no inherited libpq settings, C messages. */
function clientEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
  return { ...env, LC_ALL: 'C', PGCONNECT_TIMEOUT: '10', ...extra };
}

describe('psql through the PostgreSQL proxy', () => {
  let setup: PgProxySetup;
  let store: Store;
  let dir: string;
  let runs = 0;

  beforeAll(async () => {
    setup = await startPgProxy();
    store = setup.test.engine.store;
    dir = mkdtempSync(join(tmpdir(), 'glassbox-psql-'));
  });
  afterAll(async () => {
    await setup?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs psql once (`-X -w -v ON_ERROR_STOP=1`, no stdin) against the proxy's URL with a unique
   * application_name, and returns its exit code and output together with the session it produced, once closed.
   * `whileRunning` is given the process and its application_name as soon as it is started.
   */
  async function psql(
    args: string[],
    whileRunning?: (child: ChildProcess, app: string) => Promise<void>,
  ): Promise<PsqlRun & { session: Session; events: RecordedEvent[] }> {
    const app = `psql-test-${++runs}`;
    let during: Promise<void> = Promise.resolve();
    const run = await new Promise<PsqlRun>((resolve, reject) => {
      const child = spawn(PSQL, ['-X', '-w', '-v', 'ON_ERROR_STOP=1', '-d', setup.url, ...args], {
        env: clientEnv({ PGAPPNAME: app }),
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 20_000,
      });
      collectOutput(child).then(resolve, reject);
      if (whileRunning) during = whileRunning(child, app);
    });
    await during;
    const session = await closedSession(app);
    return { ...run, session, events: store.listEvents(session.id, 0, 5_000) };
  }

  /** The one session whose application_name is `app`, once it is closed. */
  function closedSession(app: string): Promise<Session> {
    return waitFor(
      () =>
        store
          .listSessions({ kind: 'postgres', limit: 1000 })
          .find((s) => s.client === app && s.status === 'closed'),
      5_000,
      `the session of ${app} to close`,
    );
  }

  const recorded = (events: RecordedEvent[]): Recorded[] =>
    events
      .filter((e) => e.kind === 'pg.statement')
      .map((statement) => {
        const result = events.find(
          (e) => e.kind === 'pg.result' && (e.payload as ResultPayload).statement_seq === statement.seq,
        );
        return {
          seq: statement.seq,
          statement: statement.payload as StatementPayload,
          result: result?.payload as ResultPayload | undefined,
          resultSeq: result?.seq,
        };
      });

  describe('a script, and an error in the middle of a separate run', () => {
    it('records each statement of a -f script with its command tag, rows, columns and sample', async () => {
      const script = join(dir, 'fruit.sql');
      writeFileSync(
        script,
        [
          'CREATE TABLE fruit (id int PRIMARY KEY, name text NOT NULL);',
          "INSERT INTO fruit VALUES (1, 'apple'), (2, 'banana'), (3, 'cherry');",
          "UPDATE fruit SET name = 'blueberry' WHERE id = 2;",
          'SELECT id, name FROM fruit ORDER BY id;',
          '',
        ].join('\n'),
      );
      const run = await psql(['-A', '-t', '-f', script]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.trim().split('\n').slice(-3)).toEqual(['1|apple', '2|blueberry', '3|cherry']);

      expect(run.session.target).toBe(setup.name);
      expect(run.events[0]).toMatchObject({
        kind: 'pg.session',
        payload: { event: 'start', user: setup.name },
      });
      const statements = recorded(run.events);
      expect(statements.map((s) => s.statement.protocol)).toEqual(['simple', 'simple', 'simple', 'simple']);
      expect(statements.map((s) => s.statement.sql)).toEqual([
        'CREATE TABLE fruit (id int PRIMARY KEY, name text NOT NULL);',
        "INSERT INTO fruit VALUES (1, 'apple'), (2, 'banana'), (3, 'cherry');",
        "UPDATE fruit SET name = 'blueberry' WHERE id = 2;",
        'SELECT id, name FROM fruit ORDER BY id;',
      ]);
      const [create, insert, update, select] = statements.map((s) => s.result);
      expect(create).toMatchObject({ outcome: 'complete', tags: ['CREATE TABLE'], rows: 0, columns: null });
      expect(insert).toMatchObject({ outcome: 'complete', tags: ['INSERT 0 3'], rows: 3 });
      expect(update).toMatchObject({ outcome: 'complete', tags: ['UPDATE 1'], rows: 1 });
      expect(select).toMatchObject({
        outcome: 'complete',
        tags: ['SELECT 3'],
        rows: 3,
        columns: [
          { name: 'id', type_oid: 23 },
          { name: 'name', type_oid: 25 },
        ],
        sample: [
          ['1', 'apple'],
          ['2', 'blueberry'],
          ['3', 'cherry'],
        ],
        sample_truncated: false,
      });
      for (const s of statements) expect(s.result!.error).toBeUndefined();
      // Each outcome follows its statement and the session ends with psql's Terminate.
      for (const s of statements) expect(s.resultSeq).toBeGreaterThan(s.seq);
      expect(run.events.at(-1)).toMatchObject({
        kind: 'session.end',
        payload: { reason: 'client_terminated' },
      });
    });

    it('records an error mid-transaction with its SQLSTATE, and nothing after it (ON_ERROR_STOP)', async () => {
      const script = join(dir, 'boom.sql');
      writeFileSync(
        script,
        [
          'BEGIN;',
          "INSERT INTO fruit VALUES (4, 'date');",
          'SELECT 1/0 AS boom;',
          "INSERT INTO fruit VALUES (5, 'elderberry');",
          'COMMIT;',
          '',
        ].join('\n'),
      );
      const run = await psql(['-f', script]);
      expect(run.code).toBe(3); // psql's exit status when ON_ERROR_STOP stops a script
      expect(run.stderr).toContain('division by zero');

      const statements = recorded(run.events);
      expect(statements.map((s) => s.statement.sql)).toEqual([
        'BEGIN;',
        "INSERT INTO fruit VALUES (4, 'date');",
        'SELECT 1/0 AS boom;',
      ]);
      const [begin, insert, boom] = statements.map((s) => s.result);
      expect(begin).toMatchObject({ outcome: 'complete', tags: ['BEGIN'] });
      expect(insert).toMatchObject({ outcome: 'complete', tags: ['INSERT 0 1'], rows: 1 });
      expect(boom).toMatchObject({
        outcome: 'error',
        tags: [],
        rows: 0,
        error: { sqlstate: '22012', severity: 'ERROR', message: 'division by zero' },
      });
      expect(JSON.stringify(run.events)).not.toMatch(/elderberry|COMMIT/);
      expect(run.events.at(-1)).toMatchObject({
        kind: 'session.end',
        payload: { reason: 'client_terminated' },
      });

      // The transaction died with the session: the table is as the first script left it.
      const check = await psql(['-A', '-t', '-c', 'SELECT count(*) FROM fruit']);
      expect(check.code).toBe(0);
      expect(check.stdout.trim()).toBe('3');
      expect(recorded(check.events)[0]!.result).toMatchObject({ outcome: 'complete', sample: [['3']] });
    });

    it('records a multi-statement -c string as one simple query whose later statement fails', async () => {
      const run = await psql([
        '-c',
        "INSERT INTO fruit VALUES (6, 'fig'); SELECT * FROM no_such_fruit; SELECT 1",
      ]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('relation "no_such_fruit" does not exist');
      const statements = recorded(run.events);
      expect(statements).toHaveLength(1);
      expect(statements[0]!.statement).toMatchObject({
        protocol: 'simple',
        sql: "INSERT INTO fruit VALUES (6, 'fig'); SELECT * FROM no_such_fruit; SELECT 1",
      });
      expect(statements[0]!.result).toMatchObject({
        outcome: 'error',
        tags: ['INSERT 0 1'],
        error: { sqlstate: '42P01', message: 'relation "no_such_fruit" does not exist' },
      });
    });
  });

  describe('\\copy', () => {
    it('round-trips a CSV file through COPY IN and COPY OUT, recording copy direction and row counts but no data', async () => {
      const marker = `gbx${randomBytes(8).toString('hex')}`;
      const count = 500;
      const lines = Array.from({ length: count }, (_, i) => `${i + 1},${marker}-${i + 1},${(i * 7) % 13}`);
      const input = join(dir, 'in.csv');
      const output = join(dir, 'out.csv');
      writeFileSync(input, `${lines.join('\n')}\n`);

      const create = await psql(['-c', 'CREATE TABLE copy_items (id int PRIMARY KEY, label text, n int)']);
      expect(create.code).toBe(0);
      const copyIn = await psql(['-c', `\\copy copy_items FROM '${input}' csv`]);
      expect(copyIn.stderr).toBe('');
      expect(copyIn.code).toBe(0);
      expect(copyIn.stdout.trim()).toBe(`COPY ${count}`);
      const copyOut = await psql([
        '-c',
        `\\copy (SELECT id, label, n FROM copy_items ORDER BY id) TO '${output}' csv`,
      ]);
      expect(copyOut.stderr).toBe('');
      expect(copyOut.code).toBe(0);
      expect(readFileSync(output, 'utf8')).toBe(readFileSync(input, 'utf8'));

      const [inStatement, ...moreIn] = recorded(copyIn.events);
      expect(moreIn).toEqual([]);
      expect(inStatement!.statement.protocol).toBe('simple');
      expect(inStatement!.statement.sql).toMatch(/^COPY\s+copy_items\s+FROM\s+STDIN\s+csv$/i);
      expect(inStatement!.result).toMatchObject({
        outcome: 'complete',
        copy: 'in',
        tags: [`COPY ${count}`],
        rows: count,
        sample: [],
      });
      const [outStatement, ...moreOut] = recorded(copyOut.events);
      expect(moreOut).toEqual([]);
      expect(outStatement!.statement.sql).toMatch(
        /^COPY\s+\(\s*SELECT id, label, n FROM copy_items ORDER BY id\s*\)\s+TO\s+STDOUT\s+csv$/i,
      );
      expect(outStatement!.result).toMatchObject({
        outcome: 'complete',
        copy: 'out',
        tags: [`COPY ${count}`],
        rows: count,
        sample: [],
      });

      // The rows themselves went through the proxy but into no event, nor anywhere in the data directory.
      for (const id of store.allSessionIds()) {
        expect(JSON.stringify(store.listEvents(id, 0, 5_000))).not.toContain(marker);
      }
      for (const file of filesUnder(setup.test.home)) {
        expect(readFileSync(file).includes(marker), file).toBe(false);
      }
    });
  });

  describe('\\copy failures', () => {
    it('records a COPY IN that the server rejects mid-stream as an error with its SQLSTATE and copy direction', async () => {
      const input = join(dir, 'bad.csv');
      const lines = Array.from({ length: 400 }, (_, i) => (i === 299 ? 'oops,bad' : `${i + 1},ok`));
      writeFileSync(input, `${lines.join('\n')}\n`);
      expect((await psql(['-c', 'CREATE TABLE copy_bad (id int, label text)'])).code).toBe(0);
      const run = await psql(['-c', `\\copy copy_bad FROM '${input}' csv`]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('invalid input syntax for type integer: "oops"');
      const [copy, ...more] = recorded(run.events);
      expect(more).toEqual([]);
      expect(copy!.result).toMatchObject({
        outcome: 'error',
        copy: 'in',
        tags: [],
        rows: 0,
        error: { sqlstate: '22P02', message: 'invalid input syntax for type integer: "oops"' },
      });
      expect(run.events.at(-1)).toMatchObject({
        kind: 'session.end',
        payload: { reason: 'client_terminated' },
      });
      const check = await psql(['-A', '-t', '-c', 'SELECT count(*) FROM copy_bad']);
      expect(check.stdout.trim()).toBe('0');
    });
  });

  describe('cancel', () => {
    it('forwards the CancelRequest psql sends on SIGINT, and records the cancel and the 57014 outcome', async () => {
      const run = await psql(['-c', 'SELECT pg_sleep(30)'], async (child, app) => {
        // Interrupt only once the real server is running it, seen over a direct connection.
        const direct = new pg.Client({ connectionString: setup.pg.superuserUrl });
        await direct.connect();
        try {
          const deadline = Date.now() + 5_000;
          const active =
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'";
          while ((await direct.query(active, [app])).rows[0].n !== 1) {
            if (Date.now() > deadline) throw new Error('pg_sleep never became active upstream');
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        } finally {
          await direct.end();
        }
        child.kill('SIGINT');
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('canceling statement due to user request');
      expect(recorded(run.events)[0]!.result).toMatchObject({
        outcome: 'error',
        error: { sqlstate: '57014', message: 'canceling statement due to user request' },
      });
      expect(run.events.filter((e) => e.kind === 'pg.cancel').map((e) => e.payload)).toEqual([
        { forwarded: true, error: null },
      ]);
    });
  });

  describe('LISTEN/NOTIFY', () => {
    it('delivers a NOTIFY from psql to a listening node-postgres client and records it in the listener session', async () => {
      const channel = 'glassbox_events';
      const payload = `hello ${randomBytes(6).toString('hex')}`;
      const listener = new pg.Client({ connectionString: setup.url, application_name: 'pg-listener' });
      await listener.connect();
      try {
        const received = new Promise<pg.Notification>((resolve) => listener.on('notification', resolve));
        await listener.query(`LISTEN ${channel}`);
        const notify = await psql(['-c', `NOTIFY ${channel}, '${payload}'`]);
        expect(notify.code).toBe(0);
        const timeout = new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('no notification within 5 s')), 5_000).unref(),
        );
        const notification = await Promise.race([received, timeout]);
        expect(notification).toMatchObject({ channel, payload });

        // The notifier's session shows the NOTIFY, and no notification of its own.
        expect(recorded(notify.events).map((s) => [s.statement.sql, s.result?.tags])).toEqual([
          [`NOTIFY ${channel}, '${payload}'`, ['NOTIFY']],
        ]);
        expect(notify.events.some((e) => e.kind === 'pg.notification')).toBe(false);

        // The listener's session records it while the connection is still open, as an event of its own.
        const listenerSession = store
          .listSessions({ kind: 'postgres', limit: 1000 })
          .find((s) => s.client === 'pg-listener' && s.status === 'live');
        if (!listenerSession) throw new Error('no live session for the listener');
        const event = await waitFor(
          () => store.listEvents(listenerSession.id, 0, 5_000).find((e) => e.kind === 'pg.notification'),
          5_000,
          'the pg.notification event',
        );
        expect(event.payload).toMatchObject({ channel, payload });
        const events = store.listEvents(listenerSession.id, 0, 5_000);
        const [listen] = recorded(events);
        expect(listen).toMatchObject({
          statement: { protocol: 'simple', sql: `LISTEN ${channel}` },
          result: { outcome: 'complete', tags: ['LISTEN'] },
        });
        expect(event.seq).toBeGreaterThan(listen!.resultSeq!);
        expect(events.filter((e) => e.kind === 'pg.notification')).toHaveLength(1);
      } finally {
        await listener.end();
      }
      await closedSession('pg-listener');
    });
  });

  it('keeps every chain intact', () => {
    for (const id of store.allSessionIds())
      expect(store.verifySession(id), id).toMatchObject({ intact: true });
  });
});
