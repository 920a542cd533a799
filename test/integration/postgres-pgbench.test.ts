import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultPayload, StatementPayload } from '../../proxy/postgres/tracker.js';
import type { Store } from '../../proxy/store/store.js';
import type { RecordedEvent, Session } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { collectOutput } from '../helpers/process.js';

const CLIENTS = 2;
const TRANSACTIONS = 200;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run's sessions (closed), each with its events. */
  sessions: Array<{ session: Session; events: RecordedEvent[] }>;
}

/** A statement as recorded, with the outcome sealed for it. */
interface Recorded {
  statement: StatementPayload;
  result: ResultPayload | undefined;
}

const recorded = (events: RecordedEvent[]): Recorded[] =>
  events
    .filter((e) => e.kind === 'pg.statement')
    .map((statement) => ({
      statement: statement.payload as StatementPayload,
      result: events.find(
        (e) => e.kind === 'pg.result' && (e.payload as ResultPayload).statement_seq === statement.seq,
      )?.payload as ResultPayload | undefined,
    }));

describe('pgbench through the PostgreSQL proxy', () => {
  let setup: PgProxySetup;
  let store: Store;
  let pgbench: string;
  let dir: string;

  beforeAll(async () => {
    // Not about guardrails: `pgbench -i` drops and truncates its tables, which the default policy holds.
    setup = await startPgProxy({ policy: { version: 1, guardrails: { enabled: false } } });
    store = setup.test.engine.store;
    const bundled = join(setup.pg.binDir, 'pgbench');
    pgbench = existsSync(bundled) ? bundled : '/usr/bin/pgbench';
    dir = mkdtempSync(join(tmpdir(), 'glassbox-pgbench-'));
  });
  afterAll(async () => {
    await setup?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a pgbench script file and returns its path. */
  function script(name: string, lines: string[]): string {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  }

  /**
   * Runs pgbench against the proxy (PGPASSWORD = the local password, a unique application_name) and returns
   * its output with every session it opened, once all of them are closed.
   */
  async function run(app: string, args: string[]): Promise<Run> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
    const argv = ['-h', '127.0.0.1', '-p', String(setup.port), '-U', setup.name, ...args, setup.pg.database];
    const result = await new Promise<Omit<Run, 'sessions'>>((resolve, reject) => {
      const child = spawn(pgbench, argv, {
        env: {
          ...env,
          LC_ALL: 'C',
          PGPASSWORD: setup.localPassword,
          PGAPPNAME: app,
          PGCONNECT_TIMEOUT: '10',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
      collectOutput(child).then(resolve, reject);
    });
    const ofRun = () => store.listSessions({ kind: 'postgres', limit: 1000 }).filter((s) => s.client === app);
    const sessions = await waitFor(
      () => {
        const all = ofRun();
        return all.length > 0 && all.every((s) => s.status === 'closed') && all;
      },
      5_000,
      `the sessions of ${app} to close`,
    );
    return {
      ...result,
      sessions: sessions.map((session) => ({ session, events: [...store.iterateEvents(session.id)] })),
    };
  }

  /** The SELECT abalance executions of a benchmark run, per session that ran any. */
  function selects(bench: Run): Recorded[][] {
    return bench.sessions
      .map(({ events }) => recorded(events).filter((r) => r.statement.sql?.startsWith('SELECT abalance')))
      .filter((list) => list.length > 0);
  }

  function expectEveryOneComplete(list: Recorded[]): void {
    const incomplete = list.filter(
      (r) =>
        r.result?.outcome !== 'complete' ||
        r.result.rows !== 1 ||
        r.result.tags.length !== 1 ||
        r.result.tags[0] !== 'SELECT 1',
    );
    expect(incomplete.slice(0, 3)).toEqual([]);
    for (const r of list) expect(r.result!.columns).toEqual([{ name: 'abalance', type_oid: 23 }]);
  }

  const benchmark = (mode: string) => ['-S', '-t', String(TRANSACTIONS), '-c', String(CLIENTS), '-M', mode];

  it('initialises scale 1 through the proxy, recording every step and the 100,000-row COPY IN with its row count', async () => {
    const init = await run('pgbench-init', ['-i', '-s', '1']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/done in [\d.]+ s/);
    const statements = init.sessions.flatMap(({ events }) => recorded(events));
    // pgbench 15 INSERTs the branches and tellers and COPYs the accounts; newer versions COPY all three.
    const loaded = (table: string) =>
      statements
        .filter((r) => new RegExp(`^(insert into|copy) ${table}\\b`, 'i').test(r.statement.sql ?? ''))
        .reduce((sum, r) => sum + r.result!.rows, 0);
    expect([loaded('pgbench_branches'), loaded('pgbench_tellers'), loaded('pgbench_accounts')]).toEqual([
      1, 10, 100_000,
    ]);
    const copies = statements.filter((r) => r.result?.copy === 'in');
    const accounts = copies.find((r) => /^copy pgbench_accounts from stdin/i.test(r.statement.sql ?? ''));
    expect(accounts?.result).toMatchObject({ tags: ['COPY 100000'], rows: 100_000 });
    for (const r of copies) expect(r.result).toMatchObject({ outcome: 'complete', sample: [] });
    expect(statements.filter((r) => r.result?.outcome !== 'complete')).toEqual([]);
    expect(
      statements.some((r) => /^alter table pgbench_accounts add primary key/i.test(r.statement.sql ?? '')),
    ).toBe(true);
  });

  /** Runs pgbench -S in `mode`; checks it processed every transaction and returns the SELECTs per session. */
  async function runMode(mode: 'simple' | 'extended' | 'prepared') {
    const bench = await run(`pgbench-${mode}`, benchmark(mode));
    expect(bench.code, bench.stderr).toBe(0);
    expect(bench.stdout).toContain(
      `number of transactions actually processed: ${CLIENTS * TRANSACTIONS}/${CLIENTS * TRANSACTIONS}`,
    );
    const perSession = selects(bench);
    expect(perSession.map((list) => list.length)).toEqual([TRANSACTIONS, TRANSACTIONS]);
    return perSession;
  }

  it(`-M simple: records all ${CLIENTS * TRANSACTIONS} SELECTs as simple queries with the literal aid, each complete`, async () => {
    const perSession = await runMode('simple');
    const all = perSession.flat();
    expect(all).toHaveLength(CLIENTS * TRANSACTIONS);
    expectEveryOneComplete(all);
    for (const { statement, result } of all) {
      expect(statement.protocol).toBe('simple');
      expect(statement.sql).toMatch(/^SELECT abalance FROM pgbench_accounts WHERE aid = \d+;$/);
      expect(result!.sample).toEqual([['0']]);
    }
  });

  it(`-M extended: records all ${CLIENTS * TRANSACTIONS} SELECTs with $1 and the bound aid, each complete`, async () => {
    const perSession = await runMode('extended');
    const all = perSession.flat();
    expectEveryOneComplete(all);
    for (const { statement, result } of all) {
      expect(statement).toMatchObject({
        protocol: 'extended',
        sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;',
        statement: '',
      });
      expect(statement.params).toHaveLength(1);
      expect(statement.params![0]!.format).toBe('text');
      const aid = Number(statement.params![0]!.value);
      expect(aid >= 1 && aid <= 100_000, String(aid)).toBe(true);
      expect(result!.sample).toEqual([['0']]);
    }
  });

  it(`-M prepared: records all ${CLIENTS * TRANSACTIONS} executions of the once-parsed statement with its SQL text`, async () => {
    const perSession = await runMode('prepared');
    for (const list of perSession) {
      // One named prepared statement per connection, executed TRANSACTIONS times.
      const names = new Set(list.map((r) => r.statement.statement));
      expect(names.size).toBe(1);
      expect([...names][0]).not.toBe('');
    }
    const all = perSession.flat();
    expectEveryOneComplete(all);
    for (const { statement, result } of all) {
      expect(statement).toMatchObject({
        protocol: 'extended',
        sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;',
      });
      expect(statement.params).toHaveLength(1);
      expect(Number(statement.params![0]!.value)).toBeGreaterThan(0);
      expect(result!.sample).toEqual([['0']]);
    }
  });

  describe('pipeline mode (\\startpipeline, extended protocol)', () => {
    it('gives each pipelined statement its own columns and sample, though all are sent before any reply', async () => {
      const file = script('pipeline.sql', [
        '\\startpipeline',
        'SELECT abalance FROM pgbench_accounts WHERE aid = 1;',
        'SELECT 2 AS two;',
        "SELECT 'three'::text AS three;",
        '\\endpipeline',
      ]);
      const bench = await run('pgbench-pipeline', ['-n', '-t', '2', '-c', '1', '-M', 'extended', '-f', file]);
      expect(bench.code, bench.stderr).toBe(0);
      const statements = bench.sessions.flatMap(({ events }) => recorded(events));
      expect(
        statements.map((r) => [r.statement.sql, r.result?.outcome, r.result?.sample, r.result?.columns]),
      ).toEqual(
        [1, 2].flatMap(() => [
          [
            'SELECT abalance FROM pgbench_accounts WHERE aid = 1;',
            'complete',
            [['0']],
            [{ name: 'abalance', type_oid: 23 }],
          ],
          ['SELECT 2 AS two;', 'complete', [['2']], [{ name: 'two', type_oid: 23 }]],
          ["SELECT 'three'::text AS three;", 'complete', [['three']], [{ name: 'three', type_oid: 25 }]],
        ]),
      );
    });

    it('records the pipelined statement that failed with its own error and only the later ones as not run', async () => {
      const file = script('pipeline-error.sql', [
        '\\startpipeline',
        'SELECT 1 AS one;',
        'SELECT 1/0 AS boom;',
        'SELECT 3 AS three;',
        '\\endpipeline',
      ]);
      const bench = await run('pgbench-pipeline-error', [
        '-n',
        '-t',
        '1',
        '-c',
        '1',
        '-M',
        'extended',
        '-f',
        file,
      ]);
      expect(bench.code).toBe(2); // pgbench: a client was aborted
      expect(bench.stderr).toContain('division by zero');
      const statements = bench.sessions.flatMap(({ events }) => recorded(events));
      expect(
        statements.map((r) => [
          r.statement.sql,
          r.result?.outcome,
          r.result?.error?.message,
          r.result?.columns,
        ]),
      ).toEqual([
        ['SELECT 1 AS one;', 'complete', undefined, [{ name: 'one', type_oid: 23 }]],
        ['SELECT 1/0 AS boom;', 'error', 'division by zero', null],
        ['SELECT 3 AS three;', 'error', 'not run: division by zero', null],
      ]);
    });
  });

  it('records no statement without SQL text and keeps every chain intact', () => {
    for (const id of store.allSessionIds()) {
      expect(store.verifySession(id), id).toMatchObject({ intact: true });
      const nameless = recorded([...store.iterateEvents(id)]).filter(
        (r) => r.statement.protocol !== 'function' && r.statement.sql === null,
      );
      expect(nameless.slice(0, 3), id).toEqual([]);
    }
  });
});
