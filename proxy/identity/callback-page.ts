/**
 * The pages the loopback redirect listener (browser-flow.ts) answers the browser with: the end of a sign-in,
 * for the person who will read them and close the tab. Self-contained HTML (no script, no remote resource),
 * served with headers that keep it out of caches and referrers.
 */
import type { ServerResponse } from 'node:http';

/** What a page says: a heading and one paragraph (plain text; escaped here). */
export interface CallbackPage {
  status: number;
  title: string;
  text: string;
}

/** Escapes text for HTML element content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Writes `page` as the whole response (`Content-Security-Policy: default-src 'none'`, `no-store`). */
export function sendCallbackPage(res: ServerResponse, page: CallbackPage): void {
  const ok = page.status < 400;
  const body =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    `<title>Glassbox: ${escapeHtml(page.title)}</title><style>` +
    'body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}' +
    `h1{font-size:1.4rem;color:${ok ? '#1a7f37' : '#cf222e'}}p{line-height:1.5}</style></head><body>` +
    `<h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.text)}</p></body></html>`;
  res.writeHead(page.status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
