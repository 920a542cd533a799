import * as Tabs from '@radix-ui/react-tabs';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { RecordedEvent, Session } from '../../../proxy/api/types';
import { buildConversation, type ConversationItem, type OtherEvent } from '../claude/conversation';
import { OtherEventView, TurnView } from '../claude/TurnView';
import { count, counted, duration, sessionCost, unpricedTitle, when } from '../format';
import { IdentityBadge, IdentityGroups } from '../identity/IdentityBadge';
import { SessionMirrorBadge } from '../mirror/MirrorBadge';
import { PgEventView, StatementView } from '../postgres/StatementView';
import { buildStatements, type StatementItem } from '../postgres/statements';
import { buildAxis, revealedCount, timeOf } from '../replay/axis';
import { ReplayBar } from '../replay/ReplayBar';
import { useReplay } from '../replay/useReplay';
import { kindLabel, shownActivity } from '../sessions/activity';
import { useKeys } from '../ui/keys';
import { useNow } from '../ui/useNow';
import { VirtualList } from '../ui/VirtualList';
import { approvalOutcomes, describeGuardEvent, GuardEventLine, heldStatements } from './guardEvents';
import { ExportButtons, IntegrityBadge } from './Integrity';
import { RawView } from './RawView';
import { useSessionData } from './useSessionData';

type Item = ConversationItem | StatementItem;

/** A session's status as shown (a quiet live Claude session turns idle while the page is open). */
function ShownStatusBadge({ session }: { session: Session }) {
  const now = useNow(1000, session.status === 'live');
  const { status } = shownActivity(session, now);
  return (
    <span className={`status status-${status}`}>
      <i className="dot" />
      {status}
    </span>
  );
}

/**
 * Header facts of a session: who, where, when (a live one's duration runs; an idle one's stops), totals. A
 * total the engine never counted (no statement, turn or token recorded yet) is 0, as in the sessions list.
 */
function SessionFacts({ session }: { session: Session }) {
  const s = session.stats;
  const now = useNow(1000, session.status === 'live');
  const { end } = shownActivity(session, now);
  return (
    <div className="facts small">
      <IdentityBadge identity={session.identity} />
      <IdentityGroups identity={session.identity} />
      <span className="mono">{session.target}</span>
      <span>{session.client ?? 'unknown client'}</span>
      <span>started {when(session.started_at)}</span>
      <span>{duration(end - session.started_at)}</span>
      {session.kind === 'postgres' ? (
        <span>
          {counted(s.statements ?? 0, 'statement')} · {counted(s.rows ?? 0, 'row')}
        </span>
      ) : (
        <span>
          {counted(s.turns ?? 0, 'turn')} · {count(s.input_tokens ?? 0)} in / {count(s.output_tokens ?? 0)}{' '}
          out ·{' '}
          <span title={unpricedTitle(s.unpriced_turns)}>{sessionCost(s.cost_usd, s.unpriced_turns)}</span>
        </span>
      )}
      {s.errors ? <span className="error-text">{counted(s.errors, 'error')}</span> : null}
      <span className="faint mono">{session.id}</span>
    </div>
  );
}

function estimate(item: Item): number {
  if (item.type === 'turn') return 160 + item.turn.newMessages.length * 40;
  if (item.type === 'statement') {
    // A result sample adds a row of about 20 px per recorded row, in a box that stops growing at about 20.
    const sample = item.statement.result?.sample;
    return 64 + (Array.isArray(sample) && sample.length > 0 ? 40 + Math.min(sample.length, 20) * 20 : 0);
  }
  return 24;
}

function itemKey(item: Item): number {
  if (item.type === 'turn') return item.turn.requestSeq;
  if (item.type === 'statement') return item.statement.seq;
  return item.event.seq;
}

/**
 * One session: header with integrity badge and exports, replay bar, and tabs — the conversation (Claude) or
 * statement timeline (PostgreSQL), and the raw events. Keyboard: j/k or arrows move, Esc goes back.
 */
