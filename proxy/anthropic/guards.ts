/**
 * Who may use the Anthropic proxy.
 *
 * Threat model. The proxy listens on 127.0.0.1 and needs no credential of its own: whatever reaches it is
 * recorded and forwarded upstream (with whatever API key the request carries). Remote hosts cannot reach
 * it; a web page in the user's browser can:
 *  1. A cross-site request: `fetch(…, {mode: 'no-cors'})` with a `text/plain` body, a form POST or an
 *     `<img>` GET needs no CORS preflight, so it arrives whatever the answer says — the page writes records
 *     into the user's store and sends requests upstream in the user's name. The browser marks such requests
 *     with `Origin` (every non-GET request) or `Fetch-Metadata` (`Sec-Fetch-Site: cross-site | same-site`).
 *  2. DNS rebinding: a page rebinds its own name to 127.0.0.1 and talks to the proxy "same-origin"; the
 *     request still says `Host: <its name>`.
 *  3. A request with two Host headers, which hops may read differently (RFC 9112 §3.2).
 * Claude Code, the SDKs, curl and scripts send no Origin and no Fetch-Metadata and address the proxy by a
 * loopback name, so the guards refuse, in order: more than one Host (400), a Host that is not a loopback name
 * (403), an Origin not on the `anthropic.allowedOrigins` list (403), and a cross-site Fetch-Metadata request
 * without an Origin (403). Refused requests are neither recorded nor forwarded; the answer is an
 * Anthropic-shaped error. The control API applies the same checks (proxy/api/guards.ts).
 */
import type { IncomingMessage } from 'node:http';
import { hostHeaderCount, isCrossSiteFetch, isLoopbackHost } from '../common/loopback.js';
import type { AnthropicErrorType } from './errors.js';

/** Why the proxy will not take a request: the HTTP status and Anthropic error type to answer with. */
export interface Refusal {
  status: number;
  type: AnthropicErrorType;
  message: string;
}

/**
 * Runs the guards described at the top of this file on a request's head.
 * @param allowedOrigins origins (lower-case, as `URL.origin` spells them) whose pages may use the proxy
 * @returns the refusal, or undefined when the request may go on
 */
export function refuseForeignRequest(
  req: IncomingMessage,
  allowedOrigins: ReadonlySet<string>,
): Refusal | undefined {
  if (hostHeaderCount(req) > 1) {
    return { status: 400, type: 'invalid_request_error', message: 'more than one Host header' };
  }
  const host = req.headers.host;
  if (!isLoopbackHost(host)) {
    return {
      status: 403,
      type: 'permission_error',
      message: `Host "${host ?? ''}" is not a loopback name; the Anthropic proxy answers requests addressed to 127.0.0.1, localhost or [::1] only`,
    };
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (allowedOrigins.has(origin.toLowerCase())) return undefined;
    return {
      status: 403,
      type: 'permission_error',
      message: `web pages from ${JSON.stringify(origin)} may not use the Anthropic proxy; add the origin to "anthropic.allowedOrigins" in config.json if they should`,
    };
  }
  if (isCrossSiteFetch(req)) {
    return {
      status: 403,
      type: 'permission_error',
      message: 'requests started by a web page of another site may not use the Anthropic proxy',
    };
  }
  return undefined;
}
