import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRecord } from '../../proxy/anthropic/message.js';
import type { Store } from '../../proxy/store/store.js';
import { waitFor } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { spyOnRelayedWrites } from '../helpers/relay-spy.js';

const HEADERS = {
  'content-type': 'application/json',
  'x-api-key': 'sk-ant-api03-failureTests000000000000-KEY1',
  'anthropic-version': '2023-06-01',
};

function post(base: string, session: string, body: string | Buffer, signal?: AbortSignal): Promise<Response> {
  return fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { ...HEADERS, 'x-glassbox-session': session },
    body,
    signal,
  });
}

const streamBody = (text = 'hello') =>
  JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 50,
    stream: true,
    messages: [{ role: 'user', content: text }],
  });

describe('recording proxy under failure', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let store: Store;
  let base: string;

  beforeAll(async () => {
    mock = await MockAnthropic.start({ eventDelayMs: 5 });
    test = await startTestEngine(mock.url, (config) => {
      config.recording.maxBodyBytes = 4_096;
    });
    store = test.engine.store;
    base = test.engine.addresses.anthropicUrl;
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const events = (external: string) => store.listEvents(store.findByExternalId('anthropic', external)!.id);

  it('has the request on disk before the upstream sees it', async () => {
    let recordedFirst = false;
    mock.setPlan((request) => {
      const session = store.findByExternalId('anthropic', 'before-forward');
      const stored = session ? store.listEvents(session.id) : [];
      recordedFirst = stored.some(
        (e) => e.kind === 'http.request' && asRecord(asRecord(e.payload)?.body)?.max_tokens === 50,
      );
      expect(request.body).toBeTruthy();
      return { type: 'message', content: [{ type: 'text', text: 'ok' }] };
    });
    await (await post(base, 'before-forward', streamBody())).text();
    expect(recordedFirst).toBe(true);
  });

  it('checkpoints each finished block before the client sees its content_block_stop', async () => {
    mock.setPlan(() => ({
      type: 'message',
      content: [
        { type: 'text', text: 'first block of text' },
        { type: 'tool_use', id: 'toolu_a', name: 'Read', input: { path: '/etc/hosts' } },
      ],
    }));
    // What was on disk at the moment the proxy handed each content_block_stop to the client's socket.
    const seenAtStop: unknown[] = [];
    let relayed = '';
    const removeSpy = spyOnRelayedWrites(Number(new URL(base).port), (text) => {
      relayed += text;
      for (const match of relayed.matchAll(/"type":"content_block_stop","index":(\d)/g)) {
        const session = store.findByExternalId('anthropic', 'checkpoints')!;
        // The in-flight checkpoint, or the sealed turn when message_stop came in the same chunk.
        const onDisk =
          asRecord(store.inflight(session.id)[0]?.partial) ??
          asRecord(store.listEvents(session.id).find((e) => e.kind === 'llm.turn')?.payload);
        seenAtStop[Number(match[1])] = asRecord(onDisk?.response)?.content;
      }
      relayed = relayed.replace(/"type":"content_block_stop"/g, '"seen":"stop"');
    });
    try {
      await (await post(base, 'checkpoints', streamBody())).text();
    } finally {
      removeSpy();
    }
    expect(seenAtStop[0]).toEqual([{ type: 'text', text: 'first block of text' }]);
    expect(seenAtStop[1]).toEqual([
      { type: 'text', text: 'first block of text' },
      { type: 'tool_use', id: 'toolu_a', name: 'Read', input: { path: '/etc/hosts' } },
    ]);
  });

  it('aborts the upstream request when the client disconnects mid-stream and records the turn as aborted', async () => {
    mock.setPlan(() => ({ type: 'stall', text: 'tick ', deltas: 5 }));
    const controller = new AbortController();
    const response = await post(base, 'client-gone', streamBody(), controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await waitFor(() => mock.clientDisconnects > 0, 5_000, 'the upstream request to be aborted');
    const turn = await waitFor(
      () => events('client-gone').find((e) => e.kind === 'llm.turn'),
      5_000,
      'the aborted turn',
    );
    expect(turn.payload).toMatchObject({ outcome: 'aborted', status: 200 });
    expect(test.engine.anthropic.inFlight).toBe(0);
  });

  it('forwards malformed JSON as-is and records it raw', async () => {
    const broken = '{"model": "claude-sonnet-4-5", "messages": [oops';
    mock.setPlan(() => ({
      type: 'status',
      status: 400,
      errorType: 'invalid_request_error',
      message: 'bad json',
    }));
    const response = await post(base, 'malformed', broken);
    expect(response.status).toBe(400);
    expect(mock.requests.at(-1)!.raw).toBe(broken);
    const [request, turn] = events('malformed');
    expect(request!.payload).toMatchObject({
      body_raw: broken,
      body_bytes: broken.length,
      body_error: expect.stringMatching(/invalid JSON/),
    });
    expect(turn!.payload).toMatchObject({ outcome: 'error', status: 400 });
  });

  it('forwards bodies over the storage cap whole and stores them truncated with a marker', async () => {
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'big one received' }] }));
    const big = JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x'.repeat(20_000) }],
    });
    const response = await post(base, 'oversize', big);
    expect(response.status).toBe(200);
    expect(mock.requests.at(-1)!.raw).toBe(big);
    const [request] = events('oversize');
    const payload = request!.payload as { body_raw: string; body_bytes: number; body_truncated: boolean };
    expect(payload.body_truncated).toBe(true);
    expect(payload.body_bytes).toBe(big.length);
    expect(payload.body_raw.length).toBe(4_096);
  });

  it('relays garbage SSE byte for byte, records what it could, and keeps serving', async () => {
    mock.setPlan(() => ({ type: 'garbage' }));
    const response = await post(base, 'garbage', streamBody());
    const text = await response.text();
    expect(text).toContain('{this is not json');
    const [, turn] = events('garbage');
    expect(turn!.payload).toMatchObject({
      stream: true,
      anomalies: expect.arrayContaining([expect.stringMatching(/unparsable/)]),
    });
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'still alive' }] }));
    expect((await post(base, 'after-garbage', streamBody())).status).toBe(200);
  });

  it('answers non-HTTP bytes with a 400, records the attempt, and keeps serving', async () => {
    const port = Number(new URL(base).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('\x16\x03\x01\x02\x00 not http at all\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toContain('"type":"error"');
    expect(reply).toContain('Glassbox');
    const logged = store
      .listSessions({ limit: 100 })
      .flatMap((s) => store.listEvents(s.id))
      .filter((e) => e.kind === 'http.client_error');
    expect(logged.length).toBeGreaterThan(0);
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'ok' }] }));
    expect((await post(base, 'after-junk', streamBody())).status).toBe(200);
  });

  it('answers an absolute-form request target with a bad port, and deeply nested JSON, without falling over', async () => {
    const port = Number(new URL(base).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(
          `POST http://x:99999/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
        ),
      );
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 (200|400)/);
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'deep ok' }] }));
    const deep = `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}],"metadata":${'['.repeat(600)}${']'.repeat(600)}}`;
    const response = await post(base, 'deep-json', deep);
    expect(response.status).toBe(200);
    const [request] = events('deep-json');
    expect(request!.payload).toMatchObject({ body_error: 'JSON nested deeper than 256 levels' });
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'ok' }] }));
    expect((await post(base, 'after-bad-target', streamBody())).status).toBe(200);
  });

  it('seals a JSON error reply whose fields are not strings (one even with its own toString)', async () => {
    mock.setPlan(() => ({
      type: 'json',
      status: 400,
      body: { type: 'error', error: { type: { toString: 1 }, message: { valueOf: 2 } } },
    }));
    const response = await post(base, 'odd-error', streamBody());
    expect(response.status).toBe(400);
    await response.text();
    const [, outcome] = events('odd-error');
    expect(outcome!.payload).toMatchObject({
      outcome: 'error',
      error: { type: '{"toString":1}', message: '{"valueOf":2}' },
    });
  });

  it("records an upstream that dies mid-stream and ends the client's stream with an error event", async () => {
    mock.setPlan(() => ({ type: 'stall', text: 'about to die ', deltas: 2 }));
    const response = await post(base, 'upstream-dies', streamBody());
    const reader = response.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    await mock.stop();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toMatch(
      /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Glassbox: /,
    );
    const turn = await waitFor(
      () => events('upstream-dies').find((e) => e.kind === 'llm.turn'),
      5_000,
      'the failed turn',
    );
    expect(turn.payload).toMatchObject({ outcome: 'upstream_failed' });
    const content = asRecord(asRecord(turn.payload)?.response)?.content as Array<{ text: string }>;
    expect(content[0]!.text).toMatch(/^(about to die )+$/);
    mock = await MockAnthropic.start();
  });

  it('keeps every chain intact after all of that', () => {
    for (const id of store.allSessionIds())
      expect(store.verifySession(id), id).toMatchObject({ intact: true });
  });
});

describe('upstream unreachable', () => {
  it('answers 502 with an Anthropic-shaped error naming Glassbox and the cause, and records it', async () => {
    const test = await startTestEngine('http://127.0.0.1:9');
    try {
      const response = await post(test.engine.addresses.anthropicUrl, 'unreachable', streamBody());
      expect(response.status).toBe(502);
      const body = (await response.json()) as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe('error');
      expect(body.error.type).toBe('api_error');
      expect(body.error.message).toMatch(
        /^Glassbox: could not reach the upstream Anthropic API at http:\/\/127\.0\.0\.1:9\/ \(.*ECONNREFUSED/,
      );
      const session = test.engine.store.findByExternalId('anthropic', 'unreachable')!;
      const [, turn] = test.engine.store.listEvents(session.id);
      expect(turn!.payload).toMatchObject({
        outcome: 'upstream_unreachable',
        status: null,
        error: { type: 'upstream_unreachable' },
      });
    } finally {
      await test.cleanup();
    }
  });
});

describe('upstream with a path prefix', () => {
  it('keeps the prefix and the query in front of every forwarded path', async () => {
    const mock = await MockAnthropic.start();
    const test = await startTestEngine(`${mock.url}/gateway/anthropic`);
    try {
      mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'via the gateway' }] }));
      const response = await fetch(`${test.engine.addresses.anthropicUrl}/v1/messages?beta=true`, {
        method: 'POST',
        headers: { ...HEADERS, 'x-glassbox-session': 'prefixed' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] }),
      });
      expect(response.status).toBe(200);
      expect(mock.requests.at(-1)!.url).toBe('/gateway/anthropic/v1/messages?beta=true');
    } finally {
      await test.cleanup();
      await mock.stop();
    }
  });
});
