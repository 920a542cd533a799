/**
 * The engine's takeover from a failed apply thread (ingest.ts, `startThread` / `onExit`): the worker thread
 * really exits (it is made to throw between two tasks through the `onApplyThreadStart` diagnostic, so never
 * inside SQLite), and the engine applies the journal from SQLite's recorded position on its own connection,
 * then ingests on alone. Everything is checked against the real SQLite file through a second connection.
 */
import { readdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type ChainLink, verifyChain } from '../../proxy/store/chain.js';
import { Store, type StoreOpenOptions } from '../../proxy/store/store.js';
import { useStoreHome } from '../helpers/files.js';
import { TEST_IDENTITY as IDENTITY } from '../helpers/identity.js';

/** What a second connection finds in the SQLite file for one session. */
interface OnDisk {
  head_seq: number;
  status: string;
  statements: number | undefined;
  events: number;
  /** Events the full-text index finds by the word every test event carries. */
  indexed: number;
  chain: ReturnType<typeof verifyChain>;
}

/** Reads a session from the file on a connection of its own (what a CLI command would see). */
function onDisk(path: string, sessionId: string): OnDisk | undefined {
  const db = new Database(path, { readonly: true });
  try {
    const row = db
      .prepare('SELECT head_seq, head_hash, status, stats FROM sessions WHERE id = ?')
      .get(sessionId) as { head_seq: number; head_hash: string; status: string; stats: string } | undefined;
    if (!row) return undefined;
    const links = db
      .prepare('SELECT seq, ts, kind, payload, hash FROM events WHERE session_id = ? ORDER BY seq')
      .all(sessionId) as ChainLink[];
    const { indexed } = db
      .prepare("SELECT count(*) AS indexed FROM events_fts WHERE events_fts MATCH 'takeover'")
      .get() as { indexed: number };
    return {
      head_seq: row.head_seq,
      status: row.status,
      statements: (JSON.parse(row.stats) as { statements?: number }).statements,
      events: links.length,
      indexed,
      chain: verifyChain(sessionId, links, { seq: row.head_seq, hash: row.head_hash }),
    };
  } finally {
    db.close();
  }
}

