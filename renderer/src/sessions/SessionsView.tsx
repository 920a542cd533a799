import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Session } from '../../../proxy/api/types';
import { counted } from '../format';
import { sessionMirrorLookup } from '../mirror/mirror';
import { useMirrorStatus } from '../mirror/useMirror';
import { useKeys } from '../ui/keys';
import { useNow } from '../ui/useNow';
import { VirtualList } from '../ui/VirtualList';
import { EmptyState } from './EmptyState';
import { FilterBar } from './FilterBar';
import { type Filters, filtersFromSearch, filtersToSearch, NO_FILTERS } from './filters';
import { useKnownIdentities } from './knownIdentities';
import { MatchSnippet } from './MatchSnippet';
import { SessionHeaderRow, SessionRow } from './SessionRow';
import { useSessions } from './useSessions';

/** Rows have one height, with a search's snippet line two; keys are session ids (stable, see VirtualList). */
const rowHeight = () => 30;
const matchedRowHeight = () => 52;
const sessionKey = (session: Session) => session.id;

/**
 * The sessions list: newest first, live, searchable and filterable; windowed so 10,000 rows stay fast.
 * Keyboard: j/k or arrows move, Enter opens, / searches.
 */
export function SessionsView({ active, onOpen }: { active: boolean; onOpen: (id: string) => void }) {
  // The filters live in the list's address (`/?person=…&group=…`), so a filtered list can be linked to.
  const [filters, setFilters] = useState<Filters>(() =>
    window.location.pathname === '/' ? filtersFromSearch(window.location.search) : NO_FILTERS,
  );
  useEffect(() => {
    if (!active || window.location.pathname !== '/') return;
    const search = filtersToSearch(filters);
    if (window.location.search !== search)
      window.history.replaceState(null, '', `/${search}${window.location.hash}`);
  }, [active, filters]);
  const list = useSessions(filters);
  const known = useKnownIdentities(list.sessions);
  const [selected, setSelected] = useState(0);
  const [scrollElement, setScrollElement] = useState<HTMLDivElement | null>(null);
  const now = useNow(1000);
  const count = list.sessions.length;
  useKeys(
    {
      j: () => setSelected((i) => Math.min(i + 1, count - 1)),
      ArrowDown: () => setSelected((i) => Math.min(i + 1, count - 1)),
      k: () => setSelected((i) => Math.max(i - 1, 0)),
      ArrowUp: () => setSelected((i) => Math.max(i - 1, 0)),
      Enter: () => {
        const session = list.sessions[selected];
        if (session) onOpen(session.id);
      },
      '/': () => document.getElementById('search')?.focus(),
    },
    active,
  );
  const matches = list.matches;
  const mirrorStatus = useMirrorStatus();
  const mirrorOf = useMemo(() => sessionMirrorLookup(mirrorStatus), [mirrorStatus]);
  const render = useCallback(
    (session: Session, index: number) => {
      const row = (
        <SessionRow
          session={session}
          selected={index === selected}
          nowUs={now}
          onOpen={onOpen}
          {...(mirrorOf ? { mirror: mirrorOf(session.id) } : {})}
        />
      );
      const match = matches[session.id];
      if (!match) return row;
      return (
        <div className={`srow-group${index === selected ? ' selected' : ''}`}>
          {row}
          <MatchSnippet match={match} onOpen={() => onOpen(session.id)} />
        </div>
      );
    },
    [selected, now, onOpen, matches, mirrorOf],
  );
  // Enter in the search box: the query whose top hit opens once its results are in.
  const [openTop, setOpenTop] = useState<Filters | null>(null);
  const submit = useCallback(
    (next: Filters) => {
      const same = JSON.stringify(next) === JSON.stringify(filters);
      if (!same) setFilters(next);
      setOpenTop(same ? filters : next);
    },
    [filters],
  );
  useEffect(() => {
    if (!openTop || openTop !== filters || list.loadedFor !== filters || list.loading) return;
    setOpenTop(null);
    const top = list.sessions[0];
    if (top) onOpen(top.id);
  }, [openTop, filters, list.loadedFor, list.loading, list.sessions, onOpen]);
  const filtered = filters !== NO_FILTERS && JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);
  const searching = filters.q.trim() !== '';
  const otherFilters = JSON.stringify({ ...filters, q: '' }) !== JSON.stringify(NO_FILTERS);
  return (
    <div className="sessions-view" hidden={!active}>
      <FilterBar filters={filters} known={known} onChange={setFilters} onSubmit={submit} />
      <div className="table">
        <SessionHeaderRow team={mirrorOf !== null} />
        <div className="scroll" ref={setScrollElement} data-testid="sessions-scroll">
          {list.error ? <div className="page-message error-text">{list.error}</div> : null}
          {count === 0 && !list.loading ? (
            filtered ? (
              <div className="page-message faint" data-testid="no-matches">
                {searching
                  ? `No sessions match “${filters.q.trim()}”${otherFilters ? ' with these filters' : ''}.`
                  : 'No sessions match these filters.'}
              </div>
            ) : (
              <EmptyState />
            )
          ) : (
            <VirtualList
              items={list.sessions}
              scrollElement={scrollElement}
              estimate={searching ? matchedRowHeight : rowHeight}
              itemKey={sessionKey}
              render={render}
              focusIndex={active ? selected : null}
              onNearEnd={list.loadMore}
            />
          )}
        </div>
      </div>
      <div className="statusbar small faint">
        {counted(count, 'session')}
        {list.hasMore ? '+' : ''}
        {list.loading ? ' · loading…' : ''}
      </div>
    </div>
  );
}
