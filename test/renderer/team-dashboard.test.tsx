// @vitest-environment jsdom
/**
 * The dashboard's team mode (renderer/src/team) against fixtures of the team server's read API shapes
 * (proxy/sync/protocol.ts): `fetch` is replaced by a router answering those shapes, so the real TeamClient
 * builds every URL, header and body the server will see.
 */
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  AlertPage,
  ChainVerification,
  EventPage,
  Me,
  RoutedApproval,
  ServerSession,
  SessionPage,
} from '../../proxy/sync/protocol';
import { isTeamMode } from '../../renderer/src/team/mode';
import { TeamApp } from '../../renderer/src/team/TeamApp';
import { filtersOf } from '../../renderer/src/team/TeamSessions';

const T0 = 1_760_000_000_000_000;
const ALICE: Me = {
  issuer: 'https://login.example',
  subject: 'alice',
  email: 'alice@example.test',
  name: 'Alice Example',
  groups: ['engineering', 'auditors'],
  auditor: true,
  approver_groups: [],
};
const BOB: Me = {
  ...ALICE,
  subject: 'bob',
  email: 'bob@example.test',
  name: 'Bob Example',
  groups: ['db-approvers'],
  auditor: false,
  approver_groups: ['db-approvers'],
};

function session(id: string, owner: Me, overrides: Partial<ServerSession> = {}): ServerSession {
  return {
    id,
    owner: {
      issuer: owner.issuer,
      subject: owner.subject,
      email: owner.email,
      name: owner.name,
      groups: owner.groups,
    },
    kind: 'postgres',
    target: 'shop',
    client: 'psql',
    identity: {
      subject: owner.subject,
      email: owner.email,
      groups: [],
      verified: true,
      os_user: 'dev',
      host: 'laptop',
      name: owner.name,
    },
    identity_mismatch: false,
    started_at: T0,
    ended_at: T0 + 1000,
    status: 'closed',
    stats: { statements: 2 },
    head_seq: 2,
    head_hash: 'a'.repeat(64),
    last_received_at: T0 + 2000,
    alerts: 0,
    ...overrides,
  };
}

const MISMATCHED = session('S_BOB', BOB, {
  identity: {
    subject: 'mallory',
    email: 'mallory@example.test',
    groups: [],
    verified: true,
    os_user: 'dev',
    host: 'laptop',
  },
  identity_mismatch: true,
  alerts: 1,
});

const ROUTED: RoutedApproval = {
  id: 'ap_0001abcd',
  session_id: 'S_ALICE',
  request_seq: 3,
  rule_id: 'pg.delete-without-where',
  group: 'db-approvers',
  allow_self_approval: false,
  what: {
    session_id: 'S_ALICE',
    request_seq: 3,
    kind: 'sql',
    text: 'DELETE FROM carts',
    operation_hash: 'x',
    facts: { kind: 'sql', text: 'DELETE FROM carts' },
    rule: { id: 'pg.delete-without-where', message: 'm', builtin: true },
  },
  requested_at: T0,
  expires_at: Date.now() * 1000 + 300_000_000,
  status: 'pending',
  requester: {
    issuer: ALICE.issuer,
    subject: 'alice',
    email: ALICE.email,
    name: ALICE.name,
    groups: ALICE.groups,
  },
  decided_at: null,
  decided_by: null,
  reason: null,
  scope: null,
};

