/**
 * Upstream faults as the official Anthropic SDK sees them through Glassbox: a reply the upstream cuts off
 * must reach it as an API error (not a network fault), and an upstream that never connects or never answers
 * must be given up after the configured time, with a 504 `timeout_error`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { execPath } from 'node:process';
import Anthropic, { APIConnectionError, APIError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRecord } from '../../proxy/anthropic/message.js';
import { waitFor } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const PARAMS = {
  model: 'claude-sonnet-4-5',
  max_tokens: 50,
  messages: [{ role: 'user' as const, content: 'hello' }],
};

/** Runs `body` and returns what it threw (fails the test when it did not throw). */
async function thrown(body: () => Promise<unknown>): Promise<unknown> {
  try {
    await body();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** An API error from Glassbox, as the SDK raises it: not a connection error, with the error's type. */
function expectGlassboxApiError(error: unknown, type: string): APIError {
  expect(error).toBeInstanceOf(APIError);
  expect(error).not.toBeInstanceOf(APIConnectionError);
  const apiError = error as APIError;
  expect(apiError.type).toBe(type);
  const body = asRecord(asRecord(apiError.error)?.error);
  expect(String(body?.message ?? apiError.message)).toContain('Glassbox: ');
  return apiError;
}

describe('a reply the upstream cuts off, through the SDK', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let client: Anthropic;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url);
    client = new Anthropic({
      baseURL: test.engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-api03-upstreamFaults000000000000000-KEY',
      maxRetries: 0,
      timeout: 20_000,
    });
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const turnOf = (session: string) =>
    waitFor(
      () => {
        const found = test.engine.store.findByExternalId('anthropic', session);
        return found && test.engine.store.listEvents(found.id).find((e) => e.kind === 'llm.turn');
      },
      10_000,
      `the turn of ${session}`,
    );

  it('raises an APIError (api_error) for a stream cut between events, after the text that came', async () => {
    mock.setPlan(() => ({ type: 'cut', text: 'half a story ', deltas: 3 }));
    const texts: string[] = [];
    const error = await thrown(async () => {
      const stream = await client.messages.create(
        { ...PARAMS, stream: true },
        { headers: { 'x-glassbox-session': 'cut-between' } },
      );
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          texts.push(event.delta.text);
      }
    });
    expectGlassboxApiError(error, 'api_error');
    expect(texts.join('')).toBe('half a story '.repeat(3));
    const turn = await turnOf('cut-between');
    expect(turn.payload).toMatchObject({ outcome: 'upstream_failed' });
  });

  it('raises an APIError for a stream cut inside an event, in the stream helper too', async () => {
    mock.setPlan(() => ({
      type: 'cut',
      text: 'x',
      deltas: 1,
      tail: 'event: content_block_delta\ndata: {"type":"content_block_delta","ind',
    }));
    const error = await thrown(() =>
      client.messages.stream(PARAMS, { headers: { 'x-glassbox-session': 'cut-inside' } }).finalMessage(),
    );
    expect(error).toBeInstanceOf(APIError);
    expect(error).not.toBeInstanceOf(APIConnectionError);
    expect((error as Error).message).toContain('Glassbox: ');
    // Cut inside an event line's name: the error replaces that event and stays clean JSON.
    mock.setPlan(() => ({ type: 'cut', text: 'x', deltas: 1, tail: 'event: content_blo' }));
    const clean = await thrown(() =>
      client.messages.stream(PARAMS, { headers: { 'x-glassbox-session': 'cut-name' } }).finalMessage(),
    );
    expectGlassboxApiError(clean, 'api_error');
  });

  it('answers a non-streamed reply cut before its end with a 502 API error', async () => {
    mock.setPlan(() => ({ type: 'cut', text: '', deltas: 0 }));
    const error = await thrown(() =>
      client.messages.create(PARAMS, { headers: { 'x-glassbox-session': 'cut-json' } }),
    );
    const apiError = expectGlassboxApiError(error, 'api_error');
    expect(apiError.status).toBe(502);
    expect((await turnOf('cut-json')).payload).toMatchObject({ outcome: 'upstream_failed' });
  });
});

