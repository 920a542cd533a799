import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicSessionResolver } from '../../proxy/anthropic/sessions.js';
import { nowMicros } from '../../proxy/common/time.js';
import { CredentialFingerprints } from '../../proxy/policy/credentials.js';
import { RecordingSwitch } from '../../proxy/policy/recording-switch.js';
import { IDLE_AFTER_US, shownActivity } from '../../proxy/store/activity.js';
import { Store } from '../../proxy/store/store.js';
import type { SessionKind } from '../../proxy/store/types.js';
import { TEST_IDENTITY as identity } from '../helpers/identity.js';

const MINUTE = 60_000_000;

describe('when a session is idle and when it ended', () => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(':memory:');
  });
  afterEach(() => store.close());

  /** A session started `agoUs` ago with one exchange that took 230 ms, right at its start. */
  function quietSession(kind: SessionKind, agoUs: number) {
    const start = nowMicros() - agoUs;
    const session = store.createSession(
      { kind, target: 'api.anthropic.com', client: 'claude-cli/2.1.330', identity, external_id: null },
      start,
    );
    store.append(session.id, 'http.request', { method: 'POST', path: '/v1/messages' }, { ts: start + 1_000 });
    const last = store.append(session.id, 'llm.turn', { request_seq: 1 }, { ts: start + 231_000 });
    return { id: session.id, start, last: last.ts };
  }

  it('shows a Claude session quiet for longer than the quiet spell as idle, its duration ending at its last event', () => {
    const quiet = quietSession('anthropic', 10 * MINUTE);
    const session = store.getSession(quiet.id)!;
    expect(session.status).toBe('live'); // idle is shown, not stored: the sweep still closes it later
    expect(session.idle_at).toBe(quiet.last + IDLE_AFTER_US);
    expect(shownActivity(session, nowMicros())).toEqual({ status: 'idle', end: quiet.last });
    expect(store.listSessions({})[0]!.idle_at).toBe(quiet.last + IDLE_AFTER_US);
    // Before the quiet spell is over it is live, and with nothing in flight its duration is still its work:
    // to its last event, not ticking on while it waits for the next request.
    const now = quiet.last + IDLE_AFTER_US - 1;
    expect(shownActivity(session, now)).toEqual({ status: 'live', end: quiet.last });
  });

  it('never shows a session idle while one of its exchanges is in flight (a long reply streaming)', () => {
    const quiet = quietSession('anthropic', 10 * MINUTE);
    store.appendRequest(
      quiet.id,
      'http.request',
      { method: 'POST', path: '/v1/messages' },
      'llm.turn',
      (request_seq) => ({ request_seq, outcome: 'streaming' }),
      { ts: quiet.last + 1_000 },
    );
    const session = store.getSession(quiet.id)!;
    expect(session.idle_at).toBeNull();
    expect(store.listSessions({ kind: 'anthropic' })[0]!.idle_at).toBeNull();
    // Busy: its duration runs on to now.
    const now = nowMicros();
    expect(shownActivity(session, now)).toEqual({ status: 'live', end: now });
  });

  it('never shows a PostgreSQL connection or a recording pause as idle: they last until they end', () => {
    const pg = quietSession('postgres', 10 * MINUTE);
    expect(store.getSession(pg.id)!.idle_at).toBeNull();
    expect(shownActivity(store.getSession(pg.id)!, nowMicros()).status).toBe('live');
    const pause = new RecordingSwitch(store).pause({ identity, via: 'test' });
    expect(store.getSession(pause.paused!.session_id)!.idle_at).toBeNull();
  });

  it('ends a Claude session closed by the idle sweep at its last event, not when the sweep ran', () => {
    const quiet = quietSession('anthropic', 40 * MINUTE);
    const resolver = new AnthropicSessionResolver(
      store,
      'api.anthropic.com',
      () => identity,
      new CredentialFingerprints(),
    );
    expect(resolver.closeIdle()).toBe(1);
    const session = store.getSession(quiet.id)!;
    expect(session.status).toBe('closed');
    expect(session.ended_at).toBe(quiet.last);
    expect(session.idle_at).toBeNull();
    expect(store.listEvents(quiet.id).at(-1)).toMatchObject({ kind: 'session.end', ts: quiet.last });
    expect(shownActivity(session, nowMicros())).toEqual({ status: 'closed', end: quiet.last });
    expect(store.verifySession(quiet.id)).toMatchObject({ intact: true });
  });

  it('at shutdown ends a Claude session at its last event, and a recording pause when it stops', () => {
    const quiet = quietSession('anthropic', 5 * MINUTE);
    const pause = new RecordingSwitch(store).pause({ identity, via: 'test' }).paused!;
    const before = nowMicros();
    store.endAllLive('shutdown');
    expect(store.getSession(quiet.id)!.ended_at).toBe(quiet.last);
    expect(store.getSession(pause.session_id)!.ended_at).toBeGreaterThanOrEqual(before);
  });
});