type Route = (url: URL, init: RequestInit) => unknown;
interface Call {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

/** Replaces `fetch` with `routes` (path → answer; a number answers that status). Returns the calls seen. */
function serve(routes: Record<string, Route | unknown>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://team.test');
    calls.push({
      method: init.method ?? 'GET',
      url,
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      credentials: init.credentials,
    });
    const key = `${init.method ?? 'GET'} ${url.pathname}`;
    const route = routes[key];
    if (route === undefined) return json(404, { error: 'not_found', message: `no route ${key}` });
    const answer = typeof route === 'function' ? (route as Route)(url, init) : route;
    if (typeof answer === 'number') return json(answer, { error: 'unauthorized', message: 'sign in' });
    return json(200, answer);
  });
  return calls;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A WebSocket stand-in: the page's /v1/live sockets, to which a test sends messages or a close. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close() {}
  emit(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

beforeEach(() => {
  window.history.replaceState(null, '', '/');
  FakeSocket.all = [];
  vi.stubGlobal('WebSocket', FakeSocket);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('team mode', () => {
  it('is on only where the server marked the page', () => {
    expect(isTeamMode(document)).toBe(false);
    const meta = document.createElement('meta');
    meta.name = 'glassbox-mode';
    meta.content = 'team';
    document.head.append(meta);
    expect(isTeamMode(document)).toBe(true);
    meta.remove();
  });

  it('shows the sign-in page when /v1/me answers 401, linking to the server sign-in that comes back here', async () => {
    window.history.replaceState(null, '', '/s/S_ALICE');
    const calls = serve({ 'GET /v1/me': 401 });
    render(<TeamApp />);
    await screen.findByTestId('team-sign-in');
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe(
      '/auth/login?return=%2Fs%2FS_ALICE',
    );
    expect(calls[0]).toMatchObject({ method: 'GET', credentials: 'same-origin' });
    expect(calls[0]!.headers).not.toHaveProperty('authorization');
  });

  it("lists everyone's sessions for an auditor, with the mismatch flag, the alerts strip, filters and Load more", async () => {
    const pages: Record<string, SessionPage> = {
      first: { sessions: [session('S_ALICE', ALICE), MISMATCHED], next_cursor: 'c2' },
      c2: { sessions: [session('S_OLD', ALICE, { target: 'archive' })], next_cursor: null },
    };
    const calls = serve({
      'GET /v1/me': ALICE,
      'GET /v1/sessions': (url: URL) => pages[url.searchParams.get('cursor') ?? 'first'],
      'GET /v1/alerts': {
        alerts: [
          {
            id: 1,
            session_id: 'S_BOB',
            seq: 1,
            kind: 'identity_mismatch',
            stored_hash: null,
            received_hash: null,
            reason: 'recorded mallory, token bob',
            reporter: { issuer: ALICE.issuer, subject: 'bob' },
            created_at: T0,
          },
        ],
        next_cursor: null,
      } satisfies AlertPage,
    });
    render(<TeamApp />);
    await waitFor(() => expect(screen.getAllByTestId('team-session-row')).toHaveLength(2));
    expect(screen.getByTestId('team-me').textContent).toContain('Alice Example');
    const bob = screen.getAllByTestId('team-session-row')[1]!;
    expect(bob.textContent).toContain('Bob Example');
    expect(bob.textContent).toContain('identity mismatch');
    expect((await screen.findByTestId('alert-strip')).textContent).toContain('1 integrity alert');

    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('team-session-row')).toHaveLength(3));
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(
      calls
        .filter((c) => c.url.pathname === '/v1/sessions')
        .at(-1)!
        .url.searchParams.get('cursor'),
    ).toBe('c2');

    fireEvent.change(screen.getByLabelText('Person'), { target: { value: ' bob@example.test ' } });
    fireEvent.change(screen.getByLabelText('Group'), { target: { value: 'db-approvers' } });
    fireEvent.change(screen.getByLabelText('Text'), { target: { value: 'carts' } });
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-01-02' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => {
      const params = calls.filter((c) => c.url.pathname === '/v1/sessions').at(-1)!.url.searchParams;
      expect(params.get('person')).toBe('bob@example.test');
      expect(params.get('group')).toBe('db-approvers');
      expect(params.get('q')).toBe('carts');
      expect(params.get('from')).toBe(String(new Date('2026-01-02T00:00:00').getTime() * 1000));
      expect(params.has('cursor')).toBe(false);
    });
  });

  it('gives a non-auditor no person or group filter, no alerts, and an approvals link when they approve', async () => {
    serve({ 'GET /v1/me': BOB, 'GET /v1/sessions': { sessions: [MISMATCHED], next_cursor: null } });
    render(<TeamApp />);
    await screen.findByTestId('team-session-row');
    expect(screen.queryByLabelText('Person')).toBeNull();
    expect(screen.queryByLabelText('Group')).toBeNull();
    expect(screen.queryByTestId('nav-alerts')).toBeNull();
    expect(screen.queryByTestId('alert-strip')).toBeNull();
    expect(screen.getByTestId('nav-approvals')).toBeTruthy();
  });

  it("shows a session with the server's verification, owner against recorded identity, and export links", async () => {
    window.history.replaceState(null, '', '/s/S_BOB');
    const verdict: ChainVerification = {
      intact: false,
      events: 2,
      head_seq: 2,
      broken_at_seq: 2,
      reason: 'hash of seq 2 differs',
    };
    const events: EventPage = {
      events: [
        {
          seq: 1,
          ts: T0 + 1,
          kind: 'pg.statement',
          payload: { sql: 'DELETE FROM carts' },
          hash: 'b'.repeat(64),
        },
      ],
      next_after: null,
    };
    const calls = serve({
      'GET /v1/me': ALICE,
      'GET /v1/sessions': { sessions: [], next_cursor: null },
      'GET /v1/alerts': { alerts: [], next_cursor: null },
      'GET /v1/sessions/S_BOB': MISMATCHED,
      'GET /v1/sessions/S_BOB/verify': verdict,
      'GET /v1/sessions/S_BOB/events': events,
    });
    render(<TeamApp />);
    const verify = await screen.findByTestId('team-verify');
    await waitFor(() => expect(verify.textContent).toBe('✗ Chain broken at seq 2: hash of seq 2 differs'));
    expect(screen.getByTestId('team-owner').textContent).toBe('Bob Example');
    expect(within(screen.getByTestId('team-ownership')).getByTestId('identity').textContent).toContain(
      'mallory',
    );
    expect(screen.getByTestId('team-mismatch')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'SQL' }).getAttribute('href')).toBe(
      '/v1/sessions/S_BOB/export?format=sql',
    );
    expect(screen.getByRole('link', { name: 'JSONL' }).getAttribute('href')).toBe(
      '/v1/sessions/S_BOB/export?format=jsonl',
    );
    expect(screen.queryByRole('link', { name: 'HAR' })).toBeNull();
    expect(
      calls.find((c) => c.url.pathname === '/v1/sessions/S_BOB/events')!.url.searchParams.get('after'),
    ).toBe('0');
    fireEvent.click(screen.getByRole('button', { name: 'Raw events' }));
    await screen.findByRole('button', { name: 'Readable view' });
  });

  it('says the chain verified when the server finds it intact', async () => {
    window.history.replaceState(null, '', '/s/S_ALICE');
    serve({
      'GET /v1/me': BOB,
      'GET /v1/sessions': { sessions: [], next_cursor: null },
      'GET /v1/sessions/S_ALICE': session('S_ALICE', ALICE),
      'GET /v1/sessions/S_ALICE/verify': { intact: true, events: 2, head_seq: 2, head_hash: 'c'.repeat(64) },
      'GET /v1/sessions/S_ALICE/events': { events: [], next_after: null },
    });
    render(<TeamApp />);
    await waitFor(() =>
      expect(screen.getByTestId('team-verify').textContent).toBe(
        `✓ Chain verified by the server · 2 events · head ${'c'.repeat(12)}…`,
      ),
    );
    expect(screen.queryByTestId('team-mismatch')).toBeNull();
  });

  it('lists integrity alerts for auditors', async () => {
    window.history.replaceState(null, '', '/alerts');
    serve({
      'GET /v1/me': ALICE,
      'GET /v1/sessions': { sessions: [], next_cursor: null },
      'GET /v1/alerts': {
        alerts: [
          {
            id: 7,
            session_id: 'S_X',
            seq: 4,
            kind: 'hash_conflict',
            stored_hash: 'd'.repeat(64),
            received_hash: 'e'.repeat(64),
            reason: 'a different hash at seq 4',
            reporter: { issuer: ALICE.issuer, subject: 'bob' },
            created_at: T0,
          },
        ],
        next_cursor: null,
      },
    });
    render(<TeamApp />);
    const row = await screen.findByTestId('team-alert');
    expect(row.textContent).toContain('hash conflict');
    expect(row.textContent).toContain('S_X');
    expect(row.textContent).toContain('a different hash at seq 4');
  });

  it('decides a routed approval with the CSRF header; a denial needs a reason', async () => {
    window.history.replaceState(null, '', '/approvals');
    let pending = [ROUTED];
    const calls = serve({
      'GET /v1/me': BOB,
      'GET /v1/sessions': { sessions: [], next_cursor: null },
      'GET /v1/approvals': () => ({ approvals: pending }),
      'POST /v1/approvals/ap_0001abcd/decision': () => {
        pending = [];
        return { ...ROUTED, status: 'approved' };
      },
    });
    render(<TeamApp />);
    const card = await screen.findByTestId('routed-approval');
    expect(card.textContent).toContain('Alice Example');
    expect(card.textContent).toContain('db-approvers');
    expect(within(card).getByText(/DELETE/)).toBeTruthy();
    expect(within(card).getByRole('button', { name: 'Deny' }).hasAttribute('disabled')).toBe(true);
    fireEvent.click(within(card).getByRole('button', { name: 'Approve once' }));
    await screen.findByTestId('no-approvals');
    const decision = calls.find((c) => c.method === 'POST')!;
    expect(decision.url.pathname).toBe('/v1/approvals/ap_0001abcd/decision');
    expect(decision.body).toEqual({ decision: 'approved', scope: 'once' });
    expect(decision.headers['x-glassbox-csrf']).toBe('1');
    expect(decision.credentials).toBe('same-origin');
    expect(calls.find((c) => c.url.pathname === '/v1/approvals')!.url.searchParams.get('status')).toBe(
      'pending',
    );
  });

  it('goes back to the sign-in page when the sign-in expires mid-way (401 on a read)', async () => {
    serve({
      'GET /v1/me': ALICE,
      'GET /v1/sessions': 401,
      'GET /v1/alerts': { alerts: [], next_cursor: null },
    });
    render(<TeamApp />);
    expect((await screen.findByTestId('team-sign-in')).textContent).toContain('Your sign-in has expired.');
  });
});

