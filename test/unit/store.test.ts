import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recoverInterrupted } from '../../proxy/store/recovery.js';
import { Store } from '../../proxy/store/store.js';
import { TEST_IDENTITY as identity } from '../helpers/identity.js';

describe('Store', () => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(':memory:');
  });
  afterEach(() => store.close());

  const newSession = (external_id: string | null = null) =>
    store.createSession({
      kind: 'anthropic',
      target: 'api.anthropic.com',
      client: 'test',
      identity,
      external_id,
    });

  it('appends in seq order, advances the head and keeps the chain verifiable', () => {
    const session = newSession();
    const a = store.append(session.id, 'x.one', { b: 2, a: 1 }, { stats: { requests: 1 } });
    const b = store.append(
      session.id,
      'x.two',
      { n: 'two' },
      { stats: { requests: 1, cost_usd: 0.0000015 } },
    );
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(b.ts).toBeGreaterThanOrEqual(a.ts);
    const after = store.getSession(session.id)!;
    expect(after).toMatchObject({
      head_seq: 2,
      head_hash: store.listEvents(session.id).at(-1)!.hash,
      stats: { requests: 2, cost_usd: 0.000002 },
    });
    expect(store.listEvents(session.id).map((e) => e.payload)).toEqual([{ a: 1, b: 2 }, { n: 'two' }]);
    expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 2 });
  });

  it('leaves no hole in the chain when a write fails before it is made', () => {
    const session = newSession();
    expect(() =>
      store.appendRequest(session.id, 'http.request', {}, 'llm.turn', () => ({ unserialisable: 1n })),
    ).toThrow();
    expect(store.append(session.id, 'x.after', {}).seq).toBe(1);
    expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 1 });
  });

  it('refuses to append to an unknown session', () => {
    expect(() => store.append('NOPE', 'x', {})).toThrow(/unknown session/);
  });

  it('keeps in-flight exchanges out of the chain until sealed, and seals them as interrupted on recovery', () => {
    const session = newSession();
    const request = store.appendRequest(
      session.id,
      'http.request',
      { path: '/v1/messages' },
      'llm.turn',
      (requestSeq) => ({ request_seq: requestSeq, outcome: 'streaming' }),
    );
    store.appendInflightParts(session.id, request.seq, [
      { at: ['response', 'content', 0], set: { type: 'text' } },
    ]);
    store.appendInflightParts(session.id, request.seq, [
      { at: ['response', 'content', 0, 'text'], append: 'pa' },
      { at: ['response', 'content', 0, 'text'], append: 'r' },
    ]);
    expect(store.inflight(session.id)).toMatchObject([
      {
        request_seq: request.seq,
        partial: { outcome: 'streaming', response: { content: [{ text: 'par' }] } },
      },
    ]);
    expect(store.getSession(session.id)!.head_seq).toBe(1);
    // A later read adds the newer checkpoints; what a caller does with its copy changes nothing stored.
    const read = store.inflight(session.id)[0]!.partial as { response: { content: Array<{ text: string }> } };
    read.response.content[0]!.text = 'changed by a caller';
    store.appendInflightParts(session.id, request.seq, [
      { at: ['response', 'content', 0, 'text'], append: 'tial' },
    ]);
    expect(store.inflight(session.id)[0]!.partial).toMatchObject({
      response: { content: [{ text: 'partial' }] },
    });

    expect(recoverInterrupted(store)).toBe(1);
    const events = store.listEvents(session.id);
    expect(events.map((e) => e.kind)).toEqual(['http.request', 'llm.turn', 'session.end']);
    expect(events[1]!.payload).toMatchObject({
      outcome: 'interrupted',
      response: { content: [{ text: 'partial' }] },
    });
    expect(store.getSession(session.id)).toMatchObject({ status: 'interrupted', stats: { errors: 1 } });
    expect(store.inflight(session.id)).toEqual([]);
    expect(store.verifySession(session.id).intact).toBe(true);
  });

  it('names the request in an outcome recovered before any checkpoint, even from a record saying 0', () => {
    const session = newSession();
    store.append(session.id, 'x.before', {});
    const fresh = store.appendRequest(session.id, 'http.request', {}, 'llm.turn', (requestSeq) => ({
      request_seq: requestSeq,
      outcome: 'streaming',
    }));
    expect(store.inflight(session.id)[0]!.partial).toEqual({ request_seq: fresh.seq, outcome: 'streaming' });
    // As an older build wrote it: a placeholder seq in the partial.
    const old = store.appendRequest(session.id, 'http.request', {}, 'llm.turn', () => ({
      request_seq: 0,
      outcome: 'streaming',
    }));
    expect(recoverInterrupted(store)).toBe(1);
    const turns = store.listEvents(session.id).filter((e) => e.kind === 'llm.turn');
    expect(turns.map((e) => e.payload)).toEqual([
      { request_seq: fresh.seq, outcome: 'interrupted' },
      { request_seq: old.seq, outcome: 'interrupted' },
    ]);
  });

  it('answers requests left without an outcome by a crash, per rule, without touching answered ones', () => {
    const session = store.createSession({
      kind: 'postgres',
      target: 'db',
      client: null,
      identity,
      external_id: null,
    });
    const answered = store.append(session.id, 'pg.statement', { sql: 'select 1' });
    store.append(session.id, 'pg.result', { statement_seq: answered.seq, outcome: 'complete' });
    const cut = store.append(session.id, 'pg.statement', { sql: 'select pg_sleep(60)' });
    expect(
      recoverInterrupted(store, [{ request: 'pg.statement', outcome: 'pg.result', ref: 'statement_seq' }]),
    ).toBe(1);
    const results = store
      .listEvents(session.id)
      .filter((e) => e.kind === 'pg.result')
      .map((e) => e.payload);
    expect(results).toEqual([
      { statement_seq: answered.seq, outcome: 'complete' },
      { statement_seq: cut.seq, outcome: 'interrupted' },
    ]);
    expect(store.getSession(session.id)).toMatchObject({ status: 'interrupted', stats: { errors: 1 } });
    expect(store.verifySession(session.id).intact).toBe(true);
  });

  it('finds sessions by external id, id prefix and full-text search', () => {
    const one = newSession('cc-session-1');
    const two = newSession();
    store.append(one.id, 'llm.turn', {}, { text: 'please refactor the payment module' });
    store.append(two.id, 'llm.turn', {}, { text: 'drop table users; -- "quoted" (parens)' });
    expect(store.findByExternalId('anthropic', 'cc-session-1')!.id).toBe(one.id);
    expect(store.resolveSession('cc-session-1')).toMatchObject({ id: one.id });
    expect(store.resolveSession(two.id.toLowerCase())).toMatchObject({ id: two.id });
    const older = store.createSession(
      { kind: 'anthropic', target: 't', client: null, identity, external_id: null },
      1_000_000,
    );
    expect(store.resolveSession(older.id.slice(0, 10))).toMatchObject({ id: older.id });
    expect(store.resolveSession('ZZZZZZZZ')).toBeUndefined();
    // Ids from the same millisecond share their first 10 characters: such a prefix is ambiguous.
    const sameMs = store.createSession(
      { kind: 'anthropic', target: 't', client: null, identity, external_id: null },
      1_000_000,
    );
    expect(store.resolveSession(sameMs.id.slice(0, 10))).toHaveLength(2);
    // A short prefix shared by several sessions is ambiguous, not "no match"; a LIKE wildcard is no prefix.
    expect(store.resolveSession(sameMs.id.slice(0, 4))).toHaveLength(2);
    expect(store.resolveSession('%')).toBeUndefined();
    expect(store.listSessions({ text: 'payment' }).map((s) => s.id)).toEqual([one.id]);
    expect(store.listSessions({ text: 'refac' }).map((s) => s.id)).toEqual([one.id]);
    expect(store.listSessions({ text: 'users; -- "quoted" (parens' }).map((s) => s.id)).toEqual([two.id]);
    // Nothing searchable in the query means no text filter at all.
    expect(store.listSessions({ text: '"' })).toHaveLength(4);
  });

  it('lists newest first with paging and filters', () => {
    const ids = [1, 2, 3].map(
      (i) =>
        store.createSession(
          { kind: 'anthropic', target: 't', client: null, identity, external_id: null },
          1_000_000 * i,
        ).id,
    );
    expect(store.listSessions().map((s) => s.id)).toEqual([...ids].reverse());
    expect(store.listSessions({ limit: 1, before: 3_000_000 }).map((s) => s.id)).toEqual([ids[1]]);
    store.endSession(ids[0]!, 'test');
    expect(store.listSessions({ status: 'closed' }).map((s) => s.id)).toEqual([ids[0]]);
  });

  it('notifies subscribers of sessions and events, and survives a throwing subscriber', () => {
    const seen: string[] = [];
    store.subscribe(() => {
      throw new Error('bad subscriber');
    });
    store.subscribe((change) =>
      seen.push(change.type === 'event' ? `event:${change.kind}` : `session:${change.session.status}`),
    );
    const session = newSession();
    store.append(session.id, 'x', {});
    store.endSession(session.id, 'done');
    expect(seen).toEqual(['session:live', 'event:x', 'event:session.end', 'session:closed']);
  });
});

describe('full-text search', () => {
  it('finds words joined by underscores or dots, as the tokenizer splits them, and never throws on input', () => {
    const store = Store.open(':memory:');
    const session = store.createSession({
      kind: 'postgres',
      target: 'db',
      client: null,
      identity,
      external_id: null,
    });
    store.append(
      session.id,
      'pg.statement',
      {},
      { text: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1' },
    );
    for (const query of ['pgbench_accounts', 'pgbench_acc', 'ABALANCE', 'aid = $1']) {
      expect(store.listSessions({ text: query }).map((s) => s.id)).toEqual([session.id]);
    }
    for (const query of ['"unbalanced', 'NEAR(', '*', 'pgbench_missing']) {
      expect(store.listSessions({ text: query })).toHaveLength(query === '*' ? 1 : 0);
    }
    store.close();
  });
});
