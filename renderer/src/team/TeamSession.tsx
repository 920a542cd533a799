import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { RecordedEvent } from '../../../proxy/api/types';
import type { Identity } from '../../../proxy/store/types';
import type { ChainVerification, ServerSession } from '../../../proxy/sync/protocol';
import { buildConversation, type OtherEvent } from '../claude/conversation';
import { OtherEventView, TurnView } from '../claude/TurnView';
import { counted, when } from '../format';
import { IdentityBadge } from '../identity/IdentityBadge';
import { PgEventView, StatementView } from '../postgres/StatementView';
import { buildStatements } from '../postgres/statements';
import { RawView } from '../session/RawView';
import { kindLabel } from '../sessions/activity';
import type { TeamExportFormat } from './client';
import { useTeam } from './context';
import { useTeamLive } from './live';
import { ownerLabel } from './TeamSessions';
import { useTeamCall } from './useTeamCall';

/** Events per page: at most a batch (MAX_BATCH_EVENTS), which any page limit of the server admits. */
const PAGE = 500;

/** The server's chain verification, shown prominently: intact with its head, or where it breaks and why. */
export function Verification({ verdict }: { verdict: ChainVerification | { error: string } | null }) {
  if (!verdict) return <div className="verify-strip">Verifying the chain on the server…</div>;
  if ('error' in verdict)
    return (
      <div className="verify-strip verify-warn" data-testid="team-verify">
        Not verified: {verdict.error}
      </div>
    );
  return verdict.intact ? (
    <div className="verify-strip verify-ok" data-testid="team-verify" title={`head ${verdict.head_hash}`}>
      ✓ Chain verified by the server · {counted(verdict.events, 'event')} · head{' '}
      {verdict.head_hash.slice(0, 12)}…
    </div>
  ) : (
    <div className="verify-strip verify-err" data-testid="team-verify">
      ✗ Chain broken at seq {verdict.broken_at_seq}: {verdict.reason}
    </div>
  );
}

/** Who mirrored the session (the token's person) against who the engine recorded, and whether they differ. */
export function Ownership({ session }: { session: ServerSession }) {
  return (
    <div className="facts small" data-testid="team-ownership">
      <span>
        Owner (token): <strong data-testid="team-owner">{ownerLabel(session.owner)}</strong>
        {session.owner.email && session.owner.name ? (
          <span className="faint"> · {session.owner.email}</span>
        ) : null}
      </span>
      <span>
        Recorded as: <IdentityBadge identity={session.identity as Identity} />
      </span>
      {session.identity_mismatch ? (
        <span className="badge badge-err" data-testid="team-mismatch">
          identity mismatch: the recorded identity is not the token's person
        </span>
      ) : null}
    </div>
  );
}

/**
 * One mirrored session: the server's chain verification, owner against recorded identity, exports (JSONL,
 * HAR for HTTP, SQL for PostgreSQL; plain links, the cookie goes with them), then the conversation or the
 * statements as the local dashboard shows them, and the raw events.
 */
