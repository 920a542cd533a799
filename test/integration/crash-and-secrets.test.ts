import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnServe, waitFor } from '../helpers/cli.js';
import { startTestEngine, tempHome } from '../helpers/engine.js';
import { filesUnder } from '../helpers/files.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const SECRET_KEY = 'sk-ant-api03-NeverStoreMe-7f3c9e1a5b2d4f6089ab12cd34ef56-Zz09';

/** Reads the store read-only from outside the engine, as another process would. */
function readDb<T>(home: string, query: (db: Database.Database) => T): T {
  const db = new Database(join(home, 'glassbox.db'), { readonly: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}

describe('kill -9 mid-stream', () => {
  let mock: MockAnthropic;
  let home: string;
  beforeAll(async () => {
    mock = await MockAnthropic.start({ eventDelayMs: 10 });
    home = tempHome();
  });
  afterAll(async () => {
    await mock.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('leaves the partial reply on disk, and the next start shows the session interrupted with it readable', async () => {
    mock.setPlan(() => ({ type: 'stall', text: 'partial words ', deltas: 1_000 }));
    const serve = await spawnServe(home, mock.url);
    const client = new Anthropic({ baseURL: serve.anthropicUrl, apiKey: SECRET_KEY, maxRetries: 0 });
    const stream = client.messages.stream(
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'tell me a long story' }],
      },
      { headers: { 'x-claude-code-session-id': 'crash-session' } },
    );
    stream.on('error', () => undefined);
    let received = '';
    stream.on('text', (text) => {
      received += text;
    });
    // Wait until the client has seen a few deltas and the engine has checkpointed them.
    await waitFor(() => received.length > 40, 10_000, 'deltas to reach the client');
    await new Promise((resolve) => setTimeout(resolve, 120));
    serve.child.kill('SIGKILL');
    expect(await serve.exited).toBe('SIGKILL');
    const seenByClient = received;

    // On disk: the in-flight record in SQLite, its checkpoints in SQLite or still only in the journal.
    expect(readDb(home, (db) => db.prepare('SELECT count(*) FROM inflight').pluck().get())).toBe(1);
    const journal = filesUnder(join(home, 'journal')).map((file) => readFileSync(file, 'utf8'));
    expect(journal.join('')).toContain('"append":"partial words ');

    // The next start recovers: the session is interrupted and the partial turn is sealed into the chain.
    const again = await spawnServe(home, mock.url);
    expect(again.output()).toMatch(/Recovered\s+1 session/);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    const sessions = JSON.parse(runCli(home, ['sessions', '--json']).stdout) as Array<{
      id: string;
      status: string;
      external_id: string;
    }>;
    const crashed = sessions.find((s) => s.external_id === 'crash-session')!;
    expect(crashed.status).toBe('interrupted');
    const shown = runCli(home, ['show', 'crash-session']);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('interrupted');
    expect(shown.stdout).toContain('tell me a long story');
    expect(shown.stdout).toContain('partial words');
    const json = JSON.parse(runCli(home, ['show', crashed.id, '--json']).stdout) as {
      events: Array<{
        kind: string;
        payload: { outcome?: string; response?: { content: Array<{ text: string }> } };
      }>;
    };
    expect(json.events.map((e) => e.kind)).toEqual(['http.request', 'llm.turn', 'session.end']);
    expect(json.events[1]!.payload.outcome).toBe('interrupted');
    // What was checkpointed before the kill, rebuilt from its deltas: what the client saw, give or take the
    // deltas of the last checkpoint interval.
    const partialText = json.events[1]!.payload.response!.content[0]!.text;
    expect(partialText.length).toBeGreaterThan(0);
    expect(seenByClient.startsWith(partialText) || partialText.startsWith(seenByClient)).toBe(true);
    expect(runCli(home, ['verify', crashed.id]).status).toBe(0);
  });

  it('never writes the API key to any file under GLASSBOX_HOME, WAL included', () => {
    const needles = [
      SECRET_KEY,
      SECRET_KEY.slice(13, 45),
      Buffer.from(SECRET_KEY).toString('base64').slice(0, 40),
    ];
    const files = filesUnder(home);
    expect(files.some((f) => f.endsWith('glassbox.db'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const needle of needles)
        expect(bytes.includes(Buffer.from(needle)), `${needle} in ${file}`).toBe(false);
      expect(bytes.includes(Buffer.from(SECRET_KEY, 'utf16le')), `UTF-16 key in ${file}`).toBe(false);
    }
  });
});

describe('secrets while the engine is running', () => {
  it('keeps keys, bearer tokens and cookies out of the database and its WAL', async () => {
    const mock = await MockAnthropic.start();
    const home = tempHome();
    const serve = await spawnServe(home, mock.url);
    try {
      const token = 'sk-ant-oat01-BearerTokenThatMustNotLeak-0123456789abcdef';
      const variants: Array<Record<string, string>> = [
        { 'x-api-key': SECRET_KEY },
        { authorization: `Bearer ${token}` },
        { 'x-api-key': SECRET_KEY, cookie: 'sessionKey=cookie-secret-value-123456' },
      ];
      for (const headers of variants) {
        const response = await fetch(`${serve.anthropicUrl}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({
            model: 'claude-haiku-4-5',
            max_tokens: 5,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
        expect(response.status).toBe(200);
      }
      // Read from another connection, as `glassbox sessions` would: the engine's journaled writes reach
      // SQLite within milliseconds.
      const fingerprints = () =>
        readDb(home, (db) =>
          db.prepare(`SELECT DISTINCT json_extract(identity, '$.credential') AS c FROM sessions`).all(),
        );
      await expect.poll(() => fingerprints().length, { timeout: 2_000 }).toBe(2);
      const files = filesUnder(home);
      expect(files.some((f) => f.endsWith('-wal'))).toBe(true); // checked while the WAL (and the journal) still hold the writes
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const needle of [SECRET_KEY, token, 'cookie-secret-value-123456']) {
          expect(bytes.includes(Buffer.from(needle)), `${needle} in ${file}`).toBe(false);
        }
      }
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
      await mock.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('secrets in request bodies', () => {
  it('never records a body as the text it arrived as when a duplicate key could hide a token there', async () => {
    const mock = await MockAnthropic.start();
    const test = await startTestEngine(mock.url);
    try {
      const token = 'mcp-token-that-must-not-leak-0123456789abcdef';
      // JSON.parse keeps the last of duplicate keys: the parsed body has no token for redaction to find.
      const body = `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[],"mcp_servers":[{"type":"url","url":"https://mcp.example","name":"m","authorization_token":"${token}"}],"mcp_servers":null}`;
      const response = await fetch(`${test.engine.addresses.anthropicUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': SECRET_KEY, 'x-glassbox-session': 'dup' },
        body,
      });
      expect(response.status).toBe(200);
      const store = test.engine.store;
      const session = store.resolveSession('dup') as { id: string };
      const [request] = store.listEvents(session.id);
      expect((request!.payload as { body: unknown }).body).toEqual(JSON.parse(body));
      // Checked while the journal still holds the write.
      const files = filesUnder(test.home);
      expect(files.some((f) => f.includes('journal'))).toBe(true);
      for (const file of files) expect(readFileSync(file).includes(token), `token in ${file}`).toBe(false);
    } finally {
      await test.cleanup();
      await mock.stop();
    }
  });
});
