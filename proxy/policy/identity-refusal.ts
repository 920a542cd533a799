/**
 * How a refusal for want of sign-in (`identity.required`, issue 18 point 6) is recorded: a session of its own,
 * under the unverified identity the client came with (which says why: `signed-out` or `expired`), holding one
 * `identity.refused` event and ended at once with reason `refused`. The session has no external id, so a
 * client that comes back after signing in starts a new session under its verified identity instead of
 * reopening the refused one. Written in one store batch: the chain is complete or absent.
 */
import type { NewSession, Store } from '../store/store.js';

/** The kind of the event that records a refusal. */
export const IDENTITY_REFUSED_EVENT = 'identity.refused';

/** Payload of `identity.refused`; each proxy adds what identifies the attempt in its protocol. */
export interface IdentityRefusedPayload {
  /** The sentence the client was answered with (it says to run `glassbox login`). */
  reason: string;
  /** The client as the protocol names it (Anthropic: the user agent; PostgreSQL: application_name). */
  client: string | null;
  /** Where the client wanted to go, as the session's target. */
  target: string;
  [detail: string]: unknown;
}

/**
 * Records a refused attempt as a closed session of `session`'s kind, target, client and identity.
 * @returns the session's id
 * @throws StoreUnavailableError (or another store error) when it cannot be written; the caller refuses anyway
 */
export function recordIdentityRefusal(
  store: Store,
  session: Omit<NewSession, 'external_id'>,
  payload: IdentityRefusedPayload,
): string {
  let id = '';
  store.batch(() => {
    id = store.createSession({ ...session, external_id: null }).id;
    store.append(id, IDENTITY_REFUSED_EVENT, payload, {
      stats: { errors: 1 },
      text: `refused without sign-in: ${payload.reason}`,
    });
    store.endSession(id, 'refused');
  });
  return id;
}
