// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent, Session } from '../../proxy/api/types';
import { buildConversation } from '../../renderer/src/claude/conversation';
import { buildStatements } from '../../renderer/src/postgres/statements';
import { buildAxis } from '../../renderer/src/replay/axis';
import { SessionRow } from '../../renderer/src/sessions/SessionRow';

afterEach(cleanup);

const MINUTE = 60_000_000;
const T0 = Date.UTC(2026, 10, 23, 14, 0, 0) * 1000;

const event = (seq: number, ts: number, kind: string, payload: unknown): RecordedEvent => ({
  session_id: 'S',
  seq,
  ts,
  kind,
  payload,
  hash: 'h',
});

/** One Claude turn of 230 ms at T0, then the idle sweep's `session.end` 30 minutes later. */
const sweptClaude = [
  event(1, T0, 'http.request', { method: 'POST', path: '/v1/messages', body: { messages: [] } }),
  event(2, T0 + 230_000, 'llm.turn', { request_seq: 1, outcome: 'complete', timings: { total_us: 230_000 } }),
  event(3, T0 + 30 * MINUTE, 'session.end', { reason: 'idle' }),
];

function session(overrides: Partial<Session>): Session {
  return {
    id: '01JSESSION0000000000000000',
    kind: 'anthropic',
    target: 'api.anthropic.com',
    client: 'claude-cli/2.1.330',
    identity: { subject: null, email: null, groups: [], verified: false, os_user: 'dev', host: 'box' },
    external_id: null,
    started_at: T0,
    ended_at: null,
    last_event_at: T0 + 230_000,
    idle_at: T0 + 230_000 + 2 * MINUTE,
    status: 'live',
    stats: { turns: 1 },
    head_seq: 2,
    head_hash: 'h',
    ...overrides,
  };
}

function row(s: Session, nowUs: number) {
  const { container } = render(
    <SessionRow session={s} selected={false} nowUs={nowUs} onOpen={() => undefined} />,
  );
  const cells = [...container.querySelectorAll('.srow > span')].map((c) => c.textContent);
  return {
    status: cells[0],
    kind: cells[1],
    duration: cells[10],
    live: container.querySelector('.is-live') !== null,
  };
}

describe('replay axis', () => {
  it('ends at the last thing that happened, not at the session.end the idle sweep added later', () => {
    const axis = buildAxis(buildConversation(sweptClaude), T0);
    expect(axis.start).toBe(T0);
    expect(axis.end).toBe(T0 + 230_000);
    expect(Math.max(...axis.marks)).toBe(T0 + 230_000);
  });

  it('does the same for a PostgreSQL session ended long after its last statement', () => {
    const events = [
      event(1, T0, 'pg.statement', { sql: 'select 1' }),
      event(2, T0 + 5_000, 'pg.result', { statement_seq: 1, duration_us: 4_000 }),
      event(3, T0 + 10 * MINUTE, 'session.end', { reason: 'client closed' }),
    ];
    expect(buildAxis(buildStatements(events), T0).end).toBe(T0 + 4_000);
  });
});

describe('sessions list row', () => {
  it('shows a quiet Claude session as idle, its duration ending at its last event', () => {
    const quiet = session({});
    expect(row(quiet, T0 + 6 * MINUTE)).toEqual({
      status: 'idle',
      kind: 'Claude',
      duration: '230 ms',
      live: false,
    });
    cleanup();
    // Within the quiet spell it is live, and with nothing in flight its duration is its work, not the wait.
    expect(row(quiet, T0 + MINUTE)).toMatchObject({ status: 'live', duration: '230 ms', live: true });
    cleanup();
    // While a request is in flight (no idle_at), its duration runs on.
    expect(row(session({ idle_at: null }), T0 + MINUTE)).toMatchObject({
      status: 'live',
      duration: '1 m 00 s',
    });
  });

  it('keeps a PostgreSQL connection live however quiet it is', () => {
    const pg = session({ kind: 'postgres', target: 'appdb', idle_at: null, stats: { statements: 3 } });
    expect(row(pg, T0 + 6 * MINUTE)).toMatchObject({ status: 'live', kind: 'PostgreSQL', live: true });
  });

  it('labels a recording pause as a pause, not as a Claude session', () => {
    const pause = session({
      kind: 'http',
      target: 'glassbox',
      client: 'glassbox-control',
      idle_at: null,
      stats: {},
    });
    expect(row(pause, T0 + MINUTE).kind).toBe('Pause');
  });

  it('labels the record of a policy change as a policy change, not as an HTTP session', () => {
    const change = session({
      kind: 'http',
      target: 'glassbox',
      client: 'glassbox-policy',
      idle_at: null,
      stats: {},
    });
    expect(row(change, T0 + MINUTE).kind).toBe('Policy');
  });
});
