/**
 * What the Anthropic proxy refuses before recording anything: requests that are not addressed to a loopback
 * name or that a browser marks as coming from another site (the Chromium side is test/e2e/
 * anthropic-browser-guard.test.ts), two Host headers, and request bodies that trickle in or pile up.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 5,
  messages: [{ role: 'user', content: 'hi' }],
});

/** Sends `head` (and `body`) on a raw socket; resolves with everything the proxy answered until it closed. */
function rawRequest(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\n\r\n${body}`));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

/** The Anthropic-shaped error in a raw HTTP answer. */
function errorOf(answer: string): { type: string; error: { type: string; message: string } } {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

describe('Anthropic proxy request guards', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let port: number;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url, (config) => {
      config.anthropic.allowedOrigins = ['http://localhost:5173'];
      config.anthropic.requestBodyTimeoutMs = 1_500;
      config.anthropic.maxPendingRequestBytes = 64 * 1024;
    });
    port = Number(new URL(test.engine.addresses.anthropicUrl).port);
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const recorded = () => test.engine.store.allSessionIds().flatMap((id) => test.engine.store.listEvents(id));
  const post = (host: string, extra: string[] = []) =>
    rawRequest(
      port,
      [
        'POST /v1/messages HTTP/1.1',
        `Host: ${host}`,
        'content-type: application/json',
        `content-length: ${BODY.length}`,
        'connection: close',
        ...extra,
      ].join('\r\n'),
      BODY,
    );

  it('refuses two Host headers with a 400, recording and forwarding nothing', async () => {
    const answer = await post(`127.0.0.1:${port}`, [`Host: 127.0.0.1:${port}`]);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(errorOf(answer)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(errorOf(answer).error.message).toMatch(/^Glassbox: more than one Host header/);
    expect(mock.requests).toEqual([]);
    expect(recorded()).toEqual([]);
  });

  it('refuses a Host that is not a loopback name with a 403', async () => {
    const answer = await post(`evil.example:${port}`);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(errorOf(answer).error).toMatchObject({ type: 'permission_error' });
    expect(errorOf(answer).error.message).toContain('evil.example');
    expect(mock.requests).toEqual([]);
    expect(recorded()).toEqual([]);
  });

  it('refuses a foreign Origin and a cross-site Fetch-Metadata request without one', async () => {
    const foreign = await post(`127.0.0.1:${port}`, ['Origin: https://evil.example']);
    expect(foreign).toMatch(/^HTTP\/1\.1 403 /);
    expect(errorOf(foreign).error.message).toContain('anthropic.allowedOrigins');
    const opaque = await post(`127.0.0.1:${port}`, ['Origin: null']);
    expect(opaque).toMatch(/^HTTP\/1\.1 403 /);
    const crossSite = await post(`127.0.0.1:${port}`, [
      'Sec-Fetch-Site: cross-site',
      'Sec-Fetch-Mode: no-cors',
    ]);
    expect(crossSite).toMatch(/^HTTP\/1\.1 403 /);
    expect(mock.requests).toEqual([]);
    expect(recorded()).toEqual([]);
  });

  it('takes requests addressed to any loopback name, from an allowlisted origin, and from what a user typed', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect(await post(host), host).toMatch(/^HTTP\/1\.1 200 /);
    }
    expect(await post(`localhost:${port}`, ['Origin: http://localhost:5173'])).toMatch(/^HTTP\/1\.1 200 /);
    expect(await post(`localhost:${port}`, ['Sec-Fetch-Site: none'])).toMatch(/^HTTP\/1\.1 200 /);
    expect(mock.requests).toHaveLength(6);
  });

  it('refuses a body trickling in once the body timeout passes, and records nothing of it', async () => {
    const before = mock.requests.length;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket: Socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n`,
        );
        let sent = 0;
        // One byte every 100 ms: the whole body would take seconds longer than the configured 1.5 s.
        const drip = setInterval(() => {
          if (socket.destroyed || sent >= BODY.length) return clearInterval(drip);
          socket.write(BODY[sent++]!);
        }, 100);
        socket.on('close', () => clearInterval(drip));
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(data));
      socket.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(data) : reject(error),
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(errorOf(answer).error).toMatchObject({ type: 'timeout_error' });
    expect(errorOf(answer).error.message).toContain('anthropic.requestBodyTimeoutMs');
    expect(mock.requests.length).toBe(before);
  });

  it('caps the bytes of unfinished bodies held over all requests, and frees them when the clients go', async () => {
    const before = mock.requests.length;
    const declared = 60 * 1024;
    const open: Socket[] = [];
    const answers: string[] = [];
    // Each starts a 60 KiB body and sends 40 KiB of it; the second would take the total past the 64 KiB cap.
    for (let i = 0; i < 2; i++) {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
        answers[i] = data;
      });
      socket.on('error', () => undefined);
      socket.write(
        `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n${'x'.repeat(40 * 1024)}`,
      );
      open.push(socket);
      if (i === 0) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const refused = await waitFor(() => answers[1], 10_000, 'the second body to be refused');
    expect(refused).toMatch(/^HTTP\/1\.1 529 /);
    expect(errorOf(refused).error).toMatchObject({ type: 'overloaded_error' });
    expect(errorOf(refused).error.message).toContain('anthropic.maxPendingRequestBytes');
    expect(answers[0]).toBeUndefined();
    for (const socket of open) socket.destroy();
    // Once those clients are gone, their bytes are free again: a whole request goes through.
    let answer = '';
    for (let tries = 0; tries < 50 && !answer.startsWith('HTTP/1.1 200'); tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      answer = await post(`127.0.0.1:${port}`);
    }
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(mock.requests.length).toBe(before + 1);
  });
});
