// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GlassboxDesktopApi } from '../../main/ipc-contract';
import type { LiveMessage, Session } from '../../proxy/api/types';
import type { IdentityResponse, SignInState } from '../../proxy/identity/types';
import type { Identity } from '../../proxy/store/types';
import type { ApiClient } from '../../renderer/src/api/client';
import { ApiContext } from '../../renderer/src/api/context';
import { LiveContext } from '../../renderer/src/api/live';
import { IdentityBadge } from '../../renderer/src/identity/IdentityBadge';
import { IdentityHeader } from '../../renderer/src/identity/IdentityHeader';
import { SignInBanner } from '../../renderer/src/identity/SignInBanner';
import { useIdentity } from '../../renderer/src/identity/useIdentity';
import {
  filtersFromSearch,
  filtersToSearch,
  matchesLive,
  NO_FILTERS,
  toQuery,
} from '../../renderer/src/sessions/filters';
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

const ISSUER = 'https://login.example.test';
const alice = {
  issuer: ISSUER,
  subject: 'u-alice',
  email: 'alice@example.test',
  name: 'Alice Example',
  groups: ['engineering', 'auditors'],
};

function state(status: SignInState['status'], extra: Partial<SignInState> = {}): SignInState {
  const out = status === 'signed-out';
  return {
    status,
    claims: out ? null : alice,
    expires_at: out ? null : 2_000_000_000_000,
    token_fingerprint: out ? null : 'sha256:0123456789abcdef',
    store: out ? null : { kind: 'keychain', where: 'OS keychain (Secret Service)' },
    reason: status === 'expired' ? 'the provider refused the refresh token (invalid_grant)' : null,
    changed_at: 1,
    ...extra,
  };
}

function response(status: SignInState['status'], extra: Partial<IdentityResponse> = {}): IdentityResponse {
  return {
    configured: true,
    issuer: ISSUER,
    required: false,
    state: state(status),
    hint: status === 'signed-in' ? null : 'glassbox login',
    ...extra,
  };
}

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
    push: (message: unknown) =>
      act(() => {
        for (const listener of listeners) listener(message as LiveMessage);
      }),
  };
}

/** A control API stand-in answering the identity calls. */
function identityApi(initial: IdentityResponse | null) {
  const calls = { identity: 0 };
  const holder = { current: initial };
  const api = {
    identity: async () => {
      calls.identity++;
      return holder.current;
    },
    identityLogin: vi.fn(async () => ({ url: `${ISSUER}/authorize?state=xyz` })),
    identityLogout: vi.fn(async () => undefined),
  };
  return { api: api as unknown as ApiClient & typeof api, calls, holder };
}

function IdentityHarness({ api, desktop }: { api: ApiClient; desktop?: GlassboxDesktopApi }) {
  const view = useIdentity(api, desktop);
  return (
    <>
      <header>
        <IdentityHeader view={view} />
      </header>
      <SignInBanner view={view} />
    </>
  );
}

function mount(api: ApiClient, desktop?: GlassboxDesktopApi) {
  const feed = liveFeed();
  const view = render(
    <LiveContext.Provider value={feed.hub}>
      <IdentityHarness api={api} {...(desktop ? { desktop } : {})} />
    </LiveContext.Provider>,
  );
  return { feed, view };
}

