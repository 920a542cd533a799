/**
 * `GET /v1/search` (matching events with a snippet, in the sessions the viewer may read) and `GET /v1/alerts`
 * (integrity alerts, auditors only: 403 for others).
 */
import { z } from 'zod';
import type { AlertPage, SearchPage } from '../../proxy/sync/protocol.js';
import { type App, principalOf, type RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { listAlerts } from '../search/alerts.js';
import { FilterQuery, PageLimit, viewerOf } from '../search/filters.js';
import { searchEvents } from '../search/search.js';

const SearchQuery = FilterQuery.extend({ q: z.string().min(1).max(1000) });
const AlertsQuery = z.object({ cursor: z.string().max(512).optional(), limit: PageLimit });

/** Registers `GET /v1/search` and `GET /v1/alerts`. */
export function searchRoutes(context: RouteContext) {
  const { pool, config } = context;
  return async (app: App) => {
    app.get('/v1/search', { schema: { querystring: SearchQuery } }, async (request): Promise<SearchPage> => {
      const viewer = viewerOf(await principalOf(request, context.verifier), config);
      return searchEvents(pool, viewer, request.query);
    });

    app.get('/v1/alerts', { schema: { querystring: AlertsQuery } }, async (request): Promise<AlertPage> => {
      const viewer = viewerOf(await principalOf(request, context.verifier), config);
      if (!viewer.auditor)
        throw new HttpError(403, 'forbidden', `integrity alerts are for the ${config.auditorsGroup} group`);
      return listAlerts(pool, request.query.cursor, request.query.limit);
    });
  };
}
