/**
 * Checks shared by every listener Glassbox opens on loopback (the control API, the Anthropic proxy) against
 * requests a web page in the user's browser makes: DNS rebinding shows as a Host that is not a loopback name,
 * a cross-site request as a foreign `Origin` or `Sec-Fetch-Site`.
 */
import type { IncomingMessage } from 'node:http';

/** The names a request to this machine's loopback listeners may address it by (lower-case). */
export const LOOPBACK_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * True when `host` (a Host header value) is a loopback name: with `port`, exactly `name:port`; without, the
 * name with any port or none. A page on evil.example that rebinds its name to 127.0.0.1 still sends
 * `Host: evil.example`.
 */
export function isLoopbackHost(host: string | undefined, port?: number): boolean {
  if (host === undefined) return false;
  const lower = host.toLowerCase();
  if (port !== undefined) return LOOPBACK_NAMES.some((name) => lower === `${name}:${port}`);
  return LOOPBACK_NAMES.some(
    (name) =>
      lower === name || (lower.startsWith(`${name}:`) && /^\d{1,5}$/.test(lower.slice(name.length + 1))),
  );
}

/** True when `origin` (an Origin header value) is `http://` a loopback name with `port`. */
export function isLoopbackOrigin(origin: string, port: number): boolean {
  const lower = origin.toLowerCase();
  return LOOPBACK_NAMES.some((name) => lower === `http://${name}:${port}`);
}

/**
 * How many `Host` header lines the request carried. Node keeps only the first in `req.headers`; RFC 9112 §3.2
 * says a server MUST answer 400 to a request with more than one, since hops may disagree on which counts.
 */
export function hostHeaderCount(req: IncomingMessage): number {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === 'host') count++;
  }
  return count;
}

/**
 * True when a browser says the request was started by a page of another site (Fetch Metadata,
 * W3C "Fetch Metadata Request Headers" §2.1: `Sec-Fetch-Site` is `cross-site` or `same-site`). A request the
 * user typed is `none`; non-browser clients send no such header.
 */
export function isCrossSiteFetch(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}
