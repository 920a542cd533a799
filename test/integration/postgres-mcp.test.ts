import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultPayload, StatementPayload } from '../../proxy/postgres/tracker.js';
import type { Store } from '../../proxy/store/store.js';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

const MCP_SERVER = join(
  fileURLToPath(new URL('../..', import.meta.url)),
  'node_modules',
  '.bin',
  'mcp-server-postgres',
);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A recorded statement and its sealed outcome, in the order the session recorded them. */
interface Recorded {
  session: string;
  seq: number;
  statement: StatementPayload;
  result: ResultPayload | undefined;
}

describe('an agent through the PostgreSQL MCP server and the proxy', () => {
  let setup: PgProxySetup;
  let store: Store;
  let pid: number | null = null;

  beforeAll(async () => {
    setup = await startPgProxy();
    store = setup.test.engine.store;
    // The table the agent will ask about, created directly on the server (not recorded).
    const direct = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await direct.connect();
    try {
      await direct.query('create table widgets (id int primary key, name text not null, weight numeric)');
      await direct.query(
        "insert into widgets select g, 'widget ' || g, g * 1.5 from generate_series(1, 37) g",
      );
    } finally {
      await direct.end();
    }
  });
  afterAll(async () => {
    if (pid !== null && alive(pid)) process.kill(pid, 'SIGKILL');
    await setup?.cleanup();
  });

  it('records the statements the MCP server runs for tools and resources', async () => {
    const before = new Set(store.listSessions({ kind: 'postgres', limit: 1000 }).map((s) => s.id));
    let stderr = '';
    const transport = new StdioClientTransport({
      command: MCP_SERVER,
      args: [setup.url],
      env: getDefaultEnvironment(),
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'glassbox-test-agent', version: '0.0.0' });
    await client.connect(transport);
    pid = transport.pid;
    expect(pid).toEqual(expect.any(Number));

    let countText: string;
    let resourceUris: string[];
    let schemaText: string;
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('query');

      const called = await client.callTool({
        name: 'query',
        arguments: { sql: 'select count(*) from widgets' },
      });
      expect(called.isError, stderr).toBeFalsy();
      const content = called.content as Array<{ type: string; text: string }>;
      expect(content[0]?.type).toBe('text');
      countText = content[0]!.text;

      const { resources } = await client.listResources();
      resourceUris = resources.map((r) => r.uri);
      const widgets = resources.find((r) => r.name === '"widgets" database schema');
      expect(widgets, JSON.stringify(resources)).toBeDefined();
      const read = await client.readResource({ uri: widgets!.uri });
      schemaText = (read.contents[0] as { text: string }).text;
    } finally {
      await client.close();
    }

    // The agent got the right answers.
    expect(JSON.parse(countText)).toEqual([{ count: '37' }]);
    expect(resourceUris).toEqual([expect.stringMatching(/\/widgets\/schema$/)]);
    expect(resourceUris[0]).not.toContain(setup.localPassword);
    // information_schema.columns has no guaranteed order (the server's query has no ORDER BY).
    expect(JSON.parse(schemaText)).toHaveLength(3);
    expect(JSON.parse(schemaText)).toEqual(
      expect.arrayContaining([
        { column_name: 'id', data_type: 'integer' },
        { column_name: 'name', data_type: 'text' },
        { column_name: 'weight', data_type: 'numeric' },
      ]),
    );

    // Closing the client ended the server, and nothing is left running.
    await waitFor(() => !alive(pid!), 5_000, 'the MCP server to exit');

    // Its connections to the proxy ended, and every session was closed.
    const sessions = await waitFor(
      () => {
        const created = store
          .listSessions({ kind: 'postgres', limit: 1000 })
          .filter((s) => !before.has(s.id));
        return created.length > 0 && created.every((s) => s.status === 'closed') && created;
      },
      10_000,
      'the MCP server sessions to close',
    );
    const recorded: Recorded[] = sessions.flatMap((s) => {
      const events = store.listEvents(s.id, 0, 10_000);
      return events
        .filter((e) => e.kind === 'pg.statement')
        .map((e) => ({
          session: s.id,
          seq: e.seq,
          statement: e.payload as unknown as StatementPayload,
          result: events.find(
            (r) => r.kind === 'pg.result' && (r.payload as unknown as ResultPayload).statement_seq === e.seq,
          )?.payload as unknown as ResultPayload | undefined,
        }));
    });
    for (const s of sessions) {
      const events = store.listEvents(s.id, 0, 10_000);
      expect(events[0]).toMatchObject({ kind: 'pg.session', payload: { event: 'start', user: setup.name } });
      expect(events.at(-1)?.kind).toBe('session.end');
      expect(store.verifySession(s.id)).toMatchObject({ intact: true });
    }
    const sqls = recorded.map((r) => r.statement.sql);

    // The tool call: its SQL, inside the READ ONLY transaction the server wraps it in, on one connection.
    const query = recorded.find((r) => r.statement.sql === 'select count(*) from widgets');
    expect(query, sqls.join(' | ')).toBeDefined();
    expect(query!.result).toMatchObject({
      outcome: 'complete',
      tags: ['SELECT 1'],
      rows: 1,
      columns: [{ name: 'count', type_oid: 20 }],
      sample: [['37']],
    });
    const sameSession = recorded.filter((r) => r.session === query!.session);
    const at = sameSession.indexOf(query!);
    expect(sameSession[at - 1]?.statement).toMatchObject({
      protocol: 'simple',
      sql: 'BEGIN TRANSACTION READ ONLY',
    });
    expect(sameSession[at - 1]?.result).toMatchObject({ outcome: 'complete', tags: ['BEGIN'] });
    expect(sameSession[at + 1]?.statement).toMatchObject({ protocol: 'simple', sql: 'ROLLBACK' });
    expect(sameSession[at + 1]?.result).toMatchObject({ outcome: 'complete', tags: ['ROLLBACK'] });

    // Listing resources: the table list.
    const list = recorded.find(
      (r) =>
        r.statement.sql === "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(list, sqls.join(' | ')).toBeDefined();
    expect(list!.result).toMatchObject({ outcome: 'complete', rows: 1, sample: [['widgets']] });

    // Reading a resource: a parameterised query with the table name as its parameter.
    const columns = recorded.find(
      (r) =>
        r.statement.sql ===
        'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1',
    );
    expect(columns, sqls.join(' | ')).toBeDefined();
    expect(columns!.statement).toMatchObject({
      protocol: 'extended',
      params: [{ value: 'widgets', format: 'text' }],
    });
    expect(columns!.result).toMatchObject({ outcome: 'complete', rows: 3 });

    // Nothing else: every statement the server ran is one of these, and all completed.
    expect([...new Set(sqls)].sort(), 'statements recorded for the MCP server').toEqual(
      [
        'BEGIN TRANSACTION READ ONLY',
        'ROLLBACK',
        'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1',
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        'select count(*) from widgets',
      ].sort(),
    );
    for (const r of recorded) expect(r.result?.outcome, r.statement.sql ?? '').toBe('complete');
  });
});
