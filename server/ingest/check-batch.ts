/**
 * The server's check of a mirrored batch against what it already holds (DESIGN.md, "Team server and
 * mirroring"): pure, so the rules are readable and testable without a database. Each event's hash is
 * recomputed from the server's own previous hash and the event's canonical JSON (proxy/sync/protocol.ts,
 * chainHash); the sender's hash is never trusted.
 */
import { canonicalJson, chainHash, type SessionHead, type WireEvent } from '../../proxy/sync/protocol.js';

/** An event that passed, ready to store: `payload` is the canonical JSON text its hash covers. */
export interface CheckedEvent {
  seq: number;
  ts: number;
  kind: string;
  payload: string;
  hash: string;
  /** The parsed payload, for deriving search text. */
  value: unknown;
}

/** The verdict on a batch. */
export type BatchVerdict =
  | { type: 'accept'; fresh: CheckedEvent[]; duplicates: number }
  | { type: 'gap'; head: SessionHead }
  | { type: 'hash_conflict'; seq: number; storedHash: string; receivedHash: string }
  | { type: 'bad_chain'; seq: number; receivedHash: string; reason: string };

/**
 * Checks `events` (in the order sent) against the session's head and, for events at seqs the server already
 * has, their stored hashes.
 * @param storedHashes hash by seq of the stored events the batch overlaps (seq ≤ head.seq)
 */
export function checkBatch(
  head: SessionHead,
  events: readonly WireEvent[],
  storedHashes: ReadonlyMap<number, string>,
): BatchVerdict {
  const first = events[0]!;
  if (first.seq > head.seq + 1) return { type: 'gap', head };
  let prev = head.hash;
  let duplicates = 0;
  const fresh: CheckedEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (i > 0 && event.seq !== events[i - 1]!.seq + 1)
      return {
        type: 'bad_chain',
        seq: event.seq,
        receivedHash: event.hash,
        reason: `seq ${event.seq} follows seq ${events[i - 1]!.seq} in the batch; events must be consecutive`,
      };
    if (event.seq <= head.seq) {
      const stored = storedHashes.get(event.seq);
      if (stored !== event.hash)
        return { type: 'hash_conflict', seq: event.seq, storedHash: stored ?? '', receivedHash: event.hash };
      duplicates++;
      continue;
    }
    let payload: string;
    try {
      payload = canonicalJson(event.payload);
    } catch (error) {
      return {
        type: 'bad_chain',
        seq: event.seq,
        receivedHash: event.hash,
        reason: `payload: ${(error as Error).message}`,
      };
    }
    const computed = chainHash(prev, event.seq, event.ts, event.kind, payload);
    if (computed !== event.hash)
      return {
        type: 'bad_chain',
        seq: event.seq,
        receivedHash: event.hash,
        reason: `the hash of seq ${event.seq} does not match its content and the previous hash (recomputed ${computed.slice(0, 12)}…)`,
      };
    fresh.push({
      seq: event.seq,
      ts: event.ts,
      kind: event.kind,
      payload,
      hash: computed,
      value: event.payload,
    });
    prev = computed;
  }
  return { type: 'accept', fresh, duplicates };
}
