import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResultPayload, StatementPayload } from '../../proxy/postgres/tracker.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { type GuardedProxy, HOLD, idsIn, startGuardedProxy } from '../helpers/pg-guard.js';
import { collectOutput, type ProcessOutput } from '../helpers/process.js';

const PSQL = '/usr/bin/psql';
const BY = { os_user: 'approver', via: 'test' };
/** The built-in rule that holds `DELETE FROM t`, as clients see it named. */
const DELETE_RULE =
  'rule pg.delete-without-where: DELETE without a WHERE clause deletes every row of the table';

/** The statement recorded with `sql` and its outcome. */
function outcomeOf(events: RecordedEvent[], sql: string): ResultPayload | undefined {
  const statement = events.find(
    (e) => e.kind === 'pg.statement' && (e.payload as StatementPayload).sql === sql,
  );
  return events.find(
    (e) => e.kind === 'pg.result' && (e.payload as ResultPayload).statement_seq === statement?.seq,
  )?.payload as ResultPayload | undefined;
}

/**
 * psql through Glassbox under a real policy.json: its own `test.no-drop` block rule, then the built-in rules
 * (DELETE without WHERE held for approval, other DDL flagged), decided by the engine's guard and broker.
 */
describe('psql through the guarded PostgreSQL proxy', () => {
  let g: GuardedProxy;
  let runs = 0;

  beforeAll(async () => {
    g = await startGuardedProxy();
  });
  afterAll(async () => {
    await g?.cleanup();
  });
  beforeEach(async () => {
    await g.setApprovals(HOLD);
    await g.direct.query(
      'DROP TABLE IF EXISTS t; CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3)',
    );
  });

  /** Starts psql (asynchronously: the engine runs in this process) with a unique application_name. */
  function psql(args: string[]): {
    child: ChildProcess;
    app: string;
    done: Promise<ProcessOutput>;
    stderr: () => string;
  } {
    const app = `psql-guard-${++runs}`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
    const child = spawn(PSQL, ['-X', '-w', '-d', g.setup.url, ...args], {
      env: { ...env, LC_ALL: 'C', PGAPPNAME: app, PGCONNECT_TIMEOUT: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return { child, app, done: collectOutput(child), stderr: () => stderr };
  }

  it('refuses a blocked statement with 42501 naming the rule, and records guard.blocked', async () => {
    const run = psql(['-c', 'DROP TABLE t']);
    const out = await run.done;
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      'ERROR:  Glassbox blocked this statement: rule test.no-drop (Dropping tables is not allowed). Ask an approver to change the policy.',
    );
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    const events = await waitFor(() => {
      const all = g.eventsOf(run.app);
      return all.some((e) => e.kind === 'guard.blocked') && all.some((e) => e.kind === 'pg.result') && all;
    });
    const blocked = events.find((e) => e.kind === 'guard.blocked')!;
    const statement = events.find((e) => e.kind === 'pg.statement')!;
    expect(blocked.payload).toMatchObject({
      rule: { id: 'test.no-drop', message: 'Dropping tables is not allowed', builtin: false },
      statement_seq: statement.seq,
      facts: { kind: 'sql', effect: 'ddl', commands: ['DROP TABLE'], writes: ['t'] },
    });
    expect(outcomeOf(events, 'DROP TABLE t')).toMatchObject({
      outcome: 'error',
      error: { sqlstate: '42501' },
    });
  });

  it('fails the transaction as PostgreSQL would: 25P02 after, ROLLBACK undoes, a savepoint recovers', async () => {
    const script = [
      'BEGIN;',
      'INSERT INTO t VALUES (10);',
      'DROP TABLE t;',
      'INSERT INTO t VALUES (11);',
      'COMMIT;',
      'BEGIN;',
      'INSERT INTO t VALUES (20);',
      'SAVEPOINT s;',
      'DROP TABLE t;',
      'ROLLBACK TO SAVEPOINT s;',
      'INSERT INTO t VALUES (21);',
      'COMMIT;',
      '',
    ].join('\n');
    // One Query message of several statements is decided as a whole: none of it runs.
    const whole = await psql(['-c', 'INSERT INTO t VALUES (30); DROP TABLE t']).done;
    expect(whole.stderr).toContain('Glassbox blocked this statement');
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    const lines = script.split('\n').filter(Boolean);
    const args = lines.flatMap((line) => ['-c', line]);
    const step = psql(['-v', 'ON_ERROR_STOP=0', ...args]);
    const out = await step.done;
    expect(out.stderr).toContain('ERROR:  Glassbox blocked this statement: rule test.no-drop');
    expect(out.stderr).toContain(
      'ERROR:  current transaction is aborted, commands ignored until end of transaction block',
    );
    // COMMIT of the failed transaction rolls it back; the savepoint's rollback recovered the second one.
    expect(out.stdout).toContain('ROLLBACK');
    expect(await idsIn(g.direct)).toEqual([1, 2, 3, 20, 21]);
  });

  it('holds a statement that needs approval, tells the client at once, and runs it once approved', async () => {
    const run = psql(['-c', 'DELETE FROM t']);
    const id = await g.nextPending();
    await waitFor(() => run.stderr().includes(id), 10_000, 'the waiting notice');
    expect(run.stderr()).toContain(
      `NOTICE:  Glassbox: waiting for approval ${id} (${DELETE_RULE}); open the dashboard or run glassbox approve ${id}`,
    );
    // Recorded, not forwarded.
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    const subject = g.broker.get(id)!.subject;
    const statement = g.eventsOf(run.app).find((e) => e.kind === 'pg.statement')!;
    expect(subject).toMatchObject({
      kind: 'sql',
      text: 'DELETE FROM t',
      request_seq: statement.seq,
      client: run.app,
      rule: {
        id: 'pg.delete-without-where',
        message: 'DELETE without a WHERE clause deletes every row of the table',
        builtin: true,
      },
      facts: { kind: 'sql', sql: { effect: 'delete', noWhere: true, commands: ['DELETE'] } },
    });
    expect(subject.operation_hash).toMatch(/^[0-9a-f]{64}$/);
    g.broker.decide(id, { approve: true, by: BY });
    const out = await run.done;
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('DELETE 3');
    expect(await idsIn(g.direct)).toEqual([]);
    // The session's chain holds the request and the decision, in order, and verifies.
    const events = await waitFor(() => {
      const all = g.eventsOf(run.app);
      return all.some((e) => e.kind === 'pg.result') && all;
    });
    const story = ['pg.statement', 'approval.requested', 'approval.decided', 'pg.result'];
    expect(events.map((e) => e.kind).filter((kind) => story.includes(kind))).toEqual(story);
    expect(events.find((e) => e.kind === 'approval.decided')!.payload).toMatchObject({
      approval_id: id,
      request_seq: statement.seq,
      decision: 'approved',
      by: { os_user: 'approver', via: 'test' },
    });
    const store = g.setup.test.engine.store;
    expect(store.verifySession(events[0]!.session_id)).toMatchObject({ intact: true });
  });

  it('refuses a denied statement with the approver and the reason', async () => {
    const run = psql(['-c', 'DELETE FROM t']);
    const id = await g.nextPending();
    g.broker.decide(id, { approve: false, reason: 'not on a Friday', by: BY });
    const out = await run.done;
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      `ERROR:  Glassbox: approval ${id} was denied by approver: not on a Friday (${DELETE_RULE}); the statement was not run`,
    );
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
  });

  it('refuses an expired one', async () => {
    await g.setApprovals({ mode: 'hold', timeout: '300ms' });
    const run = psql(['-c', 'DELETE FROM t']);
    const out = await run.done;
    expect(out.code).toBe(1);
    const id = /ERROR: {2}Glassbox: approval (ap_\w+) expired before anyone decided/.exec(out.stderr)?.[1];
    expect(id, out.stderr).toBeDefined();
    // The broker's timer, set by the policy's approvals.timeout, expired it, and says so.
    expect(g.broker.get(id!)).toMatchObject({ status: 'expired', reason: 'nobody decided within 300ms' });
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
  });

  it('withdraws the approval when psql cancels (Ctrl-C) and when it is killed', async () => {
    const run = psql(['-c', 'DELETE FROM t']);
    const id = await g.nextPending();
    await waitFor(() => run.stderr().includes(id), 10_000, 'the waiting notice');
    run.child.kill('SIGINT'); // psql sends a CancelRequest
    const out = await run.done;
    expect(out.stderr).toContain(
      `ERROR:  canceling statement due to user request (Glassbox withdrew approval ${id})`,
    );
    expect(g.broker.get(id)!.status).toBe('withdrawn');

    const killed = psql(['-c', 'DELETE FROM t']);
    const second = await g.nextPending();
    killed.child.kill('SIGKILL');
    await killed.done;
    await waitFor(() => g.broker.get(second)!.status === 'withdrawn', 10_000, 'the withdrawal');
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
  });

  it('retry mode: refuses at once with the approval id, then lets the same statement through exactly once in that session', async () => {
    await g.setApprovals({ mode: 'retry', timeout: '60s' });
    // One psql session, fed statement by statement: a retry is the same statement again on its connection.
    const app = `psql-guard-${++runs}`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
    const child = spawn(PSQL, ['-X', '-w', '-d', g.setup.url], {
      env: { ...env, LC_ALL: 'C', PGAPPNAME: app, PGCONNECT_TIMEOUT: '10' },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const done = collectOutput(child);
    child.stdin?.write('DELETE FROM t;\n');
    const id = await waitFor(
      () => /approval (ap_\w+) requested; run it again on this connection once approved/.exec(stderr)?.[1],
      15_000,
      'the refusal naming the approval',
    );
    expect(g.broker.get(id)!.status).toBe('pending');
    // Another psql (another connection, so another session) sending the same bytes (psql sends the `;` too)
    // does not ride on it.
    const elsewhere = await psql(['-c', 'DELETE FROM t;']).done;
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/approval ap_\w+ requested/);
    g.broker.decide(id, { approve: true, by: BY });
    const elsewhereAfter = await psql(['-c', 'DELETE FROM t;']).done;
    expect(elsewhereAfter.code).toBe(1);
    expect(elsewhereAfter.stderr).not.toContain(id);
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
    child.stdin?.write('DELETE FROM t;\n');
    await waitFor(() => stdout.includes('DELETE 3'), 15_000, 'the approved DELETE');
    await g.direct.query('INSERT INTO t VALUES (4)');
    const before = stderr.length;
    child.stdin?.end('DELETE FROM t;\n');
    await done;
    const third = stderr.slice(before);
    expect(third).toMatch(/approval ap_\w+ requested/);
    expect(third).not.toContain(id);
    expect(await idsIn(g.direct)).toEqual([4]);
  });

  it('streams allowed traffic as before: COPY FROM STDIN and a large result', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `${i + 10}\n`).join('');
    const copy = spawn(PSQL, ['-X', '-w', '-d', g.setup.url, '-c', 'COPY t FROM STDIN'], {
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const done = collectOutput(copy);
    copy.stdin?.end(rows);
    expect(await done).toMatchObject({ code: 0, stdout: expect.stringContaining('COPY 100000') });
    const select = await psql(['-A', '-t', '-c', 'SELECT id FROM t ORDER BY id']).done;
    expect(select.code).toBe(0);
    expect(select.stdout.trim().split('\n')).toHaveLength(100_003);
  });

  it('forwards a flagged statement and records guard.flagged', async () => {
    const run = psql(['-c', 'CREATE INDEX t_id ON t (id)']);
    const out = await run.done;
    expect(out.code).toBe(0);
    const flagged = await waitFor(() => g.eventsOf(run.app).find((e) => e.kind === 'guard.flagged'));
    expect(flagged.payload).toMatchObject({
      rule: { id: 'pg.ddl', message: 'a schema change (DDL)', builtin: true },
      facts: { kind: 'sql', effect: 'ddl', commands: ['CREATE INDEX'] },
    });
  });
});
