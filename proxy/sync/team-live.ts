/**
 * A minimal follower of the team server's live stream (`GET /v1/live`, a WebSocket; proxy/sync/protocol.ts
 * LiveMessage) for the engine: connects with the bearer of the verified sign-in, hands each message to
 * `onMessage`, and reconnects with backoff (1 s doubling to 60 s, with jitter) when the socket closes — the
 * server closes it with 4401 when the token expires, and the next attempt takes the fresh one. While signed
 * out it waits and tries again. Messages are hints: a missed one is caught up by the caller's polling.
 */
import WebSocket from 'ws';
import type { Component } from '../common/lifecycle.js';
import { type LiveFrame, MAX_LIVE_FRAME_BYTES, parseLiveFrame } from './protocol.js';
import type { BearerSource } from './types.js';

const MIN_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60_000;

/** Options of {@link TeamLiveFollower}. */
export interface TeamLiveOptions {
  /** The team server's base URL (http or https). */
  url: string;
  bearer: BearerSource;
  onMessage(message: LiveFrame): void;
  /** Called after each (re)connection, so the caller can catch up on what it may have missed. */
  onConnect?(): void;
}

/** Follows `/v1/live` while the engine runs (see the module comment). */
export class TeamLiveFollower implements Component {
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;

  constructor(private readonly options: TeamLiveOptions) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.terminate();
  }

  private connect(): void {
    if (this.stopped) return;
    const token = this.options.bearer.bearer();
    if (!token) {
      this.retry();
      return;
    }
    const url = `${this.options.url.replace(/^http/, 'ws')}/v1/live`;
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}` },
      maxPayload: MAX_LIVE_FRAME_BYTES,
    });
    this.socket = socket;
    socket.on('open', () => {
      this.attempt = 0;
      this.options.onConnect?.();
    });
    socket.on('message', (data) => {
      const message = parseLiveFrame(String(data));
      if (message) this.options.onMessage(message);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.retry();
    });
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }
}
