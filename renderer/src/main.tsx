import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { type Connection, desktopApi, desktopConnection } from './api/desktop';
import { takeToken } from './api/token';
import { isTeamMode } from './team/mode';
import { TeamApp } from './team/TeamApp';
import './styles.css';
import './approvals/approvals.css';
import './identity/identity.css';
import './team/team.css';
import './mirror/mirror.css';

/** The desktop window gets its connection from the preload; a browser tab from the URL fragment. */
async function connection(): Promise<Connection | null> {
  const desktop = await desktopConnection(desktopApi(window));
  if (desktop) return desktop;
  const token = takeToken(window.location, window.sessionStorage, window.history);
  return token ? { token } : null;
}

const root = document.getElementById('root');
if (root && isTeamMode(document)) {
  // Served by glassbox-server: the team dashboard, signed in by the server's cookie (no token in the page).
  createRoot(root).render(
    <StrictMode>
      <TeamApp />
    </StrictMode>,
  );
} else if (root) {
  const mount = root;
  void connection().then((found) =>
    createRoot(mount).render(
      <StrictMode>
        <App connection={found} desktop={desktopApi(window)} />
      </StrictMode>,
    ),
  );
}
