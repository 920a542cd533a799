import type { Store } from './store.js';
import type { UnansweredRule } from './types.js';

/**
 * Start-up recovery, run only by the engine holding the lock, before it serves anything. Every request
 * recorded without an outcome gets exactly one (the outcome events it appends are what later runs find, so a
 * second run seals nothing again):
 *  - in every session left `live` by a dead engine, requests matching an `unanswered` rule get an outcome
 *    `interrupted`, every exchange still in flight is sealed as `interrupted` with its partial outcome kept,
 *    and the session becomes `interrupted`;
 *  - in sessions that ended while the store refused writes (a full disk), requests whose outcome was lost —
 *    found through the rule's `awaiting` counter — and exchanges left in flight are sealed as
 *    `recording_failed`.
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
    sealUnanswered(store, id, unanswered, 'interrupted');
    sealInflight(store, id, 'interrupted', requestText);
    store.endSession(id, 'interrupted', 'interrupted');
  }
  const counted = unanswered.filter((rule) => rule.awaiting !== undefined);
  for (const id of store.endedSessionsToSeal(counted.map((rule) => rule.awaiting!))) {
    sealUnanswered(store, id, counted, 'recording_failed');
    sealInflight(store, id, 'recording_failed', requestText);
  }
  return live.length;
}

/** Appends an outcome for each request of `id` that no outcome answers. */
function sealUnanswered(
  store: Store,
  id: string,
  rules: readonly UnansweredRule[],
  outcome: 'interrupted' | 'recording_failed',
): void {
  for (const rule of rules) {
    const stats: Record<string, number> = { errors: 1 };
    if (rule.awaiting) stats[rule.awaiting] = -1;
    for (const seq of store.unansweredRequests(id, rule)) {
      const payload =
        outcome === 'recording_failed' && rule.lost ? rule.lost(seq) : { [rule.ref]: seq, outcome };
      store.append(id, rule.outcome, payload, { stats });
    }
  }
}

/** Seals every exchange of `id` still in flight with `outcome`, keeping its partial outcome. */
function sealInflight(
  store: Store,
  id: string,
  outcome: 'interrupted' | 'recording_failed',
  requestText?: (payload: unknown) => string | undefined,
): void {
  for (const exchange of store.inflight(id)) {
    const partial = (exchange.partial ?? {}) as Record<string, unknown>;
    // The request's text again (the same as any given with it), for one whose body was read after forwarding.
    const request = requestText ? store.listEvents(id, exchange.request_seq - 1, 1)[0] : undefined;
    store.sealInflight(
      id,
      exchange.request_seq,
      exchange.kind,
      // The record's own key names the request: a partial written by an older build may say 0 there.
      { ...partial, request_seq: exchange.request_seq, outcome },
      {
        ts: exchange.updated_at,
        stats: { errors: 1 },
        requestText: request && requestText ? requestText(request.payload) : undefined,
      },
    );
  }
}
