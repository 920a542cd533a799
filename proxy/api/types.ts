/**
 * The control API's contract: request parameters and response bodies. The renderer imports these with
 * `import type` only.
 */
import type { UpstreamStatus } from '../anthropic/upstream-health.js';
import type {
  IdentityLoginResponse,
  IdentityResponse,
  SignInFailure,
  SignInState,
} from '../identity/types.js';
import type { PolicyDocument, PolicyIssue } from '../policy/document.js';
import type { EffectivePolicy } from '../policy/effective.js';
import type {
  Approval,
  ApprovalScope,
  ApprovalStatus,
  ApprovalSubject,
  DecidingRule,
  GuardAction,
  GuardHealth,
  OperationFacts,
} from '../policy/guard/types.js';
import type { PolicyChange } from '../policy/policy-diff.js';
import type { TryExample, TryResult } from '../policy/preview/recordings.js';
import type { MaskedRows, PreviewCell, PreviewColumnView } from '../policy/preview/table.js';
import type { DetectorView, PreviewedText, PreviewSpan } from '../policy/preview/text.js';
import type { PreAuthHealth } from '../postgres/pre-auth-types.js';
import type { SearchMatch } from '../search/snippet.js';
import type { InflightExchange, RecordedEvent, Session, StoreChange, StoreHealth } from '../store/types.js';
import type { TeamApprovalMessage, TeamMessage } from './team-types.js';

export type { TeamApprovalMessage, TeamApprovalsResponse, TeamMessage, TeamResponse } from './team-types.js';
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
  /** Whether the guardrails' parsers loaded; while `unavailable`, what a rule needs them for is refused. */
  guard: GuardHealth;
  /** The sign-in (issue 18): configured, required, and the status now; absent from engines without it. */
  identity?: { configured: boolean; required: boolean; status: SignInState['status'] };
}

/**
 * On /api/live whenever the sign-in state changes (a login, a logout, a refresh, an expiry, in this process
 * or another): the new non-secret state, so the dashboard and the tray update without polling.
 */
export interface IdentityMessage {
  type: 'identity';
  state: SignInState;
}

/**
 * On /api/live when a browser sign-in begun through POST /api/identity/login (the dashboard, the desktop
 * app) ends without signing anyone in: denied at the provider, timed out, or not storable. The state does
 * not change (no {@link IdentityMessage}), so this is how the page that asked learns it. Never a token.
 */
