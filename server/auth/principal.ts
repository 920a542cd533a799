/**
 * Who a request comes from, as the server verified it from the bearer token — the only identity the server
 * believes — and what that person may do.
 */

/** A verified person. */
export interface Principal {
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  /** From the configured groups claim; at most 256 of ≤ 256 characters each. */
  groups: string[];
  /** The token's `exp` (seconds since epoch). */
  expiresAt: number;
}

/** The roles groups give (server/config.ts: auditorsGroup, approverGroups). */
export interface RoleSettings {
  auditorsGroup: string;
  /** Groups approvals may be routed to; empty: any group. */
  approverGroups: readonly string[];
}

/** Whether `principal` reads everyone's sessions. */
export function isAuditor(principal: Principal, roles: RoleSettings): boolean {
  return principal.groups.includes(roles.auditorsGroup);
}

/** Whether `principal` may decide approvals routed to `group`. */
export function canApprove(principal: Principal, group: string, roles: RoleSettings): boolean {
  if (roles.approverGroups.length > 0 && !roles.approverGroups.includes(group)) return false;
  return principal.groups.includes(group);
}

/** Whether `principal` may read a session owned by `owner` (their own, or everyone's as an auditor). */
export function canRead(
  principal: Principal,
  owner: { issuer: string; subject: string },
  roles: RoleSettings,
): boolean {
  return (
    isAuditor(principal, roles) || (owner.issuer === principal.issuer && owner.subject === principal.subject)
  );
}
