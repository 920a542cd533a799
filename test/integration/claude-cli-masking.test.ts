import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { runClaude } from '../helpers/claude-cli.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { MockAnthropic, type MockPlan, type MockRequest } from '../helpers/mock-anthropic.js';
import { detectedOnly, plantedFoundUnder, plantValues } from '../helpers/planted.js';
import type { ProcessOutput } from '../helpers/process.js';

/**
 * The real Claude Code CLI through Glassbox with secrets and personal data planted in the prompt, in a `.env`
 * its Bash tool reads, and in the model's streamed replies (split across deltas), with outbound masking on:
 * none of the planted values is anywhere under $GLASSBOX_HOME, and no secret reaches the model provider.
 */
describe('the claude CLI with planted secrets, masked before storage and outbound', () => {
  const values = plantValues();
  const [key, email] = values as [(typeof values)[0], (typeof values)[0]];
  const asserted = detectedOnly(values);
  const secrets = asserted.filter((v) => v.name !== 'email' && v.name !== 'card');
  const envFile = `${values.map((v) => v.inContext).join('\n')}\n`;
  let mock: MockAnthropic;
  let test: TestEngine;
  let result: ProcessOutput;

  /** A tool call reading the .env first; once its result is back, an answer repeating what it read. */
  const plan = (request: MockRequest): MockPlan => {
    const messages = (request.body as { messages?: Array<{ content: unknown }> }).messages ?? [];
    const last = JSON.stringify(messages.at(-1)?.content ?? '');
    if (last.includes('tool_result')) {
      return {
        type: 'message',
        deltaChars: 6,
        content: [{ type: 'text', text: `The .env holds ${key.value}; I will mail ${email.value} now.` }],
      };
    }
    return {
      type: 'message',
      stop_reason: 'tool_use',
      deltaChars: 7,
      content: [
        { type: 'thinking', thinking: `The user pasted ${key.value}.`, signature: 'sig-cli' },
        { type: 'text', text: `Reading it for ${email.value}.` },
        {
          type: 'tool_use',
          id: 'toolu_env_1',
          name: 'Bash',
          input: { command: 'cat .env', description: 'Read' },
        },
      ],
    };
  };

  beforeAll(async () => {
    mock = await MockAnthropic.start({ plan });
    const home = tempHome();
    writeFileSync(join(home, 'policy.json'), JSON.stringify({ outbound: { enabled: true } }));
    test = await startTestEngine(mock.url, () => undefined, home);
    result = await runClaude(
      test.engine.addresses.anthropicUrl,
      `My key is ${key.value} and my mail is ${email.value}; run cat .env`,
      0,
      { '.env': envFile },
    );
  }, 120_000);
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const turnsEvents = (): RecordedEvent[] => {
    const [session] = test.engine.store.listSessions({ kind: 'anthropic' });
    return session ? test.engine.store.listEvents(session.id) : [];
  };

  it('completes the loop: the Bash tool read the .env and its result went back', () => {
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { result: string; num_turns: number };
    expect(out.result).toContain(key.value); // the client got the reply as the model sent it
    const posts = mock.requests.filter((r) => r.method === 'POST' && r.url.includes('/v1/messages'));
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts.at(-1)!.raw).toContain('tool_result');
  });

  it('sends no secret to the model provider: prompt, replies resent, and the tool result are masked', () => {
    expect(secrets.length).toBeGreaterThan(0);
    for (const received of mock.requests) {
      for (const v of secrets) {
        for (const fragment of v.fragments)
          expect(received.raw, `${v.name} sent upstream`).not.toContain(fragment);
      }
    }
    expect(mock.requests.at(-1)!.raw).toContain('[MASKED:secret.anthropic_api_key]');
  });

  it('records the tool result and the replies masked, with counts', () => {
    const events = turnsEvents();
    const requests = events.filter((e) => e.kind === 'http.request');
    const turns = events.filter((e) => e.kind === 'llm.turn');
    expect(turns.length).toBeGreaterThanOrEqual(2);
    const last = JSON.stringify(requests.at(-1)!.payload);
    expect(last).toContain('ANTHROPIC_API_KEY=[MASKED:secret.anthropic_api_key]');
    expect(last).toContain('[MASKED:pii.email]');
    const reply = turns.at(-1)!.payload as {
      response: { content: Array<{ text?: string }> };
      masked: object;
    };
    expect(reply.response.content[0]!.text).toBe(
      'The .env holds [MASKED:secret.anthropic_api_key]; I will mail [MASKED:pii.email] now.',
    );
    expect(reply.masked).toEqual({ 'secret.anthropic_api_key': 1, 'pii.email': 1 });
  });

  it('has none of the planted values anywhere under GLASSBOX_HOME, running and after a clean stop', async () => {
    expect(plantedFoundUnder(test.home, asserted)).toEqual([]);
    await test.engine.stop();
    expect(plantedFoundUnder(test.home, asserted)).toEqual([]);
  });
});
