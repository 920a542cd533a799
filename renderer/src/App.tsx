import { useCallback, useEffect, useMemo, useState } from 'react';
import type { GlassboxDesktopApi } from '../../main/ipc-contract';
import { ApiClient } from './api/client';
import { ApiContext } from './api/context';
import type { Connection } from './api/desktop';
import { LiveContext, useLiveHub } from './api/live';
import { MaskingView } from './masking/MaskingView';
import { RecordingToggle } from './RecordingToggle';
import { StatusBanner } from './StatusBanner';
import { SessionView } from './session/SessionView';
import { SessionsView } from './sessions/SessionsView';

/** Where the dashboard is: the sessions list at `/`, a session at `/s/ID`, the masking view at `/masking`. */
export type Route = { view: 'list' } | { view: 'session'; id: string } | { view: 'masking' };

/** The route for a URL path. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/masking') return { view: 'masking' };
  const match = /^\/s\/([0-9A-Za-z_-]+)$/.exec(pathname);
  return match ? { view: 'session', id: match[1]! } : { view: 'list' };
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
  const masking = useCallback((event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    window.history.pushState(null, '', '/masking');
    setRoute({ view: 'masking' });
  }, []);
  return (
    <LiveContext.Provider value={hub}>
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
            <a
              href="/masking"
              onClick={(event) => masking(event.nativeEvent)}
              aria-current={route.view === 'masking' ? 'page' : undefined}
              data-testid="nav-masking"
            >
              Masking
            </a>
          </nav>
          <span className="spacer" />
          <span className="faint small keys-hint">j/k move · Enter open · / search · Esc back</span>
          <RecordingToggle client={client} />
        </header>
        <StatusBanner client={client} {...(desktop ? { desktop } : {})} />
        <main className="main">
          <SessionsView active={route.view === 'list'} onOpen={open} />
          {route.view === 'session' ? <SessionView key={route.id} id={route.id} onBack={back} /> : null}
          {route.view === 'masking' ? <MaskingView onBack={back} /> : null}
        </main>
      </div>
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
