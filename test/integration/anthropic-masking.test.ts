import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { detectedOnly, nonce, plantedFoundUnder, plantValues } from '../helpers/planted.js';

const API_KEY = 'sk-ant-api03-maskingTestKey0123456789abcdefghijklmnop-TEST';
const MODEL = 'claude-sonnet-4-5-20250929';

/**
 * Masking before storage through the Anthropic proxy (issue 16, point 5), with the official SDK and the
 * default policy: secrets and personal data planted in every part of requests and replies are masked before
 * anything reaches the journal, SQLite or the full-text index.
 */
describe('masking before storage through the Anthropic proxy', () => {
  const values = plantValues();
  const [key, email, aws, card] = values as [
    (typeof values)[0],
    (typeof values)[0],
    (typeof values)[0],
    (typeof values)[0],
  ];
  /** The values this build's detectors find: asserted absent. The two always-present detectors find key and email. */
  const asserted = detectedOnly(values);
  let mock: MockAnthropic;
  let test: TestEngine;
  let client: Anthropic;

  beforeAll(async () => {
    mock = await MockAnthropic.start({ deltaChars: 5 });
    test = await startTestEngine(mock.url);
    client = new Anthropic({ baseURL: test.engine.addresses.anthropicUrl, apiKey: API_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const eventsOf = (name: string): RecordedEvent[] => {
    const session = test.engine.store.findByExternalId('anthropic', name);
    return session ? test.engine.store.listEvents(session.id) : [];
  };
  const leaks = (event: RecordedEvent | undefined): string[] => {
    const text = JSON.stringify(event?.payload);
    return asserted.flatMap((v) => v.fragments.filter((f) => text.includes(f)).map(() => v.name));
  };
  const everything = [key, email, aws, card].map((v) => v.inContext).join(' and ');
  const envFile = `# .env\n${key.inContext}\n${aws.inContext}\nCONTACT=${email.value}\n`;

  it('always plants an Anthropic key and an email the detectors find', () => {
    expect(key.detected && email.detected).toBe(true);
  });

  it('records a request masked: system, text, tool_use input, tool_result, text documents, header, query', async () => {
    const name = `mask-request-${nonce()}`;
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'Noted.' }] }));
    await client.messages.create(
      {
        model: MODEL,
        max_tokens: 100,
        system: `You help the owner of ${key.inContext}.`,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: `Please check ${everything}.` },
              {
                type: 'document',
                source: {
                  type: 'base64',
                  media_type: 'text/plain',
                  data: Buffer.from(envFile).toString('base64'),
                },
              } as unknown as Anthropic.ContentBlockParam,
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: `grep ${key.value} .env` } },
              { type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'cat contacts' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: envFile },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: everything }] },
            ],
          },
        ],
      },
      { headers: { 'x-glassbox-session': name, 'x-note': email.value }, query: { note: email.value } },
    );
    const request = eventsOf(name).find((e) => e.kind === 'http.request')!;
    expect(leaks(request)).toEqual([]);
    const payload = request.payload as {
      body: { system: string; messages: Array<{ content: Array<Record<string, unknown>> }> };
      masked: Record<string, number>;
      headers: Record<string, string>;
      path: string;
    };
    // Masked where each value stood, the body's shape kept.
    expect(payload.body.system).toBe(
      'You help the owner of ANTHROPIC_API_KEY=[MASKED:secret.anthropic_api_key].',
    );
    expect(payload.body.messages.map((m) => m.content.length)).toEqual([2, 2, 2]);
    expect(payload.body.messages[1]!.content[0]).toMatchObject({
      input: { command: 'grep [MASKED:secret.anthropic_api_key] .env' },
    });
    const document = payload.body.messages[0]!.content[1] as { source: { data: string } };
    expect(Buffer.from(document.source.data, 'base64').toString()).toContain('CONTACT=[MASKED:pii.email]');
    expect(payload.headers['x-note']).toBe('[MASKED:pii.email]');
    expect(payload.path).toContain('note=');
    expect(payload.path).not.toContain(encodeURIComponent(email.value));
    // key: system, text, document, tool_use, two tool results; email: text, document, header, query, results.
    expect(payload.masked['secret.anthropic_api_key']).toBe(6);
    expect(payload.masked['pii.email']).toBeGreaterThanOrEqual(6);
    // What went upstream is what the client sent (outbound masking is off by default).
    expect(mock.requests.at(-1)!.raw).toContain(key.value);
  });

  it('records a streamed reply masked: text and thinking split across deltas, and tool input', async () => {
    const name = `mask-reply-${nonce()}`;
    const thinking = `The file holds ${key.value} for ${email.value}.`;
    mock.setPlan(() => ({
      type: 'message',
      stop_reason: 'tool_use',
      content: [
        {
          type: 'thinking',
          thinking,
          signature: 'sig-1',
          deltas: [thinking.slice(0, 30), thinking.slice(30, 50), thinking.slice(50)],
        },
        { type: 'text', text: `Found ${everything}.` },
        { type: 'tool_use', id: 'toolu_9', name: 'Bash', input: { command: `echo ${everything}` } },
      ],
    }));
    const stream = client.messages.stream(
      { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'go' }] },
      { headers: { 'x-glassbox-session': name } },
    );
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    // The client got every byte as sent, the values included, in many deltas.
    expect(texts.join('')).toBe(`Found ${everything}.`);
    expect(texts.length).toBeGreaterThan(10);
    expect(final.content[2]).toMatchObject({ input: { command: `echo ${everything}` } });

    const turn = eventsOf(name).find((e) => e.kind === 'llm.turn')!;
    expect(leaks(turn)).toEqual([]);
    const payload = turn.payload as {
      response: { content: Array<Record<string, unknown>> };
      masked: Record<string, number>;
    };
    expect(payload.response.content[0]!.thinking).toBe(
      'The file holds [MASKED:secret.anthropic_api_key] for [MASKED:pii.email].',
    );
    expect(payload.response.content[1]!.text).toContain(
      'ANTHROPIC_API_KEY=[MASKED:secret.anthropic_api_key]',
    );
    expect(payload.response.content[2]!.input).toMatchObject({
      command: expect.stringContaining('[MASKED:pii.email]'),
    });
    expect(payload.masked['secret.anthropic_api_key']).toBe(3);
  });

  it('records a non-streamed reply and another endpoint (count_tokens) masked', async () => {
    const name = `mask-json-${nonce()}`;
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: `Yes: ${everything}` }] }));
    const reply = await client.messages.create(
      { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'repeat' }] },
      { headers: { 'x-glassbox-session': name } },
    );
    expect(reply.content[0]).toMatchObject({ text: `Yes: ${everything}` });
    await client.messages.countTokens(
      { model: MODEL, messages: [{ role: 'user', content: `count ${everything}` }] },
      { headers: { 'x-glassbox-session': name } },
    );
    const events = eventsOf(name);
    expect(events.map((e) => e.kind)).toEqual(['http.request', 'llm.turn', 'http.request', 'http.exchange']);
    for (const event of events) expect(leaks(event), event.kind).toEqual([]);
    expect((events[1]!.payload as { masked: object }).masked).toMatchObject({ 'pii.email': 1 });
    expect((events[2]!.payload as { masked: object }).masked).toMatchObject({ 'pii.email': 1 });
  });

  /** A Claude Code–sized conversation: filler turns, the planted values in an early one. */
  const conversation = (turns: number, plant: boolean): Anthropic.MessageParam[] =>
    Array.from({ length: turns }, (_, i) =>
      i % 2
        ? { role: 'assistant', content: `Looking at case ${i}. ${'The test covers the parser. '.repeat(40)}` }
        : {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: `toolu_${i}`,
                content: i === 2 && plant ? envFile : `PASS case ${i}\n`.repeat(60),
              },
            ],
          },
    );

  it('records large requests masked turn after turn, and one with nothing to mask as it was sent', async () => {
    const name = `mask-large-${nonce()}`;
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'ok' }] }));
    for (const turns of [41, 43]) {
      const messages = conversation(turns, true);
      expect(JSON.stringify(messages).length).toBeGreaterThan(40_000);
      await client.messages.create(
        { model: MODEL, max_tokens: 100, messages },
        { headers: { 'x-glassbox-session': name } },
      );
    }
    const requests = eventsOf(name).filter((e) => e.kind === 'http.request');
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(leaks(request)).toEqual([]);
      expect((request.payload as { masked: Record<string, number> }).masked['secret.anthropic_api_key']).toBe(
        1,
      );
      expect((request.payload as { body: { messages: unknown[] } }).body.messages.length).toBeGreaterThan(40);
    }

    const clean = `mask-clean-${nonce()}`;
    const body = { model: MODEL, max_tokens: 100, messages: conversation(41, false) };
    await client.messages.create(body, { headers: { 'x-glassbox-session': clean } });
    const [recorded] = eventsOf(clean);
    expect((recorded!.payload as { body: unknown }).body).toEqual(body);
    expect(recorded!.payload).not.toHaveProperty('masked');
  });

  it('indexes masked text only: a planted value finds nothing, its mask finds the session', () => {
    const store = test.engine.store;
    const core = key.fragments[1]!;
    expect(store.listSessions({ text: core })).toEqual([]);
    expect(store.listSessions({ text: `"${email.value}"` })).toEqual([]);
    expect(store.listSessions({ text: 'MASKED' }).length).toBeGreaterThan(2);
  });

  it('holds back the unfinished tail of a streamed reply: a value split across checkpoints is never stored in part', async () => {
    const name = `mask-checkpoint-${nonce()}`;
    const core = key.fragments[1]!;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const text = `Your key is ${key.value} and the owner is ${email.value}, noted. More to come.\nDone.`;
    // Each value cut where its first part alone is no value a detector finds.
    const cut1 = text.indexOf(core) + 8;
    const cut2 = text.indexOf(email.value) + 10;
    const pieces = [core.slice(0, 8), core.slice(8, 24), email.value.slice(0, 10), email.value.slice(10)];
    mock.setPlan(() => ({
      type: 'message',
      eventDelayMs: 150,
      holdLastDelta: held,
      content: [
        {
          type: 'text',
          text,
          deltas: [text.slice(0, cut1), text.slice(cut1, cut2), text.slice(cut2, -5), text.slice(-5)],
        },
      ],
    }));
    const stream = client.messages.stream(
      { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'key?' }] },
      { headers: { 'x-glassbox-session': name } },
    );
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const done = stream.finalMessage();
    try {
      await heldPart();
    } finally {
      release();
    }
    await done;
    expect(texts.join('')).toBe(text);
    const turn = eventsOf(name).find((e) => e.kind === 'llm.turn')!;
    expect(
      (turn.payload as { response: { content: Array<{ text: string }> } }).response.content[0]!.text,
    ).toBe(
      'Your key is [MASKED:secret.anthropic_api_key] and the owner is [MASKED:pii.email], noted. More to come.\nDone.',
    );
    expect(plantedFoundUnder(test.home, [{ ...key, fragments: pieces }])).toEqual([]);

    async function heldPart(): Promise<void> {
      // Every delta but the held last one reached the client; checkpoints (every 50 ms) came in between.
      await waitFor(() => texts.join('') === text.slice(0, -5), 15_000, 'the first deltas');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const session = test.engine.store.findByExternalId('anthropic', name)!;
      const inflight = test.engine.store.inflight(session.id);
      expect(inflight).toHaveLength(1);
      // What is finished is checkpointed, masked: both values, each once it was whole.
      const partial = JSON.stringify(inflight[0]!.partial);
      for (const piece of pieces) expect(partial).not.toContain(piece);
      const checkpointed = inflight[0]!.partial as { response: { content: Array<{ text: string }> } };
      expect(checkpointed.response.content[0]!.text).toMatch(
        /^Your key is \[MASKED:secret\.anthropic_api_key\] and the owner is \[MASKED:pii\.email\], noted\. /,
      );
      expect(plantedFoundUnder(test.home, [{ ...key, fragments: pieces }])).toEqual([]);
    }
  });

  it('has no planted value anywhere under GLASSBOX_HOME: journal, database and WAL, running and stopped', async () => {
    expect(plantedFoundUnder(test.home, asserted)).toEqual([]);
    await test.engine.stop();
    expect(plantedFoundUnder(test.home, asserted)).toEqual([]);
  });
});