export interface SignInFailedMessage {
  type: 'sign-in-failed';
  failure: SignInFailure;
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

/**
 * Error body of every non-2xx answer. A draft policy that is not valid (400 `invalid_policy`) adds `issues`,
 * each naming a field and the fix; a preview query the database refused (400 `query_failed`) adds its
 * `sqlstate`.
 */
export interface ErrorResponse {
  error: {
    code: string;
    message: string;
    issues?: PolicyIssue[];
    sqlstate?: string;
    /** With 409 `not_pending`: how the approval ended. */
    status?: ApprovalStatus;
  };
}

export type { Approval, ApprovalScope, ApprovalStatus, ApprovalSubject, DecidingRule, OperationFacts };

/**
 * On /api/live whenever an approval changes: a new request (`pending`), a decision, an expiry, a
 * withdrawal. The whole approval, so an inbox updates without asking again.
 */
export interface ApprovalMessage {
  type: 'approval';
  approval: Approval;
}

/** GET /api/approvals?all=1&limit=N: pending first, newest first (`all`: decided ones too; limit 1–1000, default 100). */
export interface ApprovalsResponse {
  approvals: Approval[];
  /** How many are pending now (the header's badge), whatever `all` and `limit` say. */
  pending: number;
  /** The engine's clock, µs since epoch, for "time left" against `expires_at`. */
  now: number;
}

/** GET /api/approvals/:id, and the answer of approve and deny: the approval as it is now. */
export interface ApprovalResponse {
  approval: Approval;
}

/**
 * GET /api/approvals/:id/wait?timeout=30 (seconds, or a duration like `90s`; at most 10 minutes, default 30
 * seconds): answers as soon as the approval is decided, or at the timeout with it still pending.
 */
export interface ApprovalWaitResponse {
  approval: Approval;
  /** True when the wait ended before a decision (the approval is still `pending`). */
  timed_out: boolean;
}

/**
 * POST /api/approvals/:id/approve. `scope` `once` (default: this exact operation, once) or `session` (the
 * same rule in the same session for `for`, a duration like `15m`, 1s to 24h; default 15 minutes; giving
 * `for` alone means `session`). `via` names the client (`cli`, `dashboard`, `tray`; default `api`).
 */
export interface ApproveRequest {
  scope?: 'once' | 'session';
  for?: string;
  reason?: string;
  via?: string;
}

/** POST /api/approvals/:id/deny: the reason is required (the agent or client is shown it). */
export interface DenyRequest {
  reason: string;
  via?: string;
}

/**
 * Messages on the /api/live WebSocket: store changes, upstream changes, approval changes, the store's health
 * whenever it changes (a full disk stops recording, space freed resumes it), the mirror's status whenever it
 * changes, and a heartbeat every 30 s.
 */
export type LiveMessage =
  | StoreChange
  | UpstreamMessage
  | ApprovalMessage
  | TeamApprovalMessage
  | IdentityMessage
  | SignInFailedMessage
  | TeamMessage
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
 * searched in the full-text index over prompts, replies, tool calls and SQL), `person` (the identity's
 * subject or email, case-insensitive) and `group` (one of the identity's groups); each text at most 256
 * characters.
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
  person?: string;
  group?: string;
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

export type {
  DetectorView,
  MaskedRows,
  PolicyChange,
  PolicyDocument,
  PolicyIssue,
  PreviewCell,
  PreviewColumnView,
  PreviewSpan,
  TryExample,
};

/** An effective policy (what is in force, or what a draft would put in force) with its detectors described. */
export type PolicyView = Omit<EffectivePolicy, 'detectors'> & { detectors: DetectorView[] };

/** A PostgreSQL connection whose upstream the masking preview can query (read-only). */
export interface PolicyConnection {
  name: string;
  /** The database it serves by default, which the preview opens. */
  database: string;
}

/** GET /api/policy: the policy in force, the file as written, and the connections a table preview can use. */
export interface PolicyResponse {
  /** 12 hex digits naming the effective policy in force. */
  version: string;
  effective: PolicyView;
  /** The document in force, parsed (every field present, actions in their object form). */
  document: PolicyDocument;
  /** `$GLASSBOX_HOME/policy.json`'s text as it is on disk now; null when there is none (defaults apply). */
  written: string | null;
  /** Why the newest policy.json was refused (field and fix), or null when it is in force. */
  refused: string | null;
  connections: PolicyConnection[];
}

/**
 * POST /api/policy/preview: `text` (at most 1 MiB of UTF-8) masked by `draft` (a policy document; absent: the
 * policy in force). A draft that is not valid answers 400 `invalid_policy` with its `issues`, so the
 * dashboard validates its editor with this call.
 */
export interface PolicyPreviewRequest {
  draft?: unknown;
  text: string;
}

/** Answer of POST /api/policy/preview: the masked text, its spans, and the policy that masked it. */
export interface PolicyPreviewResponse extends PreviewedText {
  /** The version of the policy used (the draft's when one was sent). */
  version: string;
  effective: PolicyView;
}

/** POST /api/policy/try: what `draft` would mask additionally in the newest `sessions` sessions (1–200, default 20). */
export interface PolicyTryRequest {
  draft: unknown;
  sessions?: number;
}

/** Answer of POST /api/policy/try (see {@link TryResult}). */
export interface PolicyTryResponse extends TryResult {
  version: string;
  current_version: string;
}

/**
 * POST /api/policy/preview-table: the first 20 rows of `table` (`name`, `schema.name`, or `{schema, name}`),
 * or of a typed single SELECT (`sql`), from a PostgreSQL connection's upstream, read-only; masked by `draft`
 * (absent: the policy in force). Never recorded.
 */
export interface PolicyTableRequest {
  draft?: unknown;
  connection: string;
  table?: string | { schema?: string; name: string };
  sql?: string;
}

/** Answer of POST /api/policy/preview-table: the rows as the database has them, the agent sees them, and they are stored. */
export interface PolicyTableResponse extends MaskedRows {
  connection: string;
  /** The SQL that ran upstream (inside BEGIN READ ONLY … ROLLBACK). */
  query: string;
  version: string;
  /** Always false: a preview's rows are never stored or recorded. */
  recorded: false;
}

/** GET /api/policy/tables?connection=NAME: the tables and views the connection's role can see. */
export interface PolicyTablesResponse {
  connection: string;
  tables: Array<{ schema: string; name: string }>;
}

/**
 * PUT /api/policy: writes `document` to policy.json and puts it in force (recorded as `policy.changed`, via
 * `api`). With `base_version`, refused (409 `conflict`) when the policy in force is no longer that version.
 */
export interface PolicyApplyRequest {
  document: unknown;
  base_version?: string;
}

/** Answer of PUT /api/policy. */
export interface PolicyApplyResponse {
  /** The version now in force. */
  version: string;
  previous: string;
  /** What changed in effect; empty when the document differs only in form. */
  changes: PolicyChange[];
  message: string;
}

/**
 * POST /api/guard/tool-call (the Claude Code hook): `{ session_id, cwd?, tool_name, tool_input,
 * tool_use_id? }` as Claude Code's PreToolUse input has them.
 */
export interface GuardToolCallRequest {
  session_id: string;
  cwd?: string;
  tool_name: string;
  tool_input: unknown;
  tool_use_id?: string;
}

/**
 * Answer of POST /api/guard/tool-call. `action` is the guard's decision: `allow`/`flag` (no objection),
 * `block` (refuse with `rule.message`), `approve` (an approval `approval_id` is pending until `expires_at`,
 * µs since the epoch: wait on GET /api/approvals/:id/wait). An `approve` already covered by a standing
 * approval answers `allow` with that approval's id and `covered`.
 */
export interface GuardToolCallResponse {
  action: GuardAction;
  rule?: DecidingRule;
  approval_id?: string;
  expires_at?: number;
  covered?: boolean;
  /** False when guardrails are off (no guard): nothing was checked or recorded. */
  checked: boolean;
  /** The Glassbox session the check was recorded in, and its event's seq. */
  session_id?: string;
  seq?: number;
}

/** `GET /api/identity` and `POST /api/identity/logout` (shapes in proxy/identity/types.ts). */
export type { IdentityLoginResponse, IdentityResponse, SignInState };