describe('team mode, live', () => {
  it('follows the open session: a live notice fetches the new events and the verification again', async () => {
    window.history.replaceState(null, '', '/s/S_ALICE');
    let head = 1;
    const event = (seq: number) => ({
      seq,
      ts: T0 + seq,
      kind: 'pg.statement',
      payload: { sql: `SELECT ${seq}` },
      hash: 'f'.repeat(64),
    });
    const calls = serve({
      'GET /v1/me': BOB,
      'GET /v1/sessions': { sessions: [], next_cursor: null },
      'GET /v1/sessions/S_ALICE': () => session('S_ALICE', ALICE, { head_seq: head }),
      'GET /v1/sessions/S_ALICE/verify': () => ({
        intact: true,
        events: head,
        head_seq: head,
        head_hash: 'c'.repeat(64),
      }),
      'GET /v1/sessions/S_ALICE/events': (url: URL) => {
        const after = Number(url.searchParams.get('after'));
        return { events: after < head ? [event(head)] : [], next_after: null };
      },
    });
    render(<TeamApp />);
    await waitFor(() => expect(screen.getByTestId('team-verify').textContent).toContain('· 1 event ·'));
    expect(FakeSocket.all.at(-1)!.url).toBe('ws://localhost:3000/v1/live');
    head = 2;
    FakeSocket.all.at(-1)!.emit({ type: 'session', session_id: 'S_OTHER', head_seq: 9, owner: 'x' });
    FakeSocket.all.at(-1)!.emit({ type: 'session', session_id: 'S_ALICE', head_seq: 2, owner: 'alice' });
    await waitFor(() => expect(screen.getByTestId('team-verify').textContent).toContain('· 2 events ·'));
    const reads = calls.filter((c) => c.url.pathname === '/v1/sessions/S_ALICE/events');
    expect(reads.map((c) => c.url.searchParams.get('after'))).toEqual(['0', '1']);
  });

  it('shows the sign-in page when the live stream closes with 4401 (the sign-in expired)', async () => {
    serve({ 'GET /v1/me': BOB, 'GET /v1/sessions': { sessions: [], next_cursor: null } });
    render(<TeamApp />);
    await screen.findByTestId('team-me');
    FakeSocket.all.at(-1)!.onclose?.({ code: 4401 });
    expect((await screen.findByTestId('team-sign-in')).textContent).toContain('Your sign-in has expired.');
  });
});

describe('filtersOf', () => {
  it('drops empty fields and reads days as local midnight to the end of the day, in µs', () => {
    expect(filtersOf({ person: ' ', group: '', target: 'shop', from: '', to: '2026-03-04', q: 'x' })).toEqual(
      {
        target: 'shop',
        q: 'x',
        to: (new Date('2026-03-04T00:00:00').getTime() + 86_400_000) * 1000,
      },
    );
    expect(filtersOf({ person: '', group: '', target: '', from: 'nonsense', to: '', q: '' })).toEqual({});
  });
});
