import { createContext, useContext } from 'react';
import type { Me } from '../../../proxy/sync/protocol';
import type { TeamClient } from './client';

/** The team server's client and the signed-in person, provided by {@link TeamApp}'s root. */
export interface TeamState {
  client: TeamClient;
  me: Me;
  /** Called when a call answers 401: the sign-in expired; the page shows the sign-in again. */
  signedOut: () => void;
}

export const TeamContext = createContext<TeamState | null>(null);

/** The team state; throws outside the provider (a programming error). */
export function useTeam(): TeamState {
  const state = useContext(TeamContext);
  if (!state) throw new Error('useTeam outside TeamContext');
  return state;
}

/** The route of a team page: sessions `/`, a session `/s/ID`, alerts `/alerts`, approvals `/approvals[/ID]`. */
export type TeamRoute =
  | { view: 'list' }
  | { view: 'session'; id: string }
  | { view: 'alerts' }
  | { view: 'approvals'; id: string | null };

/** The route for a URL path (unknown paths: the sessions list). */
export function parseTeamRoute(pathname: string): TeamRoute {
  if (pathname === '/alerts') return { view: 'alerts' };
  if (pathname === '/approvals') return { view: 'approvals', id: null };
  const approval = /^\/approvals\/([0-9A-Za-z_-]{1,64})$/.exec(pathname);
  if (approval) return { view: 'approvals', id: approval[1]! };
  const session = /^\/s\/([0-9A-Za-z_-]{1,64})$/.exec(pathname);
  return session ? { view: 'session', id: session[1]! } : { view: 'list' };
}
