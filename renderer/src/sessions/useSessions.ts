import { useCallback, useEffect, useRef, useState } from 'react';
import type { SearchMatch, Session } from '../../../proxy/api/types';
import { useApi } from '../api/context';
import { useLiveMessages } from '../api/live';
import { type Filters, matchesLive, toQuery, upsertSession } from './filters';

/** The sessions list: rows loaded so far (newest first), paging and live state. */
export interface SessionsList {
  sessions: Session[];
  /** With a full-text query: where it matched in each listed session, by session id. */
  matches: Record<string, SearchMatch>;
  /** The filters the listed sessions were loaded for (null before the first page arrives). */
  loadedFor: Filters | null;
  loading: boolean;
  hasMore: boolean;
  error: string | null;
  loadMore: () => void;
}

const PAGE = 200;
/**
 * Rows per page with a full-text query: the engine reads each listed session's first matching event for its
 * snippet, on its own event loop (about 1.5 ms for a 250 KB Claude Code request), so it reads fewer at once.
 */
const SEARCH_PAGE = 50;
/** How long row refreshes for announced events are gathered before fetching (ms). */
const REFRESH_MS = 60;

/**
 * Loads sessions matching `filters` page by page (with where a full-text query matched) and keeps them current
 * from the live WebSocket: new sessions are inserted at once (pushed whole), rows of sessions with new events
 * are re-fetched within ~60 ms.
 */
export function useSessions(filters: Filters): SessionsList {
  const api = useApi();
  const [sessions, setSessions] = useState<Session[]>([]);
  const [matches, setMatches] = useState<Record<string, SearchMatch>>({});
  const [loadedFor, setLoadedFor] = useState<Filters | null>(null);
  const [loading, setLoading] = useState(true);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const paging = useRef<{ before: number | null; busy: boolean; generation: number }>({
    before: null,
    busy: false,
    generation: 0,
  });
  const pendingRows = useRef(new Set<string>());
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const load = useCallback(
    async (reset: boolean) => {
      const p = paging.current;
      if (p.busy && !reset) return;
      const generation = reset ? ++p.generation : p.generation;
      p.busy = true;
      setLoading(true);
      try {
        const page = await api.sessions({
          ...toQuery(filters, Date.now() * 1000),
          limit: filters.q.trim() ? SEARCH_PAGE : PAGE,
          before: reset ? undefined : (p.before ?? undefined),
        });
        if (generation !== p.generation) return;
        p.before = page.next_before;
        setHasMore(page.next_before !== null);
        setSessions((list) => (reset ? page.sessions : list.concat(page.sessions)));
        setMatches((found) => (reset ? (page.matches ?? {}) : { ...found, ...page.matches }));
        if (reset) setLoadedFor(filters);
        setError(null);
      } catch (e) {
        if (generation === p.generation) setError((e as Error).message);
      } finally {
        if (generation === p.generation) {
          p.busy = false;
          setLoading(false);
        }
      }
    },
    [api, filters],
  );

  useEffect(() => {
    void load(true);
  }, [load]);

  const refreshRows = useCallback(async () => {
    const ids = [...pendingRows.current];
    pendingRows.current.clear();
    for (const id of ids) {
      try {
        const { session } = await api.session(id);
        setSessions((list) => (list.some((s) => s.id === id) ? upsertSession(list, session) : list));
      } catch {
        // The next event retries.
      }
    }
  }, [api]);

  const listedIds = useRef(new Set<string>());
  listedIds.current = new Set(sessions.map((s) => s.id));
  useLiveMessages((message) => {
    if (message.type === 'session') {
      const { session } = message;
      if (listedIds.current.has(session.id) || matchesLive(session, filtersRef.current, Date.now() * 1000)) {
        setSessions((list) => upsertSession(list, session));
      }
    } else if (message.type === 'event' && listedIds.current.has(message.session_id)) {
      if (pendingRows.current.size === 0) setTimeout(() => void refreshRows(), REFRESH_MS);
      pendingRows.current.add(message.session_id);
    } else if (message.type === 'hello') {
      // (Re)connected: anything may have happened while offline.
      void load(true);
    }
  });

  const loadMore = useCallback(() => {
    if (hasMore) void load(false);
  }, [hasMore, load]);
  return { sessions, matches, loadedFor, loading, hasMore, error, loadMore };
}
