import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMicros } from '../../proxy/common/time.js';
import { Store } from '../../proxy/store/store.js';
import { runCli } from '../helpers/cli.js';
import { startTestEngine, tempHome } from '../helpers/engine.js';
import { TEST_IDENTITY as identity } from '../helpers/identity.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const MINUTE = 60_000_000;

/** A HAR 1.2 entry, as far as these tests read it. */
interface HarEntry {
  request: { url: string };
  response: {
    status: number;
    statusText: string;
    content: { mimeType: string; text?: string; comment?: string };
  };
  comment?: string;
}

describe('glassbox sessions: idle Claude sessions and counts named for what they count', () => {
  let home: string;
  const ids = { quiet: '', busy: '', pg: '' };

  beforeAll(() => {
    home = tempHome();
    const store = Store.open(join(home, 'glassbox.db'));
    const create = (kind: 'anthropic' | 'postgres', start: number) =>
      store.createSession(
        {
          kind,
          target: kind === 'postgres' ? 'appdb' : 'api.anthropic.com',
          client: 'c',
          identity,
          external_id: null,
        },
        start,
      ).id;
    // A Claude session whose only exchange (230 ms of work) was ten minutes ago.
    const quietStart = nowMicros() - 10 * MINUTE;
    ids.quiet = create('anthropic', quietStart);
    store.append(ids.quiet, 'http.request', { method: 'POST', path: '/v1/messages' }, { ts: quietStart });
    store.append(
      ids.quiet,
      'llm.turn',
      { request_seq: 1 },
      { ts: quietStart + 230_000, stats: { turns: 1 } },
    );
    // A Claude session at work right now.
    ids.busy = create('anthropic', nowMicros() - 1_000_000);
    store.append(ids.busy, 'http.request', { method: 'POST', path: '/v1/messages' }, { stats: { turns: 1 } });
    // A PostgreSQL session with three statements.
    ids.pg = create('postgres', nowMicros() - 2 * MINUTE);
    for (let i = 0; i < 3; i++)
      store.append(ids.pg, 'pg.statement', { sql: 'select 1' }, { stats: { statements: 1 } });
    store.close();
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  /** The table's rows as cells keyed by heading (cells are separated by two or more spaces). */
  function table(): Array<Record<string, string>> {
    const result = runCli(home, ['sessions']);
    expect(result.status).toBe(0);
    const [head, ...rows] = result.stdout.trimEnd().split('\n');
    const names = head!.split(/\s{2,}/);
    return rows.map((row) => Object.fromEntries(row.split(/\s{2,}/).map((cell, i) => [names[i], cell])));
  }

  it('shows a Claude session quiet for minutes as idle, lasting until its last event', () => {
    const row = table().find((r) => r.ID === ids.quiet)!;
    expect(row.STATUS).toBe('idle');
    expect(row.DURATION).toBe('230 ms');
    expect(table().find((r) => r.ID === ids.busy)!.STATUS).toBe('live');
  });

  it('heads statement counts STATEMENTS and turn counts TURNS, each only where it applies', () => {
    const rows = table();
    const pg = rows.find((r) => r.ID === ids.pg)!;
    expect(pg.STATEMENTS).toBe('3');
    expect(pg.TURNS).toBe('—');
    // Which connection (and database) each session used, without opening it.
    expect(pg.TARGET).toBe('appdb');
    const claude = rows.find((r) => r.ID === ids.quiet)!;
    expect(claude.TURNS).toBe('1');
    expect(claude.STATEMENTS).toBe('—');
  });

  it('refuses a HAR export of a PostgreSQL session, as it refuses SQL for a Claude one', () => {
    const file = join(home, 'pg.har');
    const result = runCli(home, ['export', ids.pg, '--format', 'har', '-o', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^glassbox: --format har is for Claude sessions; \S+ is postgres/);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
    expect(runCli(home, ['export', ids.quiet, '--format', 'sql']).status).toBe(2);
  });
});

describe('glassbox export --format har of a session recorded from a plain-HTTP upstream', () => {
  let mock: MockAnthropic;
  let home: string;
  let entries: HarEntry[];

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    const test = await startTestEngine(mock.url);
    home = test.home;
    const client = new Anthropic({
      baseURL: test.engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-x',
      maxRetries: 0,
    });
    const headers = { 'x-glassbox-session': 'har-session' };
    const request = {
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    await client.messages.create(request, { headers });
    await client.messages.stream(request, { headers }).finalMessage();
    await test.engine.stop();
    const file = join(home, 'out.har');
    expect(runCli(home, ['export', 'har-session', '--format', 'har', '-o', file]).status).toBe(0);
    entries = (JSON.parse(readFileSync(file, 'utf8')) as { log: { entries: HarEntry[] } }).log.entries;
  });
  afterAll(async () => {
    await mock.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('gives the URL the request really went to, with its scheme', () => {
    expect(entries).toHaveLength(2);
    for (const entry of entries) expect(entry.request.url).toBe(`${mock.url}/v1/messages`);
  });

  it("gives the status's reason phrase as statusText, and Glassbox's outcome in a comment", () => {
    for (const entry of entries) {
      expect(entry.response).toMatchObject({ status: 200, statusText: 'OK' });
      expect(entry.comment).toMatch(/outcome: complete/);
    }
  });

  it('says on the content of a streamed reply that it was rebuilt from the event stream', () => {
    const [plain, streamed] = entries as [HarEntry, HarEntry];
    expect(plain.response.content.comment).toBeUndefined();
    expect(streamed.response.content.mimeType).toBe('application/json');
    expect(streamed.response.content.comment).toMatch(/text\/event-stream.*reconstructed/);
    expect(JSON.parse(streamed.response.content.text!)).toMatchObject({ type: 'message', role: 'assistant' });
  });
});
