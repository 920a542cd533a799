/**
 * The mirroring protocol between an engine and the team server, version 1 (`/v1/…`). Shared by both sides:
 * the engine's mirror (proxy/sync/) builds requests with these types, the server (server/) validates them
 * with these schemas. Nothing here imports from the engine's runtime except the chain's definition, which is
 * part of the protocol: both sides must compute the same hash.
 *
 * Routes (every one needs `Authorization: Bearer <access token>` except `/v1/info`):
 * - `GET  /v1/info` → {@link ServerInfo}: what an engine needs to sign in for this server.
 * - `GET  /v1/sessions/:id/head` → {@link SessionHead}, 404 {@link ProtocolError} `unknown_session` when new.
 * - `POST /v1/sessions/:id/events` with {@link EventBatch} → 200 {@link BatchAccepted};
 *     409 {@link HeadConflict} (`gap`: the batch does not start right after the server's head);
 *     422 {@link IntegrityRefusal} (`hash_conflict`: a different hash at a seq the server has, recorded as an
 *         integrity alert and never overwriting; `bad_chain`: the batch's own chain is broken at `seq`);
 *     400 validation, 401 no/invalid token, 403 not the session's owner, 413 batch too large, 429 Retry-After.
 * - `GET  /v1/policy` → {@link TeamPolicyResponse} (the team's masking and guardrails; engines apply it on top).
 * - Approvals routed to a group: `POST /v1/approvals` {@link RoutedApprovalRequest} → {@link RoutedApproval};
 *   `GET /v1/approvals/:id` → {@link RoutedApproval}; `POST /v1/approvals/:id/decision` {@link ApprovalDecisionBody};
 *   `POST /v1/approvals/:id/withdraw`; `GET /v1/approvals?status=pending` → {@link RoutedApprovalList}. Live: `GET /v1/live` (WebSocket) sends {@link LiveMessage}s.
 *
 * Times are µs since the epoch (as in the local store); seq starts at 1; hashes are lowercase SHA-256 hex.
 */
import { z } from 'zod';

export { canonicalJson } from '../common/canonical-json.js';
export { glassboxVersion } from '../common/version.js';
export { chainHash } from '../store/chain.js';

/** The protocol version in every path (`/v1/…`). */
export const PROTOCOL_VERSION = 1;
/** Most events one batch may carry. */
export const MAX_BATCH_EVENTS = 500;
/** Largest request body the server accepts for a batch (bytes); the mirror cuts batches below it. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/**
 * Largest request body the server accepts (bytes). Above {@link MAX_BATCH_BYTES} so that a single event larger
 * than a batch — a reply stored whole at recording.maxBodyBytes (8 MiB by default), which JSON escaping can
 * double — still goes through, alone in its batch, instead of refusing its session with 413.
 */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/**
 * Largest `GET /v1/live` frame an engine reads (bytes); a larger one closes the socket (1009), and the
 * engine re-connects and re-reads what it shows over HTTP. Approvals' `what` is the largest part.
 */
export const MAX_LIVE_FRAME_BYTES = 4 * 1024 * 1024;

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase SHA-256 hex digest');
/** A session id: the engine's ULID (26 Crockford base32 characters); kept loose (1–64 safe characters). */
export const SessionId = z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');
const Micros = z.number().int().nonnegative();

/** `GET /v1/info`: public, unauthenticated. What `glassbox team join URL` writes into config.json. */
export const ServerInfoSchema = z.object({
  name: z.literal('glassbox-server'),
  version: z.string(),
  protocol: z.literal(PROTOCOL_VERSION),
  /** The OIDC issuer whose tokens the server accepts. */
  issuer: z.string(),
  /** The client id engines sign in with (a public native client, PKCE). */
  clientId: z.string(),
  /** The audience the server checks in access tokens (requested as RFC 8707 `resource` / `audience`). */
  audience: z.string(),
  /** Which token to send: `access_token` (JWT, aud = audience) or `id_token` (aud = clientId) for providers whose access tokens are opaque. */
  token: z.enum(['access_token', 'id_token']),
  /** The groups claim the server reads roles from. */
  groupsClaim: z.string(),
});
export type ServerInfo = z.infer<typeof ServerInfoSchema>;

