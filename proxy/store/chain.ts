import { hash } from 'node:crypto';

/**
 * The per-session SHA-256 hash chain of shared/DESIGN.md:
 *   hash = sha256(prev_hash + "\n" + canonical_json({seq, ts, kind, payload}))
 * with prev_hash of the first event = the session id. `payloadJson` must already be canonical JSON
 * (the store keeps payloads that way), so the object is assembled by string concatenation with its keys
 * in sorted order: kind, payload, seq, ts.
 * @returns lowercase hex digest (64 characters)
 */
export function chainHash(
  prevHash: string,
  seq: number,
  ts: number,
  kind: string,
  payloadJson: string,
): string {
  const body = `{"kind":${JSON.stringify(kind)},"payload":${payloadJson},"seq":${seq},"ts":${ts}}`;
  // crypto.hash: one call, no Hash object (UTF-8, like Hash#update with a string).
  return hash('sha256', `${prevHash}\n${body}`, 'hex');
}

/** One stored event as the chain check needs it. */
export interface ChainLink {
  seq: number;
  ts: number;
  kind: string;
  payload: string;
  hash: string;
}

/** Result of checking a session's chain: intact, or the first `seq` whose hash or position does not hold. */
export type ChainVerdict =
  | { intact: true; events: number; headHash: string }
  | { intact: false; events: number; brokenAtSeq: number; reason: string };

/**
 * Recomputes a session's chain from its events in `seq` order and compares it with the stored hashes and the
 * session's recorded head. Detects edited payloads, reordered, missing or inserted events, and truncation
 * of the tail (via `expectedHead`).
 */
export function verifyChain(
  sessionId: string,
  links: Iterable<ChainLink>,
  expectedHead: { seq: number; hash: string },
): ChainVerdict {
  let prev = sessionId;
  let expectedSeq = 1;
  let count = 0;
  for (const link of links) {
    count++;
    if (link.seq !== expectedSeq) {
      return {
        intact: false,
        events: count,
        brokenAtSeq: expectedSeq,
        reason: `event seq ${expectedSeq} is missing`,
      };
    }
    const computed = chainHash(prev, link.seq, link.ts, link.kind, link.payload);
    if (computed !== link.hash) {
      return {
        intact: false,
        events: count,
        brokenAtSeq: link.seq,
        reason: 'stored hash does not match the event',
      };
    }
    prev = computed;
    expectedSeq++;
  }
  if (count !== expectedHead.seq || prev !== expectedHead.hash) {
    return {
      intact: false,
      events: count,
      brokenAtSeq: Math.min(count, expectedHead.seq) + 1,
      reason: `the session head says ${expectedHead.seq} events but the chain has ${count}`,
    };
  }
  return { intact: true, events: count, headHash: prev };
}
