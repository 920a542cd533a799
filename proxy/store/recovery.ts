import type { Store } from './store.js';
import type { UnansweredRule } from './types.js';

/**
 * Start-up recovery after a dead engine: in every session left `live`, requests matching an `unanswered`
 * rule that have no outcome get one with outcome `interrupted`, every exchange still in flight is sealed as
 * `interrupted` with its partial outcome kept, and the session becomes `interrupted`. Run only by the engine
 * holding the lock, before it serves anything.
 * @returns the number of sessions marked interrupted
 */
export function recoverInterrupted(
  store: Store,
  unanswered: readonly UnansweredRule[] = [],
  /** Search text of a request from its recorded payload (one whose body was read after forwarding has none). */
  requestText?: (payload: unknown) => string | undefined,
): number {
  const live = store.liveSessionIds();
  for (const id of live) {
    for (const rule of unanswered) {
      for (const seq of store.unansweredRequests(id, rule)) {
        store.append(id, rule.outcome, { [rule.ref]: seq, outcome: 'interrupted' }, { stats: { errors: 1 } });
      }
    }
    for (const exchange of store.inflight(id)) {
      const partial = (exchange.partial ?? {}) as Record<string, unknown>;
      // The request's text again (the same as any given with it), for one whose body was read after forwarding.
      const request = requestText ? store.listEvents(id, exchange.request_seq - 1, 1)[0] : undefined;
      store.sealInflight(
        id,
        exchange.request_seq,
        exchange.kind,
        // The record's own key names the request: a partial written by an older build may say 0 there.
        { ...partial, request_seq: exchange.request_seq, outcome: 'interrupted' },
        {
          ts: exchange.updated_at,
          stats: { errors: 1 },
          requestText: request && requestText ? requestText(request.payload) : undefined,
        },
      );
    }
    store.endSession(id, 'interrupted', 'interrupted');
  }
  return live.length;
}