/**
 * A TCP black hole on 127.0.0.1: a child process listens with a backlog of one and never accepts (its event
 * loop is blocked). Once connections fill its accept queue, the kernel drops further SYNs, so a connect
 * hangs as it does to a firewalled host. Fillers are opened until one no longer connects.
 */
async function blackHole(): Promise<{ port: number; child: ChildProcess; fillers: Socket[] }> {
  const child = spawn(
    execPath,
    [
      '-e',
      `const s = require('node:net').createServer();
       s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         process.stdout.write(s.address().port + '\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(chunk.toString().trim());
  const fillers: Socket[] = [];
  for (let i = 0; i < 20; i++) {
    const filler = connect(port, '127.0.0.1');
    filler.on('error', () => undefined);
    fillers.push(filler);
    const connected = await Promise.race([
      once(filler, 'connect').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    if (!connected) return { port, child, fillers };
  }
  throw new Error('could not fill the accept queue of the black hole');
}

describe('an upstream that does not connect or does not answer', () => {
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let silent: Server;
  const held: Socket[] = [];

  beforeAll(async () => {
    hole = await blackHole();
    // Accepts connections and reads requests, but never answers.
    silent = createServer((socket) => {
      held.push(socket);
      socket.on('data', () => undefined);
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
  });
  afterAll(async () => {
    for (const filler of hole.fillers) filler.destroy();
    hole.child.kill('SIGKILL');
    for (const socket of held) socket.destroy();
    silent.close();
  });

  it('gives up connecting after upstreamConnectTimeoutMs and answers 504 timeout_error', async () => {
    const test = await startTestEngine(`http://127.0.0.1:${hole.port}`, (config) => {
      config.anthropic.upstreamConnectTimeoutMs = 500;
    });
    try {
      const client = new Anthropic({
        baseURL: test.engine.addresses.anthropicUrl,
        apiKey: 'sk-ant-api03-blackHole0000000000000000000-KEY',
        maxRetries: 0,
        timeout: 20_000,
      });
      const error = await thrown(() =>
        client.messages.create(PARAMS, { headers: { 'x-glassbox-session': 'black-hole' } }),
      );
      const apiError = expectGlassboxApiError(error, 'timeout_error');
      expect(apiError.status).toBe(504);
      expect(apiError.message).toContain('no connection to the upstream within 500 ms');
      const session = test.engine.store.findByExternalId('anthropic', 'black-hole')!;
      const turn = test.engine.store.listEvents(session.id).find((e) => e.kind === 'llm.turn');
      expect(turn?.payload).toMatchObject({
        outcome: 'upstream_unreachable',
        error: { type: 'upstream_timeout' },
      });
    } finally {
      await test.cleanup();
    }
  });

  it('counts the TLS handshake of an https upstream as part of connecting', async () => {
    const port = (silent.address() as { port: number }).port;
    // The TCP connection is accepted at once; the server never answers the TLS ClientHello.
    const test = await startTestEngine(`https://127.0.0.1:${port}`, (config) => {
      config.anthropic.upstreamConnectTimeoutMs = 500;
    });
    try {
      const response = await fetch(`${test.engine.addresses.anthropicUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(PARAMS),
      });
      expect(response.status).toBe(504);
      const body = (await response.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe('timeout_error');
      expect(body.error.message).toContain('no connection to the upstream within 500 ms');
    } finally {
      await test.cleanup();
    }
  });

  it('gives up waiting for the response head after upstreamHeadersTimeoutMs', async () => {
    const port = (silent.address() as { port: number }).port;
    const test = await startTestEngine(`http://127.0.0.1:${port}`, (config) => {
      config.anthropic.upstreamHeadersTimeoutMs = 800;
    });
    try {
      const client = new Anthropic({
        baseURL: test.engine.addresses.anthropicUrl,
        apiKey: 'sk-ant-api03-silentUpstream00000000000000-KEY',
        maxRetries: 0,
        timeout: 20_000,
      });
      const error = await thrown(() => client.messages.create({ ...PARAMS, stream: true }));
      const apiError = expectGlassboxApiError(error, 'timeout_error');
      expect(apiError.status).toBe(504);
      expect(apiError.message).toContain('no response head from the upstream within 800 ms');
    } finally {
      await test.cleanup();
    }
  });
});
