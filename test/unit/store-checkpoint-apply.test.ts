/**
 * How the apply thread takes checkpoints of replies in flight (apply-worker.ts): they are durable in the
 * journal, so a queue of nothing else waits for more before SQLite takes it (each SQLite transaction writes
 * whole pages), while any other write, and any read, has them applied at once and in order.
 */
import { describe, expect, it } from 'vitest';
import { Store } from '../../proxy/store/store.js';
import { useStoreHome } from '../helpers/files.js';
import { TEST_IDENTITY as IDENTITY } from '../helpers/identity.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('checkpoints on the apply thread', () => {
  const paths = useStoreHome('glassbox-checkpoint-apply-');

  it('applies a queue of checkpoints alone in one transaction when read, and with the next other write', async () => {
    const store = Store.open(paths().db, { journalDir: paths().journalDir, applyDelayMs: 1 });
    try {
      const session = store.createSession({
        kind: 'anthropic',
        target: 'checkpoints',
        client: null,
        identity: IDENTITY,
        external_id: null,
      });
      const request = store.appendRequest(session.id, 'http.request', {}, 'llm.turn', (seq) => ({
        request_seq: seq,
        outcome: 'streaming',
      }));
      await expect.poll(() => store.ingestStats.ops).toBe(2);
      const applied = store.ingestStats.transactions;

      // Thirty checkpoints in thirty loop turns: a 1 ms apply delay would have made thirty transactions.
      store.appendInflightParts(session.id, request.seq, [
        { at: ['response', 'content', 0], set: { type: 'text' } },
      ]);
      for (let i = 0; i < 30; i++) {
        store.appendInflightParts(session.id, request.seq, [
          { at: ['response', 'content', 0, 'text'], append: `${i} ` },
        ]);
        await tick();
      }
      expect(store.ingestStats.transactions).toBe(applied);

      // A read has them applied, in one transaction, in order.
      const text = Array.from({ length: 30 }, (_, i) => `${i} `).join('');
      expect(store.inflight(session.id)).toMatchObject([{ partial: { response: { content: [{ text }] } } }]);
      await expect.poll(() => store.ingestStats.transactions).toBe(applied + 1);

      // Checkpoints queued again go with the next other write, without a read.
      store.appendInflightParts(session.id, request.seq, [
        { at: ['response', 'content', 0, 'text'], append: 'end' },
      ]);
      await tick();
      store.append(session.id, 'x.other', {});
      await expect.poll(() => store.ingestStats.ops).toBe(2 + 31 + 2);
      expect(store.ingestStats.transactions).toBe(applied + 2);
      expect(store.inflight(session.id)[0]!.partial).toMatchObject({
        response: { content: [{ text: `${text}end` }] },
      });
    } finally {
      store.close();
    }
  });
});