describe('apply thread takeover', () => {
  const paths = useStoreHome('glassbox-takeover-');

  /**
   * Opens the engine's store (journal, apply thread) with a one-minute apply delay, so the thread holds what it
   * is sent until a read settles it; returns it with one session, its warnings and the thread's failure switch.
   */
  function openEngineStore(options: StoreOpenOptions = {}) {
    const warnings: string[] = [];
    let failThread: (() => Promise<void>) | undefined;
    const store = Store.open(paths().db, {
      journalDir: paths().journalDir,
      applyDelayMs: 60_000,
      warn: (message) => warnings.push(message),
      onApplyThreadStart: (fail) => {
        failThread = fail;
      },
      ...options,
    });
    if (!failThread) throw new Error('the store started no apply thread');
    const session = store.createSession({
      kind: 'http',
      target: 'takeover',
      client: null,
      identity: IDENTITY,
      external_id: null,
    });
    const append = (n: number) =>
      store.append(session.id, 'x.event', { n }, { stats: { statements: 1 }, text: `takeover n${n}` });
    return { store, session, warnings, failThread, append };
  }

  it('applies what the failed thread held, exactly once, then ingests on alone and closes cleanly', async () => {
    const { store, session, warnings, failThread, append } = openEngineStore();
    for (let n = 1; n <= 5; n++) append(n);
    // A read settles the thread: it applied the session and five events in one transaction.
    expect(store.getSession(session.id)).toMatchObject({ head_seq: 5 });
    expect(onDisk(paths().db, session.id)).toMatchObject({ head_seq: 5 });
    await expect.poll(() => store.ingestStats.ops).toBe(6); // counted when the thread's message arrives
    expect(store.ingestStats).toMatchObject({ journalWrites: 6, transactions: 1, ops: 6 });

    // Journaled and sent to the thread, which holds them (one-minute delay): not in SQLite.
    for (let n = 6; n <= 15; n++) append(n);
    store.batch(() => {
      for (let n = 16; n <= 25; n++) append(n);
    });
    const takenOver = failThread();
    // Sent after the failure request: they never reach the thread.
    for (let n = 26; n <= 28; n++) append(n);
    expect(onDisk(paths().db, session.id)).toMatchObject({ head_seq: 5, events: 5 });

    await takenOver;
    expect(warnings).toEqual([
      expect.stringMatching(/apply thread stopped \(failure requested by the engine.*main thread/),
    ]);
    // The takeover applied the 14 journal lines the thread left (23 events) at once, each exactly once.
    expect(store.ingestStats).toMatchObject({ journalWrites: 20, transactions: 2, ops: 29 });
    expect(onDisk(paths().db, session.id)).toMatchObject({
      head_seq: 28,
      events: 28,
      indexed: 28,
      statements: 28,
      chain: { intact: true, events: 28 },
    });

    // Writes after the thread's death go to SQLite from this thread.
    for (let n = 29; n <= 40; n++) append(n);
    store.endSession(session.id, 'done');
    expect(store.getSession(session.id)).toMatchObject({
      head_seq: 41,
      status: 'closed',
      stats: { statements: 40 },
    });
    expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 41 });
    expect(store.listEvents(session.id).map((event) => event.seq)).toEqual(
      Array.from({ length: 41 }, (_, i) => i + 1),
    );
    expect(store.listSessions({ text: 'n33' }).map((s) => s.id)).toEqual([session.id]);
    expect(onDisk(paths().db, session.id)).toMatchObject({
      head_seq: 41,
      status: 'closed',
      events: 41,
      indexed: 40,
      statements: 40,
      chain: { intact: true, events: 41 },
    });
    expect(store.ingestStats).toMatchObject({ journalWrites: 33, transactions: 3, ops: 43 });

    store.close();
    // SQLite holds everything: the journal is gone, and the only warning is the thread's stop.
    expect(readdirSync(paths().journalDir)).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(onDisk(paths().db, session.id)).toMatchObject({ head_seq: 41, events: 41, indexed: 40 });

    // A re-open replays nothing; its own apply thread works.
    const reopenedWarnings: string[] = [];
    const reopened = Store.open(paths().db, {
      journalDir: paths().journalDir,
      warn: (message) => reopenedWarnings.push(message),
    });
    expect(reopened.ingestStats).toEqual({ journalWrites: 0, journalBytes: 0, transactions: 0, ops: 0 });
    expect(reopened.verifySession(session.id)).toMatchObject({ intact: true, events: 41 });
    reopened.reopenSession(session.id);
    expect(reopened.append(session.id, 'x.event', { n: 42 }).seq).toBe(42);
    reopened.close();
    expect(reopenedWarnings).toEqual([]);
    expect(onDisk(paths().db, session.id)).toMatchObject({
      head_seq: 42,
      events: 42,
      chain: { intact: true, events: 42 },
    });
  });

  it('keeps what the thread left while SQLite is locked at the takeover, and applies it in order once free', async () => {
    const { store, session, warnings, failThread, append } = openEngineStore({ busyTimeoutMs: 50 });
    for (let n = 1; n <= 5; n++) append(n);
    expect(store.getSession(session.id)).toMatchObject({ head_seq: 5 });
    for (let n = 6; n <= 15; n++) append(n); // held by the thread

    const other = new Database(paths().db);
    other.exec('BEGIN IMMEDIATE'); // another process holds the write lock when the thread fails
    await failThread();
    expect(warnings.join('\n')).toMatch(/apply thread stopped[\s\S]*database is locked/);
    expect(onDisk(paths().db, session.id)).toMatchObject({ head_seq: 5 });
    for (let n = 16; n <= 20; n++) append(n); // queued on this thread, behind the lines not yet applied
    other.exec('COMMIT');
    other.close();

    expect(store.getSession(session.id)).toMatchObject({ head_seq: 20, stats: { statements: 20 } });
    expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 20 });
    // Each op applied once (the thread's 6, then 15 by replay); no write refused as already applied.
    expect(store.ingestStats.ops).toBe(21);
    for (const warning of warnings)
      expect(warning).toMatch(/apply thread stopped|database is locked|took the recorded writes again/);
    store.close();
    expect(readdirSync(paths().journalDir)).toEqual([]);
    expect(onDisk(paths().db, session.id)).toMatchObject({
      head_seq: 20,
      events: 20,
      indexed: 20,
      chain: { intact: true, events: 20 },
    });
  });

  it('keeps the journal when the store closes before the takeover could apply it, for the next start', async () => {
    const { store, session, warnings, failThread, append } = openEngineStore({ busyTimeoutMs: 50 });
    for (let n = 1; n <= 5; n++) append(n);
    expect(store.getSession(session.id)).toMatchObject({ head_seq: 5 });
    for (let n = 6; n <= 15; n++) append(n); // held by the thread

    const other = new Database(paths().db);
    other.exec('BEGIN IMMEDIATE');
    await failThread();
    store.close(); // SQLite is still locked: the lines the thread left stay journaled
    other.exec('COMMIT');
    other.close();
    expect(warnings.join('\n')).toMatch(/apply thread stopped[\s\S]*database is locked/);
    expect(readdirSync(paths().journalDir)).not.toEqual([]);
    expect(onDisk(paths().db, session.id)).toMatchObject({ head_seq: 5 });

    const reopened = Store.open(paths().db, { journalDir: paths().journalDir, warn: () => {} });
    expect(reopened.ingestStats).toMatchObject({ ops: 10 }); // the ten events, replayed once
    expect(reopened.verifySession(session.id)).toMatchObject({ intact: true, events: 15 });
    reopened.close();
    expect(onDisk(paths().db, session.id)).toMatchObject({
      head_seq: 15,
      statements: 15,
      chain: { intact: true, events: 15 },
    });
  });
});