describe('the header says who is signed in', () => {
  it('names the signed-in person with a verified mark; the tooltip has the issuer, groups and token store', async () => {
    const { api } = identityApi(response('signed-in'));
    mount(api);
    const me = await screen.findByTestId('signed-in-as');
    expect(me.textContent).toBe('✓Alice Example · alice@example.test');
    expect(me.querySelector('.verified-mark')).not.toBeNull();
    const title = me.getAttribute('title')!;
    expect(title).toContain(`Signed in with ${ISSUER}`);
    expect(title).toContain('Groups: engineering, auditors');
    expect(title).toContain('Tokens: OS keychain (Secret Service)');
    expect(screen.queryByTestId('sign-in-again')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(api.identityLogout).toHaveBeenCalledTimes(1));
  });

  it('says plainly when tokens are kept in a plain file rather than a keyring', async () => {
    const file = state('signed-in', {
      store: { kind: 'file', where: '/home/a/.glassbox/tokens.json (0600)' },
    });
    const { api } = identityApi(response('signed-in', { state: file }));
    mount(api);
    const me = await screen.findByTestId('signed-in-as');
    expect(me.getAttribute('title')).toContain(
      'Tokens: /home/a/.glassbox/tokens.json (0600) — not protected by a keyring',
    );
  });

  it('offers "Sign in" while signed out: the engine starts it and the page opens in a new tab', async () => {
    const open = vi.spyOn(window, 'open').mockReturnValue(null);
    const { api } = identityApi(response('signed-out'));
    mount(api);
    expect((await screen.findByTestId('not-signed-in')).textContent).toContain('Not signed in');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(open).toHaveBeenCalledTimes(1));
    expect(api.identityLogin).toHaveBeenCalledTimes(1);
    expect(open.mock.calls[0]![0]).toBe(`${ISSUER}/authorize?state=xyz`);
    expect(open.mock.calls[0]![1]).toBe('_blank');
    // Should a pop-up blocker eat the tab, the page stays one click away.
    expect(screen.getByRole('link', { name: /sign-in page/ }).getAttribute('href')).toBe(
      `${ISSUER}/authorize?state=xyz`,
    );
  });

  it('in the desktop window, leaves the sign-in to the app (the tray’s path, opened by the OS browser)', async () => {
    const open = vi.spyOn(window, 'open').mockReturnValue(null);
    const { api } = identityApi(response('signed-out'));
    const signIn = vi.fn(async () => ({
      ok: false as const,
      message: 'Sign-in could not start: unreachable',
    }));
    mount(api, { signIn } as unknown as GlassboxDesktopApi);
    fireEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    await screen.findByText('Sign-in could not start: unreachable');
    expect(signIn).toHaveBeenCalledTimes(1);
    expect(api.identityLogin).not.toHaveBeenCalled();
    expect(open).not.toHaveBeenCalled();
  });

  it("shows the engine's reason without repeating the command the banner already offers", async () => {
    const reason =
      'the identity provider refused the refresh token (invalid_grant: grant request is invalid); run `glassbox login` to sign in again';
    const { api } = identityApi({ ...response('expired'), state: state('expired', { reason }) });
    mount(api);
    const banner = await screen.findByTestId('sign-in-again');
    expect(banner.textContent).toContain(
      '(the identity provider refused the refresh token (invalid_grant: grant request is invalid))',
    );
    expect(banner.textContent?.match(/glassbox login/g)).toHaveLength(1); // the command to copy
  });

  it('asks to sign in again when the sign-in expired: a banner with the command to copy and a button', async () => {
    vi.spyOn(window, 'open').mockReturnValue(null);
    const { api } = identityApi(response('expired'));
    mount(api);
    const banner = await screen.findByTestId('sign-in-again');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(banner.textContent).toContain('Sign in again');
    expect(banner.textContent).toContain('invalid_grant');
    expect(banner.textContent).toContain('recorded as unverified');
    expect(banner.querySelector('[data-testid="copy-command"]')?.textContent).toBe('glassbox login');
    expect(screen.getByTestId('sign-in-expired').textContent).toContain('Sign-in expired');
    const buttons = screen.getAllByRole('button', { name: 'Sign in again' });
    expect(buttons).toHaveLength(2); // header and banner
    fireEvent.click(buttons[1]!);
    await waitFor(() => expect(api.identityLogin).toHaveBeenCalledTimes(1));
  });

  it('says when sign-in is required and missing: new sessions are refused', async () => {
    const { api } = identityApi(response('signed-out', { required: true }));
    mount(api);
    expect((await screen.findByTestId('sign-in-required')).textContent).toContain('refused');
  });

  it('shows nothing when sign-in is not configured, or the engine has no sign-in', async () => {
    const unconfigured = identityApi(response('signed-out', { configured: false, issuer: null }));
    const first = mount(unconfigured.api);
    await waitFor(() => expect(unconfigured.calls.identity).toBe(1));
    expect(first.view.container.textContent).toBe('');
    cleanup();
    const older = identityApi(null);
    const second = mount(older.api);
    await waitFor(() => expect(older.calls.identity).toBe(1));
    expect(second.view.container.textContent).toBe('');
  });

  it('follows the live feed: expiry shows the banner at once, signing in again removes it', async () => {
    const { api, calls, holder } = identityApi(response('signed-in'));
    const { feed } = mount(api);
    await screen.findByTestId('signed-in-as');
    feed.push({ type: 'identity', state: state('expired') });
    expect(screen.getByTestId('sign-in-again')).toBeTruthy();
    expect(calls.identity).toBe(1); // the message carries the state
    feed.push({ type: 'identity', state: state('signed-in') });
    expect(screen.queryByTestId('sign-in-again')).toBeNull();
    feed.push({ type: 'identity', state: state('signed-out') });
    expect(screen.getByTestId('not-signed-in')).toBeTruthy();
    // After a reconnect the state is read again (changes while the feed was down).
    holder.current = response('signed-in');
    feed.push({ type: 'hello', version: 'x' });
    await screen.findByTestId('signed-in-as');
    expect(calls.identity).toBe(2);
  });

  it('says why a sign-in begun here ended without signing in, drops the dead link, and lets it be dismissed', async () => {
    const { api } = identityApi(response('signed-out'));
    const open = vi.spyOn(window, 'open').mockReturnValue(null);
    const { feed } = mount(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    await screen.findByRole('link', { name: 'Open the sign-in page' });
    expect(open).toHaveBeenCalledTimes(1);
    const message = 'The sign-in was denied at https://login.example.test (access_denied).';
    feed.push({ type: 'sign-in-failed', failure: { code: 'refused', message } });
    const banner = screen.getByTestId('sign-in-error');
    expect(banner.textContent).toContain('Sign-in failed.');
    expect(banner.textContent).toContain(message);
    expect(screen.queryByRole('link', { name: 'Open the sign-in page' })).toBeNull();
    expect(screen.getByRole('banner').textContent).not.toContain('denied');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('sign-in-error')).toBeNull();
  });
});

