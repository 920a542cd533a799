// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../proxy/api/types';
import {
  approvalOutcomes,
  describeGuardEvent,
  GuardEventLine,
  heldStatements,
} from '../../renderer/src/session/guardEvents';

afterEach(cleanup);

function event(seq: number, kind: string, payload: unknown): RecordedEvent {
  return { session_id: 's', seq, ts: 1_700_000_000_000_000 + seq, kind, payload, hash: 'h' } as RecordedEvent;
}

const RULE = {
  id: 'pg.delete-without-where',
  message: 'DELETE without WHERE needs an approval',
  builtin: true,
};
const requested = event(3, 'approval.requested', {
  approval_id: 'ap_7KQ2M9XD',
  request_seq: 2,
  kind: 'sql',
  text: 'DELETE FROM orders',
  rule: RULE,
  expires_at: 1_700_000_300_000_000,
});
const decided = event(4, 'approval.decided', {
  approval_id: 'ap_7KQ2M9XD',
  request_seq: 2,
  decision: 'denied',
  by: { os_user: 'alice', via: 'dashboard', self_approved: true },
  at: 1,
  reason: 'not on prod',
  scope: null,
});

describe('guard and approval events in a session timeline', () => {
  it('reads a request as waiting until its decision is recorded, and the statement as held', () => {
    const before = approvalOutcomes([requested]);
    expect(describeGuardEvent(requested, before)).toEqual({
      text: 'waiting for approval ap_7KQ2M9XD — rule pg.delete-without-where: DELETE without WHERE needs an approval',
      tone: 'warn',
      approvalId: 'ap_7KQ2M9XD',
      waitingUntil: 1_700_000_300_000_000,
    });
    expect([...heldStatements([requested], before)]).toEqual([[2, 'ap_7KQ2M9XD']]);
    const after = approvalOutcomes([requested, decided]);
    expect(describeGuardEvent(requested, after)?.text).toBe(
      'approval ap_7KQ2M9XD requested — rule pg.delete-without-where: DELETE without WHERE needs an approval (denied)',
    );
    expect(heldStatements([requested, decided], after).size).toBe(0);
    expect(describeGuardEvent(decided, after)).toMatchObject({
      text: 'approval ap_7KQ2M9XD denied by alice (self-approved) via dashboard: not on prod',
      tone: 'error',
    });
  });

  it('names the rule of guard.blocked and guard.flagged whichever shape the rule has', () => {
    const none = new Map();
    expect(
      describeGuardEvent(event(5, 'guard.blocked', { rule: RULE, sql: 'DROP TABLE orders' }), none),
    ).toEqual({
      text: 'blocked by rule pg.delete-without-where: DELETE without WHERE needs an approval — DROP TABLE orders',
      tone: 'error',
    });
    expect(
      describeGuardEvent(
        event(6, 'guard.flagged', { rule: 'claude.env-write', message: 'writes .env' }),
        none,
      )?.text,
    ).toBe('flagged by rule claude.env-write: writes .env');
    expect(describeGuardEvent(event(7, 'guard.flagged', 'garbage'), none)?.text).toBe('flagged by a rule');
    expect(describeGuardEvent(event(8, 'pg.notice', {}), none)).toBeUndefined();
  });

  it('links a request to the inbox and shows its time left', () => {
    const line = describeGuardEvent(requested, new Map())!;
    render(<GuardEventLine event={requested} line={line} />);
    expect(screen.getByTestId('approval-link').getAttribute('href')).toBe('/approvals/ap_7KQ2M9XD');
    expect(screen.getByTestId('guard-event').textContent).toMatch(/waiting for approval ap_7KQ2M9XD/);
  });
});
