/**
 * `/healthz` (liveness: the process answers) and `/readyz` (readiness: the database answers, the live LISTEN
 * connection is up, and the server is not stopping), for load balancers and orchestrators. No auth.
 */
import type { App, RouteContext } from '../http/context.js';

/** Registers the health routes. */
export function healthRoutes(context: RouteContext) {
  return async (app: App) => {
    app.get('/healthz', async () => ({ ok: true, version: context.version }));
    app.get('/readyz', async (_request, reply) => {
      const problems: string[] = [];
      if (!context.ready()) problems.push('not listening (starting or stopping)');
      if (!context.live.listening) problems.push('the live LISTEN connection is down');
      try {
        await context.pool.query('SELECT 1');
      } catch (error) {
        problems.push(`the database does not answer: ${(error as Error).message}`);
      }
      if (problems.length > 0) return reply.code(503).send({ ready: false, problems });
      return { ready: true };
    });
  };
}
