import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../proxy/store/store.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const API_KEY = 'sk-ant-api03-largeBodies0123456789abcdefghijklmnopqrstuvw-TEST';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

// Claude Code's turns are 100 KB and more: such bodies are recorded as their bytes and read after forwarding.
describe('large request bodies through the recording proxy', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let store: Store;
  let base: string;

  beforeAll(async () => {
    mock = await MockAnthropic.start({ deltaChars: 8 });
    test = await startTestEngine(mock.url);
    store = test.engine.store;
    base = test.engine.addresses.anthropicUrl;
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const events = (external: string) => store.listEvents(store.findByExternalId('anthropic', external)!.id);
  const post = (session: string, body: string) =>
    fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': API_KEY,
        'anthropic-version': '2023-06-01',
        'x-glassbox-session': session,
      },
      body,
    });

  it('records a 100 KB streamed turn from the SDK: body, model, stream flag and search text', async () => {
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'read it all' }] }));
    const client = new Anthropic({ baseURL: base, apiKey: API_KEY, maxRetries: 0 });
    const request = {
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      system: 'You are Claude Code. '.repeat(5_000),
      messages: [{ role: 'user' as const, content: 'please find large_body_needle in the repository' }],
    };
    const final = await client.messages
      .stream(request, { headers: { 'x-glassbox-session': 'large-sdk' } })
      .finalMessage();
    expect(final.content).toMatchObject([{ type: 'text', text: 'read it all' }]);
    const sent = mock.requests.at(-1)!.raw;
    expect(Buffer.byteLength(sent)).toBeGreaterThan(100_000);
    const [recorded, turn] = events('large-sdk');
    expect(recorded!.payload).toMatchObject({ body: JSON.parse(sent), body_bytes: Buffer.byteLength(sent) });
    expect(turn!.payload).toMatchObject({ outcome: 'complete', model: 'claude-sonnet-4-5', stream: true });
    const session = store.findByExternalId('anthropic', 'large-sdk')!;
    expect(store.listSessions({ text: 'large_body_needle' }).map((s) => s.id)).toEqual([session.id]);
    expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 2 });
  });

  it('forwards a large malformed body as-is and records it raw with the parser’s message', async () => {
    mock.setPlan(() => ({ type: 'status', status: 400, errorType: 'invalid_request_error', message: 'bad' }));
    const broken = `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"${'q'.repeat(40_000)}"}]`;
    const response = await post('large-broken', broken);
    expect(response.status).toBe(400);
    expect(mock.requests.at(-1)!.raw).toBe(broken);
    const [recorded, turn] = events('large-broken');
    expect(recorded!.payload).toMatchObject({
      body_raw: broken,
      body_bytes: broken.length,
      body_error: expect.stringMatching(/^invalid JSON: /),
    });
    expect(recorded!.payload).not.toHaveProperty('body');
    expect(turn!.payload).toMatchObject({ outcome: 'error', status: 400 });
  });

  it('parses a large body that could name an MCP credential first, so the token is stored nowhere', async () => {
    mock.setPlan(() => ({ type: 'message', content: [{ type: 'text', text: 'ok' }] }));
    const token = 'mcp-token-0123456789abcdefLARGE';
    // The member name escaped, as JSON allows: a byte search for "mcp_servers" alone would miss it.
    const body = `{"model":"claude-sonnet-4-5","max_tokens":8,"system":"${'s'.repeat(30_000)}","messages":[{"role":"user","content":"hi"}],"mcp\\u005fservers":[{"type":"url","url":"https://mcp.example","name":"x","authorization_token":"${token}"}]}`;
    const response = await post('large-mcp', body);
    expect(response.status).toBe(200);
    await response.text();
    expect(mock.requests.at(-1)!.raw).toBe(body);
    const [recorded] = events('large-mcp');
    const servers = (recorded!.payload as { body: { mcp_servers: Array<{ authorization_token: string }> } })
      .body.mcp_servers;
    expect(servers[0]!.authorization_token).toMatch(/^…ARGE #[0-9a-f]{12}$/);
    for (const file of filesUnder(test.home)) {
      expect(readFileSync(file).includes(Buffer.from(token)), file).toBe(false);
    }
  });
});
