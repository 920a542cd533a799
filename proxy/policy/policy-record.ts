/**
 * How policy changes are recorded: each applied change is a `policy.changed` event in a short session of its
 * own (kind `http`, target `glassbox`, client `glassbox-policy`), ended at once — as recording pauses are
 * (recording-switch.ts). The event is hash-chained like any other, so who changed masking, when, through
 * what, and what changed is tamper-evident.
 */
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { type Actor, actorName, actorOf } from './actor.js';
import type { EffectivePolicy } from './effective.js';
import type { PolicyChange } from './policy-diff.js';

/** The `client` of the sessions holding `policy.changed` events (the dashboard labels them "Policy"). */
export const POLICY_CLIENT = 'glassbox-policy';

/**
 * Through what a policy change came: `file` (policy.json edited while the engine ran), `api` (the control
 * API, e.g. the dashboard's Apply), `start` (policy.json differs, at engine start, from the last policy
 * recorded — edited while the engine was stopped, or new detectors in an upgraded Glassbox), `team` (a new
 * version of the team policy from the team server took effect; policy/team-layers.ts).
 */
export type PolicyVia = 'file' | 'api' | 'start' | 'team';

/** Who changed the policy and through what. */
export interface PolicyActor {
  /**
   * The person's identity: the engine's identity when the change came (the signed-in person, verified, else
   * the OS user); for `file` and `start` that is as far as the engine can tell who wrote the file.
   */
  identity: Identity;
  via: PolicyVia;
  /** With `via: "team"`: the team policy's server version now in force (0: the server serves none). */
  teamVersion?: number;
}

/**
 * The payload of a `policy.changed` event: who (`by`: the verified email, else the OS user; `actor`: the
 * whole identity, see actor.ts), through what, the versions before and
 * after, what changed, and the whole effective policy now in force (so the chain alone says which policy
 * masked what; it holds definitions only, never a masked value).
 */
export interface PolicyChangedPayload {
  by: string;
  /** Absent from changes recorded before sign-in existed. */
  actor?: Actor;
  via: PolicyVia;
  /** With `via: "team"`: the team policy's server version (0: the team policy was withdrawn). */
  team_version?: number;
  version: string;
  /** The version replaced; null when none was recorded before (the built-in default applied). */
  previous: string | null;
  changes: PolicyChange[];
  policy: EffectivePolicy;
}

/**
 * Records one applied change and ends its session.
 * @returns the session's id
 * @throws StoreUnavailableError (or another store error) when it cannot be written; nothing is then applied
 */
export function recordPolicyChange(
  store: Store,
  actor: PolicyActor,
  change: { previous: EffectivePolicy | null; next: EffectivePolicy; changes: PolicyChange[] },
): string {
  const session = store.createSession({
    kind: 'http',
    target: 'glassbox',
    client: POLICY_CLIENT,
    identity: actor.identity,
    external_id: null,
  });
  const payload: PolicyChangedPayload = {
    by: actorName(actor.identity),
    actor: actorOf(actor.identity),
    via: actor.via,
    ...(actor.teamVersion !== undefined ? { team_version: actor.teamVersion } : {}),
    version: change.next.version,
    previous: change.previous?.version ?? null,
    changes: change.changes,
    policy: change.next,
  };
  store.append(session.id, 'policy.changed', payload, { text: policyChangeText(payload) });
  store.endSession(session.id, 'recorded');
  return session.id;
}

/** The search text of a `policy.changed` event: who, through what, and the paths that changed. */
export function policyChangeText(payload: Partial<PolicyChangedPayload> | undefined): string {
  const paths = Array.isArray(payload?.changes) ? payload.changes.map((c) => c.path).join(' ') : '';
  return `policy changed by ${String(payload?.by ?? '')} via ${String(payload?.via ?? '')}: ${paths}`;
}

/** Sessions looked at per page while searching for the last recorded policy. */
const PAGE = 200;

/**
 * The effective policy of the newest `policy.changed` event in the store, or null when there is none (or it
 * is unreadable): what was in force when the engine last recorded a change.
 */
export function lastRecordedPolicy(store: Store): EffectivePolicy | null {
  let before: number | undefined;
  for (;;) {
    const page = store.listSessions({ kind: 'http', target: 'glassbox', limit: PAGE, before });
    for (const session of page) {
      if (session.client !== POLICY_CLIENT) continue;
      const event = store.listEvents(session.id, 0, 5).find((e) => e.kind === 'policy.changed');
      const policy = (event?.payload as Partial<PolicyChangedPayload> | undefined)?.policy;
      if (policy && typeof policy === 'object' && typeof policy.version === 'string') return policy;
    }
    if (page.length < PAGE) return null;
    before = page[page.length - 1]!.started_at;
  }
}
