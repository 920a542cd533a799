import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { LiveMessage } from '../../../proxy/sync/protocol';
import type { TeamClient } from './client';

/** The team server's live stream as the page sees it. */
export interface TeamLive {
  state: 'connecting' | 'live' | 'offline';
  /** Adds a listener for every message; returns the function removing it. */
  subscribe: (listener: (message: LiveMessage) => void) => () => void;
}

export const TeamLiveContext = createContext<TeamLive>({
  state: 'connecting',
  subscribe: () => () => undefined,
});

/**
 * One `/v1/live` WebSocket for the page (authenticated by the session cookie at the upgrade), reconnecting
 * with backoff (0.5 s doubling to 8 s). A close with 4401 (the sign-in expired or is gone) calls `expired`
 * instead of reconnecting.
 */
export function useTeamLiveSocket(client: TeamClient, expired: () => void): TeamLive {
  const [state, setState] = useState<TeamLive['state']>('connecting');
  const listeners = useRef(new Set<(message: LiveMessage) => void>());
  const onExpired = useRef(expired);
  onExpired.current = expired;
  useEffect(() => {
    let socket: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = 500;
    let stopped = false;
    const connect = () => {
      socket = new WebSocket(client.liveUrl());
      socket.onopen = () => {
        delay = 500;
        setState('live');
      };
      socket.onmessage = (event) => {
        let message: LiveMessage;
        try {
          message = JSON.parse(String(event.data)) as LiveMessage;
        } catch {
          return;
        }
        for (const listener of listeners.current) listener(message);
      };
      socket.onclose = (event) => {
        if (stopped) return;
        setState('offline');
        if (event.code === 4401) {
          onExpired.current();
          return;
        }
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 8_000);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, [client]);
  const subscribe = useCallback((listener: (message: LiveMessage) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  return useMemo(() => ({ state, subscribe }), [state, subscribe]);
}

/** Calls `listener` (its latest version) for every live message while mounted. */
export function useTeamLive(listener: (message: LiveMessage) => void): void {
  const live = useContext(TeamLiveContext);
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => live.subscribe((message) => latest.current(message)), [live.subscribe]);
}
