import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { detectedOnly, nonce, plantedFoundUnder, plantValues } from '../helpers/planted.js';

const API_KEY = 'sk-ant-api03-outboundTestKey0123456789abcdefghijklmnop-TEST';
const MODEL = 'claude-sonnet-4-5-20250929';
const MASK = '[MASKED:secret.anthropic_api_key]';

/**
 * Outbound masking (issue 16, point 6): with `outbound.enabled` in policy.json, secrets in a request are
 * replaced before it leaves the machine — the upstream (here the mock) receives the masked request, in the
 * same JSON shape, and the recorded request is the masked one. Personal data is not outbound by default.
 */
describe('outbound masking of requests to the Anthropic API', () => {
  const values = plantValues();
  const [key, email] = values as [(typeof values)[0], (typeof values)[0]];
  const secrets = detectedOnly(values).filter((v) => v.name !== 'email' && v.name !== 'card');
  const envFile = values.map((v) => v.inContext).join('\n');
  let mock: MockAnthropic;
  let test: TestEngine;
  let client: Anthropic;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'Noted.' }] }));
    const home = tempHome();
    writeFileSync(join(home, 'policy.json'), JSON.stringify({ outbound: { enabled: true } }));
    test = await startTestEngine(mock.url, () => undefined, home);
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
  /** What the upstream must receive for `sent`: each secret replaced, nothing else changed. */
  const expectedUpstream = (sent: unknown) => {
    let json = JSON.stringify(sent);
    for (const v of secrets) json = json.replaceAll(v.value, `[MASKED:${maskIdOf(v.inContext)}]`);
    return JSON.parse(json) as unknown;
  };
  const maskIdOf = (inContext: string) =>
    /\[MASKED:([^\]]+)\]/.exec(test.engine.policy.current().text.mask(inContext).text)?.[1];

  it('sends a .env a tool read, masked: the upstream never receives the secret, the JSON keeps its shape', async () => {
    const name = `outbound-${nonce()}`;
    const body: Anthropic.MessageCreateParamsNonStreaming = {
      model: MODEL,
      max_tokens: 100,
      system: `Deploy with ${key.inContext}`,
      messages: [
        { role: 'user', content: `Read the .env, then mail ${email.value}` },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/app/.env' } }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: envFile }],
        },
      ],
    };
    await client.messages.create(body, { headers: { 'x-glassbox-session': name } });
    const received = mock.requests.at(-1)!;
    for (const v of secrets) {
      for (const fragment of v.fragments) expect(received.raw, v.name).not.toContain(fragment);
    }
    expect(received.raw).toContain(MASK);
    expect(received.body).toEqual(expectedUpstream(body));
    expect(Number(received.headers['content-length'])).toBe(Buffer.byteLength(received.raw));
    // Personal data is masked in storage only, unless the policy says so.
    expect(received.raw).toContain(email.value);

    const [request] = eventsOf(name);
    const payload = request!.payload as {
      masked: Record<string, number>;
      masked_outbound: Record<string, number>;
      body: { system: string };
    };
    expect(payload.masked_outbound['secret.anthropic_api_key']).toBe(2);
    expect(payload.masked).toMatchObject({ 'secret.anthropic_api_key': 2, 'pii.email': 2 });
    expect(payload.body.system).toBe(`Deploy with ANTHROPIC_API_KEY=${MASK}`);
    expect(JSON.stringify(payload)).not.toContain(email.value);
  });

  it('masks other endpoints too (count_tokens)', async () => {
    await client.messages.countTokens({
      model: MODEL,
      messages: [{ role: 'user', content: `count ${key.inContext}` }],
    });
    const received = mock.requests.at(-1)!;
    expect(received.url).toContain('count_tokens');
    expect(received.raw).not.toContain(key.value);
    expect(received.raw).toContain(MASK);
  });

  it('decodes a gzip request body to mask it, and sends it as plain JSON; refuses a coding it cannot decode', async () => {
    const body = JSON.stringify({
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: 'user', content: `token ${key.value}` }],
    });
    const gzip = await post(gzipSync(body), 'gzip');
    expect(gzip.status).toBe(200);
    const received = mock.requests.at(-1)!;
    expect(received.headers['content-encoding']).toBeUndefined();
    expect(received.body).toEqual({
      ...JSON.parse(body),
      messages: [{ role: 'user', content: `token ${MASK}` }],
    });

    const before = mock.requests.length;
    const unknown = await post(Buffer.from(body), 'zstd');
    expect(unknown.status).toBe(415);
    expect(JSON.parse(unknown.body)).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('outbound masking') },
    });
    expect(mock.requests.length).toBe(before);
  });

  it('masks outbound while recording is paused, too', async () => {
    const { apiUrl, token } = test.engine.addresses;
    const setRecording = (recording: boolean) =>
      fetch(`${apiUrl}/api/recording`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ recording, via: 'test' }),
      });
    expect((await setRecording(false)).status).toBe(200);
    try {
      await client.messages.create({
        model: MODEL,
        max_tokens: 10,
        messages: [{ role: 'user', content: `paused ${key.value}` }],
      });
    } finally {
      await setRecording(true);
    }
    expect(mock.requests.at(-1)!.raw).toContain(`paused ${MASK}`);
  });

  it('has none of the planted values under GLASSBOX_HOME', () => {
    expect(plantedFoundUnder(test.home, detectedOnly(values))).toEqual([]);
  });

  /** A raw POST to the proxy with a Content-Encoding. */
  function post(bytes: Buffer, encoding: string): Promise<{ status: number; body: string }> {
    const url = new URL(`${test.engine.addresses.anthropicUrl}/v1/messages`);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': encoding,
            'content-length': bytes.length,
            'x-api-key': API_KEY,
            'anthropic-version': '2023-06-01',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.end(bytes);
    });
  }
});
