/**
 * What every route module receives: the database, the live hub, the verifier and the settings. Routes are
 * registered as Fastify plugins taking this context (server/app.ts lists them).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { browserTokenOf } from '../auth/browser-session.js';
import type { Principal } from '../auth/principal.js';
import type { TokenVerifier } from '../auth/verify.js';
import type { ServerConfig } from '../config.js';
import type { LiveHub } from '../live/hub.js';

/** Shared by every route module. */
export interface RouteContext {
  pool: pg.Pool;
  live: LiveHub;
  verifier: TokenVerifier;
  config: ServerConfig;
  version: string;
  /** True once the server listens and is not stopping (readiness). */
  ready(): boolean;
}

/** A Fastify instance with zod schemas. */
export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  ZodTypeProvider
>;

const PRINCIPAL = Symbol('principal');

/**
 * The verified person of a request, verifying its token on first use: the `Authorization: Bearer` token, or,
 * without that header, the token of the dashboard's browser session (its cookie, accepted by the onRequest
 * hook of server/app.ts: sealed by this server, and CSRF- and Origin-checked; server/auth/browser-session.ts).
 * Both are verified the same way, so a cookie is worth exactly what its token is.
 * @throws AuthError (answered 401 by the error handler)
 */
export async function principalOf(request: FastifyRequest, verifier: TokenVerifier): Promise<Principal> {
  const holder = request as FastifyRequest & { [PRINCIPAL]?: Principal };
  if (!holder[PRINCIPAL]) {
    const browser = request.headers.authorization ? undefined : browserTokenOf(request);
    holder[PRINCIPAL] = browser
      ? await verifier.verifyToken(browser)
      : await verifier.verify(request.headers.authorization);
  }
  return holder[PRINCIPAL];
}
