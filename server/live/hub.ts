/**
 * Live fan-out across server instances: one dedicated PostgreSQL connection per instance LISTENs on
 * {@link LIVE_CHANNEL}; writers NOTIFY inside their transactions (delivered on commit, to every instance);
 * the hub hands each notification to its local subscribers (the `/v1/live` WebSockets). A lost connection is
 * re-established with backoff; subscribers are told (`resync`) so they can re-read what they show.
 */
import pg from 'pg';
import type { DbLog } from '../db/database.js';
import { LIVE_CHANNEL } from './channel.js';

/** A notification as writers send it (proxy/sync/protocol.ts LiveMessage, without the hello). */
export type LiveNotice =
  | { type: 'session'; session_id: string; head_seq: number; owner: string }
  | { type: 'approval'; approval_id: string; group: string; requester: string }
  | { type: 'alert'; alert_id: number; session_id: string }
  | { type: 'policy'; version: number }
  | { type: 'resync' };

/** Subscribes to notifications; returns the function that unsubscribes. */
export interface LiveSource {
  subscribe(listener: (notice: LiveNotice) => void): () => void;
}

/** The LISTEN connection and its subscribers. */
export class LiveHub implements LiveSource {
  private readonly listeners = new Set<(notice: LiveNotice) => void>();
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: DbLog,
  ) {}

  /** Connects and LISTENs. @throws the first connection's error */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Whether the LISTEN connection is up (readiness). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  subscribe(listener: (notice: LiveNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: 'glassbox-server live',
    });
    client.on('notification', (message) => {
      if (message.channel !== LIVE_CHANNEL || !message.payload) return;
      let notice: LiveNotice;
      try {
        notice = JSON.parse(message.payload) as LiveNotice;
      } catch {
        return;
      }
      this.publish(notice);
    });
    client.on('error', (error) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.log.warn({ err: error }, 'the live LISTEN connection failed; reconnecting');
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${LIVE_CHANNEL}`);
    this.client = client;
    this.attempt = 0;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.min(30_000, 500 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.retry = setTimeout(() => {
      this.connect().then(
        () => this.publish({ type: 'resync' }),
        () => this.scheduleReconnect(),
      );
    }, delay);
    this.retry.unref();
  }

  private publish(notice: LiveNotice): void {
    for (const listener of this.listeners) {
      try {
        listener(notice);
      } catch {
        // One subscriber's failure never reaches the others.
      }
    }
  }
}
