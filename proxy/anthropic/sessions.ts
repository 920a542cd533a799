import type { IncomingHttpHeaders } from 'node:http';
import { nowMicros } from '../common/time.js';
import { type CredentialFingerprints, requestCredential } from '../policy/credentials.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';

/** Default idle gap after which requests without a session header start a new session: 30 minutes in µs. */
export const DEFAULT_IDLE_GAP_US = 30 * 60 * 1_000_000;

/** Claude Code and the Claude Agent SDK send this on every request of one agent session. */
export const CLAUDE_CODE_SESSION_HEADER = 'x-claude-code-session-id';
/** Any client may send this to group its requests explicitly. */
export const GLASSBOX_SESSION_HEADER = 'x-glassbox-session';

/**
 * Groups Anthropic API requests into sessions (DESIGN.md "Sessions"): by `x-claude-code-session-id`, else
 * by `x-glassbox-session`, else by client (user agent) + credential fingerprint with an idle gap. The
 * header's value becomes the session's `external_id`; a closed session whose id comes back is reopened. A
 * session takes the engine's identity as it is when the session is created (signing in or out applies to the
 * next session, never to one already recorded under another identity).
 */
export class AnthropicSessionResolver {
  /** Fallback grouping key (client + credential) → session id. */
  private readonly byClientKey = new Map<string, string>();
  /** Session header value → session id (the newest session with that external id). */
  private readonly byExternalId = new Map<string, string>();
  /** Session id → the identity it was created with here (for the guard's context), newest last. */
  private readonly identities = new Map<string, Identity>();

  constructor(
    private readonly store: Store,
    private readonly target: string,
    /** The identity to stamp on a session created now (the engine's live sign-in), read at each creation. */
    private readonly identity: () => Identity,
    /** The proxy's memory of credential fingerprints, shared with its header redaction. */
    private readonly fingerprints: CredentialFingerprints,
    private readonly idleGapUs = DEFAULT_IDLE_GAP_US,
  ) {}

  /** The id of the session a request belongs to, created or reopened as needed. Hot path: no JSON parsing. */
  resolve(headers: IncomingHttpHeaders, remoteAddress: string | undefined): string {
    const client = headerValue(headers['user-agent']) ?? null;
    const externalId =
      headerValue(headers[CLAUDE_CODE_SESSION_HEADER]) ?? headerValue(headers[GLASSBOX_SESSION_HEADER]);
    if (externalId) {
      const id = this.byExternalId.get(externalId) ?? this.store.externalSessionId('anthropic', externalId);
      // A cached id may belong to a session whose creation was rolled back with a failed batch.
      const state = id ? this.store.liveness(id) : undefined;
      if (id && state) {
        remember(this.byExternalId, externalId, id);
        if (state.status !== 'live') this.store.reopenSession(id);
        return id;
      }
      const created = this.create(client, requestCredential(headers, this.fingerprints), externalId);
      remember(this.byExternalId, externalId, created);
      return created;
    }
    const credential = requestCredential(headers, this.fingerprints);
    const key = `${client ?? `unknown client at ${remoteAddress ?? '?'}`}\u0000${credential ?? ''}`;
    const cachedId = this.byClientKey.get(key);
    const cached = cachedId ? this.store.liveness(cachedId) : undefined;
    if (cachedId && cached?.status === 'live') {
      if (nowMicros() - cached.last_event_at < this.idleGapUs) return cachedId;
      this.store.endSession(cachedId, 'idle', 'closed', true);
    }
    const id = this.create(client, credential, null);
    remember(this.byClientKey, key, id);
    return id;
  }

  /**
   * Ends live Anthropic sessions idle for longer than the gap and with nothing in flight, at their last event
   * (a Claude session ends when it falls silent, not when the sweep notices).
   * @returns how many were closed
   */
  closeIdle(now = nowMicros()): number {
    let closed = 0;
    for (const session of this.store.listSessions({ kind: 'anthropic', status: 'live', limit: 10_000 })) {
      if (now - session.last_event_at < this.idleGapUs || this.store.inflight(session.id).length > 0)
        continue;
      this.store.endSession(session.id, 'idle', 'closed', true);
      closed++;
    }
    return closed;
  }

  /**
   * The identity session `id` was created with: remembered for sessions created by this resolver, else read
   * from the store (a session created by the hook's route, or before a restart); the live one as a last resort.
   */
  identityOf(id: string): Identity {
    return this.identities.get(id) ?? this.store.getSession(id)?.identity ?? this.identity();
  }

  private create(client: string | null, credential: string | null, externalId: string | null): string {
    const identity = { ...this.identity(), credential };
    const { id } = this.store.createSession({
      kind: 'anthropic',
      target: this.target,
      client,
      identity,
      external_id: externalId,
    });
    this.identities.set(id, identity);
    if (this.identities.size > MAX_REMEMBERED) this.identities.delete(this.identities.keys().next().value!);
    return id;
  }
}

/** Most grouping keys remembered; clients choose the keys, so the maps must not grow without bound. */
const MAX_REMEMBERED = 10_000;

/** Sets `key` as the newest entry of `map`, evicting the oldest past {@link MAX_REMEMBERED}. */
function remember(map: Map<string, string>, key: string, id: string): void {
  map.delete(key);
  map.set(key, id);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value!);
}

/** First value of a header, trimmed; undefined when absent or empty. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed ? trimmed : undefined;
}
