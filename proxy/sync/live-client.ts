/**
 * The engine's one subscription to the team server's live stream (`GET /v1/live`, a WebSocket with
 * `Authorization: Bearer …`; protocol.ts LiveMessage), through the `ws` package, shared by every team part that
 * follows it (routed approvals, the team policy): each {@link TeamLiveClient.subscribe}s its handlers.
 * Re-connects after any close with backoff and jitter (backoff.ts; a 4401 close — the token expired —
 * re-connects at once with the fresh token the identity component keeps); waits while nobody is signed in.
 * Messages are hints: what a subscriber missed while disconnected it catches up on `onConnected` or by its own
 * polling. Never throws to its caller; a handler that throws is not allowed to break the others.
 */
import WebSocket from 'ws';
import type { Component } from '../common/lifecycle.js';
import { backoffDelay } from './backoff.js';
import { type LiveFrame, MAX_LIVE_FRAME_BYTES, parseLiveFrame } from './protocol.js';
import type { BearerSource } from './types.js';

/** What the client needs. */
export interface TeamLiveOptions {
  /** The server's base URL (http[s]://…, no trailing slash), read at each connection; undefined: wait. */
  baseUrl: () => string | undefined;
  bearer: BearerSource;
  /** Longest wait between attempts, ms (default 30 s). */
  maxDelayMs?: number;
}

/** What a subscriber is told. */
export interface TeamLiveHandlers {
  /** Each message but the hello, parsed (an unparsable frame is dropped). */
  onMessage?: (message: LiveFrame) => void;
  /** Called after each (re)connection's hello: subscribers re-read what they may have missed. */
  onConnected?: () => void;
}

/** The stream as its subscribers see it (a {@link TeamLiveClient}, or a test's stand-in). */
export interface TeamLiveFeed {
  /** Adds `handlers`; the function returned removes them. */
  subscribe(handlers: TeamLiveHandlers): () => void;
}

/** One live connection to the team server, kept up from `start` until `stop`. */
export class TeamLiveClient implements Component, TeamLiveFeed {
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private connected = false;
  private readonly subscribers = new Set<TeamLiveHandlers>();

  constructor(private readonly options: TeamLiveOptions) {}

  /** Starts connecting (in the background). */
  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Whether the hello of the current connection has arrived. */
  get isConnected(): boolean {
    return this.connected;
  }

  subscribe(handlers: TeamLiveHandlers): () => void {
    this.subscribers.add(handlers);
    return () => this.subscribers.delete(handlers);
  }

  /** Closes the connection and stops re-connecting. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.connected = false;
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => undefined);
    this.socket?.terminate();
    this.socket = undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    const base = this.options.baseUrl();
    const token = this.options.bearer.bearer();
    if (!base || !token) {
      this.retry(2_000);
      return;
    }
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/live`, {
      headers: { authorization: `Bearer ${token}` },
      handshakeTimeout: 15_000,
      maxPayload: MAX_LIVE_FRAME_BYTES,
    });
    this.socket = socket;
    socket.on('message', (data) => {
      const message = parseLiveFrame(String(data));
      if (!message) return;
      if (message.type === 'hello') {
        this.connected = true;
        this.attempt = 0;
        this.tell((handlers) => handlers.onConnected?.());
        return;
      }
      this.tell((handlers) => handlers.onMessage?.(message));
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      this.retry(code === 4401 ? 500 : undefined);
    });
  }

  /** Calls `call` for each subscriber; one that throws does not keep the message from the others. */
  private tell(call: (handlers: TeamLiveHandlers) => void): void {
    for (const handlers of [...this.subscribers]) {
      try {
        call(handlers);
      } catch {
        // A subscriber's own failure; the stream and the other subscribers go on.
      }
    }
  }

  private retry(fixedMs?: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const policy = { baseMs: 500, maxMs: this.options.maxDelayMs ?? 30_000 };
    const delay = fixedMs ?? backoffDelay(++this.attempt, policy);
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }
}
