import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSession } from '../../proxy/cli/show.js';
import type { ApprovalAnnotatedPayload } from '../../proxy/policy/approvals/record.js';
import type { Approval } from '../../proxy/policy/guard/types.js';
import { estimateRows } from '../../proxy/postgres/row-estimate.js';
import { waitFor } from '../helpers/cli.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

const ME = { os_user: 'approver', via: 'test' };
const ROWS = 12_000;

/**
 * The context an approver sees with a held PostgreSQL statement (issue 17, points 5 and 6): the planner's
 * estimate of the rows it would touch, and the latest prompt of the Claude session driving it. Real
 * PostgreSQL, the engine's own default policy and approval broker, pg as the client, the Anthropic SDK
 * through the proxy to the mock API.
 */
describe('context of a held PostgreSQL statement', { timeout: 90_000 }, () => {
  let mock: MockAnthropic;
  let setup: PgProxySetup;
  let direct: pg.Client;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    setup = await startPgProxy({
      tweak: (config) => {
        config.anthropic.upstream = mock.url;
      },
    });
    direct = new pg.Client(setup.pg.superuserUrl);
    await direct.connect();
    await direct.query(
      `CREATE TABLE orders (id int PRIMARY KEY, total numeric);
       INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, ${ROWS}) g;
       ANALYZE orders;`,
    );
  });
  afterAll(async () => {
    await direct?.end();
    await setup?.cleanup();
    await mock?.stop();
  });

  /** Runs `sql` through Glassbox on a new pg client; returns the pending approval and the query's promise. */
  async function hold(
    sql: string,
  ): Promise<{ approval: Approval; done: Promise<unknown>; client: pg.Client }> {
    const { approvals } = setup.test.engine;
    const before = new Set(approvals.list().map((a) => a.id));
    const client = new pg.Client(setup.url);
    client.on('error', () => undefined);
    await client.connect();
    const done = client.query(sql).then(
      (result) => result,
      (error: unknown) => error,
    );
    const approval = await waitFor(
      () => approvals.list().find((a) => !before.has(a.id)),
      30_000,
      'a pending approval',
    );
    return { approval, done, client };
  }

  it('adds the planner estimate of a held DELETE to its approval, recorded and pushed to subscribers', async () => {
    const { approvals, store } = setup.test.engine;
    const pushed: Approval[] = [];
    const unsubscribe = approvals.subscribe((a) => pushed.push(a));
    const { approval, done, client } = await hold('DELETE FROM orders');
    expect(approval.subject.rule.id).toBe('pg.delete-without-where');
    const annotated = await waitFor(
      () => {
        const now = approvals.get(approval.id);
        return now?.subject.context?.estimated_rows !== undefined ? now : undefined;
      },
      30_000,
      'the row estimate',
    );
    unsubscribe();
    const rows = annotated.subject.context?.estimated_rows ?? 0;
    expect(rows).toBeGreaterThan(ROWS * 0.9);
    expect(rows).toBeLessThan(ROWS * 1.1);
    expect(annotated.subject.context?.estimate_of).toBe('public.orders');
    // Pushed live (as /api/live broadcasts every change), and recorded in the chain and the row.
    expect(pushed.some((a) => a.id === approval.id && a.subject.context?.estimated_rows === rows)).toBe(true);
    const event = store
      .listEvents(approval.subject.session_id, 0, 5_000)
      .find((e) => e.kind === 'approval.annotated');
    expect(event?.payload as ApprovalAnnotatedPayload).toEqual({
      approval_id: approval.id,
      request_seq: approval.subject.request_seq,
      context: { estimated_rows: rows, estimate_of: 'public.orders' },
    });
    const row = JSON.parse(store.approvals.get(approval.id)!.what) as Approval['subject'];
    expect(row.context).toMatchObject({ estimated_rows: rows, estimate_of: 'public.orders' });
    expect(store.verifySession(approval.subject.session_id).intact).toBe(true);
    const pgSession = store.getSession(approval.subject.session_id)!;
    const told = renderSession(pgSession, store.listEvents(pgSession.id, 0, 5_000), []);
    expect(told).toMatch(new RegExp(`approval ${approval.id} context: ≈ [\\d,]+ rows of public\\.orders`));

    // The estimate ran nothing: every row is still there; denied, the statement fails and still nothing ran.
    expect((await direct.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(ROWS);
    approvals.decide(approval.id, { approve: false, reason: 'not today', by: ME });
    expect(String(await done)).toMatch(/not today/);
    await client.end();
    expect((await direct.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(ROWS);
  });

  it('gives a held statement the latest prompt of the Claude session driving it', async () => {
    const claude = new Anthropic({
      baseURL: setup.test.engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-test-context',
      maxRetries: 0,
    });
    const ask = (session: string, text: string) =>
      claude.messages.create(
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object', properties: {} } }],
          messages: [
            { role: 'user', content: 'an earlier question' },
            { role: 'assistant', content: 'an earlier answer' },
            { role: 'user', content: [{ type: 'text', text }] },
          ],
        },
        { headers: { 'x-claude-code-session-id': session } },
      );
    // Two live Claude sessions: the one active most recently is taken to be driving.
    await ask('claude-older', 'Summarise the README');
    const prompt = 'Please clean up the stale rows in the orders table';
    await ask('claude-driving', prompt);
    const claudeSession = setup.test.engine.store.findByExternalId('anthropic', 'claude-driving')!;

    const { approval, done, client } = await hold('UPDATE orders SET total = 0');
    expect(approval.subject.rule.id).toBe('pg.update-without-where');
    expect(approval.subject.context).toMatchObject({ prompt, prompt_session_id: claudeSession.id });
    const requested = setup.test.engine.store
      .listEvents(approval.subject.session_id, 0, 5_000)
      .find((e) => e.kind === 'approval.requested');
    expect(requested?.payload).toMatchObject({ context: { prompt, prompt_session_id: claudeSession.id } });
    const pgSession = setup.test.engine.store.getSession(approval.subject.session_id)!;
    const events = setup.test.engine.store.listEvents(pgSession.id, 0, 5_000);
    expect(renderSession(pgSession, events, [])).toContain(`prompt "${prompt}"`);

    setup.test.engine.approvals.decide(approval.id, { approve: false, reason: 'no', by: ME });
    await done;
    await client.end();
  });

  it('estimates by planning only: several statements, parameters or a bad statement give no estimate and run nothing', async () => {
    const { pg: server } = setup;
    const target = {
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: server.database,
      tls: 'disable' as const,
    };
    expect(await estimateRows(target, 'DELETE FROM orders WHERE id > 6000')).toEqual({
      estimated_rows: expect.any(Number),
      estimate_of: 'public.orders',
    });
    for (const sql of [
      'DELETE FROM orders; DROP TABLE orders',
      'DELETE FROM orders WHERE id = $1',
      'DELETE FROM no_such_table',
    ]) {
      expect(typeof (await estimateRows(target, sql))).toBe('string');
    }
    const unreachable = { ...target, port: 9 };
    expect(await estimateRows(unreachable, 'DELETE FROM orders')).toMatch(/no estimate/);
    expect((await direct.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(ROWS);
  });
});
