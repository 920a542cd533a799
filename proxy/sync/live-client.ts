/**
 * The engine's subscription to the team server's live stream (`GET /v1/live`, a WebSocket with
 * `Authorization: Bearer …`; protocol.ts LiveMessage), through the `ws` package. Re-connects after any close
 * with backoff and jitter (a 4401 close — the token expired — re-connects at once with the fresh token the
 * identity component keeps); waits while nobody is signed in. Never throws to its caller.
 */
import WebSocket from 'ws';
import { type LiveFrame, MAX_LIVE_FRAME_BYTES, parseLiveFrame } from './protocol.js';
import type { BearerSource } from './types.js';

/** What the client needs. */
export interface TeamLiveOptions {
  /** The server's base URL (http[s]://…, no trailing slash), read at each connection; undefined: wait. */
  baseUrl: () => string | undefined;
  bearer: BearerSource;
  /** Each message, checked (protocol.ts parseLiveFrame: a frame that is not one is dropped). */
  onMessage: (message: LiveFrame) => void;
  /** Called after each (re)connection's hello: callers re-read what they may have missed. */
  onConnected?: () => void;
  /** Longest wait between attempts, ms (default 30 s). */
  maxDelayMs?: number;
}

/** One live connection to the team server, kept up until {@link TeamLiveClient.stop}. */
export class TeamLiveClient {
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private connected = false;

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
        this.options.onConnected?.();
        return;
      }
      this.options.onMessage(message);
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connected = false;
      this.retry(code === 4401 ? 500 : undefined);
    });
  }

  private retry(fixedMs?: number): void {
    if (this.stopped) return;
    const max = this.options.maxDelayMs ?? 30_000;
    const delay = fixedMs ?? Math.min(max, 500 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }
}
