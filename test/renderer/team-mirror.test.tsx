// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveMessage, Session } from '../../proxy/api/types';
import type { Identity } from '../../proxy/store/types';
import type { MirrorStatus, SessionMirrorState } from '../../proxy/sync/types';
import type { ApiClient } from '../../renderer/src/api/client';
import { ApiContext } from '../../renderer/src/api/context';
import { LiveContext } from '../../renderer/src/api/live';
import { MirrorHeader } from '../../renderer/src/mirror/MirrorBadge';
import { mirrorHeaderView, sessionMirrorView } from '../../renderer/src/mirror/mirror';
import { MirrorProvider } from '../../renderer/src/mirror/useMirror';
import { SessionView } from '../../renderer/src/session/SessionView';
import { SessionsView } from '../../renderer/src/sessions/SessionsView';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  window.history.replaceState(null, '', '/');
});

// jsdom lays nothing out: give scrollers a viewport so windowed lists render their rows.
beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1200);
});

const URL_ = 'https://glassbox.example.test';

/** A MirrorStatus fixture: configured and up to date unless `extra` says otherwise. */
function status(extra: Partial<MirrorStatus> = {}): MirrorStatus {
  return {
    configured: true,
    url: URL_,
    state: 'up-to-date',
    sessions_behind: 0,
    events_behind: 0,
    refused: 0,
    last_success_at: Date.UTC(2026, 11, 6, 14, 3, 7),
    last_error: null,
    sessions: [],
    ...extra,
  };
}

const NOT_CONFIGURED: MirrorStatus = {
  configured: false,
  url: null,
  state: 'off',
  sessions_behind: 0,
  events_behind: 0,
  refused: 0,
  last_success_at: null,
  last_error: null,
  sessions: [],
};

function entry(session_id: string, extra: Partial<SessionMirrorState>): SessionMirrorState {
  return {
    session_id,
    state: 'behind',
    acked_seq: 10,
    head_seq: 52,
    behind: 42,
    last_error: null,
    next_attempt_at: null,
    ...extra,
  };
}

const REFUSAL = 'hash_conflict at seq 7: the server has a different event there';
const mixed = status({
  state: 'refused',
  sessions_behind: 2,
  events_behind: 45,
  refused: 1,
  last_error: REFUSAL,
  sessions: [
    entry('S2', {}),
    entry('S3', { state: 'refused', behind: 3, acked_seq: 6, head_seq: 9, last_error: REFUSAL }),
    entry('S4', {
      state: 'waiting',
      behind: 3,
      last_error: 'the server answered 503',
      next_attempt_at: Date.now() + 30_000,
    }),
  ],
});

describe('the words of the mirror', () => {
  it('a session: mirrored when not listed, behind by N, refused with the reason, waiting with the error', () => {
    expect(sessionMirrorView(mixed, 'S1')).toMatchObject({ state: 'mirrored', label: 'mirrored' });
    expect(sessionMirrorView(mixed, 'S2')).toMatchObject({ state: 'behind', label: 'behind by 42' });
    expect(sessionMirrorView(mixed, 'S2')?.title).toContain(
      '42 events not yet on https://glassbox.example.test',
    );
    const refused = sessionMirrorView(mixed, 'S3');
    expect(refused).toMatchObject({ state: 'refused', label: 'refused' });
    expect(refused?.title).toContain(`refused this session: ${REFUSAL}`);
    const waiting = sessionMirrorView(mixed, 'S4');
    expect(waiting).toMatchObject({ state: 'waiting', label: 'waiting' });
    expect(waiting?.title).toContain('Retrying: the server answered 503.');
    expect(waiting?.title).toContain('Next try at');
  });

  it('nothing without a team section, or with mirroring turned off', () => {
    expect(sessionMirrorView(NOT_CONFIGURED, 'S1')).toBeNull();
    expect(sessionMirrorView(null, 'S1')).toBeNull();
    expect(sessionMirrorView(status({ state: 'off' }), 'S1')).toBeNull();
    expect(mirrorHeaderView(NOT_CONFIGURED)).toBeNull();
    expect(mirrorHeaderView(status({ state: 'off' }))).toBeNull();
  });

  it('the whole mirror: up to date, sessions behind, offline, refused, signed out', () => {
    expect(mirrorHeaderView(status())).toMatchObject({ tone: 'ok', label: 'Team: up to date' });
    expect(
      mirrorHeaderView(status({ state: 'mirroring', sessions_behind: 3, events_behind: 120 })),
    ).toMatchObject({ tone: 'busy', label: 'Team: 3 sessions behind' });
    const offline = mirrorHeaderView(status({ state: 'offline', last_error: 'connect ECONNREFUSED' }));
    expect(offline).toMatchObject({ tone: 'warn', label: 'Team: offline — retrying' });
    expect(offline?.title).toContain('Last error: connect ECONNREFUSED');
    expect(mirrorHeaderView(mixed)).toMatchObject({ tone: 'err', label: 'Team: refused 1 session' });
    expect(mirrorHeaderView(mixed)?.title).toContain('45 events in 2 sessions not yet sent.');
    expect(mirrorHeaderView(status({ state: 'signed-out' }))?.title).toContain('glassbox login');
  });
});

