/**
 * The read API's session routes (proxy/sync/protocol.ts "Read API"): the filtered list, one session, its
 * events, and the server's own verification of its chain. A person reads their own sessions, auditors
 * everyone's; another's session is 404 (its existence does not leak). Bad parameters are 400 naming them.
 */
import { z } from 'zod';
import type { ChainVerification, EventPage, ServerSession, SessionPage } from '../../proxy/sync/protocol.js';
import { SessionId } from '../../proxy/sync/protocol.js';
import { type App, principalOf, type RouteContext } from '../http/context.js';
import { eventPage, verifyStoredChain } from '../search/events.js';
import { FilterQuery, viewerOf } from '../search/filters.js';
import { listSessions, readableSession } from '../search/sessions.js';

const Params = z.object({ id: SessionId });
const EventsQuery = z.object({
  /** Events after this seq (default 0: from the first). */
  after: z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(0),
  /** Events per page: default 100, at most 500. */
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Registers `GET /v1/sessions`, `/v1/sessions/:id`, `/v1/sessions/:id/events` and `/v1/sessions/:id/verify`. */
export function sessionReadRoutes(context: RouteContext) {
  const { pool, config } = context;
  return async (app: App) => {
    app.get(
      '/v1/sessions',
      { schema: { querystring: FilterQuery } },
      async (request): Promise<SessionPage> => {
        const viewer = viewerOf(await principalOf(request, context.verifier), config);
        return listSessions(pool, viewer, request.query);
      },
    );

    app.get('/v1/sessions/:id', { schema: { params: Params } }, async (request): Promise<ServerSession> => {
      const viewer = viewerOf(await principalOf(request, context.verifier), config);
      return readableSession(pool, viewer, request.params.id, config);
    });

    app.get(
      '/v1/sessions/:id/events',
      { schema: { params: Params, querystring: EventsQuery } },
      async (request): Promise<EventPage> => {
        const viewer = viewerOf(await principalOf(request, context.verifier), config);
        const session = await readableSession(pool, viewer, request.params.id, config);
        return eventPage(pool, session.id, request.query.after, request.query.limit);
      },
    );

    app.get(
      '/v1/sessions/:id/verify',
      { schema: { params: Params } },
      async (request): Promise<ChainVerification> => {
        const viewer = viewerOf(await principalOf(request, context.verifier), config);
        const session = await readableSession(pool, viewer, request.params.id, config);
        const verdict = await verifyStoredChain(pool, session.id, {
          seq: session.head_seq,
          hash: session.head_hash,
        });
        if (!verdict.intact)
          request.log.warn(
            { session: session.id, seq: verdict.broken_at_seq },
            'stored chain does not verify',
          );
        return verdict;
      },
    );
  };
}
