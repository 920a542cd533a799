import { memo } from 'react';
import type { Session } from '../../../proxy/api/types';
import { compact, count, duration, sessionCost, unpricedTitle, when } from '../format';
import { IdentityBadge } from '../identity/IdentityBadge';
import { MirrorBadge } from '../mirror/MirrorBadge';
import type { SessionMirrorView } from '../mirror/mirror';
import { kindLabel, shownActivity } from './activity';

/**
 * The column headings of the sessions table (same grid as {@link SessionRow}); `team` adds the Team column
 * (a team server is configured).
 */
export function SessionHeaderRow({ team = false }: { team?: boolean }) {
  return (
    <div className={`srow srow-head${team ? ' with-team' : ''}`}>
      <span>Status</span>
      <span>Kind</span>
      <span>Target</span>
      <span className="col-identity">Identity</span>
      <span className="col-client">Client</span>
      <span className="num">Turns / stmts</span>
      <span className="num">Tokens</span>
      <span className="num">Cost</span>
      <span className="num">Errors</span>
      <span>Started</span>
      <span className="num">Duration</span>
      {team ? <span>Team</span> : null}
    </div>
  );
}

/**
 * One row of the sessions table: status (live ones pulse; quiet Claude sessions show idle), kind, target,
 * identity (verified or not), client, turns or statements, tokens and cost (Claude), errors, start time and duration (running
 * for live sessions, to the last event for idle ones), and with a team server its mirror badge.
 */
export const SessionRow = memo(function SessionRow({
  session,
  selected,
  nowUs,
  onOpen,
  mirror,
}: {
  session: Session;
  selected: boolean;
  /** Now (µs since epoch): a live session's running duration, and whether a start time is today. */
  nowUs: number;
  /** Called with the session's id when the row is clicked. */
  onOpen: (id: string) => void;
  /** The session's mirror badge; undefined: no team server (no Team column). */
  mirror?: SessionMirrorView | null;
}) {
  const s = session.stats;
  const pg = session.kind === 'postgres';
  const claude = session.kind === 'anthropic';
  const shown = shownActivity(session, nowUs);
  const tokens = (s.input_tokens ?? 0) + (s.output_tokens ?? 0) + (s.cache_read_input_tokens ?? 0);
  return (
    <button
      type="button"
      className={`srow${selected ? ' selected' : ''}${shown.status === 'live' ? ' is-live' : ''}${mirror === undefined ? '' : ' with-team'}`}
      data-testid="session-row"
      data-id={session.id}
      data-status={session.status}
      onClick={() => onOpen(session.id)}
      tabIndex={-1}
    >
      <span className={`status status-${shown.status}`}>
        <i className="dot" />
        {shown.status}
      </span>
      <span className={`kind kind-${session.kind}`}>{kindLabel(session)}</span>
      <span className="ellipsis mono" title={session.external_id ?? session.target}>
        {session.target}
      </span>
      <IdentityBadge identity={session.identity} className="ellipsis col-identity" />
      <span className="ellipsis faint col-client" title={session.client ?? ''}>
        {session.client ?? '—'}
      </span>
      <span className="num">{pg ? count(s.statements ?? 0) : claude ? count(s.turns ?? 0) : ''}</span>
      <span
        className="num"
        title={claude ? `${count(s.input_tokens)} in / ${count(s.output_tokens)} out` : ''}
      >
        {claude ? compact(tokens) : ''}
      </span>
      <span className="num" title={claude ? unpricedTitle(s.unpriced_turns) : ''}>
        {claude ? sessionCost(s.cost_usd, s.unpriced_turns) : ''}
      </span>
      <span className={`num${s.errors ? ' error-text' : ' faint'}`}>{count(s.errors ?? 0)}</span>
      <span className="mono">{when(session.started_at, nowUs)}</span>
      <span className="num mono">{duration(shown.end - session.started_at)}</span>
      {mirror === undefined ? null : <MirrorBadge view={mirror} className="ellipsis" />}
    </button>
  );
});
