import { spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../proxy/anthropic/body.js';
import { JsonText } from '../../proxy/common/json-text.js';
import { chainHash } from '../../proxy/store/chain.js';
import { Journal } from '../../proxy/store/journal.js';
import { encodeOps, journalLineText } from '../../proxy/store/journal-line.js';
import type { StoreOp } from '../../proxy/store/ops.js';
import { Store } from '../../proxy/store/store.js';
import type { StoreChange } from '../../proxy/store/types.js';
import { useStoreHome } from '../helpers/files.js';
import { TEST_IDENTITY as identity } from '../helpers/identity.js';
import { collectOutput } from '../helpers/process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface WriterReport {
  session: string;
  last: string;
  stats: { journalWrites: number; transactions: number; ops: number };
}

/** Runs test/helpers/journal-writer.ts, which appends `count` events and then SIGKILLs itself. */
async function writeAndDie(home: string, count: number): Promise<WriterReport> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/journal-writer.ts', home, String(count)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = await collectOutput(child);
  expect(child.signalCode, output.stderr).toBe('SIGKILL');
  return JSON.parse(output.stdout) as WriterReport;
}

describe('write-ahead journal', () => {
  const paths = useStoreHome('glassbox-journal-');

  it('replays writes SQLite had not applied when the writer was killed, exactly once', async () => {
    const report = await writeAndDie(paths().home, 500);
    // The writer made its writes durable in the journal only: one line per batch, no SQLite transaction.
    expect(report.stats).toMatchObject({ journalWrites: 51, transactions: 0 });

    const reader = Store.open(paths().db);
    expect(reader.getSession(report.session)).toBeUndefined();
    reader.close();

    const store = Store.open(paths().db, { journalDir: paths().journalDir });
    expect(store.getSession(report.session)).toMatchObject({
      head_seq: 500,
      head_hash: report.last,
      stats: { statements: 500 },
    });
    expect(store.verifySession(report.session)).toMatchObject({ intact: true, events: 500 });
    expect(store.listSessions({ text: 'journal_word_377' }).map((s) => s.id)).toEqual([report.session]);
    store.close();
    // Closed cleanly, SQLite holds everything: the journal files are gone.
    expect(readdirSync(paths().journalDir)).toEqual([]);

    const again = Store.open(paths().db, { journalDir: paths().journalDir });
    expect(again.getSession(report.session)).toMatchObject({ head_seq: 500, stats: { statements: 500 } });
    expect(again.append(report.session, 'pg.statement', { sql: 'SELECT 1' }).seq).toBe(501);
    again.close();
    const last = Store.open(paths().db);
    expect(last.verifySession(report.session)).toMatchObject({ intact: true, events: 501 });
    last.close();
  });

  it('drops a torn last line and keeps every complete one before it', async () => {
    const report = await writeAndDie(paths().home, 50);
    const [file] = readdirSync(paths().journalDir);
    appendFileSync(join(paths().journalDir, file!), '[{"op":"event","session_id":"');
    const store = Store.open(paths().db, { journalDir: paths().journalDir });
    expect(store.getSession(report.session)).toMatchObject({ head_seq: 50, head_hash: report.last });
    expect(store.verifySession(report.session)).toMatchObject({ intact: true });
    store.close();
  });

  it('continues in a new file past the rotation size and deletes the files SQLite holds', () => {
    const store = Store.open(paths().db, { journalDir: paths().journalDir, journalRotateBytes: 2_000 });
    const session = store.createSession({
      kind: 'http',
      target: 'rotation',
      client: null,
      identity,
      external_id: null,
    });
    const generations = new Set<string>();
    for (let i = 0; i < 200; i++) {
      store.append(session.id, 'x.event', { i, padding: 'x'.repeat(100) });
      store.getSession(session.id); // a read applies the queue, which lets the journal rotate
      for (const name of readdirSync(paths().journalDir)) generations.add(name);
      expect(readdirSync(paths().journalDir).length).toBeLessThanOrEqual(2);
    }
    expect(generations.size).toBeGreaterThan(5);
    store.close();
    const reopened = Store.open(paths().db, { journalDir: paths().journalDir });
    expect(reopened.verifySession(session.id)).toMatchObject({ intact: true, events: 200 });
    reopened.close();
  });

  it('answers external session ids from memory for its own sessions and from SQLite for earlier ones', () => {
    const first = Store.open(paths().db, { journalDir: paths().journalDir });
    const earlier = first.createSession({
      kind: 'anthropic',
      target: 't',
      client: null,
      identity,
      external_id: 'x-1',
    });
    first.close();
    const store = Store.open(paths().db, { journalDir: paths().journalDir, applyDelayMs: 60_000 });
    expect(store.externalSessionId('anthropic', 'x-1')).toBe(earlier.id);
    const newer = store.createSession({
      kind: 'anthropic',
      target: 't',
      client: null,
      identity,
      external_id: 'x-1',
    });
    // Not yet in SQLite (the apply thread waits up to a minute), yet found, and the newest wins.
    expect(store.externalSessionId('anthropic', 'x-1')).toBe(newer.id);
    expect(store.externalSessionId('postgres', 'x-1')).toBeUndefined();
    expect(store.findByExternalId('anthropic', 'x-1')?.id).toBe(newer.id);
    store.close();
  });

  it('keeps writes queued while another process holds SQLite, and applies them once it lets go', async () => {
    const store = Store.open(paths().db, {
      journalDir: paths().journalDir,
      applyDelayMs: 5,
      busyTimeoutMs: 50,
    });
    const session = store.createSession({
      kind: 'http',
      target: 'busy',
      client: null,
      identity,
      external_id: null,
    });
    store.getSession(session.id); // the session row is in SQLite
    const other = new Database(paths().db);
    other.exec('BEGIN IMMEDIATE'); // another process takes the write lock
    store.append(session.id, 'x.one', { n: 1 });
    store.append(session.id, 'x.two', { n: 2 });
    // The apply thread fails for a while (busy after 50 ms) and retries every 100 ms; nothing is dropped.
    await new Promise((resolve) => setTimeout(resolve, 400));
    other.exec('COMMIT');
    other.close();
    expect(store.getSession(session.id)).toMatchObject({ head_seq: 2 });
    expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 2 });
    store.close();
  });

  it('announces a session row only once SQLite holds its change, so the last announcement is the final state', async () => {
    const store = Store.open(paths().db, { journalDir: paths().journalDir, applyDelayMs: 5 });
    const seen: StoreChange[] = [];
    store.subscribe((change) => seen.push(change));
    const session = store.createSession({
      kind: 'http',
      target: 'feed',
      client: null,
      identity,
      external_id: null,
    });
    store.append(session.id, 'x.one', { n: 1 });
    await new Promise((resolve) => setImmediate(resolve)); // the first line goes to the thread
    store.endSession(session.id, 'done');
    const last = () =>
      seen.filter((c): c is Extract<StoreChange, { type: 'session' }> => c.type === 'session').at(-1)
        ?.session;
    await expect.poll(() => last()?.status, { timeout: 2_000 }).toBe('closed');
    expect(last()).toMatchObject({ head_seq: 2, status: 'closed' });
    store.close();
  });
});

