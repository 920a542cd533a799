/**
 * The `app://glassbox/` protocol serving the bundled renderer from disk (never a remote URL): path
 * resolution that cannot leave the renderer folder, single-page-app fallback to index.html, and the strict
 * Content-Security-Policy sent with every page.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

/** The scheme and host of the app's pages. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'glassbox';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** A file to answer with. */
export interface AppAsset {
  path: string;
  contentType: string;
}

/**
 * Maps an `app://glassbox/…` URL to a file under `root`. Paths without an extension that match no file get
 * index.html (client-side routes); paths escaping `root` (`..`, encoded or not) and other hosts get undefined.
 */
export function resolveAppAsset(root: string, requestUrl: string): AppAsset | undefined {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return undefined;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  if (pathname.includes('\0')) return undefined;
  const base = resolve(root);
  const target = resolve(base, `.${normalize(`/${pathname}`)}`);
  if (target !== base && !target.startsWith(base + sep)) return undefined;
  const file = target === base ? join(base, 'index.html') : target;
  if (existsSync(file) && statSync(file).isFile()) {
    return { path: file, contentType: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' };
  }
  if (extname(file) === '') {
    const index = join(base, 'index.html');
    if (existsSync(index)) return { path: index, contentType: TYPES['.html']! };
  }
  return undefined;
}

/**
 * The window's Content-Security-Policy: scripts and styles only from the app itself, network only to the
 * engine's control API (HTTP and WebSocket), no plugins, no framing, no base-URI or form tricks.
 */
export function appContentSecurityPolicy(apiUrl: string): string {
  const api = new URL(apiUrl);
  const http = `http://${api.host}`;
  const ws = `ws://${api.host}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${http} ${ws}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** True when a navigation target is one of the app's own pages (everything else is refused). */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}
