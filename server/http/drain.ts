/**
 * The HTTP server's graceful stop: once {@link Drain.close} begins, every answer carries `Connection: close`
 * (a keep-alive connection that is busy when the stop begins would otherwise stay open after its answer —
 * Fastify's keepAliveTimeout is 72 s — and hold the process past the orchestrator's grace period), a request
 * that arrives gets a protocol error 503 with `Retry-After: 1` (RFC 9110 §15.6.4, §10.2.3; Fastify's own 503
 * body is not one), and connections still open after {@link DRAIN_MS} are cut.
 */
import type { App } from './context.js';

/** How long a stop waits for requests in flight before cutting their connections (ms). */
export const DRAIN_MS = 20_000;

/** The stop's state and hooks; one per Fastify instance. */
export class Drain {
  private stopping = false;

  /** Adds the onSend and onRequest hooks that act once the stop has begun (before `app.listen`). */
  install(app: App): void {
    app.addHook('onSend', async (_request, reply, payload) => {
      if (this.stopping) reply.header('connection', 'close');
      return payload;
    });
    app.addHook('onRequest', async (_request, reply) => {
      if (!this.stopping) return;
      reply.code(503).header('retry-after', '1').send({
        error: 'unavailable',
        message: 'the server is stopping: retry (another instance, or this one once it is back)',
      });
      return reply;
    });
  }

  /** Stops accepting and closes `app`, waiting up to {@link DRAIN_MS} for requests in flight. */
  async close(app: App): Promise<void> {
    this.stopping = true;
    const force = setTimeout(() => app.server.closeAllConnections(), DRAIN_MS);
    try {
      await app.close();
    } finally {
      clearTimeout(force);
    }
  }
}
