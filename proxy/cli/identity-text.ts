/**
 * A recorded session's identity as the CLI prints it (issue 18, point 7): verified people with a mark, the
 * unverified with why (nobody signed in, or the sign-in expired).
 */
import type { Identity } from '../store/types.js';

/** Why an identity is unverified, in words; sessions recorded before sign-in existed count as signed out. */
function unverifiedWhy(identity: Identity): string {
  return identity.identity_status === 'expired' ? 'sign-in expired' : 'signed out';
}

/**
 * The `identity` line of `glassbox show`: `✓ verified Alice Example <alice@example.test> · groups a, b ·
 * issuer https://… · alice@laptop`, or `unverified (signed out) · alice@laptop` /
 * `unverified (sign-in expired) · …`. The OS user and host come last either way.
 */
export function identityLine(identity: Identity): string {
  const os = `${identity.os_user}@${identity.host}`;
  if (!identity.verified) return `unverified (${unverifiedWhy(identity)}) · ${os}`;
  const person = [identity.name, identity.email ? `<${identity.email}>` : null].filter(Boolean).join(' ');
  return [
    `✓ verified ${person || identity.subject || 'unknown person'}`,
    identity.groups.length > 0 ? `groups ${identity.groups.join(', ')}` : 'no groups',
    ...(identity.issuer ? [`issuer ${identity.issuer}`] : []),
    os,
  ].join(' · ');
}

/** The PERSON cell of `glassbox sessions`: `✓ email` (or subject) when verified, else the OS user. */
export function personCell(identity: Identity): string {
  if (identity.verified) return `✓ ${identity.email ?? identity.subject ?? '?'}`;
  return identity.os_user;
}
