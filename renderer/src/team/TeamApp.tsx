import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Me } from '../../../proxy/sync/protocol';
import { NavigateContext, RouteLink } from '../ui/nav';
import { TeamCallError, TeamClient } from './client';
import { parseTeamRoute, TeamContext, type TeamRoute, useTeam } from './context';
import { TeamLiveContext, useTeamLive, useTeamLiveSocket } from './live';
import { TeamAlerts } from './TeamAlerts';
import { TeamApprovals } from './TeamApprovals';
import { TeamSession } from './TeamSession';
import { TeamSessions } from './TeamSessions';

type SignIn = { state: 'loading' } | { state: 'signed-out'; reason?: string } | { state: 'in'; me: Me };

/** Shown when nobody is signed in: one button to the server's sign-in, which comes back to this page. */
export function SignInPage({ client, reason }: { client: TeamClient; reason?: string | undefined }) {
  const here = `${window.location.pathname}${window.location.search}`;
  return (
    <div className="page-message" data-testid="team-sign-in">
      <h2>Glassbox team server</h2>
      <p>Sign in to see the sessions mirrored here, integrity alerts and approvals routed to you.</p>
      {reason ? <p className="faint">{reason}</p> : null}
      <a className="btn btn-primary" href={client.loginUrl(here)}>
        Sign in
      </a>
    </div>
  );
}

/**
 * The dashboard as served by the team server: asks who is signed in (`GET /v1/me`), shows the sign-in page
 * until someone is, then the sessions (everyone's for auditors), a session, integrity alerts and the
 * approvals inbox. `client` may be given (tests); by default the page's own origin.
 */
export function TeamApp({ client: given }: { client?: TeamClient }) {
  const client = useMemo(() => given ?? new TeamClient(), [given]);
  const [signIn, setSignIn] = useState<SignIn>({ state: 'loading' });
  useEffect(() => {
    let alive = true;
    client.me().then(
      (me) => alive && setSignIn({ state: 'in', me }),
      (error: unknown) => {
        if (!alive) return;
        const expired = error instanceof TeamCallError && error.status === 401;
        setSignIn({ state: 'signed-out', ...(!expired && { reason: (error as Error).message }) });
      },
    );
    return () => {
      alive = false;
    };
  }, [client]);
  const signedOut = useCallback(
    () => setSignIn({ state: 'signed-out', reason: 'Your sign-in has expired.' }),
    [],
  );
  if (signIn.state === 'loading') return <div className="page-message faint">Loading…</div>;
  if (signIn.state === 'signed-out') return <SignInPage client={client} reason={signIn.reason} />;
  return (
    <TeamContext.Provider value={{ client, me: signIn.me, signedOut }}>
      <TeamShell me={signIn.me} client={client} signedOut={signedOut} />
    </TeamContext.Provider>
  );
}

function TeamShell({ me, client, signedOut }: { me: Me; client: TeamClient; signedOut: () => void }) {
  const live = useTeamLiveSocket(client, signedOut);
  const [route, setRoute] = useState<TeamRoute>(() => parseTeamRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseTeamRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((path: string) => {
    window.history.pushState(null, '', path);
    setRoute(parseTeamRoute(path));
  }, []);
  const signOut = () => {
    void client.logout().finally(() => window.location.assign('/'));
  };
  const approver = me.approver_groups.length > 0;
  return (
    <TeamLiveContext.Provider value={live}>
      <NavigateContext.Provider value={navigate}>
        <div className="app team">
          <header className="topbar">
            <span className="brand">Glassbox</span>
            <span className="faint small">team server</span>
            <span className={`live-state live-${live.state}`} data-testid="live-state">
              <i className="dot" />
              {live.state === 'live'
                ? 'live'
                : live.state === 'connecting'
                  ? 'connecting…'
                  : 'offline, retrying'}
            </span>
            <nav className="topnav" aria-label="Views">
              <RouteLink
                to="/"
                current={route.view === 'list' || route.view === 'session'}
                testId="nav-sessions"
              >
                Sessions
              </RouteLink>
              {me.auditor ? (
                <RouteLink to="/alerts" current={route.view === 'alerts'} testId="nav-alerts">
                  Integrity alerts
                </RouteLink>
              ) : null}
              {approver ? (
                <RouteLink to="/approvals" current={route.view === 'approvals'} testId="nav-approvals">
                  Approvals
                </RouteLink>
              ) : null}
            </nav>
            <span className="spacer" />
            <span className="identity identity-verified" data-testid="team-me" title={me.groups.join(', ')}>
              <i className="verified-mark" role="img" aria-label="verified">
                ✓
              </i>
              {me.name ?? me.email ?? me.subject}
              {me.auditor ? <span className="badge">auditor</span> : null}
            </span>
            <button type="button" className="btn btn-ghost" onClick={signOut}>
              Sign out
            </button>
          </header>
          {me.auditor ? <AlertStrip onOpen={() => navigate('/alerts')} /> : null}
          <main className="main">
            <TeamSessions active={route.view === 'list'} onOpen={(id) => navigate(`/s/${id}`)} />
            {route.view === 'session' ? (
              <TeamSession key={route.id} id={route.id} onBack={() => navigate('/')} />
            ) : null}
            {route.view === 'alerts' ? <TeamAlerts onOpen={(id) => navigate(`/s/${id}`)} /> : null}
            {route.view === 'approvals' ? (
              <TeamApprovals selectedId={route.id} onSelect={(id) => navigate(`/approvals/${id}`)} />
            ) : null}
          </main>
        </div>
      </NavigateContext.Provider>
    </TeamLiveContext.Provider>
  );
}

/** For auditors, on every page: how many integrity alerts there are, prominently, linking to the list. */
function AlertStrip({ onOpen }: { onOpen: () => void }) {
  const { client } = useTeam();
  const [count, setCount] = useState<number | null>(null);
  const [seen, setSeen] = useState(0);
  useTeamLive((message) => {
    if (message.type === 'alert') setSeen((n) => n + 1);
  });
  useEffect(() => {
    let alive = true;
    void seen;
    client.alerts(null, 100).then(
      (page) => alive && setCount(page.alerts.length),
      () => undefined,
    );
    return () => {
      alive = false;
    };
  }, [client, seen]);
  if (!count) return null;
  return (
    <button type="button" className="banner banner-err" data-testid="alert-strip" onClick={onOpen}>
      ⚠ {count}
      {count === 100 ? '+' : ''} integrity alert{count === 1 ? '' : 's'}: mirrored chains that disagree or
      identities that do not match their token. Review them.
    </button>
  );
}
