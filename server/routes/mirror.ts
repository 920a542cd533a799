/**
 * The mirroring routes (proxy/sync/protocol.ts): a session's head, and a batch of its next events. Only the
 * session's owner (the person whose token first mirrored it) may read its head or add to it.
 */
import { z } from 'zod';
import { EventBatchSchema, SessionId } from '../../proxy/sync/protocol.js';
import { type App, principalOf, type RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { ingestBatch } from '../ingest/ingest.js';

const Params = z.object({ id: SessionId });

/** Registers `GET /v1/sessions/:id/head` and `POST /v1/sessions/:id/events`. */
export function mirrorRoutes(context: RouteContext) {
  return async (app: App) => {
    app.get('/v1/sessions/:id/head', { schema: { params: Params } }, async (request) => {
      const principal = await principalOf(request, context.verifier);
      const row = (
        await context.pool.query<{
          owner_issuer: string;
          owner_subject: string;
          head_seq: number;
          head_hash: string;
        }>('SELECT owner_issuer, owner_subject, head_seq, head_hash FROM sessions WHERE id = $1', [
          request.params.id,
        ])
      ).rows[0];
      if (!row)
        throw new HttpError(404, 'unknown_session', `the server has no session ${request.params.id} yet`);
      if (row.owner_issuer !== principal.issuer || row.owner_subject !== principal.subject)
        throw new HttpError(403, 'forbidden', `session ${request.params.id} was mirrored by someone else`);
      return { seq: row.head_seq, hash: row.head_hash };
    });

    app.post(
      '/v1/sessions/:id/events',
      { schema: { params: Params, body: EventBatchSchema } },
      async (request, reply) => {
        const principal = await principalOf(request, context.verifier);
        if (context.pool.waitingCount > context.pool.options.max! * 4)
          throw new HttpError(429, 'rate_limited', 'the server is busy; retry after the time in Retry-After');
        const result = await ingestBatch(context.pool, principal, request.params.id, request.body);
        switch (result.type) {
          case 'accepted':
            request.log.debug({ session: request.params.id, head: result.body.head.seq }, 'batch stored');
            return result.body;
          case 'forbidden':
            throw new HttpError(403, 'forbidden', result.message);
          case 'gap':
            return reply.code(409).send({
              error: 'gap',
              message: `the batch starts at seq ${request.body.events[0]!.seq} but the server has up to ${result.head.seq}: resume from seq ${result.head.seq + 1}`,
              head: result.head,
            });
          case 'integrity':
            request.log.warn(
              { session: request.params.id, seq: result.seq, error: result.error, alert: result.alertId },
              'batch refused for integrity',
            );
            return reply.code(422).send({
              error: result.error,
              message: `seq ${result.seq}: ${result.reason}`,
              seq: result.seq,
              head: result.head,
              ...(result.alertId !== undefined && { alert_id: result.alertId }),
            });
        }
      },
    );
  };
}