const local: Identity = {
  subject: null,
  email: null,
  groups: [],
  verified: false,
  os_user: 'dev',
  host: 'box',
};
const verified: Identity = {
  ...local,
  ...alice,
  verified: true,
  token_fingerprint: 'sha256:0123456789abcdef',
  identity_status: 'verified',
};

describe('identity badges', () => {
  it('marks a verified person, with issuer and groups in the tooltip', () => {
    render(<IdentityBadge identity={verified} />);
    const badge = screen.getByTestId('identity');
    expect(badge.textContent).toBe('✓Alice Example');
    expect(badge.getAttribute('data-verified')).toBe('true');
    const title = badge.getAttribute('title')!;
    expect(title).toContain(`Verified by ${ISSUER}`);
    expect(title).toContain('alice@example.test');
    expect(title).toContain('Groups: engineering, auditors');
    expect(title).toContain('OS user: dev@box');
  });

  it('says clearly who is unverified, and when the sign-in had expired', () => {
    const { rerender } = render(<IdentityBadge identity={{ ...local, identity_status: 'signed-out' }} />);
    expect(screen.getByTestId('identity').textContent).toBe('unverified · dev@box');
    expect(screen.getByTestId('identity').getAttribute('data-verified')).toBe('false');
    rerender(<IdentityBadge identity={{ ...local, identity_status: 'expired' }} />);
    expect(screen.getByTestId('identity').textContent).toBe('sign-in expired · dev@box');
    // Recorded before sign-in existed: no status at all.
    rerender(<IdentityBadge identity={local} />);
    expect(screen.getByTestId('identity').textContent).toBe('unverified · dev@box');
    // An email a client claimed is not a verified person.
    rerender(<IdentityBadge identity={{ ...local, email: 'mallory@example.test' }} />);
    expect(screen.getByTestId('identity').textContent).toBe('unverified · dev@box');
  });
});