/** A live feed the test pushes messages into. */
function liveFeed() {
  const listeners = new Set<(message: LiveMessage) => void>();
  return {
    hub: {
      state: 'live' as const,
      subscribe: (listener: (message: LiveMessage) => void) => {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
    },
    push: (message: LiveMessage) =>
      act(() => {
        for (const listener of listeners) listener(message);
      }),
  };
}

const local: Identity = {
  subject: null,
  email: null,
  groups: [],
  verified: false,
  os_user: 'dev',
  host: 'box',
};

function session(id: string): Session {
  return {
    id,
    kind: 'postgres',
    target: 'app',
    client: 'psql',
    identity: local,
    external_id: null,
    started_at: Date.now() * 1000,
    ended_at: Date.now() * 1000,
    last_event_at: Date.now() * 1000,
    idle_at: null,
    status: 'closed',
    stats: {},
    head_seq: 52,
    head_hash: 'h',
  };
}

/** A control API stand-in: the sessions S1–S4 and GET /api/team answering `holder.current`. */
function teamApi(initial: MirrorStatus | null) {
  const holder = { current: initial, calls: 0 };
  const api = {
    sessions: async () => ({ sessions: ['S1', 'S2', 'S3', 'S4'].map(session), next_before: null }),
    session: async (id: string) => ({ session: session(id), inflight: [] }),
    events: async () => ({ events: [], next_after: null }),
    verify: async () => ({ intact: true, events: 0, head_hash: 'h' }),
    health: async () => ({}),
    team: async () => {
      holder.calls++;
      if (holder.current === null) throw new Error('404');
      return holder.current;
    },
  };
  return { api: api as unknown as ApiClient, holder };
}

function mount(api: ApiClient, children: ReactNode) {
  const feed = liveFeed();
  render(
    <ApiContext.Provider value={api}>
      <LiveContext.Provider value={feed.hub}>
        <MirrorProvider client={api}>
          <header>
            <MirrorHeader />
          </header>
          {children}
        </MirrorProvider>
      </LiveContext.Provider>
    </ApiContext.Provider>,
  );
  return feed;
}

const badges = () =>
  screen.getAllByTestId('session-row').map((row) => {
    const badge = row.querySelector('[data-testid="mirror-badge"]');
    return `${row.getAttribute('data-id')}: ${badge?.textContent ?? '(none)'}`;
  });

describe('mirror badges in the dashboard', () => {
  it('the sessions list shows each session’s badge and the header the overall state, kept live by team messages', async () => {
    const { api } = teamApi(mixed);
    const feed = mount(api, <SessionsView active={true} onOpen={() => undefined} />);
    await waitFor(() =>
      expect(badges()).toEqual(['S1: mirrored', 'S2: behind by 42', 'S3: refused', 'S4: waiting']),
    );
    expect(screen.getByText('Team')).toBeDefined(); // the column heading
    const refused = screen.getAllByTestId('mirror-badge')[2]!;
    expect(refused.getAttribute('title')).toContain(REFUSAL);
    expect(screen.getByTestId('mirror-header').textContent).toBe('Team: refused 1 session');

    feed.push({
      type: 'team',
      status: status({
        state: 'mirroring',
        sessions_behind: 1,
        events_behind: 2,
        sessions: [entry('S4', { behind: 2 })],
      }),
    });
    expect(badges()).toEqual(['S1: mirrored', 'S2: mirrored', 'S3: mirrored', 'S4: behind by 2']);
    expect(screen.getByTestId('mirror-header').textContent).toBe('Team: 1 session behind');

    feed.push({ type: 'team', status: status({ state: 'offline', last_error: 'connect ECONNREFUSED' }) });
    expect(screen.getByTestId('mirror-header').textContent).toBe('Team: offline — retrying');
    feed.push({ type: 'team', status: status() });
    expect(screen.getByTestId('mirror-header').textContent).toBe('Team: up to date');
  });

  it('shows nothing when no team server is configured, and picks one up when the feed reconnects', async () => {
    const { api, holder } = teamApi(NOT_CONFIGURED);
    const feed = mount(api, <SessionsView active={true} onOpen={() => undefined} />);
    await waitFor(() => expect(screen.getAllByTestId('session-row')).toHaveLength(4));
    await waitFor(() => expect(holder.calls).toBe(1));
    expect(screen.queryAllByTestId('mirror-badge')).toHaveLength(0);
    expect(screen.queryByTestId('mirror-header')).toBeNull();
    expect(screen.queryByText('Team')).toBeNull();
    expect(screen.getAllByTestId('session-row')[0]!.className).not.toContain('with-team');

    holder.current = status();
    feed.push({ type: 'hello', version: 'test' });
    await waitFor(() => expect(screen.getByTestId('mirror-header').textContent).toBe('Team: up to date'));
    expect(badges()).toEqual(['S1: mirrored', 'S2: mirrored', 'S3: mirrored', 'S4: mirrored']);
  });

  it('an engine without GET /api/team (older) shows nothing', async () => {
    const { api } = teamApi(null);
    mount(api, <SessionsView active={true} onOpen={() => undefined} />);
    await waitFor(() => expect(screen.getAllByTestId('session-row')).toHaveLength(4));
    expect(screen.queryAllByTestId('mirror-badge')).toHaveLength(0);
    expect(screen.queryByTestId('mirror-header')).toBeNull();
  });

  it('the session page shows the session’s badge and follows team messages', async () => {
    const { api } = teamApi(mixed);
    const feed = mount(api, <SessionView id="S3" onBack={() => undefined} />);
    const badge = await screen.findByTestId('mirror-badge');
    expect(badge.textContent).toBe('refused');
    expect(badge.getAttribute('title')).toContain(REFUSAL);
    feed.push({ type: 'team', status: status() });
    expect(screen.getByTestId('mirror-badge').textContent).toBe('mirrored');
    feed.push({ type: 'team', status: NOT_CONFIGURED });
    expect(screen.queryByTestId('mirror-badge')).toBeNull();
  });
});