export function TeamSession({ id, onBack }: { id: string; onBack: () => void }) {
  const { client } = useTeam();
  // Bumped by the live stream when the session grows: the row and the verdict are read again.
  const [version, setVersion] = useState(0);
  const session = useTeamCall(() => client.session(id), `${id}:${version}`);
  const verdict = useTeamCall(() => client.verify(id), `${id}:${version}`);
  const [events, setEvents] = useState<RecordedEvent[]>([]);
  const [complete, setComplete] = useState(false);
  const [raw, setRaw] = useState(false);
  const loader = useRef({ after: 0, loading: false, again: false, alive: true });
  const fetchMore = useCallback(async () => {
    const l = loader.current;
    if (l.loading) {
      l.again = true;
      return;
    }
    l.loading = true;
    try {
      do {
        l.again = false;
        const page = await client.events(id, l.after, PAGE);
        if (!l.alive) return;
        const last = page.events.at(-1);
        if (last) l.after = last.seq;
        if (page.events.length > 0)
          setEvents((current) => current.concat(page.events.map((e) => ({ ...e, session_id: id }))));
        if (page.next_after !== null && page.events.length > 0) l.again = true;
      } while (l.again && l.alive);
    } catch {
      // Shown as the session's own error when the row cannot be read either.
    } finally {
      l.loading = false;
      if (l.alive) setComplete(true);
    }
  }, [client, id]);
  useEffect(() => {
    loader.current = { after: 0, loading: false, again: false, alive: true };
    void fetchMore();
    return () => {
      loader.current.alive = false;
    };
  }, [fetchMore]);
  useTeamLive((message) => {
    if (message.type !== 'session' || message.session_id !== id) return;
    void fetchMore();
    setVersion((v) => v + 1);
  });
  const s = session && 'value' in session ? session.value : null;
  const isPg = s?.kind === 'postgres';
  const items = useMemo(
    () => (isPg ? buildStatements(events) : buildConversation(events, [])),
    [isPg, events],
  );
  const turnNumbers = useMemo(() => {
    const numbers = new Map<number, number>();
    for (const item of items) if (item.type === 'turn') numbers.set(item.turn.requestSeq, numbers.size + 1);
    return numbers;
  }, [items]);
  const [scroll, setScroll] = useState<HTMLDivElement | null>(null);
  if (session && 'error' in session)
    return <div className="page-message error-text">Could not load the session: {session.error}</div>;
  if (!s) return <div className="page-message faint">Loading…</div>;
  const formats: TeamExportFormat[] = isPg ? ['jsonl', 'sql'] : ['jsonl', 'har'];
  return (
    <div className="session-view" data-testid="team-session">
      <header className="session-head">
        <div className="title-row">
          <button type="button" className="btn btn-ghost" onClick={onBack}>
            ← Sessions
          </button>
          <span className={`kind kind-${s.kind}`}>{kindLabel(s)}</span>
          <span className={`status status-${s.status}`}>
            <i className="dot" />
            {s.status}
          </span>
          <h1 className="title">{s.target}</h1>
          <span className="spacer" />
          <span className="exports">
            <span className="faint small">Export</span>
            {formats.map((format) => (
              <a key={format} className="btn" href={client.exportUrl(s.id, format)} download>
                {format.toUpperCase()}
              </a>
            ))}
          </span>
        </div>
        <Verification verdict={verdict && 'value' in verdict ? verdict.value : verdict} />
        <Ownership session={s} />
        <div className="facts small">
          <span>{s.client ?? 'unknown client'}</span>
          <span>started {when(s.started_at)}</span>
          <span>{counted(s.head_seq, 'event')} mirrored</span>
          {s.alerts > 0 ? <span className="error-text">{counted(s.alerts, 'integrity alert')}</span> : null}
          <span className="faint mono">{s.id}</span>
          <button type="button" className="btn btn-ghost" onClick={() => setRaw((r) => !r)}>
            {raw ? 'Readable view' : 'Raw events'}
          </button>
          {!complete ? <span className="faint">loading events…</span> : null}
        </div>
      </header>
      <div className="scroll" ref={setScroll} data-testid="session-scroll">
        {raw ? (
          <RawView events={events} scrollElement={scroll} focusIndex={null} />
        ) : (
          <div className="entries">
            {items.map((item) => (
              <div
                className="entry"
                key={
                  item.type === 'turn'
                    ? item.turn.requestSeq
                    : item.type === 'statement'
                      ? item.statement.seq
                      : item.event.seq
                }
              >
                {item.type === 'turn' ? (
                  <TurnView
                    turn={item.turn}
                    index={turnNumbers.get(item.turn.requestSeq) ?? 0}
                    pending={false}
                  />
                ) : item.type === 'statement' ? (
                  <StatementView
                    statement={item.statement}
                    maxDurationUs={0}
                    pending={false}
                    heldFor={undefined}
                  />
                ) : isPg ? (
                  <PgEventView event={item.event as RecordedEvent} />
                ) : (
                  <OtherEventView event={item.event as OtherEvent} />
                )}
              </div>
            ))}
            {complete && items.length === 0 ? <div className="page-message faint">No events.</div> : null}
          </div>
        )}
      </div>
    </div>
  );
}