/** The recorded identity of a session, as the engine stored it (proxy/store/types.ts Identity). */
export const WireIdentitySchema = z
  .object({
    subject: z.string().nullable(),
    email: z.string().nullable(),
    groups: z.array(z.string()).max(256),
    verified: z.boolean(),
    os_user: z.string(),
    host: z.string(),
    issuer: z.string().nullable().optional(),
    name: z.string().nullable().optional(),
    identity_status: z.enum(['verified', 'signed-out', 'expired']).optional(),
  })
  .passthrough();
export type WireIdentity = z.infer<typeof WireIdentitySchema>;

/** The session's row as the engine has it when it sends a batch (the server keeps the latest). */
export const SessionMetaSchema = z.object({
  kind: z.enum(['anthropic', 'postgres', 'http']),
  target: z.string().max(1024),
  client: z.string().max(1024).nullable(),
  identity: WireIdentitySchema,
  started_at: Micros,
  ended_at: Micros.nullable(),
  status: z.enum(['live', 'closed', 'interrupted']),
  stats: z.record(z.string(), z.number()),
});
export type SessionMeta = z.infer<typeof SessionMetaSchema>;

/** One event on the wire: `payload` is the parsed JSON whose canonical JSON the hash covers. */
export const WireEventSchema = z.object({
  seq: z.number().int().positive(),
  ts: Micros,
  kind: z.string().min(1).max(128),
  payload: z.unknown(),
  hash: Hex64,
});
export type WireEvent = z.infer<typeof WireEventSchema>;

/** `POST /v1/sessions/:id/events` body: the session's metadata and the next events, in seq order. */
export const EventBatchSchema = z.object({
  session: SessionMetaSchema,
  events: z.array(WireEventSchema).min(1).max(MAX_BATCH_EVENTS),
});
export type EventBatch = z.infer<typeof EventBatchSchema>;

/** The server's last stored event of a session; `seq` 0 and `hash` = the session id when it has none. */
export const SessionHeadSchema = z.object({ seq: z.number().int().nonnegative(), hash: z.string() });
export type SessionHead = z.infer<typeof SessionHeadSchema>;

/** 200 answer to a batch: the server's head after it (equal to the batch's last event). */
export const BatchAcceptedSchema = z.object({
  head: SessionHeadSchema,
  /** Events of the batch the server already had, identical (a resend): accepted, not stored twice. */
  duplicates: z.number().int().nonnegative(),
  /** True when the recorded identity disagrees with the token's (flagged on the server, still stored). */
  identity_mismatch: z.boolean(),
});
export type BatchAccepted = z.infer<typeof BatchAcceptedSchema>;

/** Error codes of {@link ProtocolError}. */
export type ProtocolErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'unknown_session'
  | 'gap'
  | 'hash_conflict'
  | 'bad_chain'
  | 'too_large'
  | 'rate_limited'
  | 'invalid_request'
  | 'not_found'
  | 'unavailable'
  /** An approval id another requester already used (POST /v1/approvals). */
  | 'conflict'
  /** A decision or withdrawal on an approval no longer pending (`status` in the body says how it ended). */
  | 'not_pending'
  /** The requester tried to decide their own routed approval and its rule does not allow that. */
  | 'self_approval';

/** Every error body: a code a program can switch on and a message a person can act on. */
export const ProtocolErrorSchema = z.object({
  error: z.string(),
  message: z.string(),
});
export type ProtocolError = { error: ProtocolErrorCode; message: string };

/** 409: the batch's first seq is not the server's head + 1. Resume from `head`. */
export type HeadConflict = ProtocolError & { error: 'gap'; head: SessionHead };
/** 422: the server refuses the batch for integrity; `seq` is the first event at fault. */
export type IntegrityRefusal = ProtocolError & {
  error: 'hash_conflict' | 'bad_chain';
  seq: number;
  /** The server's head, unchanged by the refused batch. */
  head: SessionHead;
  /** The integrity alert recorded on the server (hash_conflict only). */
  alert_id?: number;
};

/** `GET /v1/policy`: the team policy (a policy.json document) and its version; `policy` null when none. */
export const TeamPolicyResponseSchema = z.object({
  version: z.number().int().nonnegative(),
  updated_at: Micros.nullable(),
  /** A policy document in the local policy.json format (proxy/policy/schema.ts), or null. */
  policy: z.unknown().nullable(),
});
export type TeamPolicyResponse = z.infer<typeof TeamPolicyResponseSchema>;

