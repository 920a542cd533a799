/**
 * What the PostgreSQL proxy reports about connections that have not authenticated (GET /api/health). Types
 * only, with no imports, so the control API's contract (api/types.ts) can name them for the renderer.
 */

/** Why a connection ended before authenticating. */
export type RefusalReason =
  /** Closed by the client before or during authentication without trying a password (a port scan). */
  | 'closed'
  /** No start-up, or no authentication, within `timeoutMs`. */
  | 'timeout'
  /** A start-up packet PostgreSQL would refuse: impossible length, unsupported version, repeated SSLRequest. */
  | 'malformed'
  /** Over `maxPending`. */
  | 'too_many_pending'
  /** Refused for too many failed logins from its address. */
  | 'too_many_failures'
  /** TLS handshake failed. */
  | 'tls';

/** What one client address did before authenticating, since the engine started (GET /api/health). */
export interface SourceCounts {
  address: string;
  /** Connections ended before authentication without a password tried, by reason. */
  refused: Partial<Record<RefusalReason, number>>;
  /** Logins refused for a wrong password or an unknown role (the same to the client, as in PostgreSQL). */
  failed_logins: number;
  /** CancelRequests received; of them, with a key Glassbox never issued, and dropped over the rate limit. */
  cancels: number;
  cancels_unknown: number;
  cancels_dropped: number;
  /** When it was last seen, µs since the epoch. */
  last_at: number;
}

/** The PostgreSQL proxy's pre-authentication state for /api/health. */
export interface PreAuthHealth {
  /** Connections before authentication, by listener (connection name). */
  pending: Record<string, number>;
  /** By client address, most recently seen first. */
  sources: SourceCounts[];
}
