import { request as httpRequest } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient, EngineRequestError } from '../../main/engine-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const API_KEY = 'sk-ant-api03-pauseTestKey0123456789abcdefghijklmnopqrstuvwxyz-TEST';

/** A raw request to the control API, so tests can set Host and Origin as a browser or an attacker would. */
function raw(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method, headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('pausing recording through the control API', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let api: EngineClient;
  let client: Anthropic;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url);
    api = new EngineClient({ apiUrl: test.engine.addresses.apiUrl, token: test.engine.addresses.token });
    client = new Anthropic({ baseURL: test.engine.addresses.anthropicUrl, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const ask = (session: string) =>
    client.messages.create(
      { model: 'claude-opus-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-glassbox-session': session } },
    );

  it('refuses POST without the token, from a foreign Origin or Host, and without a JSON body', async () => {
    const { apiUrl, token } = test.engine.addresses;
    const port = new URL(apiUrl).port;
    const body = JSON.stringify({ recording: false, via: 'attacker' });
    const json = { 'content-type': 'application/json' };
    const noToken = await raw(`${apiUrl}/api/recording`, { method: 'POST', headers: json, body });
    expect(noToken.status).toBe(401);
    const foreignOrigin = await raw(`${apiUrl}/api/recording`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}`, origin: 'https://evil.example' },
      body,
    });
    expect(foreignOrigin.status).toBe(403);
    expect(JSON.parse(foreignOrigin.body)).toMatchObject({ error: { code: 'forbidden_origin' } });
    const rebound = await raw(`${apiUrl}/api/recording`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}`, host: `evil.example:${port}` },
      body,
    });
    expect(rebound.status).toBe(403);
    const plainText = await raw(`${apiUrl}/api/recording`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
      body,
    });
    expect(plainText.status).toBe(415);
    const badBody = await raw(`${apiUrl}/api/recording`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: '{"recording":"off"}',
    });
    expect(badBody.status).toBe(400);
    // None of them paused anything.
    expect((await api.recording()).recording).toBe(true);
  });

  it('forwards traffic unrecorded while paused, records who paused and when, and records again after', async () => {
    expect(await api.recording()).toMatchObject({ recording: true, paused: null });
    const before = test.engine.store.listSessions({ limit: 100 }).length;

    const paused = await api.setRecording(false, 'tray');
    expect(paused.recording).toBe(false);
    expect(paused.message).toMatch(/NOT recorded/);
    expect(paused.paused).toMatchObject({ via: 'tray' });
    expect(await api.recording()).toMatchObject({ recording: false, paused: { via: 'tray' } });

    const forwardedBefore = mock.requests.length;
    const reply = await ask('while-paused');
    expect(reply.content[0]).toMatchObject({ type: 'text' });
    expect(mock.requests.length).toBe(forwardedBefore + 1); // it went upstream…
    expect(test.engine.store.findByExternalId('anthropic', 'while-paused')).toBeUndefined(); // …unrecorded
    // A streamed reply is relayed as it comes, also unrecorded.
    const stream = client.messages.stream(
      { model: 'claude-opus-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'stream it' }] },
      { headers: { 'x-glassbox-session': 'stream-while-paused' } },
    );
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text' });
    expect(test.engine.store.findByExternalId('anthropic', 'stream-while-paused')).toBeUndefined();

    const resumed = await api.setRecording(true, 'dashboard');
    expect(resumed).toMatchObject({ recording: true, paused: null });
    await ask('after-resume');
    const recorded = test.engine.store.findByExternalId('anthropic', 'after-resume');
    expect(recorded).toBeDefined();
    expect(test.engine.store.listEvents(recorded!.id).map((e) => e.kind)).toEqual([
      'http.request',
      'llm.turn',
    ]);

    // The pause is its own session: the gap between its start and end went unrecorded.
    const control = test.engine.store.getSession(paused.paused!.session_id)!;
    expect(control).toMatchObject({ kind: 'http', target: 'glassbox', client: 'glassbox-control' });
    expect(control.status).toBe('closed');
    const events = test.engine.store.listEvents(control.id);
    expect(events.map((e) => e.kind)).toEqual(['recording.paused', 'recording.resumed', 'session.end']);
    expect(events[0]!.payload).toMatchObject({ by: control.identity.os_user, via: 'tray' });
    expect(events[0]!.ts).toBe(paused.paused!.since);
    const resumedPayload = events[1]!.payload as { via: string; paused_us: number };
    expect(resumedPayload.via).toBe('dashboard');
    expect(resumedPayload.paused_us).toBe(events[1]!.ts - events[0]!.ts);
    expect(test.engine.store.verifySession(control.id).intact).toBe(true);
    // Sessions added: the pause session and the one recorded after resuming; none for the paused request.
    expect(test.engine.store.listSessions({ limit: 100 }).length).toBe(before + 2);
  });

  it('pausing twice is one pause; resuming while recording changes nothing', async () => {
    const first = await api.setRecording(false, 'tray');
    const second = await api.setRecording(false, 'dashboard');
    expect(second.paused).toEqual(first.paused);
    await api.setRecording(true, 'tray');
    const again = await api.setRecording(true, 'tray');
    expect(again.recording).toBe(true);
    const events = test.engine.store.listEvents(first.paused!.session_id).map((e) => e.kind);
    expect(events).toEqual(['recording.paused', 'recording.resumed', 'session.end']);
  });

  it('reports an unreachable engine as EngineRequestError with status 0', async () => {
    const dead = new EngineClient({ apiUrl: 'http://127.0.0.1:9', token: 'x' }, 1_000);
    await expect(dead.recording()).rejects.toBeInstanceOf(EngineRequestError);
    await expect(dead.recording()).rejects.toMatchObject({ status: 0 });
    expect(await dead.healthy()).toBe(false);
  });
});
