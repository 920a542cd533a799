/**
 * The team server's dashboard in real Chromium, against the real `glassbox-server` bin on a real PostgreSQL
 * and the real test OIDC provider: the built renderer served at `/` in team mode, the browser sign-in (code
 * flow with PKCE, state and nonce through the provider's own login and consent pages), the sealed httpOnly
 * SameSite=Strict cookie authenticating the `/v1/live` WebSocket (browsers cannot send Authorization there),
 * CSRF and Origin refusals, sign-out; then, where the read API (`/v1/me`, `/v1/sessions…`, `/v1/alerts`) is
 * on the server, the sessions Alice and Bob mirrored (chains posted as an engine does), the server's own
 * chain verification, the identity mismatch flag and the integrity alerts.
 */
import type { Browser, BrowserContext, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import NodeWebSocket from 'ws';
import { canonicalJson, chainHash, type EventBatch, type WireEvent } from '../../proxy/sync/protocol.js';
import { startTeamSetup, type TeamSetup } from '../helpers/team-server.js';
import { launchChromium, screenshot } from './browser.js';

const T0 = 1_760_000_000_000_000;

/** A real chain of PostgreSQL statements for `sessionId`, as an engine's store hashes it. */
function chain(sessionId: string, sql: string[]): WireEvent[] {
  let prev = sessionId;
  return sql.map((text, i) => {
    const seq = i + 1;
    const payload = { sql: text, protocol: 'simple' };
    const hash = chainHash(prev, seq, T0 + seq, 'pg.statement', canonicalJson(payload));
    prev = hash;
    return { seq, ts: T0 + seq, kind: 'pg.statement', payload, hash };
  });
}

function batch(events: WireEvent[], recordedAs: string, target: string): EventBatch {
  return {
    session: {
      kind: 'postgres',
      target,
      client: 'psql',
      identity: {
        subject: recordedAs,
        email: `${recordedAs}@example.test`,
        groups: [],
        verified: true,
        os_user: 'dev',
        host: 'laptop',
      },
      started_at: T0,
      ended_at: T0 + 10,
      status: 'closed',
      stats: { statements: events.length },
    },
    events,
  };
}

describe('the team dashboard in Chromium, signed in through the real provider', () => {
  let team: TeamSetup;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ALICE_SESSION = '01JTEAMDASHALICE000000000A';
  const BOB_SESSION = '01JTEAMDASHBOB00000000000B';

  beforeAll(async () => {
    team = await startTeamSetup();
    const alice = await team.tokenFor('alice');
    const bob = await team.tokenFor('bob');
    const post = async (id: string, body: EventBatch, token: string) => {
      const response = await fetch(`${team.server.url}/v1/sessions/${id}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(200);
    };
    await post(
      ALICE_SESSION,
      batch(chain(ALICE_SESSION, ['SELECT 1', 'SELECT * FROM orders']), 'alice', 'shop'),
      alice,
    );
    // Bob's engine recorded someone else: the server believes Bob's token and flags the mismatch.
    await post(BOB_SESSION, batch(chain(BOB_SESSION, ['DELETE FROM carts']), 'mallory', 'billing'), bob);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.route(/fonts\.googleapis\.com|fonts\.gstatic\.com/, (route) => route.abort());
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await team?.stop();
  });

  const sessionCookie = async () =>
    (await context.cookies(team.server.url)).find((c) => c.name === 'glassbox_session');
  /** Opens `/v1/live` from the page (the browser sends its cookies) and returns its first message or close. */
  const liveFromPage = () =>
    page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url);
          socket.onmessage = (event) => {
            resolve(String(event.data));
            socket.close();
          };
          socket.onclose = (event) => resolve(`closed ${event.code}`);
        }),
      `${team.server.url.replace(/^http/, 'ws')}/v1/live`,
    );

  it('serves the renderer at / in team mode, with its CSP, and shows the sign-in page', async () => {
    const response = await page.goto(team.server.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await page.locator('meta[name="glassbox-mode"]').getAttribute('content')).toBe('team');
    await page.getByTestId('team-sign-in').waitFor();
    expect(await page.getByTestId('no-token').count()).toBe(0);
    // Client-side routes get the page; API paths never do.
    expect((await fetch(`${team.server.url}/s/${ALICE_SESSION}`)).headers.get('content-type')).toContain(
      'text/html',
    );
    expect((await fetch(`${team.server.url}/v1/nothing`)).status).toBe(404);
    // Not signed in: the live stream refuses the browser.
    expect(await liveFromPage()).toBe('closed 4401');
    await screenshot(page, 'team-1-sign-in');
  }, 60_000);

  it('signs Alice in through the provider pages; the cookie is sealed, httpOnly, SameSite=Strict', async () => {
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`^${team.provider.issuer}/interaction/`));
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').first().click();
    await page.getByRole('heading', { name: 'Authorize' }).waitFor();
    await page.locator('button[type="submit"]').first().click();
    await page.waitForURL(`${team.server.url}/`);
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // Sealed (JWE): five parts, and nothing of the token's claims readable.
    expect(cookie!.value.split('.')).toHaveLength(5);
    expect(Buffer.from(cookie!.value.split('.')[0]!, 'base64url').toString()).toContain('"alg":"dir"');
    expect(await page.evaluate<string>('document.cookie')).not.toContain('glassbox_session');
    // The WebSocket, which cannot carry Authorization, is authenticated by the cookie.
    const hello = JSON.parse(await liveFromPage()) as {
      type: string;
      user: { subject: string; groups: string[] };
    };
    expect(hello).toEqual({
      type: 'hello',
      protocol: 1,
      user: { subject: 'alice', groups: ['engineering', 'auditors'] },
    });
    await screenshot(page, 'team-2-signed-in');
  }, 60_000);

  it('refuses the cookie from another origin and state changes without the CSRF header', async () => {
    const cookie = `glassbox_session=${(await sessionCookie())!.value}`;
    const wsUrl = `${team.server.url.replace(/^http/, 'ws')}/v1/live`;
    const upgrade = (origin: string) =>
      new Promise<string>((resolve) => {
        const socket = new NodeWebSocket(wsUrl, { headers: { cookie, origin } });
        socket.on('message', (data) => {
          resolve(`message ${String(data).slice(0, 20)}`);
          socket.close();
        });
        socket.on('unexpected-response', (_request, response) => resolve(`refused ${response.statusCode}`));
        socket.on('error', (error) => resolve(`error ${error.message}`));
        socket.on('close', (code) => resolve(`closed ${code}`));
      });
    expect(await upgrade('https://evil.example')).toBe('refused 403');
    expect(await upgrade(team.server.url)).toBe('message {"type":"hello","pro');
    // A forged or foreign cookie is no sign-in at all.
    const forged = await fetch(`${team.server.url}/v1/sessions/${ALICE_SESSION}/head`, {
      headers: { cookie: `glassbox_session=${'x'.repeat(40)}` },
    });
    expect(forged.status).toBe(401);
    // The cookie authenticates reads like a bearer token (a route already on main).
    const read = await fetch(`${team.server.url}/v1/sessions/${ALICE_SESSION}/head`, { headers: { cookie } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { seq: number }).seq).toBe(2);
    // From the page: a POST without the header is refused before any route runs.
    const status = await page.evaluate(async () => (await fetch('/auth/logout', { method: 'POST' })).status);
    expect(status).toBe(403);
    const post = await page.evaluate(async (id) => {
      const r = await fetch(`/v1/sessions/${id}/events`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      return { status: r.status, body: await r.json() };
    }, ALICE_SESSION);
    expect(post).toMatchObject({ status: 403, body: { error: 'forbidden' } });
  }, 60_000);

  it('shows everyone’s mirrored sessions to Alice (auditor), the server’s verification, the mismatch and alerts', async () => {
    await page.goto(team.server.url);
    await page.getByTestId('team-me').waitFor();
    expect(await page.getByTestId('team-me').textContent()).toContain('Alice Example');
    const rows = page.getByTestId('team-session-row');
    await expect.poll(() => rows.count()).toBe(2);
    const bobRow = rows.filter({ hasText: 'Bob Example' });
    expect(await bobRow.textContent()).toContain('identity mismatch');
    await page.getByTestId('alert-strip').waitFor();

    // Filter by person, then by text.
    await page.locator('input[name="person"]').fill('bob@example.test');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows.count()).toBe(2);

    await rows.filter({ hasText: 'Alice Example' }).getByRole('link').click();
    await page.getByTestId('team-verify').waitFor();
    expect(await page.getByTestId('team-verify').textContent()).toContain(
      'Chain verified by the server · 2 events',
    );
    expect(await page.getByTestId('team-owner').textContent()).toBe('Alice Example');
    expect(await page.getByTestId('team-mismatch').count()).toBe(0);
    const jsonl = page.getByRole('link', { name: 'JSONL' });
    expect(await jsonl.getAttribute('href')).toBe(`/v1/sessions/${ALICE_SESSION}/export?format=jsonl`);
    await screenshot(page, 'team-3-session');

    await page.getByTestId('nav-alerts').click();
    await expect.poll(() => page.getByTestId('team-alert').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('team-alerts').textContent()).toContain(BOB_SESSION);
    await screenshot(page, 'team-4-alerts');
  }, 60_000);

  it('signs out: the cookie is deleted and the live stream refuses the browser again', async () => {
    const status = await page.evaluate(
      async () =>
        (await fetch('/auth/logout', { method: 'POST', headers: { 'x-glassbox-csrf': '1' } })).status,
    );
    expect(status).toBe(204);
    expect(await sessionCookie()).toBeUndefined();
    expect(await liveFromPage()).toBe('closed 4401');
    await page.goto(team.server.url);
    await page.getByTestId('team-sign-in').waitFor();
  }, 60_000);
});
