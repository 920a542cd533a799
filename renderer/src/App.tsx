import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import type { GlassboxDesktopApi } from '../../main/ipc-contract';
import { ApiClient } from './api/client';
import { ApiContext } from './api/context';
import type { Connection } from './api/desktop';
import { LiveContext, useLiveHub } from './api/live';
import { ApprovalsView } from './approvals/ApprovalsView';
import { ApprovalsProvider, useApprovals } from './approvals/useApprovals';
import { IdentityHeader } from './identity/IdentityHeader';
import { SignInBanner } from './identity/SignInBanner';
import { type IdentityView, useIdentity } from './identity/useIdentity';
import { MaskingView } from './masking/MaskingView';
import { MirrorHeader } from './mirror/MirrorBadge';
import { MirrorProvider } from './mirror/useMirror';
import { RecordingToggle } from './RecordingToggle';
import { StatusBanner } from './StatusBanner';
import { SessionView } from './session/SessionView';
import { SessionsView } from './sessions/SessionsView';
import { NavigateContext, RouteLink } from './ui/nav';

/**
 * Where the dashboard is: the sessions list at `/`, a session at `/s/ID`, the masking view at `/masking`,
 * the approvals inbox at `/approvals` (one selected: `/approvals/ap_…`).
 */
export type Route =
  | { view: 'list' }
  | { view: 'session'; id: string }
  | { view: 'masking' }
  | { view: 'approvals'; id: string | null };

/** The route for a URL path. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/masking') return { view: 'masking' };
  if (pathname === '/approvals') return { view: 'approvals', id: null };
  const approval = /^\/approvals\/([0-9A-Za-z_-]{1,64})$/.exec(pathname);
  if (approval) return { view: 'approvals', id: approval[1]! };
  const match = /^\/s\/([0-9A-Za-z_-]+)$/.exec(pathname);
  return match ? { view: 'session', id: match[1]! } : { view: 'list' };
}

/** The header's count of pending approvals, also in the tab's title (`(2) Glassbox`); nothing while none waits. */
function PendingBadge() {
  const { pending } = useApprovals();
  useEffect(() => {
    document.title = pending > 0 ? `(${pending}) Glassbox` : 'Glassbox';
  }, [pending]);
  if (pending === 0) return null;
  return (
    <span className="count-badge" data-testid="approvals-badge" title={`${pending} waiting for a decision`}>
      {pending}
    </span>
  );
}

/**
 * One view of the sign-in for the header and the "Sign in again" banner (inside the live feed's provider,
 * which it listens to).
 */
function WithIdentity({
  client,
  desktop,
  children,
}: {
  client: ApiClient;
  desktop?: GlassboxDesktopApi;
  children: (identity: IdentityView) => ReactNode;
}) {
  const identity = useIdentity(client, desktop);
  return <>{children(identity)}</>;
}

function Shell({ client, desktop }: { client: ApiClient; desktop?: GlassboxDesktopApi }) {
  const hub = useLiveHub(client);
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  // A clicked desktop notification asks for a route, e.g. /s/ID.
  useEffect(
    () =>
      desktop?.onNavigate((path) => {
        window.history.pushState(null, '', path);
        setRoute(parseRoute(path));
      }),
    [desktop],
  );
  const open = useCallback((id: string) => {
    window.history.pushState(null, '', `/s/${id}`);
    setRoute({ view: 'session', id });
  }, []);
  const back = useCallback(() => {
    window.history.pushState(null, '', '/');
    setRoute({ view: 'list' });
  }, []);
  const navigate = useCallback((path: string) => {
    window.history.pushState(null, '', path);
    setRoute(parseRoute(path));
  }, []);
  // Selecting in the inbox changes the address without adding a history entry per arrow key.
  const selectApproval = useCallback((id: string) => {
    const path = `/approvals/${encodeURIComponent(id)}`;
    window.history.replaceState(null, '', path);
    setRoute({ view: 'approvals', id });
  }, []);
  return (
    <LiveContext.Provider value={hub}>
      <NavigateContext.Provider value={navigate}>
        <ApprovalsProvider client={client}>
          <MirrorProvider client={client}>
            <WithIdentity client={client} {...(desktop ? { desktop } : {})}>
              {(identity) => (
                <div className="app">
                  <header className="topbar">
                    <span className="brand">Glassbox</span>
                    <span className={`live-state live-${hub.state}`} data-testid="live-state">
                      <i className="dot" />
                      {hub.state === 'live'
                        ? 'live'
                        : hub.state === 'connecting'
                          ? 'connecting…'
                          : 'engine offline, retrying'}
                    </span>
                    <nav className="topnav" aria-label="Views">
                      <RouteLink to="/masking" current={route.view === 'masking'} testId="nav-masking">
                        Masking
                      </RouteLink>
                      <RouteLink to="/approvals" current={route.view === 'approvals'} testId="nav-approvals">
                        Approvals <PendingBadge />
                      </RouteLink>
                    </nav>
                    <span className="spacer" />
                    <span className="faint small keys-hint">j/k move · Enter open · / search · Esc back</span>
                    <MirrorHeader />
                    <IdentityHeader view={identity} />
                    <RecordingToggle client={client} />
                  </header>
                  <StatusBanner client={client} {...(desktop ? { desktop } : {})} />
                  <SignInBanner view={identity} />
                  <main className="main">
                    <SessionsView active={route.view === 'list'} onOpen={open} />
                    {route.view === 'session' ? (
                      <SessionView key={route.id} id={route.id} onBack={back} />
                    ) : null}
                    {route.view === 'masking' ? <MaskingView onBack={back} /> : null}
                    {route.view === 'approvals' ? (
                      <ApprovalsView selectedId={route.id} onSelect={selectApproval} onBack={back} />
                    ) : null}
                  </main>
                </div>
              )}
            </WithIdentity>
          </MirrorProvider>
        </ApprovalsProvider>
      </NavigateContext.Provider>
    </LiveContext.Provider>
  );
}

/**
 * The dashboard: asks for the token when opened without one, else the sessions list and session views.
 * `desktop` is the desktop app's preload API when running in its window.
 */
export function App({
  connection,
  desktop,
}: {
  connection: Connection | null;
  desktop?: GlassboxDesktopApi;
}) {
  const client = useMemo(
    () => (connection ? new ApiClient(connection.token, '', connection.liveBase) : null),
    [connection],
  );
  if (!client) {
    return (
      <div className="page-message" data-testid="no-token">
        <h2>Open the dashboard from the link Glassbox printed</h2>
        <p>
          <code>glassbox serve</code> prints a <code>Dashboard http://127.0.0.1:…/#token=…</code> line; the
          token in it authorises this tab.
        </p>
      </div>
    );
  }
  return (
    <ApiContext.Provider value={client}>
      <Shell client={client} {...(desktop ? { desktop } : {})} />
    </ApiContext.Provider>
  );
}
