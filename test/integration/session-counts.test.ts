import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConversation } from '../../proxy/anthropic/transcript.js';
import type { Store } from '../../proxy/store/store.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

describe("a Claude session's turn count", () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let client: Anthropic;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });

  beforeAll(async () => {
    mock = await MockAnthropic.start({
      plan: (request) => {
        const first = (request.body as { messages: Array<{ content: unknown }> }).messages[0];
        if (first?.content === 'fail')
          return { type: 'status', status: 529, errorType: 'overloaded_error', message: 'busy' };
        return {
          type: 'message',
          content: [{ type: 'text', text: 'a reply in a few deltas' }],
          holdLastDelta: held,
        };
      },
    });
    test = await startTestEngine(mock.url);
    client = new Anthropic({
      baseURL: test.engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-x',
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    release();
    await test?.cleanup();
    await mock?.stop();
  });

  /** The session's stats and the turns its conversation shows, read from the engine's store. */
  function counts(store: Store, external: string) {
    const session = store.listSessions({ kind: 'anthropic' }).find((s) => s.external_id === external)!;
    const { turns } = buildConversation(store.iterateEvents(session.id), store.inflight(session.id));
    return { stats: session.stats.turns, shown: turns.length };
  }

  it('counts a turn once its request is recorded, so a reply still streaming is already a turn', async () => {
    const headers = { 'x-glassbox-session': 'counts-streaming' };
    const stream = client.messages.stream(
      { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hold' }] },
      { headers },
    );
    const done = stream.finalMessage();
    await new Promise((resolve) => stream.once('text', resolve));
    expect(counts(test.engine.store, 'counts-streaming')).toEqual({ stats: 1, shown: 1 });
    release();
    await done;
    expect(counts(test.engine.store, 'counts-streaming')).toEqual({ stats: 1, shown: 1 });
  });

  it('counts a turn the upstream refused once, as the conversation shows it', async () => {
    const headers = { 'x-glassbox-session': 'counts-failed' };
    await expect(
      client.messages.create(
        { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'fail' }] },
        { headers },
      ),
    ).rejects.toThrow(/busy/);
    expect(counts(test.engine.store, 'counts-failed')).toEqual({ stats: 1, shown: 1 });
  });
});
