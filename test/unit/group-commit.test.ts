import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../proxy/store/group-commit.js';
import { Store } from '../../proxy/store/store.js';
import { TEST_IDENTITY as identity } from '../helpers/identity.js';

const nextLoopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  let store: Store;
  let sessionId: string;
  beforeEach(() => {
    store = Store.open(':memory:');
    sessionId = store.createSession({
      kind: 'anthropic',
      target: 'api.anthropic.com',
      client: 'test',
      identity,
      external_id: null,
    }).id;
  });
  afterEach(() => store.close());

  /** Queues one event; returns the list its continuation pushes to once the event is durable. */
  const enqueue = (commit: GroupCommit, name: string, done: string[]) =>
    commit.enqueue(
      () => store.append(sessionId, 'x.test', { name }),
      (error) => done.push(error ? `${name} failed` : name),
    );

  it('commits a write at once when idle, and shares one commit among writes close together', async () => {
    let nowMs = 100;
    const commit = new GroupCommit(store, { now: () => nowMs });
    const done: string[] = [];
    enqueue(commit, 'lone', done);
    expect(done).toEqual(['lone']);

    // Right after a commit, others may be writing too: the next writes wait for the end of the loop turn.
    enqueue(commit, 'a', done);
    enqueue(commit, 'b', done);
    expect(done).toEqual(['lone']);
    await nextLoopTurn();
    expect(done).toEqual(['lone', 'a', 'b']);
    expect(commit.stats).toEqual({ batches: 2, writes: 3 });

    nowMs += 1.5;
    enqueue(commit, 'after a quiet moment', done);
    expect(done.at(-1)).toBe('after a quiet moment');
    expect(store.listEvents(sessionId).map((e) => e.payload)).toEqual([
      { name: 'lone' },
      { name: 'a' },
      { name: 'b' },
      { name: 'after a quiet moment' },
    ]);
  });

  it('commits at once right after another commit when its owner says nobody else is writing', async () => {
    let alone = true;
    const commit = new GroupCommit(store, { alone: () => alone, now: () => 100 });
    const done: string[] = [];
    enqueue(commit, 'first', done);
    enqueue(commit, 'second', done);
    expect(done).toEqual(['first', 'second']);

    alone = false;
    enqueue(commit, 'third', done);
    expect(done).toEqual(['first', 'second']);
    await nextLoopTurn();
    expect(done).toEqual(['first', 'second', 'third']);
    expect(commit.stats).toEqual({ batches: 3, writes: 3 });
  });

  it('runs the continuations of a batch in order, even when one queues a write while its owner is alone', async () => {
    let alone = false;
    const commit = new GroupCommit(store, { alone: () => alone, now: () => 100 });
    const done: string[] = [];
    enqueue(commit, 'warm-up', done);
    commit.enqueue(
      () => store.append(sessionId, 'x.test', { name: 'b1' }),
      () => {
        done.push('b1');
        enqueue(commit, 'c', done);
      },
    );
    enqueue(commit, 'b2', done);
    alone = true;
    await nextLoopTurn();
    expect(done).toEqual(['warm-up', 'b1', 'b2']);
    await nextLoopTurn();
    expect(done).toEqual(['warm-up', 'b1', 'b2', 'c']);
    expect(store.listEvents(sessionId).map((e) => e.payload)).toEqual(
      ['warm-up', 'b1', 'b2', 'c'].map((name) => ({ name })),
    );
  });

  it('runs a continuation with the error when its write fails, and commits the others in the batch', async () => {
    const commit = new GroupCommit(store, { alone: () => false, now: () => 100 });
    const done: string[] = [];
    enqueue(commit, 'warm-up', done);
    commit.enqueue(
      () => store.append(sessionId, 'x.test', { bad: 1n }),
      (error) => done.push(error ? 'bad failed' : 'bad'),
    );
    enqueue(commit, 'good', done);
    await nextLoopTurn();
    expect(done).toEqual(['warm-up', 'bad failed', 'good']);
    expect(store.verifySession(sessionId)).toMatchObject({ intact: true, events: 2 });
  });
});
