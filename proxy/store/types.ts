/** What kind of upstream a session talks to. */
export type SessionKind = 'anthropic' | 'postgres' | 'http';

/** `live` while traffic may still arrive; `interrupted` when the engine died with the session open. */
export type SessionStatus = 'live' | 'closed' | 'interrupted';

/** Who a session belongs to. `verified` is true only for an OIDC-verified identity. */
export interface Identity {
  subject: string | null;
  email: string | null;
  groups: string[];
  verified: boolean;
  os_user: string;
  host: string;
  /** Fingerprint of the credential the client presented (never the credential), e.g. `sk-ant-…Q9xA #3f2a91c04b7e`. */
  credential?: string | null;
  /** The OIDC issuer that verified this person (sign-in); absent or null while signed out. */
  issuer?: string | null;
  /** The person's name from the verified ID token. */
  name?: string | null;
  /** Fingerprint of the ID token that verified the identity (proxy/identity/fingerprint.ts), never the token. */
  token_fingerprint?: string | null;
  /**
   * `verified` (signed in), `signed-out`, or `expired` (signed in once, refresh failed: sign in again).
   * Absent on sessions recorded before sign-in existed (read as `signed-out`).
   */
  identity_status?: 'verified' | 'signed-out' | 'expired';
}

/** Counters kept per session; every field is a running total. Cost in US dollars. */
export type SessionStats = Record<string, number>;

/** A session as stored and as the control API and `glassbox sessions --json` return it. Times in µs since epoch. */
export interface Session {
  id: string;
  kind: SessionKind;
  target: string;
  client: string | null;
  identity: Identity;
  external_id: string | null;
  started_at: number;
  ended_at: number | null;
  last_event_at: number;
  /**
   * When (µs since epoch) this live Claude session is shown as idle if nothing more happens (its last event
   * plus the quiet spell, see activity.ts); null for sessions never shown idle, ended ones, and while an
   * exchange is in flight. Derived when read, not stored.
   */
  idle_at: number | null;
  status: SessionStatus;
  stats: SessionStats;
  head_seq: number;
  head_hash: string;
}

/** One recorded event; `payload` is the parsed (already masked) JSON. `ts` in µs since epoch. */
export interface RecordedEvent {
  session_id: string;
  seq: number;
  ts: number;
  kind: string;
  payload: unknown;
  hash: string;
}

/** An exchange whose request is recorded and whose outcome is still streaming in. */
export interface InflightExchange {
  session_id: string;
  request_seq: number;
  kind: string;
  started_at: number;
  updated_at: number;
  partial: unknown;
}

/** Filters for listing sessions; all optional. Times in µs since epoch. */
export interface SessionFilter {
  limit?: number;
  /** Only sessions started strictly before this time (for paging newest-first). */
  before?: number;
  kind?: SessionKind;
  status?: SessionStatus;
  /** Full-text query over prompts, responses, tool calls and SQL (SQLite FTS5 syntax, words are ANDed). */
  text?: string;
  /** Only sessions whose target contains this text (case-insensitive). */
  target?: string;
  /** Only sessions started at or after this time. */
  from?: number;
  /** Only sessions started strictly before this time. */
  to?: number;
  /** Only sessions of this person: the identity's `subject` or `email`, compared case-insensitively. */
  person?: string;
  /** Only sessions whose identity's `groups` hold this group (case-insensitive). */
  group?: string;
}

/** A change pushed to live subscribers (the control API's WebSocket). */
export type StoreChange =
  | { type: 'session'; session: Session }
  | { type: 'event'; session_id: string; seq: number; ts: number; kind: string };

/**
 * Requests recorded without an in-flight record (their outcome never delays forwarding): a `request` event
 * whose seq no `outcome` event names in its `ref` field was cut short by a crash.
 */
export interface UnansweredRule {
  request: string;
  outcome: string;
  ref: string;
  /**
   * A stats key that `request` events raise by 1 and `outcome` events lower by 1: sessions that ended with it
   * above 0 are searched too at start-up (their outcomes were lost to a failing store), not only live ones.
   */
  awaiting?: string;
  /** The outcome payload sealing request `seq` whose outcome was lost (default `{[ref]: seq, outcome}`). */
  lost?: (seq: number) => Record<string, unknown>;
}

/** What a new session is created with. */
export interface NewSession {
  kind: SessionKind;
  target: string;
  client: string | null;
  identity: Identity;
  external_id: string | null;
}

/** Where an appended event landed in its session's chain: its seq and time (µs since epoch). */
export interface Appended {
  seq: number;
  ts: number;
}

/**
 * Whether the store takes writes (GET /api/health's `store`). While `ok` is false nothing can be recorded,
 * so nothing is forwarded: the proxies refuse requests and statements with the reason, and recording resumes
 * by itself once the store takes writes again. Times in µs since epoch.
 */
export interface StoreHealth {
  /** True while writes are made durable (the write-ahead journal takes them). */
  ok: boolean;
  /** Why writes are refused, e.g. "the disk holding /home/me/.glassbox/journal is full (ENOSPC: …)". */
  error: string | null;
  /** `disk_full` (no room to write) or `io_error`; null when ok. */
  problem: 'disk_full' | 'io_error' | null;
  /** When writes began to be refused; null when ok. */
  since: number | null;
  /**
   * Set while SQLite refuses the journaled writes (e.g. "SQLITE_FULL: database or disk is full"): they are
   * durable in the journal and applied once SQLite takes them; reads show the data without them meanwhile.
   */
  behind: { error: string; since: number } | null;
}

/**
 * A row of the `approvals` table as written and read (JSON columns as text; times in µs since epoch). The
 * approval broker (policy/approvals/) owns its meaning; the store only keeps it.
 */
export interface ApprovalRow {
  id: string;
  session_id: string;
  request_seq: number;
  rule_id: string;
  /** JSON text of the approval's subject. */
  what: string;
  status: string;
  requested_at: number;
  expires_at: number;
  decided_at: number | null;
  /** JSON text of who decided, or null. */
  decided_by: string | null;
  reason: string | null;
  /** JSON text of the scope, or null. */
  scope: string | null;
}
