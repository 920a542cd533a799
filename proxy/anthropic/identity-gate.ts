/**
 * `identity.required` at the Anthropic proxy (issue 18, point 6): while nobody is signed in, every request is
 * answered 401 in the Anthropic API's error shape (Anthropic API reference, "Errors": `authentication_error`
 * is what a bad API key gets, so SDKs raise their AuthenticationError and do not retry), is never forwarded,
 * and is recorded (policy/identity-refusal.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CredentialFingerprints, redactQuery, requestCredential } from '../policy/credentials.js';
import { recordIdentityRefusal } from '../policy/identity-refusal.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { CLAUDE_CODE_SESSION_HEADER, GLASSBOX_SESSION_HEADER, headerValue } from './sessions.js';

/** What the refusal needs from the proxy. */
export interface IdentityGateContext {
  store: Store;
  /** The upstream's host, the target Anthropic sessions are recorded under. */
  target: string;
  /** The identity a session would be created with now (unverified: it says why). */
  identity: () => Identity;
  fingerprints: CredentialFingerprints;
}

/**
 * The 401 body: `{"type":"error","error":{"type":"authentication_error","message":reason}}`. The reason is
 * Glassbox's own sentence (it names Glassbox and says to run `glassbox login`), so it is not prefixed.
 */
export function signInRequiredBody(reason: string): string {
  return JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: reason } });
}

/**
 * Records the refused request (a closed session with `identity.refused`: method, path with its query
 * redacted, the session header, the user agent) and answers 401, closing the connection. The body is not
 * read nor recorded. A refusal that cannot be recorded (a full disk) is answered all the same.
 */
export function refuseWithoutSignIn(
  req: IncomingMessage,
  res: ServerResponse,
  reason: string,
  context: IdentityGateContext,
): void {
  req.resume();
  const client = headerValue(req.headers['user-agent']) ?? null;
  try {
    recordIdentityRefusal(
      context.store,
      {
        kind: 'anthropic',
        target: context.target,
        client,
        identity: { ...context.identity(), credential: requestCredential(req.headers, context.fingerprints) },
      },
      {
        reason,
        client,
        target: context.target,
        method: req.method ?? null,
        path: redactQuery(req.url ?? '/'),
        external_id:
          headerValue(req.headers[CLAUDE_CODE_SESSION_HEADER]) ??
          headerValue(req.headers[GLASSBOX_SESSION_HEADER]) ??
          null,
      },
    );
  } catch {
    // Refused either way: what cannot be recorded is not let through.
  }
  const body = signInRequiredBody(reason);
  res.writeHead(401, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}
