/** `GET /v1/me`: the person the request's token names and what their groups let them do. */
import type { Me } from '../../proxy/sync/protocol.js';
import { canApprove, isAuditor } from '../auth/principal.js';
import { type App, principalOf, type RouteContext } from '../http/context.js';

/** Registers `GET /v1/me`. */
export function meRoutes(context: RouteContext) {
  return async (app: App) => {
    app.get('/v1/me', async (request): Promise<Me> => {
      const principal = await principalOf(request, context.verifier);
      return {
        issuer: principal.issuer,
        subject: principal.subject,
        email: principal.email,
        name: principal.name,
        groups: principal.groups,
        auditor: isAuditor(principal, context.config),
        approver_groups: principal.groups.filter((group) => canApprove(principal, group, context.config)),
      };
    });
  };
}
