/**
 * `GET /v1/policy` → proxy/sync/protocol.ts TeamPolicyResponse: the newest team policy (`policy` null and
 * `version` 0 when the server has none). Any signed-in person may read it (engines apply it). The answer
 * carries `ETag: "<version>"`; a request with that `If-None-Match` gets 304 (RFC 9110 §13.1.2).
 */
import type { TeamPolicyResponse } from '../../proxy/sync/protocol.js';
import { type App, principalOf, type RouteContext } from '../http/context.js';

/** Registers `GET /v1/policy`. */
export function policyRoutes(context: RouteContext) {
  return async (app: App) => {
    app.get('/v1/policy', async (request, reply): Promise<TeamPolicyResponse | undefined> => {
      await principalOf(request, context.verifier);
      const row = (
        await context.pool.query<{ version: number; document: unknown; created_at: number }>(
          'SELECT version, document, created_at FROM team_policy ORDER BY version DESC LIMIT 1',
        )
      ).rows[0];
      const version = row?.version ?? 0;
      const etag = `"${version}"`;
      reply.header('etag', etag);
      reply.header('cache-control', 'no-cache');
      const match = request.headers['if-none-match'];
      if (
        typeof match === 'string' &&
        match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
      ) {
        reply.code(304);
        return undefined;
      }
      return { version, updated_at: row?.created_at ?? null, policy: row?.document ?? null };
    });
  };
}