describe('chain hashes derived when SQLite takes an event', () => {
  const paths = useStoreHome('glassbox-chain-');

  const openSession = (store: Store, kind: 'anthropic' | 'postgres') =>
    store.createSession({ kind, target: 't', client: 'c', identity, external_id: null });

  for (const journaled of [false, true]) {
    it(`stores canonical payloads with the hashes DESIGN.md defines (${journaled ? 'journal and apply thread' : 'straight to SQLite'})`, () => {
      const store = Store.open(paths().db, journaled ? { journalDir: paths().journalDir } : {});
      const session = openSession(store, 'anthropic');
      const first = store.append(session.id, 'x.one', { b: [2, { d: 1, c: 'é' }], a: 1 });
      let deep: unknown = 'bottom';
      for (let i = 0; i < 600; i++) deep = [deep];
      const second = store.append(session.id, 'x.deep', { deep });
      const third = store.append(session.id, 'x.after', { fine: true });
      const events = store.listEvents(session.id);
      store.close();

      const rows = new Database(paths().db, { readonly: true })
        .prepare('SELECT seq, payload, hash FROM events WHERE session_id = ? ORDER BY seq')
        .all(session.id) as Array<{ seq: number; payload: string; hash: string }>;
      expect(rows[0]!.payload).toBe('{"a":1,"b":[2,{"c":"é","d":1}]}');
      // A payload with no canonical form takes an error note's place: the chain has no hole and goes on.
      expect(JSON.parse(rows[1]!.payload)).toMatchObject({
        glassbox_error: expect.stringMatching(/canonical JSON/),
      });
      let previous = session.id;
      for (const [i, appended] of [first, second, third].entries()) {
        const expected = chainHash(previous, appended.seq, appended.ts, events[i]!.kind, rows[i]!.payload);
        expect(rows[i]!.hash).toBe(expected);
        previous = expected;
      }
      const reopened = Store.open(paths().db);
      expect(reopened.verifySession(session.id)).toMatchObject({ intact: true, events: 3 });
      reopened.close();
    });
  }

  it('replays journal lines written before hashes moved to apply time (canonical payload and hash in the line)', () => {
    const store = Store.open(paths().db, { journalDir: paths().journalDir });
    const session = openSession(store, 'postgres');
    store.append(session.id, 'x.new', { n: 1 });
    store.close();
    // One line as an earlier version wrote it: the op carries the canonical payload text and its hash.
    const db = new Database(paths().db, { readonly: true });
    const head = db.prepare('SELECT head_hash FROM sessions WHERE id = ?').get(session.id) as {
      head_hash: string;
    };
    const applied = db.prepare('SELECT generation, byte_offset AS offset FROM journal_state').get() as {
      generation: number;
      offset: number;
    };
    db.close();
    const payload = '{"sql":"select 1"}';
    const ts = Date.now() * 1000;
    const op = {
      op: 'event',
      session_id: session.id,
      seq: 2,
      ts,
      kind: 'pg.statement',
      payload,
      hash: chainHash(head.head_hash, 2, ts, 'pg.statement', payload),
      stats: '{}',
    };
    const journal = Journal.open(paths().journalDir, applied);
    journal.append(JSON.stringify([op]));
    journal.close(false);

    const reopened = Store.open(paths().db, { journalDir: paths().journalDir });
    const events = reopened.listEvents(session.id);
    expect(events.map((e) => [e.kind, e.hash])).toEqual([
      ['x.new', expect.any(String)],
      ['pg.statement', op.hash],
    ]);
    expect(reopened.verifySession(session.id)).toMatchObject({ intact: true, events: 2 });
    reopened.close();
  });

  it('keeps a request body whose JSON text has line breaks (pretty-printed) to one journal line', async () => {
    let failThread: (() => Promise<void>) | undefined;
    const warnings: string[] = [];
    const store = Store.open(paths().db, {
      journalDir: paths().journalDir,
      applyDelayMs: 60_000,
      warn: (message) => warnings.push(message),
      onApplyThreadStart: (fail) => {
        failThread = fail;
      },
    });
    const session = openSession(store, 'anthropic');
    // The proxy's way: the body's JSON text and bytes from readBody, spliced in unchanged (JsonText), once as
    // text and once as bytes.
    const body = '{\n  "model": "claude-sonnet-4-5",\n  "messages": [\n    "a\\nb"\n  ]\n}\n';
    const { json, jsonBytes } = readBody(
      Buffer.from(body),
      Buffer.byteLength(body),
      'application/json',
      1 << 20,
    );
    expect(json).not.toContain('\n');
    expect(jsonBytes!.includes(0x0a)).toBe(false);
    store.append(session.id, 'http.request', JsonText.of(`{"method":"POST","body":${json}}`));
    const pieces = [Buffer.from('{"method":"POST","body":'), jsonBytes!, Buffer.from('}')];
    store.append(session.id, 'http.request', JsonText.of(`{"method":"POST","body":${json}}`, pieces));
    store.append(session.id, 'x.after', { n: 2 });
    // The apply thread held both lines (one-minute delay); its failure makes this thread replay the journal.
    await failThread!();
    expect(warnings).toEqual([expect.stringMatching(/apply thread stopped/)]);
    const request = { method: 'POST', body: { model: 'claude-sonnet-4-5', messages: ['a\nb'] } };
    expect(store.listEvents(session.id).map((e) => [e.kind, e.payload])).toEqual([
      ['http.request', request],
      ['http.request', request],
      ['x.after', { n: 2 }],
    ]);
    expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 3 });
    store.close();
  });

  it('writes a payload given as bytes byte for byte as its text, and reads it back through the thread', () => {
    const body = JSON.stringify({ text: 'café 🦊 naïve', n: [1, 2.5, null], quote: '"\\' });
    const before = '{"method":"POST","body":';
    const payload = (bytes: boolean) =>
      JsonText.of(
        `${before}${body}}`,
        bytes ? [Buffer.from(before), Buffer.from(body), Buffer.from('}')] : undefined,
      );
    // One line with an event given as bytes between ops given as text encodes to the text line's bytes.
    const ops = (bytes: boolean): StoreOp[] => [
      { op: 'reopen', session_id: 's' },
      {
        op: 'event',
        session_id: 's',
        seq: 1,
        ts: 1,
        kind: 'http.request',
        payload: payload(bytes),
        stats: '{}',
      },
      { op: 'event', session_id: 's', seq: 2, ts: 2, kind: 'x', payload: '{"é":1}', stats: '{}' },
    ];
    const asText = encodeOps(ops(false));
    const asBytes = encodeOps(ops(true));
    expect(typeof asText).toBe('string');
    expect(Array.isArray(asBytes)).toBe(true);
    expect(Buffer.concat(asBytes as Buffer[]).equals(Buffer.from(asText as string))).toBe(true);
    expect(journalLineText(asBytes)).toBe(asText);

    // Through a store: journaled as bytes, applied by the apply thread, the chain intact.
    const store = Store.open(paths().db, { journalDir: paths().journalDir });
    const session = openSession(store, 'anthropic');
    store.append(session.id, 'http.request', payload(true));
    const journal = Buffer.concat(
      readdirSync(paths().journalDir).map((name) => readFileSync(join(paths().journalDir, name))),
    );
    expect(journal.includes(Buffer.from(body))).toBe(true);
    expect(store.listEvents(session.id).map((e) => e.payload)).toEqual([
      { method: 'POST', body: JSON.parse(body) },
    ]);
    expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 1 });
    store.close();
  });
});