export function SessionView({ id, onBack }: { id: string; onBack: () => void }) {
  const data = useSessionData(id);
  const session = data.session;
  const isPg = session?.kind === 'postgres';
  const items: Item[] = useMemo(
    () => (isPg ? buildStatements(data.events) : buildConversation(data.events, data.inflight)),
    [isPg, data.events, data.inflight],
  );
  const axis = useMemo(() => buildAxis(items, session?.started_at ?? 0), [items, session?.started_at]);
  const replay = useReplay(axis);
  // At the axis' end everything shows, the session's end (past the axis, see buildAxis) included.
  const shown =
    replay.cursor === null || replay.cursor >= axis.end
      ? items
      : items.slice(0, revealedCount(items, replay.cursor));
  // The tab counts what the header counts: turns (Claude) or statements (PostgreSQL), not other events. A
  // retried request is shown as one turn listing its attempts, but each attempt is a turn of its own in the
  // session's count, so it is counted here too.
  const mainCount = useMemo(
    () =>
      items.reduce(
        (n, i) => n + (i.type === 'event' ? 0 : i.type === 'turn' ? 1 + i.turn.retries.length : 1),
        0,
      ),
    [items],
  );
  const maxDurationUs = useMemo(
    () => items.reduce((m, i) => (i.type === 'statement' ? Math.max(m, i.statement.durationUs ?? 0) : m), 0),
    [items],
  );
  // Approval decisions so far: a request without one reads "waiting for approval", and its statement too.
  const outcomes = useMemo(() => approvalOutcomes(data.events), [data.events]);
  const held = useMemo(() => heldStatements(data.events, outcomes), [data.events, outcomes]);
  const turnNumbers = useMemo(() => {
    const numbers = new Map<number, number>();
    for (const item of items) if (item.type === 'turn') numbers.set(item.turn.requestSeq, numbers.size + 1);
    return numbers;
  }, [items]);
  const [tab, setTab] = useState('main');
  const [focus, setFocus] = useState<number | null>(null);
  const [scrollElement, setScrollElement] = useState<HTMLDivElement | null>(null);

  // While replaying, keep the newest revealed entry in view.
  useEffect(() => {
    if (replay.cursor !== null && shown.length > 0) setFocus(shown.length - 1);
  }, [replay.cursor, shown.length]);

  const length = tab === 'main' ? shown.length : data.events.length;
  useKeys({
    j: () => setFocus((f) => Math.min((f ?? -1) + 1, length - 1)),
    ArrowDown: () => setFocus((f) => Math.min((f ?? -1) + 1, length - 1)),
    k: () => setFocus((f) => Math.max((f ?? 1) - 1, 0)),
    ArrowUp: () => setFocus((f) => Math.max((f ?? 1) - 1, 0)),
    Escape: onBack,
    ' ': () => (replay.playing ? replay.pause() : replay.play()),
  });

  const render = useCallback(
    (item: Item, index: number) => {
      const cursor = replay.cursor;
      const focused = index === focus ? ' focused' : '';
      const { endTs } = timeOf(item);
      const pending = cursor !== null && (endTs === null || endTs > cursor);
      if (item.type === 'turn')
        return (
          <div className={`entry${focused}`}>
            <TurnView turn={item.turn} index={turnNumbers.get(item.turn.requestSeq) ?? 0} pending={pending} />
          </div>
        );
      if (item.type === 'statement')
        return (
          <div className={`entry${focused}`}>
            <StatementView
              statement={item.statement}
              maxDurationUs={maxDurationUs}
              pending={pending}
              heldFor={held.get(item.statement.seq)}
            />
          </div>
        );
      const guard = describeGuardEvent(item.event, outcomes);
      return (
        <div className={`entry${focused}`}>
          {guard ? (
            <GuardEventLine event={item.event} line={guard} />
          ) : isPg ? (
            <PgEventView event={item.event as RecordedEvent} />
          ) : (
            <OtherEventView event={item.event as OtherEvent} />
          )}
        </div>
      );
    },
    [replay.cursor, focus, turnNumbers, maxDurationUs, isPg, outcomes, held],
  );

  if (data.error && !session)
    return <div className="page-message error-text">Could not load the session: {data.error}</div>;
  if (!session) return <div className="page-message faint">Loading…</div>;
  return (
    <div className="session-view">
      <header className="session-head">
        <div className="title-row">
          <button type="button" className="btn btn-ghost" onClick={onBack} title="back (Esc)">
            ← Sessions
          </button>
          <span className={`kind kind-${session.kind}`}>{kindLabel(session)}</span>
          <ShownStatusBadge session={session} />
          <h1 className="title">{session.external_id ?? session.target}</h1>
          <span className="spacer" />
          <SessionMirrorBadge sessionId={session.id} />
          <IntegrityBadge session={session} ready={data.complete} />
          <ExportButtons session={session} />
        </div>
        <SessionFacts session={session} />
      </header>
      <ReplayBar axis={axis} replay={replay} />
      <Tabs.Root
        value={tab}
        onValueChange={(v) => {
          setTab(v);
          setFocus(null);
        }}
        className="tabs"
      >
        <Tabs.List className="tab-list" aria-label="session views">
          <Tabs.Trigger value="main" className="tab">
            {isPg ? 'Statements' : 'Conversation'} <span className="faint">{count(mainCount)}</span>
          </Tabs.Trigger>
          <Tabs.Trigger value="raw" className="tab">
            Raw <span className="faint">{count(data.events.length)}</span>
          </Tabs.Trigger>
          {!data.complete ? <span className="faint small loading-note">loading events…</span> : null}
        </Tabs.List>
      </Tabs.Root>
      <div className="scroll" ref={setScrollElement} data-testid="session-scroll">
        {tab === 'main' ? (
          shown.length === 0 ? (
            <div className="page-message faint">
              {replay.cursor !== null
                ? 'Nothing yet at this point of the replay.'
                : data.complete
                  ? 'No events recorded yet.'
                  : 'Loading…'}
            </div>
          ) : (
            <VirtualList
              items={shown}
              scrollElement={scrollElement}
              estimate={estimate}
              itemKey={itemKey}
              render={render}
              focusIndex={focus}
              className="entries"
            />
          )
        ) : (
          <RawView events={data.events} scrollElement={scrollElement} focusIndex={focus} />
        )}
      </div>
    </div>
  );
}
