/**
 * The dashboard for auditors and approvers: the engine's own renderer (dist/renderer, built by `npm run
 * build`), served at `/` with its client-side routes (`/s/ID`, `/approvals`, `/alerts` → index.html). The page
 * is told it talks to a team server by `<meta name="glassbox-mode" content="team">` in its head; it then reads
 * `/v1/*` with the browser session's cookie (server/routes/auth.ts). `/v1/…`, `/auth/…` and the health paths
 * are never answered with the page.
 */
import { findRendererDir, pagePolicy, StaticFiles } from '../../proxy/sync/static.js';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';

/** The marker the renderer reads (renderer/src/team/mode.ts). */
export const TEAM_MODE_META = '<meta name="glassbox-mode" content="team">';

/** Registers `GET /*` for the built renderer; `rendererDir` overrides where it is (tests). */
export function dashboardRoutes(context: RouteContext, rendererDir = findRendererDir()) {
  const files = rendererDir ? new StaticFiles(rendererDir) : undefined;
  return async (app: App) => {
    app.get('/*', async (request, reply) => {
      const pathname = request.url.split('?')[0] ?? '/';
      if (/^\/(v\d+|auth)(\/|$)/.test(pathname) || pathname === '/healthz' || pathname === '/readyz')
        throw new HttpError(404, 'not_found', `no route ${request.method} ${pathname}`);
      if (!files)
        throw new HttpError(404, 'not_found', 'the dashboard is not built here (run `npm run build`)');
      const file = files.lookup(pathname);
      if (!file) throw new HttpError(404, 'not_found', `no file ${pathname}`);
      reply.header('content-type', file.contentType).header('x-content-type-options', 'nosniff');
      if (!file.isPage) {
        if (file.immutable) reply.header('cache-control', 'public, max-age=31536000, immutable');
        return reply.send(file.body);
      }
      const https = context.config.publicUrl?.startsWith('https:') ?? false;
      const host = context.config.publicUrl
        ? new URL(context.config.publicUrl).host
        : (request.headers.host ?? 'localhost');
      const policy = pagePolicy(host).replace(`ws://${host}`, `${https ? 'wss' : 'ws'}://${host}`);
      return reply
        .header('content-security-policy', policy)
        .header('x-frame-options', 'DENY')
        .header('cache-control', 'no-cache')
        .send(file.body.toString('utf8').replace('<head>', `<head>${TEAM_MODE_META}`));
    });
  };
}
