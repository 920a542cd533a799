import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { LiveMessage } from '../../../proxy/api/types';
import type { ApiClient } from './client';

/** State of the live connection, shown in the top bar. */
export type LiveState = 'connecting' | 'live' | 'offline';

/**
 * Subscribes to the engine's /api/live WebSocket while mounted, reconnecting with backoff (0.5 s doubling to
 * 8 s). `onMessage` may change between renders; the latest one is called.
 */
export function useLive(client: ApiClient, onMessage: (message: LiveMessage) => void): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const handler = useRef(onMessage);
  handler.current = onMessage;
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
        try {
          handler.current(JSON.parse(String(event.data)) as LiveMessage);
        } catch {
          // A malformed message is ignored; the next one may be fine.
        }
      };
      socket.onclose = () => {
        if (stopped) return;
        setState('offline');
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
  return state;
}

/** What the root provides: the connection state and a way to listen to its messages. */
export interface LiveHub {
  state: LiveState;
  /** Adds a listener; returns the function removing it. */
  subscribe: (listener: (message: LiveMessage) => void) => () => void;
}

/** The live hub of the running dashboard, provided at the root. */
export const LiveContext = createContext<LiveHub>({ state: 'connecting', subscribe: () => () => undefined });

/** One WebSocket for the whole page, fanned out to every subscribed view. */
export function useLiveHub(client: ApiClient): LiveHub {
  const listeners = useRef(new Set<(message: LiveMessage) => void>());
  const state = useLive(client, (message) => {
    for (const listener of listeners.current) listener(message);
  });
  const subscribe = useCallback((listener: (message: LiveMessage) => void) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  return useMemo(() => ({ state, subscribe }), [state, subscribe]);
}

/** Calls `listener` (latest version) for every live message while mounted. */
export function useLiveMessages(listener: (message: LiveMessage) => void): LiveState {
  const hub = useContext(LiveContext);
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => hub.subscribe((message) => latest.current(message)), [hub.subscribe]);
  return hub.state;
}
