import { describe, expect, it } from 'vitest';
import { PendingApprovals } from '../../../main/approvals.js';
import type { Approval } from '../../../proxy/api/types.js';

/** An approval as the engine sends it, for the tray's list. */
function approval(id: string, status: Approval['status'] = 'pending', requestedAt = 1): Approval {
  const text = `DELETE FROM t${id}`;
  return {
    id,
    status,
    requested_at: requestedAt,
    expires_at: requestedAt + 300_000_000,
    subject: {
      session_id: 'S',
      request_seq: 1,
      kind: 'sql',
      text,
      operation_hash: id,
      facts: { kind: 'tool', tool: 'x' },
      rule: { id: 'pg.delete-without-where', message: 'DELETE without WHERE', builtin: true },
      client: 'psql',
      target: 'shop',
    },
  };
}

describe('the tray’s pending approvals', () => {
  it('keeps an approval the live feed brought while the list was being read', () => {
    const pending = new PendingApprovals();
    pending.startReading();
    // The engine answered the GET with ap_A only; ap_B was requested just after and came on the live feed
    // before the answer was applied.
    expect(pending.change(approval('ap_B', 'pending', 2))).toBe(true);
    pending.reset([approval('ap_A')]);
    expect(pending.entries().map((e) => e.id)).toEqual(['ap_B', 'ap_A']);
  });

  it('drops what the engine no longer lists, and never brings back one decided meanwhile', () => {
    const pending = new PendingApprovals();
    pending.startReading();
    pending.reset([approval('ap_A'), approval('ap_C')]);
    pending.startReading();
    expect(pending.change(approval('ap_C', 'approved'))).toBe(true);
    pending.reset([approval('ap_C')]); // read before the decision
    expect(pending.entries()).toEqual([]);
  });
});
