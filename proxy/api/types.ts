/**
 * The control API's contract: request parameters and response bodies. The renderer imports these with
 * `import type` only.
 */
import type { UpstreamStatus } from '../anthropic/upstream-health.js';
import type { PreAuthHealth } from '../postgres/pre-auth-types.js';
import type { SearchMatch } from '../search/snippet.js';
import type { InflightExchange, RecordedEvent, Session, StoreChange, StoreHealth } from '../store/types.js';

export type {
  InflightExchange,
  RecordedEvent,
  SearchMatch,
  Session,
  StoreChange,
  StoreHealth,
  UpstreamStatus,
};

/** GET /api/health */
export interface HealthResponse {
  /** The engine answers (true even while the store refuses writes: see `store`). */
  ok: true;
  version: string;
  /** Seconds since the engine started. */
  uptime_s: number;
  /** Each proxy's address, its upstream, and whether that upstream answers (see {@link UpstreamStatus}). */
  proxies: { anthropic: { url: string; upstream: string; status: UpstreamStatus } };
  /** PostgreSQL connections not yet logged in, and what each client address did before logging in. */
  postgres: PreAuthHealth;
  /** Whether recording works: while `store.ok` is false, requests and statements are refused with the reason. */
  store: StoreHealth;
}

/** On /api/live when an upstream starts failing or answers again (never once per request). */
export interface UpstreamMessage {
  type: 'upstream';
  proxy: 'anthropic';
  upstream: string;
  status: UpstreamStatus;
}

/** GET /api/sessions?limit=&before=&kind=&status=&q= */
export interface SessionsResponse {
  sessions: Session[];
  /** Pass as `before` to get the next (older) page; null when this was the last. */
  next_before: number | null;
  /** With `q`: where the words matched in each listed session (its first matching event), by session id. */
  matches?: Record<string, SearchMatch>;
}

/** GET /api/sessions/:id */
export interface SessionResponse {
  session: Session;
  /** Exchanges whose outcome is still streaming in. */
  inflight: InflightExchange[];
}

/** GET /api/sessions/:id/events?after=SEQ&limit=N */
export interface EventsResponse {
  events: RecordedEvent[];
  /** Pass as `after` for the next page; null when there are no more events yet. */
  next_after: number | null;
}

/** Error body of every non-2xx answer. */
export interface ErrorResponse {
  error: { code: string; message: string };
}

/**
 * Messages on the /api/live WebSocket: store changes, upstream changes, the store's health whenever it
 * changes (a full disk stops recording, space freed resumes it), and a heartbeat every 30 s.
 */
export type LiveMessage =
  | StoreChange
  | UpstreamMessage
  | { type: 'store'; store: StoreHealth }
  | { type: 'hello'; version: string }
  | { type: 'heartbeat' };

export type {
  ApiError as AnthropicError,
  AssistantMessage,
  ContentBlock,
  Usage,
} from '../anthropic/message.js';

/**
 * GET /api/sessions query parameters (all optional): `limit` (1–10,000, default 50), `before` (µs; older
 * page), `kind`, `status`, `target` (substring), `from` / `to` (µs since epoch, start-time range), `q` (words
 * searched in the full-text index over prompts, replies, tool calls and SQL).
 */
export interface SessionsQuery {
  limit?: number;
  before?: number;
  kind?: Session['kind'];
  status?: Session['status'];
  target?: string;
  from?: number;
  to?: number;
  q?: string;
}

/** GET /api/sessions/:id/verify — the session's hash chain recomputed from its stored events. */
export type VerifyResponse =
  | { intact: true; events: number; head_hash: string }
  | { intact: false; events: number; broken_at_seq: number; reason: string };

/** Formats of GET /api/sessions/:id/export?format=…, answered as a file download. */
export type ExportFormat = 'jsonl' | 'har' | 'sql';

/** GET and POST /api/recording: whether the engine records, and a plain sentence saying what it means. */
export interface RecordingResponse {
  recording: boolean;
  /** Present while paused: since when (µs since epoch), by whom (OS user), through which client. */
  paused: { since: number; by: string; via: string; session_id: string } | null;
  message: string;
}
