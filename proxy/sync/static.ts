/**
 * The dashboard's built files, shared with the team server (server/routes/dashboard.ts), which serves the same
 * renderer at `/` as the engine does: the same safe lookup (no `..`, no dot-files, no symlinks out, a fixed
 * content type per extension) and the same page Content-Security-Policy. Re-exported here because the server
 * imports from proxy/ only through proxy/sync/.
 */
export { findRendererDir, pagePolicy, type StaticFile, StaticFiles } from '../api/static.js';
