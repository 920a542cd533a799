/**
 * Every error the server answers is a {@link ProtocolError} body (`{error, message}`), whatever raised it:
 * schema validation (400 invalid_request, naming the field), a body too large (413 too_large), an
 * unauthenticated request (401), the database down (503 unavailable). Nothing internal leaks into a message.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ProtocolErrorCode } from '../../proxy/sync/protocol.js';
import { AuthError } from '../auth/verify.js';

/** An error a route throws to answer with `status` and a protocol error body. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ProtocolErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Fastify's error handler: maps any error to a status and a protocol error body. */
export function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HttpError) {
    if (error.code === 'rate_limited') reply.header('retry-after', '1');
    reply.code(error.status).send({ error: error.code, message: error.message, ...error.extra });
    return;
  }
  if (error instanceof AuthError) {
    const status = error.code === 'keys_unavailable' ? 503 : 401;
    if (status === 401) reply.header('www-authenticate', bearerChallenge(error.code));
    reply
      .code(status)
      .send({ error: status === 401 ? 'unauthorized' : 'unavailable', message: error.message });
    return;
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const first = error.validation[0];
    const where = first
      ? `${error.validationContext ?? 'body'}${first.instancePath.replaceAll('/', '.')}`
      : 'request';
    reply.code(400).send({ error: 'invalid_request', message: `${where}: ${first?.message ?? 'invalid'}` });
    return;
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    reply
      .code(413)
      .send({ error: 'too_large', message: 'the request body is too large; send fewer events per batch' });
    return;
  }
  if (error.statusCode && error.statusCode < 500) {
    reply.code(error.statusCode).send({ error: 'invalid_request', message: error.message });
    return;
  }
  request.log.error({ err: error }, 'request failed');
  reply
    .code(503)
    .send({ error: 'unavailable', message: 'the server could not complete the request; retry later' });
}

/** The realm named in every challenge. */
export const REALM = 'glassbox-server';

const DESCRIPTIONS: Record<AuthError['code'], string> = {
  missing: '',
  invalid: 'the token is not valid',
  expired: 'the token has expired',
  audience: 'the token is not for this server',
  issuer: 'the token is from another issuer',
  keys_unavailable: '',
};

/**
 * The `WWW-Authenticate` value of a 401 (RFC 6750 §3): a request without credentials gets the bare challenge
 * (§3.1: no error code); a refused token gets `error="invalid_token"` with a fixed description — never text
 * derived from the token.
 */
export function bearerChallenge(code: AuthError['code']): string {
  const realm = `Bearer realm="${REALM}"`;
  const description = DESCRIPTIONS[code];
  return description ? `${realm}, error="invalid_token", error_description="${description}"` : realm;
}
