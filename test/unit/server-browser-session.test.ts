/**
 * The dashboard's browser session on the team server (server/auth/browser-session.ts, browser-hook.ts): the
 * sealed cookies, the onRequest hook's CSRF and Origin refusals, and the sign-in's return path.
 */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { acceptBrowserSession } from '../../server/auth/browser-hook.js';
import { BrowserSessions, browserTokenOf, readCookie } from '../../server/auth/browser-session.js';
import { HttpError } from '../../server/http/errors.js';
import { safeReturn } from '../../server/routes/auth.js';

const SECRET = 'a-team-server-session-secret-of-32-characters-or-more';
const future = () => Math.floor(Date.now() / 1000) + 300;

function request(headers: Record<string, string>, method = 'GET'): FastifyRequest {
  return { headers, method } as unknown as FastifyRequest;
}

async function sessionCookie(sessions: BrowserSessions, token = 'the.jwt.token'): Promise<string> {
  return `${sessions.sessionCookie}=${await sessions.sealSession({ token }, future())}`;
}

describe('BrowserSessions', () => {
  it('opens what it sealed, and nothing sealed with another key, tampered, expired or for the sign-in', async () => {
    const sessions = BrowserSessions.create(SECRET, false);
    const cookie = await sessionCookie(sessions);
    expect(await sessions.openSession(request({ cookie: `other=1; ${cookie}` }))).toEqual({
      token: 'the.jwt.token',
    });
    // Another instance with the same secret opens it (two servers behind one URL).
    expect(await BrowserSessions.create(SECRET, false).openSession(request({ cookie }))).toEqual({
      token: 'the.jwt.token',
    });
    expect(
      await BrowserSessions.create(`${SECRET}!`, false).openSession(request({ cookie })),
    ).toBeUndefined();
    expect(await BrowserSessions.create(undefined, false).openSession(request({ cookie }))).toBeUndefined();
    const flipped = cookie.slice(0, -3) + (cookie.endsWith('A') ? 'B' : 'A') + cookie.slice(-2);
    expect(await sessions.openSession(request({ cookie: flipped }))).toBeUndefined();
    const expired = await sessions.sealSession({ token: 't' }, Math.floor(Date.now() / 1000) - 60);
    expect(await sessions.openSession(request({ cookie: `glassbox_session=${expired}` }))).toBeUndefined();
    // The sign-in cookie is sealed for another purpose: it is no session, even renamed.
    const login = await sessions.sealLogin({
      verifier: 'v',
      state: 's',
      nonce: 'n',
      redirectUri: 'http://x/auth/callback',
      returnTo: '/',
    });
    expect(await sessions.openSession(request({ cookie: `glassbox_session=${login}` }))).toBeUndefined();
    expect(await sessions.openLogin(request({ cookie: `glassbox_login=${login}` }))).toMatchObject({
      state: 's',
      nonce: 'n',
    });
  });

  it('writes httpOnly SameSite cookies, Secure with the __Host- prefix over https', () => {
    expect(BrowserSessions.create(SECRET, false).sessionSetCookie('v', 60)).toBe(
      'glassbox_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict',
    );
    expect(BrowserSessions.create(SECRET, true).sessionSetCookie('v', 60)).toBe(
      '__Host-glassbox_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure',
    );
    expect(BrowserSessions.create(SECRET, false).loginSetCookie('', 0)).toBe(
      'glassbox_login=; Path=/auth; Max-Age=0; HttpOnly; SameSite=Lax',
    );
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; glassbox_session=x.y=; b=2', 'glassbox_session')).toBe('x.y=');
    expect(readCookie('xglassbox_session=1', 'glassbox_session')).toBeUndefined();
    expect(readCookie(undefined, 'a')).toBeUndefined();
  });
});

describe('acceptBrowserSession', () => {
  const sessions = BrowserSessions.create(SECRET, false);
  const hook = acceptBrowserSession(sessions, { publicUrl: undefined });
  const refusal = async (req: FastifyRequest) => {
    try {
      await hook(req);
      return 'accepted';
    } catch (error) {
      return error instanceof HttpError ? `${error.status} ${error.code}` : String(error);
    }
  };

  it('marks a same-origin GET, and a POST carrying the CSRF header, with the cookie token', async () => {
    const cookie = await sessionCookie(sessions);
    const get = request({ cookie, host: 'team.test:8790', origin: 'http://team.test:8790' });
    expect(await refusal(get)).toBe('accepted');
    expect(browserTokenOf(get)).toBe('the.jwt.token');
    const post = request({ cookie, host: 'team.test:8790', 'x-glassbox-csrf': '1' }, 'POST');
    expect(await refusal(post)).toBe('accepted');
    expect(browserTokenOf(post)).toBe('the.jwt.token');
  });

  it('refuses another origin (the WebSocket upgrade included) and a POST without the header', async () => {
    const cookie = await sessionCookie(sessions);
    expect(
      await refusal(
        request({ cookie, host: 'team.test', origin: 'https://evil.example', upgrade: 'websocket' }),
      ),
    ).toBe('403 forbidden');
    expect(await refusal(request({ cookie, host: 'team.test' }, 'POST'))).toBe('403 forbidden');
    expect(await refusal(request({ cookie, host: 'team.test', 'x-glassbox-csrf': 'yes' }, 'DELETE'))).toBe(
      '403 forbidden',
    );
    const publicHook = acceptBrowserSession(sessions, { publicUrl: 'https://glassbox.example.com' });
    await expect(
      publicHook(request({ cookie, host: 'internal:8790', origin: 'http://internal:8790' })),
    ).rejects.toThrow(HttpError);
    await expect(
      publicHook(request({ cookie, origin: 'https://glassbox.example.com' })),
    ).resolves.toBeUndefined();
  });

  it('leaves bearer requests and unknown cookies alone', async () => {
    const cookie = await sessionCookie(sessions);
    const bearer = request({ cookie, authorization: 'Bearer x', origin: 'https://evil.example' }, 'POST');
    expect(await refusal(bearer)).toBe('accepted');
    expect(browserTokenOf(bearer)).toBeUndefined();
    const foreign = request({ cookie: 'glassbox_session=garbage', origin: 'https://evil.example' }, 'POST');
    expect(await refusal(foreign)).toBe('accepted');
    expect(browserTokenOf(foreign)).toBeUndefined();
  });
});

describe('safeReturn', () => {
  it('keeps paths on this server and nothing else (no open redirect)', () => {
    expect(safeReturn('/s/01ABC?x=1')).toBe('/s/01ABC?x=1');
    for (const bad of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example',
      'javascript:alert(1)',
      '/a b',
      undefined,
    ])
      expect(safeReturn(bad)).toBe('/');
  });
});