/** Who decided, as the server verified them from the approver's token. */
export const ApproverSchema = z.object({
  issuer: z.string(),
  subject: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  groups: z.array(z.string()),
});
export type Approver = z.infer<typeof ApproverSchema>;

/** `POST /v1/approvals`: an engine asks the approvers of `group` (the rule's `route.group`). */
export const RoutedApprovalRequestSchema = z.object({
  /** The engine's approval id (ap_…), the server's key too; an id another requester already used is refused (409). */
  id: z.string().regex(/^ap_[0-9A-Za-z]{4,32}$/),
  session_id: SessionId,
  request_seq: z.number().int().positive(),
  rule_id: z.string().max(256),
  group: z.string().min(1).max(256),
  /** Whether the rule lets the requester approve their own request. */
  allow_self_approval: z.boolean(),
  /** What the local dashboard shows (masked operation, facts, rule, who), as the engine's approvals.what. */
  what: z.unknown(),
  requested_at: Micros,
  expires_at: Micros,
});
export type RoutedApprovalRequest = z.infer<typeof RoutedApprovalRequestSchema>;

/** A routed approval as the server holds it. */
export const RoutedApprovalSchema = RoutedApprovalRequestSchema.extend({
  status: z.enum(['pending', 'approved', 'denied', 'expired', 'withdrawn']),
  requester: ApproverSchema,
  decided_at: Micros.nullable(),
  decided_by: ApproverSchema.nullable(),
  reason: z.string().nullable(),
  /** As the local scope: once, or the same rule in the same session until `until_us`. */
  scope: z
    .union([
      z.object({ type: z.literal('once') }),
      z.object({ type: z.literal('session'), until_us: Micros }),
    ])
    .nullable(),
});
export type RoutedApproval = z.infer<typeof RoutedApprovalSchema>;

/** `POST /v1/approvals/:id/decision`. */
export const ApprovalDecisionBodySchema = z.object({
  decision: z.enum(['approved', 'denied']),
  reason: z.string().max(2000).optional(),
  scope: z.enum(['once', 'session']).optional(),
  /** How long a `session` approval lasts, s (1 s to 24 h; default 15 minutes). */
  for_seconds: z.number().int().min(1).max(86_400).optional(),
});
export type ApprovalDecisionBody = z.infer<typeof ApprovalDecisionBodySchema>;

/** `POST /v1/approvals/:id/withdraw` (the requester's engine: its client went away, or it decided locally). */
export const ApprovalWithdrawBodySchema = z.object({ reason: z.string().max(2000).optional() });
export type ApprovalWithdrawBody = z.infer<typeof ApprovalWithdrawBodySchema>;

/**
 * `GET /v1/approvals[?status=pending][&limit=N]`: what the caller decides (the groups they approve for) and
 * what they asked, newest first.
 */
export interface RoutedApprovalList {
  approvals: RoutedApproval[];
}

/**
 * Messages on `GET /v1/live` (WebSocket, JSON text frames). Ids only where a row may be large: clients fetch
 * what they show. Fan-out across server instances goes through PostgreSQL LISTEN/NOTIFY.
 */
export type LiveMessage =
  | { type: 'hello'; protocol: typeof PROTOCOL_VERSION; user: { subject: string; groups: string[] } }
  | { type: 'session'; session_id: string; head_seq: number; owner: string }
  | { type: 'approval'; approval: RoutedApproval }
  | { type: 'alert'; alert_id: number; session_id: string }
  | { type: 'policy'; version: number };

/**
 * What an engine accepts from `GET /v1/live`: a {@link LiveMessage}, or `resync` (the server lost notices:
 * re-read what is shown). Every frame is checked against this before anything reads it, so a server that
 * sends something else (bad JSON, `null`, an approval without its fields) is ignored, never trusted or thrown
 * on; a type this version does not know fails too and is dropped.
 */
