/**
 * Full-text search over what the real Claude Code CLI sends: its first request carries the user's prompt
 * after `<system-reminder>` blocks, then a `system`-role message with a 9 KB "# Environment" note; the
 * second resends all of it with the reply and the tool result. The prompt, the tool result and the replies
 * must be findable, each indexed once, and the injected boilerplate not at all — also in a database
 * recorded before this indexing, once the engine has started on it.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRecord } from '../../proxy/anthropic/message.js';
import { replySearchText } from '../../proxy/anthropic/text.js';
import { homePaths } from '../../proxy/config.js';
import { runClaude } from '../helpers/claude-cli.js';
import { runCli } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { claudeCodePlan, MockAnthropic } from '../helpers/mock-anthropic.js';

interface Listed {
  id: string;
  external_id: string;
  match?: { seq: number; kind: string; text: string; hits: Array<[number, number]> };
}

/** `glassbox sessions --search WORDS --json`. */
function search(home: string, words: string): Listed[] {
  const out = runCli(home, ['sessions', '--search', words, '--json']);
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Listed[];
}

/** How many index rows match `word` (the index keeps no text, only which events hold which words). */
function indexRows(database: string, word: string): number {
  const db = new Database(database, { readonly: true });
  try {
    const row = db.prepare('SELECT count(*) AS n FROM events_fts WHERE events_fts MATCH ?').get(`"${word}"`);
    return (row as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Puts the database back as Glassbox indexed it before this change (schema 2): each Messages request by the
 * text of its last message only — for Claude Code, the system note — and each reply by its text.
 */
function indexAsBefore(database: string): void {
  const db = new Database(database);
  try {
    db.exec("INSERT INTO events_fts(events_fts) VALUES('delete-all')");
    const insert = db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
    const lastMessageText = (content: unknown): string =>
      typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? content
              .map((b) => String(asRecord(b)?.text ?? JSON.stringify(asRecord(b)?.content ?? '')))
              .join('\n')
          : '';
    const rows = db.prepare('SELECT id, kind, payload FROM events').all() as Array<{
      id: number;
      kind: string;
      payload: string;
    }>;
    for (const row of rows) {
      const payload = JSON.parse(row.payload) as Record<string, unknown>;
      if (row.kind === 'http.request') {
        const messages = asRecord(payload.body)?.messages as Array<{ content: unknown }> | undefined;
        if (messages?.length) insert.run(row.id, lastMessageText(messages[messages.length - 1]!.content));
      } else if (row.kind === 'llm.turn') {
        const content = asRecord(payload.response)?.content as Parameters<typeof replySearchText>[0];
        insert.run(row.id, replySearchText(content));
      }
    }
    // The schema as it was then: version 2, before the search state (3), in-flight deltas (4), approvals (6) and sync_state (7).
    db.exec(
      'DROP TABLE IF EXISTS search_state; DROP TABLE IF EXISTS inflight_parts; DROP TABLE IF EXISTS approvals; DROP TABLE IF EXISTS sync_state',
    );
    db.pragma('user_version = 2');
  } finally {
    db.close();
  }
}

describe('searching what the real claude CLI sent', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let sessionId: string;

  beforeAll(async () => {
    mock = await MockAnthropic.start({ plan: claudeCodePlan });
    test = await startTestEngine(mock.url);
    const result = await runClaude(
      test.engine.addresses.anthropicUrl,
      'run echo glassbox-hello for the okapi census',
    );
    expect(result.code, result.stderr).toBe(0);
    sessionId = (JSON.parse(result.stdout) as { session_id: string }).session_id;
  }, 120_000);
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  it('sends what this test expects: the prompt before a system-role "# Environment" note', () => {
    const first = mock.requests.find((r) => r.method === 'POST')!.body as {
      messages: Array<{ role: string; content: unknown }>;
    };
    expect(first.messages.map((m) => m.role)).toEqual(['user', 'system']);
    expect(JSON.stringify(first.messages[0])).toContain('<system-reminder>');
    expect(JSON.stringify(first.messages[1])).toContain('Primary working directory');
  });

  it('finds the session by a word of the prompt, and shows where it matched', () => {
    const found = search(test.home, 'okapi');
    expect(found.map((s) => s.external_id)).toEqual([sessionId]);
    const match = found[0]!.match!;
    expect(match).toMatchObject({ seq: 1, kind: 'http.request' });
    expect(match.text).toContain('okapi census');
    expect(match.text).not.toContain('system-reminder');
    const [start, end] = match.hits[0]!;
    expect(match.text.slice(start, end).toLowerCase()).toBe('okapi');
    const table = runCli(test.home, ['sessions', '--search', 'okapi']);
    expect(table.stdout).toMatch(/↳ turn 1, prompt: .*run echo glassbox-hello for the okapi census/);
  });

  it('finds the tool result and the replies too', () => {
    // The reply that says it is the second turn's (the first asked for the Bash tool).
    expect(search(test.home, 'all done')[0]?.match).toMatchObject({
      kind: 'llm.turn',
      place: 'turn 2',
      text: 'All done.',
    });
    expect(search(test.home, 'glassbox-hello').map((s) => s.external_id)).toEqual([sessionId]);
  });

  it('leaves the system note and system reminders out of the index', () => {
    expect(search(test.home, 'Primary working directory')).toEqual([]);
    expect(search(test.home, 'Attribution')).toEqual([]);
    const none = runCli(test.home, ['sessions', '--search', 'Primary working directory']);
    expect(none.stdout).toMatch(/No sessions match "Primary working directory"/);
    expect(none.stdout).not.toMatch(/No sessions recorded yet/);
  });

  it('indexes the prompt once, though the CLI sends it again with every turn', () => {
    expect(indexRows(test.engine.addresses.database, 'okapi')).toBe(1);
  });

  it('re-indexes a database recorded before, in the background once the engine starts on it', async () => {
    const home = test.home;
    await test.engine.stop();
    indexAsBefore(homePaths(home).database);
    expect(search(home, 'okapi')).toEqual([]); // as it was: the prompt cannot be found
    expect(search(home, 'Primary working directory')).toHaveLength(1);
    test = await startTestEngine(mock.url, () => undefined, home);
    // Recorded from now on is indexed at once; what was stored before, in the background.
    expect(search(home, 'Primary working directory')).toEqual([]);
    expect(await test.engine.reindex?.done).toEqual({ type: 'done', finished: true, indexed: 4 });
    expect(search(home, 'okapi').map((s) => s.external_id)).toEqual([sessionId]);
    expect(search(home, 'Primary working directory')).toEqual([]);
    expect(search(home, 'all done')).toHaveLength(1);
    expect(indexRows(homePaths(home).database, 'okapi')).toBe(1);
  });
});
