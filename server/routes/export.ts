/**
 * `GET /v1/sessions/:id/export?format=jsonl|har|sql`: a session as a file (Content-Disposition: attachment),
 * formatted by the engine's own export code (shared through proxy/sync/export.ts), so the team server's file
 * and `glassbox export`'s read the same. JSONL is streamed a page of events at a time; HAR and SQL are built
 * from every event (they are documents, not line streams).
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  EXPORT_FORMATS,
  type ExportEvent,
  exportEvent,
  exportHar,
  exportJsonl,
  exportSession,
  exportSql,
  formatRefusal,
} from '../../proxy/sync/export.js';
import { SessionId } from '../../proxy/sync/protocol.js';
import { type App, principalOf, type RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { walkEvents } from '../search/events.js';
import { viewerOf } from '../search/filters.js';
import { readableSession } from '../search/sessions.js';

const Params = z.object({ id: SessionId });
const Query = z.object({ format: z.enum(EXPORT_FORMATS) });

const CONTENT_TYPES = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  har: 'application/json; charset=utf-8',
  sql: 'application/sql; charset=utf-8',
} as const;

/** Registers `GET /v1/sessions/:id/export`. */
export function exportRoutes(context: RouteContext) {
  const { pool, config } = context;
  return async (app: App) => {
    app.get(
      '/v1/sessions/:id/export',
      { schema: { params: Params, querystring: Query } },
      async (request, reply) => {
        const viewer = viewerOf(await principalOf(request, context.verifier), config);
        const stored = await readableSession(pool, viewer, request.params.id, config);
        const { format } = request.query;
        const refusal = formatRefusal(stored, format);
        if (refusal) throw new HttpError(400, 'invalid_request', `format: ${refusal}`);
        const session = exportSession(stored);
        reply
          .header('content-type', CONTENT_TYPES[format])
          .header('content-disposition', `attachment; filename="glassbox-${session.id}.${format}"`);
        const pages = walkEvents(pool, session.id, session.head_seq);
        if (format === 'jsonl') {
          async function* lines() {
            yield* exportJsonl(session, []);
            for await (const page of pages) {
              const events = page.map((event) => exportEvent(session.id, event));
              yield [...exportJsonl(session, events)].slice(1).join('');
            }
          }
          return reply.send(Readable.from(lines()));
        }
        const events: ExportEvent[] = [];
        for await (const page of pages) for (const event of page) events.push(exportEvent(session.id, event));
        return format === 'har' ? exportHar(session, events, context.version) : exportSql(session, events);
      },
    );
  };
}
