import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { requestSearchText } from '../../proxy/anthropic/text.js';
import { INDEXED_KINDS, rebuildIndexer, SEARCH_TEXT_VERSION } from '../../proxy/search/event-text.js';
import { searchMatches, snippet } from '../../proxy/search/snippet.js';
import { rebuildPage } from '../../proxy/store/search-index.js';
import { Store } from '../../proxy/store/store.js';
import { tempHome } from '../helpers/engine.js';
import { TEST_IDENTITY as identity } from '../helpers/identity.js';

describe('search text of a Messages request', () => {
  it('is the user messages after the last reply: text and tool results, not system notes or reminders', () => {
    const body = {
      messages: [
        { role: 'user', content: 'first question' },
        { role: 'system', content: '# Environment\nPrimary working directory: /x' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 't', name: 'Bash', input: { command: 'ls' } }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't',
              content: 'a.txt\n<system-reminder>Consider malware</system-reminder>',
            },
            { type: 'text', text: '<system-reminder>\nToday is Sunday\n</system-reminder>' },
            { type: 'text', text: 'and now the walrus' },
          ],
        },
        { role: 'developer', content: 'unknown roles are not the user' },
      ],
    };
    expect(requestSearchText(body)).toBe('a.txt\nand now the walrus');
    expect(requestSearchText({ messages: body.messages.slice(0, 2) })).toBe('first question');
    expect(requestSearchText({ messages: 'nonsense' })).toBe('');
    const prefilled = [
      { role: 'user', content: 'name a colour' },
      { role: 'assistant', content: 'The colour is' },
    ];
    expect(requestSearchText({ messages: prefilled })).toBe('name a colour');
  });
});

describe('snippet', () => {
  const text = `${'lorem ipsum '.repeat(20)}the Okapi census found\n\nthree okapis in the forest ${'dolor '.repeat(40)}`;

  it('is a piece around the first hit, cut at words, whitespace collapsed, hits marked', () => {
    const piece = snippet(text, 'okapi');
    expect(piece.text.startsWith('…')).toBe(true);
    expect(piece.text.endsWith('…')).toBe(true);
    expect(piece.text.length).toBeLessThanOrEqual(163);
    expect(piece.text).toContain('the Okapi census found three okapis in the forest');
    expect(piece.hits.map(([a, b]) => piece.text.slice(a, b))).toEqual(['Okapi', 'okapis']);
  });

  it('matches as the index does: case and diacritics folded, every word but the last whole', () => {
    const piece = snippet('Ein Café in Zürich, a cafeteria', 'cafe zurich');
    expect(piece.hits.map(([a, b]) => piece.text.slice(a, b))).toEqual(['Café', 'Zürich']); // not cafeteria
    expect(snippet('Ein Café', 'zur cafe').hits).toHaveLength(1);
    expect(snippet('nothing here', 'walrus')).toEqual({ text: 'nothing here', hits: [] });
  });
});

describe('re-indexing a database indexed by an older Glassbox', () => {
  let store: Store;
  let dir: string;
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes requests, replies and each distinct SQL text once, page by page, resuming where it stopped', () => {
    dir = tempHome();
    const path = join(dir, 'glassbox.db');
    store = Store.open(path);
    const claude = store.createSession({
      kind: 'anthropic',
      target: 'a',
      client: null,
      identity,
      external_id: null,
    });
    const messages = [
      { role: 'user', content: 'count the narwhals' },
      { role: 'system', content: 'Primary working directory' },
    ];
    // As an older version indexed it: by the last message, the system note.
    store.append(
      claude.id,
      'http.request',
      { method: 'POST', path: '/v1/messages', body: { messages } },
      { text: 'Primary working directory' },
    );
    store.append(
      claude.id,
      'llm.turn',
      { request_seq: 1, response: { content: [{ type: 'text', text: 'Seven narwhals.' }] } },
      { text: 'Seven narwhals.' },
    );
    const pg = store.createSession({
      kind: 'postgres',
      target: 'db',
      client: null,
      identity,
      external_id: null,
    });
    for (let i = 0; i < 2; i++) {
      const { seq } = store.append(pg.id, 'pg.statement', { sql: 'select * from zebrafish' });
      store.append(pg.id, 'pg.result', { statement_seq: seq, outcome: 'complete' }, { text: 'stale words' });
    }
    const pause = store.createSession({
      kind: 'http',
      target: 'glassbox',
      client: null,
      identity,
      external_id: null,
    });
    store.append(
      pause.id,
      'recording.paused',
      { by: 'ada', via: 'tray', reason: null },
      { text: 'recording paused by ada via tray' },
    );
    const found = (q: string) => store.listSessions({ text: q }).map((s) => s.kind);
    expect(found('primary')).toEqual(['anthropic']);

    // Starting the rebuild empties the index; events recorded from then on are indexed as they come.
    expect(store.beginSearchRebuild(SEARCH_TEXT_VERSION)).toEqual({ rebuildTo: 7, rebuiltTo: 0 });
    expect(found('primary')).toEqual([]);
    store.append(claude.id, 'llm.turn', { request_seq: 9 }, { text: 'a walrus appears' });
    expect(found('walrus')).toEqual(['anthropic']);

    const db = new Database(path);
    try {
      expect(rebuildPage(db, INDEXED_KINDS, rebuildIndexer(), 2)).toEqual({ indexed: 2, done: false });
      expect(found('count narwhals')).toEqual(['anthropic']);
      expect(found('zebrafish')).toEqual([]);
      // A new process (a fresh indexer) goes on where the last page ended.
      expect(store.beginSearchRebuild(SEARCH_TEXT_VERSION)).toEqual({ rebuildTo: 7, rebuiltTo: 2 });
      const indexer = rebuildIndexer();
      expect(rebuildPage(db, INDEXED_KINDS, indexer, 3)).toEqual({ indexed: 1, done: false });
      expect(rebuildPage(db, INDEXED_KINDS, indexer, 3)).toEqual({ indexed: 1, done: true }); // SQL seen; the pause
    } finally {
      db.close();
    }
    expect(found('zebrafish')).toEqual(['postgres']); // the SQL, once for its two statements
    expect(found('stale')).toEqual([]);
    expect(found('primary')).toEqual([]);
    expect(found('walrus')).toEqual(['anthropic']);
    expect(found('paused ada')).toEqual(['http']);
    expect(store.beginSearchRebuild(SEARCH_TEXT_VERSION)).toBeNull(); // current now

    const matches = searchMatches(store, [claude.id, pg.id], 'zebra');
    expect(Object.keys(matches)).toEqual([pg.id]);
    expect(matches[pg.id]).toMatchObject({
      seq: 2,
      kind: 'pg.result',
      label: 'SQL',
      place: 'statement 1',
      text: 'select * from zebrafish',
    });
    expect(searchMatches(store, [claude.id], 'count')[claude.id]).toMatchObject({
      label: 'prompt',
      place: 'turn 1',
      seq: 1,
    });
  });
});
