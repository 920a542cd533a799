import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../proxy/store/store.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const API_KEY = 'sk-ant-api03-sdkTestKey0123456789abcdefghijklmnopqrstuvwxyz-TEST';

describe('Anthropic SDK through the recording proxy', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let store: Store;
  let client: Anthropic;

  beforeAll(async () => {
    mock = await MockAnthropic.start({ deltaChars: 5 });
    test = await startTestEngine(mock.url);
    store = test.engine.store;
    client = new Anthropic({ baseURL: test.engine.addresses.anthropicUrl, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const eventsOf = (sessionId: string): RecordedEvent[] => store.listEvents(sessionId);
  const sessionByHeader = (value: string) => store.findByExternalId('anthropic', value)!;

  it('streams a reply with thinking, text and a tool call, and records the reconstructed message', async () => {
    mock.setPlan(() => ({
      type: 'message',
      stop_reason: 'tool_use',
      content: [
        { type: 'thinking', thinking: 'The user wants a listing.', signature: 'sig-abc' },
        { type: 'text', text: 'Listing the directory now.' },
        { type: 'tool_use', id: 'toolu_42', name: 'Bash', input: { command: 'ls -la /tmp', timeout: 5 } },
      ],
    }));
    const stream = client.messages.stream(
      {
        model: 'claude-sonnet-4-5-20250929',
        max_tokens: 256,
        system: 'You are a careful agent.',
        messages: [{ role: 'user', content: 'list /tmp please' }],
        tools: [
          {
            name: 'Bash',
            description: 'run a command',
            input_schema: { type: 'object', properties: { command: { type: 'string' } } },
          },
        ],
      },
      { headers: { 'x-glassbox-session': 'sdk-stream-1' } },
    );
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.length).toBeGreaterThan(1); // arrived as several deltas, not one buffered blob
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);

    const session = sessionByHeader('sdk-stream-1');
    expect(session).toMatchObject({ kind: 'anthropic', status: 'live', external_id: 'sdk-stream-1' });
    const [request, turn] = eventsOf(session.id);
    expect(request!.kind).toBe('http.request');
    expect(request!.payload).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      body: {
        model: 'claude-sonnet-4-5-20250929',
        system: 'You are a careful agent.',
        stream: true,
        max_tokens: 256,
      },
    });
    // The body is recorded exactly as it went upstream (written from the text it arrived as).
    const forwarded = mock.requests.find((r) => r.headers['x-glassbox-session'] === 'sdk-stream-1')!;
    expect((request!.payload as { body: unknown }).body).toEqual(JSON.parse(forwarded.raw));
    expect(Object.keys(request!.payload as object).sort()).toEqual([
      'body',
      'body_bytes',
      'headers',
      'method',
      'path',
      'upstream',
    ]);
    expect((request!.payload as { upstream: string }).upstream).toBe(mock.url);
    expect(turn!.kind).toBe('llm.turn');
    expect(turn!.payload).toMatchObject({
      request_seq: request!.seq,
      outcome: 'complete',
      status: 200,
      stream: true,
      stop_reason: 'tool_use',
      response: {
        content: [
          { type: 'thinking', thinking: 'The user wants a listing.', signature: 'sig-abc' },
          { type: 'text', text: 'Listing the directory now.' },
          { type: 'tool_use', id: 'toolu_42', name: 'Bash', input: { command: 'ls -la /tmp', timeout: 5 } },
        ],
      },
      usage: { input_tokens: 25, output_tokens: 12 },
    });
    const payload = turn!.payload as {
      cost_usd: number;
      timings: { headers_us: number; first_token_us: number; total_us: number };
    };
    expect(payload.cost_usd).toBeCloseTo((25 * 3 + 12 * 15) / 1e6, 9);
    expect(payload.timings.headers_us).toBeGreaterThan(0);
    expect(payload.timings.first_token_us).toBeGreaterThanOrEqual(payload.timings.headers_us);
    expect(payload.timings.total_us).toBeGreaterThanOrEqual(payload.timings.first_token_us);
    expect(store.getSession(session.id)!.stats).toMatchObject({
      requests: 1,
      turns: 1,
      input_tokens: 25,
      output_tokens: 12,
      errors: 0,
    });
  });

  it('forwards headers, path and query unchanged, and records the request before the reply', async () => {
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'ok' }] }));
    await client.beta.messages.create(
      {
        model: 'claude-haiku-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
        betas: ['interleaved-thinking-2025-05-14'],
      },
      {
        headers: { 'x-glassbox-session': 'sdk-headers', 'anthropic-version': '2023-06-01' },
        query: { beta: 'true' },
      },
    );
    const upstream = mock.requests.at(-1)!;
    expect(upstream.url).toBe('/v1/messages?beta=true');
    // SDK 1.x sends the key as a bearer token; older ones as x-api-key. Either must arrive unchanged.
    const credentialHeader = upstream.headers['x-api-key'] ? 'x-api-key' : 'authorization';
    expect(upstream.headers[credentialHeader]).toMatch(new RegExp(`^(Bearer )?${API_KEY}$`));
    expect(upstream.headers['anthropic-version']).toBe('2023-06-01');
    expect(upstream.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    expect(upstream.headers.host).toBe(new URL(mock.url).host);
    const [request] = eventsOf(sessionByHeader('sdk-headers').id);
    expect(request!.payload).toMatchObject({
      path: '/v1/messages?beta=true',
      headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14' },
    });
    const recorded = (request!.payload as { headers: Record<string, string> }).headers[credentialHeader];
    expect(recorded).toMatch(/^(Bearer )?sk-ant-api03-…TEST #[0-9a-f]{12}$/);
  });

  it('records non-streaming JSON replies, including gzip-encoded ones', async () => {
    mock.setPlan(() => ({
      type: 'message',
      gzip: true,
      content: [{ type: 'text', text: 'compressed hello' }],
    }));
    const message = await client.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'zip it' }] },
      { headers: { 'x-glassbox-session': 'sdk-json' } },
    );
    expect(message.content).toEqual([{ type: 'text', text: 'compressed hello' }]);
    const [, turn] = eventsOf(sessionByHeader('sdk-json').id);
    expect(turn!.payload).toMatchObject({
      outcome: 'complete',
      stream: false,
      response: { type: 'message', content: [{ type: 'text', text: 'compressed hello' }] },
      usage: { output_tokens: 12 },
    });
    expect((turn!.payload as { cost_usd: number }).cost_usd).toBeGreaterThan(0);
  });

  it('records other paths (count_tokens, models) as http.exchange events', async () => {
    const count = await client.messages.countTokens(
      { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'count me' }] },
      { headers: { 'x-glassbox-session': 'sdk-other' } },
    );
    expect(count.input_tokens).toBe(42);
    const [request, exchange] = eventsOf(sessionByHeader('sdk-other').id);
    expect(request!.payload).toMatchObject({ path: '/v1/messages/count_tokens' });
    expect(exchange).toMatchObject({
      kind: 'http.exchange',
      payload: { status: 200, outcome: 'complete', body: { input_tokens: 42 } },
    });
  });

  it('relays a mid-stream error event to the client and records the turn as an error', async () => {
    mock.setPlan(() => ({
      type: 'midstream_error',
      content: [{ type: 'text', text: 'partial answer before overload' }],
      errorType: 'overloaded_error',
      message: 'Overloaded',
    }));
    const stream = client.messages.stream(
      { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'go' }] },
      { headers: { 'x-glassbox-session': 'sdk-midstream' } },
    );
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
    const [, turn] = eventsOf(sessionByHeader('sdk-midstream').id);
    expect(turn!.payload).toMatchObject({
      outcome: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
      response: { content: [{ type: 'text', text: 'partial answer before overload' }] },
    });
    expect(store.getSession(sessionByHeader('sdk-midstream').id)!.stats.errors).toBe(1);
  });

  it('relays 4xx, 5xx and 529 errors unchanged and records them', async () => {
    for (const [status, type] of [
      [400, 'invalid_request_error'],
      [500, 'api_error'],
      [529, 'overloaded_error'],
    ] as const) {
      mock.setPlan(() => ({ type: 'status', status, errorType: type, message: `mock ${status}` }));
      const error = await client.messages
        .create(
          { model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
          { headers: { 'x-glassbox-session': `sdk-${status}` } },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
      const [, turn] = eventsOf(sessionByHeader(`sdk-${status}`).id);
      expect(turn!.payload).toMatchObject({
        outcome: 'error',
        status,
        error: { type, message: `mock ${status}` },
      });
    }
  });

  it('groups requests: by Claude Code session header, else by client and key with a fresh session per key', async () => {
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'ok' }] }));
    const ask = (c: Anthropic, headers: Record<string, string> = {}) =>
      c.messages.create(
        { model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        { headers },
      );
    await ask(client, { 'x-claude-code-session-id': 'cc-1' });
    await ask(client, {
      'x-claude-code-session-id': 'cc-1',
      'x-glassbox-session': 'ignored-when-cc-present',
    });
    const cc = sessionByHeader('cc-1');
    expect(cc.head_seq).toBe(4);
    expect(store.findByExternalId('anthropic', 'ignored-when-cc-present')).toBeUndefined();

    const otherKey = new Anthropic({
      baseURL: test.engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-api03-anotherKeyXYZ0123456789',
      maxRetries: 0,
    });
    const before = new Set(store.listSessions({ limit: 1000 }).map((s) => s.id));
    await ask(client);
    await ask(client);
    await ask(otherKey);
    const created = store.listSessions({ limit: 1000 }).filter((s) => !before.has(s.id));
    expect(created).toHaveLength(2);
    expect(created.map((s) => s.head_seq).sort()).toEqual([2, 4]);
    expect(new Set(created.map((s) => s.identity.credential)).size).toBe(2);
  });

  it('keeps every chain intact', () => {
    for (const id of store.allSessionIds())
      expect(store.verifySession(id), id).toMatchObject({ intact: true });
  });
});
