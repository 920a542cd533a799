/**
 * Who did something, as Glassbox records it (issue 18, point 4): the person the sign-in verified — subject,
 * email, name, groups and issuer from the provider's ID token — beside the OS user, or the OS user alone,
 * marked unverified, while nobody is signed in. Used for approval decisions (`decided_by`), recording pauses
 * and policy changes, and for the guard's view of a session's identity.
 */
import type { Identity } from '../store/types.js';
import type { GuardContext } from './guard/types.js';

/** A person as an event payload names them. Never holds a token (nor its fingerprint: that is the session's). */
export interface Actor {
  os_user: string;
  /** True only when the sign-in verified the fields below. */
  verified: boolean;
  /** `verified`, `signed-out` or `expired` (signed in once, refresh failed). */
  identity_status: NonNullable<Identity['identity_status']>;
  subject?: string;
  email?: string;
  name?: string;
  issuer?: string;
  groups?: string[];
}

/** The {@link Actor} of `identity` (verified fields only when verified). */
export function actorOf(identity: Identity): Actor {
  const status = identity.identity_status ?? (identity.verified ? 'verified' : 'signed-out');
  if (!identity.verified) return { os_user: identity.os_user, verified: false, identity_status: status };
  return {
    os_user: identity.os_user,
    verified: true,
    identity_status: status,
    ...(identity.subject ? { subject: identity.subject } : {}),
    ...(identity.email ? { email: identity.email } : {}),
    ...(identity.name ? { name: identity.name } : {}),
    ...(identity.issuer ? { issuer: identity.issuer } : {}),
    groups: identity.groups,
  };
}

/** How an event's text names the person: the verified email (or subject), else the OS user. */
export function actorName(identity: Identity): string {
  if (identity.verified) return identity.email ?? identity.subject ?? identity.os_user;
  return identity.os_user;
}

/**
 * A session's identity as the guard's rules see it: the OS user, and when verified the email and the groups
 * (a rule's `groups` condition holds only for verified groups).
 */
export function guardIdentity(identity: Identity): NonNullable<GuardContext['identity']> {
  return {
    os_user: identity.os_user,
    ...(identity.verified && identity.email ? { email: identity.email } : {}),
    groups: identity.verified ? identity.groups : [],
  };
}
