import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Execution } from '../../proxy/postgres/execution.js';
import { PG_AWAITING, PG_UNANSWERED, PgRecorder } from '../../proxy/postgres/recorder.js';
import { GroupCommit } from '../../proxy/store/group-commit.js';
import { Journal } from '../../proxy/store/journal.js';
import { recoverInterrupted } from '../../proxy/store/recovery.js';
import { Store } from '../../proxy/store/store.js';
import { StoreUnavailableError } from '../../proxy/store/unavailable.js';
import { waitFor } from '../helpers/cli.js';
import { TEST_IDENTITY as identity } from '../helpers/identity.js';
import { mountSmallDisk, type SmallDisk, smallDiskUnavailable } from '../helpers/tmpfs.js';

const cannotMount = smallDiskUnavailable();
if (cannotMount) console.warn(`skipped: ${cannotMount}`);
/** Mounts the small disk a describe block's tests use (in its beforeAll, so a skipped block mounts none). */
const mountOrThrow = () => {
  const disk = mountSmallDisk(2 * 1024 * 1024);
  if (typeof disk === 'string') throw new Error(disk);
  return disk;
};

describe.skipIf(cannotMount)('the store on a full disk', () => {
  let small: SmallDisk;
  let home = '';
  beforeAll(() => {
    small = mountOrThrow();
  });
  let count = 0;
  const warnings: string[] = [];
  beforeEach(() => {
    home = join(small.dir, `home-${++count}`);
    mkdirSync(home);
    warnings.length = 0;
  });
  afterEach(() => {
    small.free();
    rmSync(home, { recursive: true, force: true });
  });
  afterAll(() => small?.unmount());

  const open = () =>
    Store.open(join(home, 'glassbox.db'), {
      journalDir: join(home, 'journal'),
      warn: (message) => warnings.push(message),
    });
  const newSession = (store: Store, kind: 'postgres' | 'anthropic' = 'postgres') =>
    store.createSession({ kind, target: 'shop', client: null, identity, external_id: null });
  /**
   * Fills the disk, then appends until the journal refuses (its last block may still hold a line): the
   * refusal and how many appends it still took.
   */
  const fillUntilRefused = (store: Store, sessionId: string) => {
    small.fill();
    for (let appended = 0; appended < 1_000; appended++) {
      try {
        store.append(sessionId, 'x.filler', { text: 'f'.repeat(2_000) });
      } catch (error) {
        return { refused: error as StoreUnavailableError, appended };
      }
    }
    throw new Error('the journal never refused a write');
  };

  it('leaves no torn line in the journal when a write fails, so the next line that fits is read back', () => {
    const dir = join(home, 'journal');
    const journal = Journal.open(dir, { generation: 0, offset: 0 });
    journal.append('["first"]');
    small.fill();
    // Larger than what the file's last block still holds: part of it is written before ENOSPC.
    expect(() => journal.append(`["${'x'.repeat(64 * 1024)}"]`)).toThrow(/ENOSPC/);
    small.free();
    journal.append('["second"]');
    journal.close(false);
    const lines = [...Journal.replay(dir, { generation: 0, offset: 0 })].map((e) => e.line.toString());
    expect(lines).toEqual(['["first"]', '["second"]']);
  });

  it('refuses writes at once while full, changes nothing, and takes them again by itself when space returns', async () => {
    const store = open();
    const session = newSession(store);
    for (let n = 1; n <= 5; n++) store.append(session.id, 'x.event', { n });
    const { refused, appended } = fillUntilRefused(store, session.id);
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect(refused.problem).toBe('disk_full');
    expect(refused.message).toMatch(/^the disk holding .*journal is full \(ENOSPC/);
    const head = store.liveness(session.id);
    expect(store.health()).toMatchObject({ ok: false, problem: 'disk_full', error: refused.message });
    expect(warnings.join('\n')).toMatch(/cannot record: the disk holding .* is full/);

    // Refused without touching the disk, and nothing moved: no seq is taken by a write that failed.
    expect(() => store.append(session.id, 'x.event', { n: 'refused' })).toThrow(StoreUnavailableError);
    expect(() => newSession(store)).toThrow(StoreUnavailableError);
    expect(() => store.endSession(session.id, 'client_closed')).toThrow(StoreUnavailableError);
    expect(store.liveness(session.id)).toEqual(head);

    small.free();
    await waitFor(() => store.health().ok, 10_000, 'the store to take writes again');
    expect(warnings.join('\n')).toMatch(/recording resumed/);
    // The next write continues the chain right after the last one that was made durable.
    const next = store.append(session.id, 'x.event', { n: 'after' });
    expect(next.seq).toBe(5 + appended + 1);
    const total = next.seq;
    store.endSession(session.id, 'client_closed');
    store.close();

    const reopened = Store.open(join(home, 'glassbox.db'));
    expect(reopened.verifySession(session.id)).toMatchObject({ intact: true, events: total + 1 });
    reopened.close();
  });

  it("seals at the session's end, once, a statement whose outcome could not be written", async () => {
    const store = open();
    // Keeps no refused write for retrying: the outcome is given up at once.
    const commit = new GroupCommit(store, { maxRetained: 0, warn: (m) => warnings.push(m) });
    const session = newSession(store);
    const recorder = new PgRecorder(store, commit, session.id);
    const execution = new Execution({ protocol: 'simple', sql: 'UPDATE t SET x = 1' }, null);
    let recorded: Error | undefined | 'pending' = 'pending';
    recorder.statements([execution], (error) => {
      recorded = error;
    });
    expect(recorded).toBeUndefined();

    fillUntilRefused(store, session.id);
    execution.tags.push('UPDATE 1');
    recorder.result(execution, 'complete');
    commit.flush();
    expect(warnings.join('\n')).toMatch(/gave up 1 record/);

    small.free();
    await waitFor(() => store.health().ok, 10_000, 'the store to take writes again');
    recorder.end('client_closed');
    commit.flush();
    const events = store.listEvents(session.id, 0, 5_000).filter((e) => !e.kind.startsWith('x.'));
    expect(events.map((e) => e.kind)).toEqual(['pg.statement', 'pg.result', 'session.end']);
    expect(events[1]!.payload).toMatchObject({
      statement_seq: events[0]!.seq,
      outcome: 'recording_failed',
      error: { sqlstate: '58030' },
    });
    expect(store.getSession(session.id)?.stats[PG_AWAITING]).toBe(0);
    store.close();

    // Nothing more to seal at the next start.
    const again = open();
    expect(recoverInterrupted(again, [PG_UNANSWERED])).toBe(0);
    expect(again.listEvents(session.id, 0, 5_000).filter((e) => e.kind === 'pg.result')).toHaveLength(1);
    again.close();
  });
});

describe('start-up recovery of outcomes lost while the store refused writes', () => {
  let home = '';
  beforeEach(() => {
    home = join(
      process.env.TMPDIR ?? '/tmp',
      `glassbox-recover-${process.pid}-${Math.random().toString(36).slice(2)}`,
    );
    mkdirSync(home, { recursive: true });
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  const open = () => Store.open(join(home, 'glassbox.db'), { journalDir: join(home, 'journal') });

  it('seals, exactly once, statements and exchanges left without an outcome in sessions that ended', () => {
    const store = open();
    const pg = store.createSession({
      kind: 'postgres',
      target: 'shop',
      client: null,
      identity,
      external_id: null,
    });
    // As the PostgreSQL recorder writes them: one statement answered, one whose outcome was lost.
    const stats = { statements: 1, [PG_AWAITING]: 1 };
    const answered = store.append(pg.id, 'pg.statement', { sql: 'SELECT 1' }, { stats });
    store.append(
      pg.id,
      'pg.result',
      { statement_seq: answered.seq, outcome: 'complete' },
      { stats: { [PG_AWAITING]: -1 } },
    );
    const lost = store.append(pg.id, 'pg.statement', { sql: 'UPDATE t SET x = 2' }, { stats });
    store.endSession(pg.id, 'client_closed');
    // An Anthropic exchange whose seal was lost, in a session that was closed after.
    const claude = store.createSession({
      kind: 'anthropic',
      target: 'api.anthropic.com',
      client: null,
      identity,
      external_id: null,
    });
    const request = store.appendRequest(
      claude.id,
      'http.request',
      { path: '/v1/messages' },
      'llm.turn',
      (request_seq) => ({ request_seq, outcome: 'streaming', status: 200 }),
    );
    store.endSession(claude.id, 'idle');
    store.close();

    const recovered = open();
    expect(recoverInterrupted(recovered, [PG_UNANSWERED])).toBe(0);
    const pgResults = recovered.listEvents(pg.id).filter((e) => e.kind === 'pg.result');
    expect(pgResults.map((e) => e.payload)).toEqual([
      { statement_seq: answered.seq, outcome: 'complete' },
      expect.objectContaining({ statement_seq: lost.seq, outcome: 'recording_failed' }),
    ]);
    expect(recovered.getSession(pg.id)).toMatchObject({ status: 'closed', stats: { [PG_AWAITING]: 0 } });
    const turn = recovered.listEvents(claude.id).find((e) => e.kind === 'llm.turn');
    expect(turn?.payload).toMatchObject({ outcome: 'recording_failed', status: 200 });
    expect(recovered.inflight(claude.id)).toEqual([]);
    expect(recovered.verifySession(pg.id)).toMatchObject({ intact: true });
    expect(request.seq).toBe(1);
    recovered.close();

    // A second start finds nothing left to seal.
    const third = open();
    const before = third.listEvents(pg.id).length + third.listEvents(claude.id).length;
    recoverInterrupted(third, [PG_UNANSWERED]);
    expect(third.listEvents(pg.id).length + third.listEvents(claude.id).length).toBe(before);
    third.close();
  });

  it('seals, once, statements an older Glassbox left without an outcome in sessions that ended', () => {
    const store = open();
    const pg = store.createSession({
      kind: 'postgres',
      target: 'shop',
      client: null,
      identity,
      external_id: null,
    });
    // As an older recorder wrote them: no running count of statements awaiting their outcome.
    const answered = store.append(pg.id, 'pg.statement', { sql: 'SELECT 1' }, { stats: { statements: 1 } });
    store.append(pg.id, 'pg.result', { statement_seq: answered.seq, outcome: 'complete' });
    const lost = store.append(
      pg.id,
      'pg.statement',
      { sql: 'UPDATE t SET x = 2' },
      { stats: { statements: 1 } },
    );
    store.endSession(pg.id, 'client_closed');
    store.close();
    // The database as that version left it: schema 4 (no approvals nor sync_state table), no awaiting_outcome in the stats.
    const db = new Database(join(home, 'glassbox.db'));
    expect(
      JSON.parse(db.prepare('SELECT stats FROM sessions WHERE id = ?').pluck().get(pg.id) as string),
    ).not.toHaveProperty(PG_AWAITING);
    db.exec('DROP TABLE approvals; DROP TABLE sync_state');
    db.pragma('user_version = 4');
    db.close();

    const upgraded = open();
    recoverInterrupted(upgraded, [PG_UNANSWERED]);
    const outcomes = upgraded.listEvents(pg.id).filter((e) => e.kind === 'pg.result');
    expect(outcomes.map((e) => e.payload)).toEqual([
      { statement_seq: answered.seq, outcome: 'complete' },
      expect.objectContaining({ statement_seq: lost.seq, outcome: 'recording_failed' }),
    ]);
    expect(upgraded.getSession(pg.id)).toMatchObject({ stats: { [PG_AWAITING]: 0 } });
    expect(upgraded.verifySession(pg.id)).toMatchObject({ intact: true });
    upgraded.close();
  });
});
