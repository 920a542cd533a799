/**
 * Approvals routed to a group (proxy/sync/protocol.ts; issue 19, point 6): the requesting engine posts the
 * request with its person's token; approvers of the group (server/auth/principal.ts canApprove) read and
 * decide it with theirs; the requester may withdraw it. The decision is signed by the approver's verified
 * identity (their token's claims), never by what a body says.
 */
import { z } from 'zod';
import {
  ApprovalDecisionBodySchema,
  ApprovalWithdrawBodySchema,
  type RoutedApproval,
  type RoutedApprovalList,
  RoutedApprovalRequestSchema,
} from '../../proxy/sync/protocol.js';
import {
  approverOf,
  type ChangeResult,
  createApproval,
  endApproval,
  isRequester,
  listApprovals,
  readApproval,
  scopeOf,
} from '../approvals/store.js';
import { canApprove, type Principal } from '../auth/principal.js';
import { type App, principalOf, type RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';

const Params = z.object({ id: RoutedApprovalRequestSchema.shape.id });
const ListQuery = z.object({
  status: z.enum(['pending', 'all']).default('all'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** µs since the epoch. */
const nowMicros = () => Date.now() * 1000;

/**
 * Registers `POST /v1/approvals`, `GET /v1/approvals`, `GET /v1/approvals/:id`,
 * `POST /v1/approvals/:id/decision` and `POST /v1/approvals/:id/withdraw`.
 */
export function approvalsRoutes(context: RouteContext) {
  const roles = context.config;
  const decides = (principal: Principal, group: string) => canApprove(principal, group, roles);
  const mayRead = (principal: Principal, approval: RoutedApproval) =>
    isRequester(principal, approval) || decides(principal, approval.group);

  return async (app: App) => {
    app.post('/v1/approvals', { schema: { body: RoutedApprovalRequestSchema } }, async (request, reply) => {
      const principal = await principalOf(request, context.verifier);
      const body = request.body;
      if (roles.approverGroups.length > 0 && !roles.approverGroups.includes(body.group))
        throw new HttpError(
          400,
          'invalid_request',
          `group "${body.group}" is not an approver group on this server (it routes to ${roles.approverGroups.join(', ')})`,
        );
      if (body.expires_at <= body.requested_at)
        throw new HttpError(400, 'invalid_request', 'expires_at must come after requested_at');
      const result = await createApproval(context.pool, principal, body, nowMicros());
      if (result.type === 'taken')
        throw new HttpError(409, 'conflict', `approval id ${body.id} is already used by another requester`);
      request.log.info(
        {
          approval: body.id,
          group: body.group,
          requester: principal.subject,
          resend: result.type === 'existing',
        },
        'approval routed',
      );
      return reply.code(result.type === 'created' ? 201 : 200).send(result.approval);
    });

    app.get('/v1/approvals', { schema: { querystring: ListQuery } }, async (request) => {
      const principal = await principalOf(request, context.verifier);
      const groups = principal.groups.filter((group) => decides(principal, group));
      const approvals = await listApprovals(
        context.pool,
        principal,
        groups,
        { pending: request.query.status === 'pending', limit: request.query.limit },
        nowMicros(),
      );
      return { approvals } satisfies RoutedApprovalList;
    });

    app.get('/v1/approvals/:id', { schema: { params: Params } }, async (request) => {
      const principal = await principalOf(request, context.verifier);
      const approval = await readApproval(context.pool, request.params.id, nowMicros());
      // Someone who may not read it learns nothing, not even that it exists.
      if (!approval || !mayRead(principal, approval))
        throw new HttpError(404, 'not_found', `no approval ${request.params.id} routed to you`);
      return approval;
    });

    app.post(
      '/v1/approvals/:id/decision',
      { schema: { params: Params, body: ApprovalDecisionBodySchema } },
      async (request) => {
        const principal = await principalOf(request, context.verifier);
        const body = request.body;
        const now = nowMicros();
        let refusal: HttpError | undefined;
        const result = await endApproval(
          context.pool,
          request.params.id,
          {
            status: body.decision,
            by: approverOf(principal),
            reason: body.reason ?? null,
            scope: scopeOf(body, now),
          },
          (approval) => {
            if (!decides(principal, approval.group)) {
              refusal = isRequester(principal, approval)
                ? new HttpError(
                    403,
                    'self_approval',
                    `approval ${approval.id} is your own request, routed to group "${approval.group}": an approver of that group decides it`,
                  )
                : new HttpError(
                    403,
                    'forbidden',
                    `only approvers of group "${approval.group}" decide approval ${approval.id}`,
                  );
              return false;
            }
            if (isRequester(principal, approval) && !approval.allow_self_approval) {
              refusal = new HttpError(
                403,
                'self_approval',
                `approval ${approval.id} is your own request: rule ${approval.rule_id} does not allow self-approval, so another approver of "${approval.group}" must decide it`,
              );
              return false;
            }
            return true;
          },
          now,
        );
        const approval = answer(result, request.params.id, refusal);
        request.log.info(
          { approval: approval.id, decision: approval.status, by: principal.subject },
          'approval decided',
        );
        return approval;
      },
    );

    app.post(
      '/v1/approvals/:id/withdraw',
      { schema: { params: Params, body: ApprovalWithdrawBodySchema.optional() } },
      async (request) => {
        const principal = await principalOf(request, context.verifier);
        let refusal: HttpError | undefined;
        const result = await endApproval(
          context.pool,
          request.params.id,
          {
            status: 'withdrawn',
            by: null,
            reason: request.body?.reason ?? 'withdrawn by the requester',
            scope: null,
          },
          (approval) => {
            if (isRequester(principal, approval)) return true;
            refusal = new HttpError(403, 'forbidden', `only the requester withdraws approval ${approval.id}`);
            return false;
          },
          nowMicros(),
        );
        return answer(result, request.params.id, refusal);
      },
    );
  };
}

/** The approval a change left, or the HTTP error for why it was not made. */
function answer(result: ChangeResult, id: string, refusal: HttpError | undefined): RoutedApproval {
  switch (result.type) {
    case 'changed':
      return result.approval;
    case 'unknown':
      throw new HttpError(404, 'not_found', `no approval ${id}`);
    case 'refused':
      throw refusal ?? new HttpError(403, 'forbidden', `approval ${id} is not yours to change`);
    case 'not_pending':
      throw new HttpError(
        409,
        'not_pending',
        `approval ${id} is no longer pending: it was ${result.approval.status}`,
        { status: result.approval.status, approval: result.approval },
      );
  }
}
