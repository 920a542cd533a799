/**
 * The mirror to the team server in words, for the dashboard (issue 19): one badge per session and one
 * indicator in the header, from GET /api/team's {@link MirrorStatus} (proxy/sync/types.ts).
 */
import type { MirrorStatus, SessionMirrorState } from '../../../proxy/sync/types';

/** What a session's badge shows: its state, the words, and the tooltip. */
export interface SessionMirrorView {
  state: SessionMirrorState['state'];
  label: string;
  title: string;
}

/** True when there is a mirror to show (config.json has a `team` section and mirroring is on). */
export function mirrorShown(status: MirrorStatus | null): status is MirrorStatus {
  return status?.configured === true && status.state !== 'off';
}

const EVENTS = (n: number) => `${n.toLocaleString('en-US')} event${n === 1 ? '' : 's'}`;

/** A time (ms since epoch) as "14:03:07" local time. */
function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/**
 * A session's badge: `mirrored`, `behind by N` (events), `refused` (the server's reason in the tooltip) or
 * `waiting` (retrying; the last error and the next attempt in the tooltip). Null when there is no mirror to
 * show. Sessions the status does not list are mirrored.
 */
export function sessionMirrorView(status: MirrorStatus | null, sessionId: string): SessionMirrorView | null {
  if (!mirrorShown(status)) return null;
  const server = status.url ?? 'the team server';
  const entry = status.sessions.find((s) => s.session_id === sessionId);
  if (!entry) return { state: 'mirrored', label: 'mirrored', title: `Every event is on ${server}.` };
  const acked = `${server} has events up to seq ${entry.acked_seq} of ${entry.head_seq}.`;
  switch (entry.state) {
    case 'mirrored':
      return { state: 'mirrored', label: 'mirrored', title: `Every event is on ${server}.` };
    case 'behind':
      return {
        state: 'behind',
        label: `behind by ${entry.behind.toLocaleString('en-US')}`,
        title: `${EVENTS(entry.behind)} not yet on ${server}. ${acked}`,
      };
    case 'refused':
      return {
        state: 'refused',
        label: 'refused',
        title: `${server} refused this session: ${entry.last_error ?? 'no reason given'}. ${acked} It is not sent again until the session changes.`,
      };
    case 'waiting': {
      const next = entry.next_attempt_at === null ? '' : ` Next try at ${clock(entry.next_attempt_at)}.`;
      return {
        state: 'waiting',
        label: 'waiting',
        title: `Retrying: ${entry.last_error ?? 'the last attempt failed'}.${next} ${acked}`,
      };
    }
  }
}

/** The header's indicator: a tone for the dot, the words, and the tooltip. */
export interface MirrorHeaderView {
  tone: 'ok' | 'busy' | 'warn' | 'err';
  label: string;
  title: string;
}

function sessions(n: number): string {
  return `${n} session${n === 1 ? '' : 's'}`;
}

/**
 * The mirror as a whole for the header: "Team: up to date", "Team: 3 sessions behind", "Team: offline —
 * retrying", "Team: refused 1 session", "Team: signed out". Null when there is no mirror to show.
 */
export function mirrorHeaderView(status: MirrorStatus | null): MirrorHeaderView | null {
  if (!mirrorShown(status)) return null;
  const server = status.url ?? 'the team server';
  const lines = [`Mirroring your sessions to ${server}.`];
  if (status.events_behind > 0)
    lines.push(`${EVENTS(status.events_behind)} in ${sessions(status.sessions_behind)} not yet sent.`);
  if (status.last_success_at !== null) lines.push(`Last batch accepted at ${clock(status.last_success_at)}.`);
  if (status.last_error) lines.push(`Last error: ${status.last_error}`);
  const title = lines.join('\n');
  switch (status.state) {
    case 'up-to-date':
      return { tone: 'ok', label: 'Team: up to date', title };
    case 'mirroring':
      return { tone: 'busy', label: `Team: ${sessions(status.sessions_behind)} behind`, title };
    case 'offline':
      return { tone: 'warn', label: 'Team: offline — retrying', title };
    case 'signed-out':
      return {
        tone: 'warn',
        label: 'Team: signed out',
        title: `${title}\nNothing is sent until you sign in (glassbox login).`,
      };
    case 'refused':
      return { tone: 'err', label: `Team: refused ${sessions(status.refused)}`, title };
    default:
      return null;
  }
}

/**
 * {@link sessionMirrorView} for many sessions (the sessions list): the same view object for the same session
 * as long as `status` is the same, so memoised rows re-render only when their badge changes. Null when there
 * is no mirror to show.
 */
export function sessionMirrorLookup(
  status: MirrorStatus | null,
): ((sessionId: string) => SessionMirrorView | null) | null {
  if (!mirrorShown(status)) return null;
  const cache = new Map<string, SessionMirrorView | null>();
  return (sessionId) => {
    if (!cache.has(sessionId)) cache.set(sessionId, sessionMirrorView(status, sessionId));
    return cache.get(sessionId) ?? null;
  };
}
