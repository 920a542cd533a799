import { statSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type {
  EventsResponse,
  HealthResponse,
  LiveMessage,
  SessionResponse,
  SessionsResponse,
} from '../../proxy/api/types.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

/** A raw HTTP GET where the test controls every header, Host included (fetch does not allow that). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('control API', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let api: string;
  let token: string;
  let auth: Record<string, string>;

  const ask = (session: string, text: string) =>
    fetch(`${test.engine.addresses.anthropicUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-glassbox-session': session },
      body: JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 5,
        messages: [{ role: 'user', content: text }],
      }),
    }).then((r) => r.text());

  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${api}${path}`, { headers: auth });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url);
    api = test.engine.addresses.apiUrl;
    token = test.engine.addresses.token;
    auth = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 3; i++) await ask(`api-${i}`, `question number ${i} about zebras`);
    for (let i = 0; i < 7; i++) await ask('api-long', `turn ${i}`);
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  it('keeps the token in a 0600 file', () => {
    expect(statSync(join(test.home, 'token')).mode & 0o777).toBe(0o600);
  });

  it('serves health, sessions (filtered, searched, paged), one session and its events paged by seq', async () => {
    const health = await get<HealthResponse>('/api/health');
    expect(health).toMatchObject({
      ok: true,
      proxies: { anthropic: { url: test.engine.addresses.anthropicUrl } },
    });

    const all = await get<SessionsResponse>('/api/sessions?kind=anthropic&status=live');
    expect(all.sessions.map((s) => s.external_id)).toEqual(['api-long', 'api-2', 'api-1', 'api-0']);
    const page1 = await get<SessionsResponse>('/api/sessions?limit=2');
    const page2 = await get<SessionsResponse>(`/api/sessions?limit=2&before=${page1.next_before}`);
    expect([...page1.sessions, ...page2.sessions].map((s) => s.external_id)).toEqual([
      'api-long',
      'api-2',
      'api-1',
      'api-0',
    ]);
    expect((await get<SessionsResponse>('/api/sessions?q=zebras')).sessions).toHaveLength(3);
    expect(
      (await get<SessionsResponse>('/api/sessions?q=number%201')).sessions.map((s) => s.external_id),
    ).toEqual(['api-1']);

    const long = all.sessions[0]!;
    const detail = await get<SessionResponse>(`/api/sessions/${long.id}`);
    expect(detail.session.id).toBe(long.id);
    expect(detail.inflight).toEqual([]);
    const seqs: number[] = [];
    let after = 0;
    for (;;) {
      const page = await get<EventsResponse>(`/api/sessions/${long.id}/events?after=${after}&limit=5`);
      seqs.push(...page.events.map((e) => e.seq));
      if (page.next_after === null) break;
      after = page.next_after;
    }
    expect(seqs).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
  });

  it('answers bad parameters and unknown things with typed JSON errors', async () => {
    const cases: Array<[string, number, string]> = [
      ['/api/sessions?kind=mysql', 400, 'bad_param'],
      ['/api/sessions?limit=0', 400, 'bad_param'],
      ['/api/sessions/NOPE/events?after=-1', 404, 'not_found'],
      ['/api/sessions/NOPE', 404, 'not_found'],
      ['/api/sessions/..%2f..%2fetc', 404, 'not_found'],
      ['/api/nothing', 404, 'not_found'],
    ];
    for (const [path, status, code] of cases) {
      const response = await fetch(`${api}${path}`, { headers: auth });
      expect(response.status, path).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe(code);
    }
    expect((await fetch(`${api}/api/sessions`, { method: 'POST', headers: auth })).status).toBe(405);
  });

  it('refuses a missing or wrong token with 401', async () => {
    const missing = await fetch(`${api}/api/sessions`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(
      (await fetch(`${api}/api/sessions`, { headers: { authorization: `Bearer ${token}x` } })).status,
    ).toBe(401);
    expect((await fetch(`${api}/api/sessions?access_token=${token}`)).status).toBe(401); // query tokens: WebSocket only
  });

  it('answers two Host headers with 400, even when both name this API', async () => {
    const port = Number(new URL(api).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(
          `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: 127.0.0.1:${port}\r\nauthorization: Bearer ${token}\r\nconnection: close\r\n\r\n`,
        ),
      );
      let data = '';
      socket.on('data', (chunk: Buffer) => {
        data += chunk.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"bad_host"');
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (CSRF) even with the token', async () => {
    const port = new URL(api).port;
    const ok = await rawGet(`${api}/api/health`, { ...auth, host: `localhost:${port}` });
    expect(ok.status).toBe(200);
    for (const host of [
      `evil.example:${port}`,
      'localhost',
      `127.0.0.1:${Number(port) + 1}`,
      `127.0.0.1.evil.example:${port}`,
    ]) {
      const refused = await rawGet(`${api}/api/health`, { ...auth, host });
      expect(refused.status, host).toBe(403);
      expect(JSON.parse(refused.body).error.code).toBe('forbidden_host');
    }
    for (const origin of [
      'https://evil.example',
      'null',
      `http://127.0.0.1:${Number(port) + 1}`,
      'app://glassbox.evil',
      'app://other',
    ]) {
      const refused = await rawGet(`${api}/api/health`, { ...auth, origin });
      expect(refused.status, origin).toBe(403);
      expect(JSON.parse(refused.body).error.code).toBe('forbidden_origin');
    }
    expect((await rawGet(`${api}/api/health`, { ...auth, origin: `http://127.0.0.1:${port}` })).status).toBe(
      200,
    );
    // The desktop app's window (its live WebSocket connects from app://glassbox), still with the token.
    expect((await rawGet(`${api}/api/health`, { ...auth, origin: 'app://glassbox' })).status).toBe(200);
    expect((await rawGet(`${api}/api/health`, { origin: 'app://glassbox' })).status).toBe(401);
  });

  it('pushes new sessions and events over /api/live, and refuses sockets without a token or with a foreign origin', async () => {
    const wsUrl = `${api.replace('http', 'ws')}/api/live`;
    const refusal = (options: WebSocket.ClientOptions, url = wsUrl) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, options);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
    expect(await refusal({})).toBe(401);
    expect(await refusal({ headers: auth, origin: 'https://evil.example' })).toBe(403);

    const ws = new WebSocket(`${wsUrl}?access_token=${token}`);
    const messages: LiveMessage[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as LiveMessage));
    await new Promise((resolve) => ws.once('open', resolve));
    await ask('live-watch', 'watch me');
    const deadline = Date.now() + 10_000;
    while (!messages.some((m) => m.type === 'event' && m.kind === 'llm.turn') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    ws.close();
    expect(messages[0]).toMatchObject({ type: 'hello' });
    expect(messages).toContainEqual(
      expect.objectContaining({
        type: 'session',
        session: expect.objectContaining({ external_id: 'live-watch' }),
      }),
    );
    expect(messages).toContainEqual(expect.objectContaining({ type: 'event', kind: 'http.request' }));
    expect(messages).toContainEqual(expect.objectContaining({ type: 'event', kind: 'llm.turn' }));
  });

  it('serves the dashboard page without a token, but no data with it', async () => {
    const page = await fetch(`${api}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('Glassbox');
  });
});
