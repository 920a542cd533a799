/**
 * Serves the dashboard's built files (renderer/, built by Vite) safely: only files inside the build folder
 * (no `..`, no encoded separators, no dot-files, no symlinks out), a fixed content type per extension, a strict
 * Content-Security-Policy on the page, and `index.html` for the dashboard's own client-side routes.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file ready to send: its bytes and headers. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** True for the HTML page (gets the CSP); hashed assets may be cached for good. */
  isPage: boolean;
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The marker Vite writes into a finished build (build.manifest), telling a build from the source folder. */
const MARKER = join('.vite', 'manifest.json');

/**
 * The folder holding the built dashboard: `dist/renderer` next to the compiled engine (running from dist/) or
 * in the checkout (running the TypeScript sources). Undefined when the dashboard has not been built.
 */
export function findRendererDir(): string | undefined {
  const candidates = [
    fileURLToPath(new URL('../../renderer/', import.meta.url)),
    fileURLToPath(new URL('../../dist/renderer/', import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(join(dir, MARKER)));
}

/** Reads files from one build folder; caches them (the build does not change while the engine runs). */
export class StaticFiles {
  private readonly cache = new Map<string, StaticFile>();
  private readonly root: string;

  constructor(root: string) {
    this.root = realpathSync(root);
  }

  /**
   * The file for a URL path such as `/assets/index-abc.js`; `index.html` for extension-less paths (client-side
   * routes such as `/s/ID`). Undefined for anything outside the folder, hidden, or missing.
   */
  lookup(pathname: string): StaticFile | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    const segments = decoded.split('/').filter((s) => s !== '');
    if (segments.some((s) => s.startsWith('.') || s.includes('\\') || s.includes('\0'))) return undefined;
    const relative = segments.length === 0 || !extname(decoded) ? 'index.html' : segments.join('/');
    const cached = this.cache.get(relative);
    if (cached) return cached;
    const type = TYPES[extname(relative).toLowerCase()];
    if (!type) return undefined;
    const file = this.read(relative);
    if (!file) return undefined;
    const entry: StaticFile = {
      body: file,
      contentType: type,
      isPage: relative === 'index.html',
      immutable: relative.startsWith('assets/'),
    };
    this.cache.set(relative, entry);
    return entry;
  }

  private read(relative: string): Buffer | undefined {
    const path = join(this.root, relative);
    try {
      const real = realpathSync(path);
      if (!real.startsWith(this.root + sep) || !statSync(real).isFile()) return undefined;
      return readFileSync(real);
    } catch {
      return undefined;
    }
  }
}

/**
 * The page's Content-Security-Policy: scripts, styles and fonts only from the engine itself (no inline script),
 * API and WebSocket only to this origin (`host` is the already-checked Host header), no framing, no plugins.
 */
export function pagePolicy(host: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
