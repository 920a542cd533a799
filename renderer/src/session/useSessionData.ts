import { useCallback, useEffect, useRef, useState } from 'react';
import type { InflightExchange, RecordedEvent, Session } from '../../../proxy/api/types';
import { useApi } from '../api/context';
import { useLiveMessages } from '../api/live';

/** A session being viewed: its row, its events loaded so far, and loading state. */
export interface SessionData {
  session: Session | null;
  inflight: InflightExchange[];
  /** Events in seq order; grows as pages arrive and live events come in. Replaced (not mutated) on change. */
  events: RecordedEvent[];
  /** True once every recorded event has been loaded (live ones keep arriving after). */
  complete: boolean;
  error: string | null;
}

/** The first page is small so the first rows show fast; later pages are as large as the API allows. */
const FIRST_PAGE = 400;
const PAGE = 5_000;
/** How often an exchange still in flight is re-read (ms). */
const STREAMING_REFRESH_MS = 250;

/**
 * Loads a session and its events page by page (first rows fast, the rest in the background), then follows
 * the live WebSocket: new events are fetched as they are announced, the session row is replaced on change,
 * and replies still streaming are re-read every 250 ms so their text grows on screen.
 */
export function useSessionData(id: string): SessionData {
  const api = useApi();
  const [data, setData] = useState<SessionData>({
    session: null,
    inflight: [],
    events: [],
    complete: false,
    error: null,
  });
  const state = useRef({ lastSeq: 0, loading: false, complete: false, pending: false, alive: true });

  const fetchMore = useCallback(async () => {
    const s = state.current;
    if (s.loading) {
      s.pending = true;
      return;
    }
    s.loading = true;
    try {
      do {
        s.pending = false;
        const page = await api.events(id, s.lastSeq, s.complete || s.lastSeq > 0 ? PAGE : FIRST_PAGE);
        if (!s.alive) return;
        const last = page.events[page.events.length - 1];
        if (last) s.lastSeq = last.seq;
        if (page.next_after === null) s.complete = true;
        setData((d) => ({
          ...d,
          events: page.events.length ? d.events.concat(page.events) : d.events,
          complete: s.complete,
        }));
        if (page.next_after !== null) s.pending = true;
      } while (s.pending && s.alive);
    } catch (error) {
      if (s.alive) setData((d) => ({ ...d, error: (error as Error).message }));
    } finally {
      s.loading = false;
    }
  }, [api, id]);

  const refreshSession = useCallback(async () => {
    try {
      const body = await api.session(id);
      if (state.current.alive) setData((d) => ({ ...d, session: body.session, inflight: body.inflight }));
    } catch (error) {
      if (state.current.alive) setData((d) => ({ ...d, error: (error as Error).message }));
    }
  }, [api, id]);

  useEffect(() => {
    state.current = { lastSeq: 0, loading: false, complete: false, pending: false, alive: true };
    setData({ session: null, inflight: [], events: [], complete: false, error: null });
    void refreshSession();
    void fetchMore();
    return () => {
      state.current.alive = false;
    };
  }, [refreshSession, fetchMore]);

  // A reply still streaming is checkpointed every 50 ms without a live message: re-read it while it lasts.
  const streaming = data.inflight.length > 0;
  useEffect(() => {
    if (!streaming) return;
    const timer = setInterval(() => void refreshSession(), STREAMING_REFRESH_MS);
    return () => clearInterval(timer);
  }, [streaming, refreshSession]);

  useLiveMessages((message) => {
    if (message.type === 'event' && message.session_id === id) {
      if (state.current.complete) void fetchMore();
      if (message.kind === 'http.request') void refreshSession();
    } else if (message.type === 'session' && message.session.id === id) {
      setData((d) => ({ ...d, session: message.session }));
      void refreshSession();
    }
  });
  return data;
}