describe('filters by person and group', () => {
  it('builds the API query and the address from them', () => {
    const filters = { ...NO_FILTERS, person: ' alice@example.test ', group: 'auditors' };
    expect(toQuery(filters, 0)).toMatchObject({ person: 'alice@example.test', group: 'auditors' });
    expect(toQuery(NO_FILTERS, 0)).toMatchObject({ person: undefined, group: undefined });
    const search = filtersToSearch({ ...filters, kind: 'postgres' });
    expect(search).toBe('?kind=postgres&person=alice%40example.test&group=auditors');
    expect(filtersFromSearch(search)).toEqual({
      ...NO_FILTERS,
      kind: 'postgres',
      person: 'alice@example.test',
      group: 'auditors',
    });
    expect(filtersToSearch(NO_FILTERS)).toBe('');
    // Values the view does not offer are dropped, not sent.
    expect(filtersFromSearch('?kind=ftp&range=5y&status=x')).toEqual(NO_FILTERS);
  });

  it('lets a live session in only when it is that person’s or in that group', () => {
    const session = {
      identity: verified,
      kind: 'anthropic',
      status: 'live',
      target: 'x',
      started_at: 1,
    } as Session;
    const unverified = { ...session, identity: local };
    const by = (person: string, group = '') => matchesLive(session, { ...NO_FILTERS, person, group }, 1);
    expect(by('ALICE@example.test')).toBe(true);
    expect(by('u-alice')).toBe(true);
    expect(by('bob@example.test')).toBe(false);
    expect(by('', 'auditors')).toBe(true);
    expect(by('', 'db-approvers')).toBe(false);
    expect(matchesLive(unverified, { ...NO_FILTERS, group: 'auditors' }, 1)).toBe(false);
  });

  it('filters the sessions list from the address, offers the people and groups seen, and keeps the address current', async () => {
    window.history.replaceState(null, '', '/?group=auditors');
    const queries: Array<Record<string, unknown>> = [];
    const row = (id: string, identity: Identity): Session => ({
      id,
      kind: 'anthropic',
      target: 'api.anthropic.com',
      client: 'claude-cli',
      identity,
      external_id: null,
      started_at: Date.now() * 1000,
      ended_at: null,
      last_event_at: Date.now() * 1000,
      idle_at: null,
      status: 'closed',
      stats: {},
      head_seq: 1,
      head_hash: 'h',
    });
    const api = {
      sessions: async (query: Record<string, unknown>) => {
        queries.push(query);
        return { sessions: [row('S1', verified), row('S2', local)], next_before: null };
      },
      health: async () => ({}),
    } as unknown as ApiClient;
    const wrap = (children: ReactNode) => <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
    render(wrap(<SessionsView active={true} onOpen={() => undefined} />));
    await waitFor(() => expect(queries.length).toBeGreaterThan(0));
    expect(queries[0]).toMatchObject({ group: 'auditors' });
    expect((screen.getByLabelText('group') as HTMLInputElement).value).toBe('auditors');
    // The rows say who is verified.
    await waitFor(() => expect(screen.getAllByTestId('identity')).toHaveLength(2));
    expect(screen.getAllByTestId('identity').map((b) => b.textContent)).toEqual([
      '✓Alice Example',
      'unverified · dev@box',
    ]);
    // The people and groups seen are offered.
    const people = [...document.querySelectorAll('#people option')].map((o) => o.getAttribute('value'));
    expect(people).toEqual(['alice@example.test']);
    const groups = [...document.querySelectorAll('#groups option')].map((o) => o.getAttribute('value'));
    expect(groups).toEqual(['auditors', 'engineering']);
    fireEvent.change(screen.getByLabelText('person'), { target: { value: 'alice@example.test' } });
    await waitFor(() =>
      expect(queries.at(-1)).toMatchObject({ person: 'alice@example.test', group: 'auditors' }),
    );
    await waitFor(() => expect(window.location.search).toBe('?person=alice%40example.test&group=auditors'));
  });
});