export const LiveFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.literal(PROTOCOL_VERSION),
    user: z.object({ subject: z.string(), groups: z.array(z.string()) }),
  }),
  z.object({
    type: z.literal('session'),
    session_id: z.string(),
    head_seq: z.number().int().nonnegative(),
    owner: z.string(),
  }),
  z.object({ type: z.literal('approval'), approval: RoutedApprovalSchema }),
  z.object({ type: z.literal('alert'), alert_id: z.number().int(), session_id: z.string() }),
  z.object({ type: z.literal('policy'), version: z.number().int() }),
  z.object({ type: z.literal('resync') }),
]);
/** A checked frame of `GET /v1/live` (see {@link LiveFrameSchema}). */
export type LiveFrame = LiveMessage | { type: 'resync' };

/** The frame `data` holds (a WebSocket text frame's bytes), or undefined when it is not one. */
export function parseLiveFrame(data: string): LiveFrame | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return undefined;
  }
  const parsed = LiveFrameSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Read API for auditors, approvers and the dashboard the server serves (every route needs a token; a person
// sees their own sessions, auditors everyone's). Pages are keyset-paginated: `next_cursor` is opaque, null on
// the last page; never OFFSET.
//   GET /v1/me                                   → {@link Me}
//   GET /v1/sessions?person=&group=&target=&kind=&from=&to=&q=&cursor=&limit=   → {@link SessionPage}
//       person: subject or email (case-insensitive); group: an owner group; from/to: µs; q: full text
//   GET /v1/sessions/:id                         → {@link ServerSession}
//   GET /v1/sessions/:id/events?after=&limit=    → {@link EventPage}
//   GET /v1/sessions/:id/verify                  → {@link ChainVerification} (recomputed from stored events)
//   GET /v1/sessions/:id/export?format=jsonl|har|sql  → the file (Content-Disposition: attachment)
//   GET /v1/search?q=&person=&group=&cursor=&limit=   → {@link SearchPage} (matching events)
//   GET /v1/alerts?cursor=&limit=                → {@link AlertPage} (auditors)
// ---------------------------------------------------------------------------------------------------------

/** The person a token names, and what their groups let them do. */
export interface Me {
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  groups: string[];
  auditor: boolean;
  /** Groups whose routed approvals this person decides. */
  approver_groups: string[];
}

/** A session as the server holds it. */
export interface ServerSession {
  id: string;
  /** The person whose token mirrored it: the only identity the server believes. */
  owner: { issuer: string; subject: string; email: string | null; name: string | null; groups: string[] };
  kind: SessionMeta['kind'];
  target: string;
  client: string | null;
  /** The identity the engine recorded. */
  identity: WireIdentity;
  /** True when `identity` disagrees with `owner` (an integrity alert was raised). */
  identity_mismatch: boolean;
  started_at: number;
  ended_at: number | null;
  status: SessionMeta['status'];
  stats: Record<string, number>;
  head_seq: number;
  head_hash: string;
  /** When the server last stored events of it, µs. */
  last_received_at: number;
  /** Integrity alerts raised for it. */
  alerts: number;
}

/** A page of sessions, newest first. */
export interface SessionPage {
  sessions: ServerSession[];
  next_cursor: string | null;
}

/** A page of a session's events in seq order. */
export interface EventPage {
  events: WireEvent[];
  /** Pass as `after` for the next page; null at the end. */
  next_after: number | null;
}

/** The server's own recomputation of a session's chain from what it stored. */
export type ChainVerification =
  | { intact: true; events: number; head_seq: number; head_hash: string }
  | { intact: false; events: number; head_seq: number; broken_at_seq: number; reason: string };

/** One event matching a search. */
export interface SearchMatch {
  session_id: string;
  seq: number;
  ts: number;
  kind: string;
  /** A short excerpt around the match (plain text). */
  snippet: string;
  owner: { subject: string; email: string | null };
}

/** A page of search matches, newest first. */
export interface SearchPage {
  matches: SearchMatch[];
  next_cursor: string | null;
}

/** An integrity alert, as auditors see it. */
export interface IntegrityAlert {
  id: number;
  session_id: string;
  seq: number;
  kind: 'hash_conflict' | 'bad_chain' | 'identity_mismatch';
  stored_hash: string | null;
  received_hash: string | null;
  reason: string;
  reporter: { issuer: string; subject: string };
  created_at: number;
}

/** A page of alerts, newest first. */
export interface AlertPage {
  alerts: IntegrityAlert[];
  next_cursor: string | null;
}
