import type { Identity } from '../../../proxy/store/types';

/** The OS user and host, as the machine says (anyone can be it). */
function machineUser(identity: Identity): string {
  return `${identity.os_user}@${identity.host}`;
}

/**
 * A session's identity in words: the verified person's name (else email, else subject), or
 * `unverified · os_user@host`, or `sign-in expired · os_user@host`. An email on an unverified identity is a
 * claim, never shown as the person.
 */
export function identityLabel(identity: Identity): string {
  if (identity.verified) return identity.name || identity.email || identity.subject || 'verified person';
  return `${identity.identity_status === 'expired' ? 'sign-in expired' : 'unverified'} · ${machineUser(identity)}`;
}

/** The tooltip: who verified the person, their email, subject and groups, and the OS user; or why unverified. */
export function identityTitle(identity: Identity): string {
  if (!identity.verified) {
    const why =
      identity.identity_status === 'expired'
        ? 'Not verified: the sign-in had expired when this session started (sign in again: glassbox login).'
        : 'Not verified: nobody was signed in when this session started.';
    const claimed = identity.email ? `\nClaimed email (not verified): ${identity.email}` : '';
    return `${why}\nOS user: ${machineUser(identity)}${claimed}`;
  }
  return [
    `Verified by ${identity.issuer ?? 'the identity provider'}`,
    identity.email,
    identity.subject ? `Subject: ${identity.subject}` : null,
    `Groups: ${identity.groups.length ? identity.groups.join(', ') : 'none'}`,
    `OS user: ${machineUser(identity)}`,
  ]
    .filter((line) => line)
    .join('\n');
}

/**
 * Who a session belongs to: a verified person with a ✓, or plainly unverified (and "sign-in expired" when
 * the sign-in had lapsed). Issuer and groups in the tooltip. One element (the mark is an `<i>` inside), so it
 * can be a table cell itself (`className`).
 */
export function IdentityBadge({ identity, className = '' }: { identity: Identity; className?: string }) {
  const expired = !identity.verified && identity.identity_status === 'expired';
  const kind = identity.verified ? 'verified' : expired ? 'expired' : 'unverified';
  return (
    <span
      className={`identity identity-${kind}${className ? ` ${className}` : ''}`}
      data-testid="identity"
      data-verified={String(identity.verified)}
      title={identityTitle(identity)}
    >
      {identity.verified ? (
        <i className="verified-mark" role="img" aria-label="verified">
          ✓
        </i>
      ) : null}
      {identityLabel(identity)}
    </span>
  );
}

/**
 * A verified person's groups, written out (a session's page has the room a list row has not): `groups
 * engineering, auditors`, or `no groups`. Nothing for an unverified identity, whose groups nobody vouched for.
 */
export function IdentityGroups({ identity }: { identity: Identity }) {
  if (!identity.verified) return null;
  return (
    <span className="identity-groups" title="Groups, as the identity provider said at sign-in">
      {identity.groups.length > 0 ? (
        <>
          <span className="faint">groups </span>
          <span data-testid="identity-groups">{identity.groups.join(', ')}</span>
        </>
      ) : (
        <span className="faint" data-testid="identity-groups">
          no groups
        </span>
      )}
    </span>
  );
}
