/**
 * The mirror's pure parts: batches cut from stored rows within the protocol's bounds (events and measured
 * bytes) whose bodies the server's own schema accepts and whose chains verify; backoff with jitter that never
 * gives up; Retry-After in both of its forms; and the status a set of pending sessions comes to.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs } from '../../proxy/sync/backoff.js';
import { buildBatch, sessionMeta } from '../../proxy/sync/batch.js';
import { canonicalJson, chainHash, EventBatchSchema } from '../../proxy/sync/protocol.js';
import type { EventSource, SessionSource } from '../../proxy/sync/state.js';
import { mirrorStatus } from '../../proxy/sync/status.js';

const session: SessionSource = {
  id: '01JTESTSESSION0000000000AA',
  kind: 'postgres',
  target: 'shop',
  client: 'psql',
  identity: JSON.stringify({
    subject: 'alice',
    email: 'a@x.test',
    groups: ['g'],
    verified: true,
    os_user: 'dev',
    host: 'h',
  }),
  started_at: 1_700_000_000_000_000,
  ended_at: null,
  status: 'live',
  stats: JSON.stringify({ statements: 3, note: 'not a number' }),
  head_seq: 0,
  head_hash: '01JTESTSESSION0000000000AA',
};

/** A stored chain of `count` events whose payloads are about `size` characters (multi-byte text included). */
function chain(count: number, size = 10): EventSource[] {
  const events: EventSource[] = [];
  let prev = session.id;
  for (let seq = 1; seq <= count; seq++) {
    const payload = canonicalJson({ seq, sql: `SELECT 'é${'x'.repeat(size)}'` });
    const ts = 1_700_000_000_000_000 + seq;
    const hash = chainHash(prev, seq, ts, 'pg.statement', payload);
    events.push({ seq, ts, kind: 'pg.statement', payload, hash });
    prev = hash;
  }
  return events;
}

describe('buildBatch', () => {
  it('sends at most maxEvents, a body the server schema accepts, with hashes that verify', () => {
    const batch = buildBatch(sessionMeta(session), chain(20), { maxEvents: 7, maxBytes: 1 << 20 });
    expect(batch.count).toBe(7);
    expect(batch.bytes).toBe(Buffer.byteLength(batch.body));
    const parsed = EventBatchSchema.parse(JSON.parse(batch.body));
    expect(parsed.session.stats).toEqual({ statements: 3 });
    let prev = session.id;
    for (const event of parsed.events) {
      expect(chainHash(prev, event.seq, event.ts, event.kind, canonicalJson(event.payload))).toBe(event.hash);
      prev = event.hash;
    }
    expect(batch.last).toEqual({ seq: 7, hash: parsed.events[6]!.hash });
  });

  it('stays within maxBytes, measured in UTF-8 bytes', () => {
    const events = chain(50, 1_000);
    const batch = buildBatch(sessionMeta(session), events, { maxEvents: 500, maxBytes: 10_000 });
    expect(batch.bytes).toBeLessThanOrEqual(10_000);
    expect(batch.count).toBeGreaterThan(1);
    expect(batch.count).toBeLessThan(50);
    // One more event would not have fitted.
    const more = buildBatch(sessionMeta(session), events.slice(0, batch.count + 1), {
      maxEvents: 500,
      maxBytes: Number.MAX_SAFE_INTEGER,
    });
    expect(more.bytes).toBeGreaterThan(10_000);
  });

  it('sends one event larger than maxBytes alone rather than nothing', () => {
    const batch = buildBatch(sessionMeta(session), chain(3, 5_000), { maxEvents: 500, maxBytes: 1_000 });
    expect(batch.count).toBe(1);
  });
});

describe('backoff and Retry-After', () => {
  it('grows with failures, jittered within [cap/2, cap], capped, forever', () => {
    const policy = { baseMs: 1_000, maxMs: 60_000 };
    expect(backoffDelay(1, policy, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, () => 0.999_999)).toBe(1_000);
    expect(backoffDelay(4, policy, () => 0)).toBe(4_000);
    expect(backoffDelay(1_000, policy, () => 0.999_999)).toBe(60_000);
    expect(backoffDelay(1_000, policy, () => 0)).toBe(30_000);
  });

  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Sun, 06 Dec 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Sun, 06 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('mirrorStatus', () => {
  const facts = {
    configured: true,
    url: 'https://team.test',
    enabled: true,
    signedOut: false,
    offline: false,
    sending: false,
    lastSuccessAt: 1,
    lastError: null,
  };
  const row = (id: string, acked: number, extra: object = {}) => ({
    session_id: id,
    acked_seq: acked,
    acked_hash: 'h',
    last_error: null,
    next_attempt_at: null,
    refused: null,
    ...extra,
  });

  it('lists refused, then waiting, then behind sessions, and counts them', () => {
    const status = mirrorStatus(
      facts,
      [
        { id: 'A', head_seq: 10, sync: null },
        { id: 'B', head_seq: 10, sync: row('B', 4, { last_error: 'down', next_attempt_at: 2_000 }) },
        { id: 'C', head_seq: 9, sync: row('C', 0, { last_error: '422 bad_chain: seq 2', refused: 9 }) },
      ],
      1_000,
    );
    expect(status.state).toBe('refused');
    expect(status.sessions.map((s) => [s.session_id, s.state, s.behind])).toEqual([
      ['C', 'refused', 9],
      ['B', 'waiting', 6],
      ['A', 'behind', 10],
    ]);
    expect(status).toMatchObject({ sessions_behind: 2, events_behind: 16, refused: 1 });
  });

  it('retries a refused session once its head moved past the refusal', () => {
    const status = mirrorStatus(facts, [{ id: 'C', head_seq: 12, sync: row('C', 0, { refused: 9 }) }], 0);
    expect(status.sessions[0]!.state).toBe('behind');
    expect(status.state).toBe('mirroring');
  });

  it('is off, with nothing listed, when not configured or mirror is false', () => {
    const off = mirrorStatus({ ...facts, enabled: false }, [{ id: 'A', head_seq: 3, sync: null }], 0);
    expect(off).toMatchObject({ state: 'off', sessions: [], sessions_behind: 0 });
  });
});
