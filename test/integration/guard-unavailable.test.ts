import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthResponse } from '../../proxy/api/types.js';
import { claudeCodeHook } from '../../proxy/cli/hook-claude-code.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { rejection } from '../helpers/pg-guard.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

/** What a broken install gives: the parser's WebAssembly file cannot be read. */
const BROKEN = (file: string) => () =>
  Promise.reject(new Error(`ENOENT: no such file or directory, open '/app/node_modules/${file}'`));

/** Writes policy.json and waits until the engine applies it: its guard rules are `ruleIds`, in order. */
async function setPolicy(
  setup: PgProxySetup,
  policy: unknown,
  enabled: boolean,
  ruleIds: string[],
): Promise<void> {
  writeFileSync(join(setup.test.home, 'policy.json'), JSON.stringify(policy), { mode: 0o600 });
  await waitFor(
    () => {
      const { guard } = setup.test.engine.policy.current();
      return guard.enabled === enabled && guard.rules.map((r) => r.id).join() === ruleIds.join();
    },
    15_000,
    'the engine to apply the policy',
  );
}

async function health(setup: PgProxySetup): Promise<HealthResponse> {
  const { apiUrl, token } = setup.test.engine.addresses;
  const response = await fetch(`${apiUrl}/api/health`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as HealthResponse;
}

function eventsOf(setup: PgProxySetup, app: string): RecordedEvent[] {
  const { store } = setup.test.engine;
  const session = store.listSessions({ kind: 'postgres', limit: 1000 }).find((s) => s.client === app);
  return session ? store.listEvents(session.id, 0, 1000) : [];
}

/**
 * The guard's parsers failing to load (a packaged app missing a .wasm file, the parser's heap out of memory):
 * the engine still starts and records; PostgreSQL statements are refused only while a rule needs the parser.
 */
describe('the engine when the SQL parser cannot be loaded', () => {
  let mock: MockAnthropic;
  let setup: PgProxySetup;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    setup = await startPgProxy({
      guardParsers: { sql: BROKEN('libpg-query/wasm/libpg-query.wasm') },
      tweak: (config) => {
        config.anthropic.upstream = mock.url;
      },
    });
  });
  afterAll(async () => {
    await setup?.cleanup();
    await mock?.stop();
  });

  it('starts, records Claude traffic, and says in /api/health that the guard is unavailable and why', async () => {
    const { guard } = await health(setup);
    expect(guard).toMatchObject({ status: 'unavailable', enabled: true });
    expect(guard.reason).toContain('PostgreSQL parser');
    expect(guard.reason).toContain('libpg-query.wasm');
    const client = new Anthropic({
      apiKey: 'sk-ant-test',
      baseURL: setup.test.engine.addresses.anthropicUrl,
      maxRetries: 0,
    });
    const reply = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'still recorded?' }],
    });
    expect(reply.content.length).toBeGreaterThan(0);
    const sessions = setup.test.engine.store.listSessions({ kind: 'anthropic', limit: 10 });
    expect(sessions).toHaveLength(1);
  });

  it('refuses statements a rule needs the parser for, with 42501 naming the problem, and records them', async () => {
    const client = new pg.Client({ connectionString: setup.url, application_name: 'pg-unavailable' });
    await client.connect();
    const refused = await rejection(client.query('SELECT 1'));
    expect(refused.code).toBe('42501');
    expect(refused.message).toContain('Glassbox could not check this statement against the policy');
    expect(refused.message).toContain('the PostgreSQL parser (libpg-query) could not be loaded');
    await client.end();
    const events = await waitFor(() => {
      const all = eventsOf(setup, 'pg-unavailable');
      return all.some((e) => e.kind === 'guard.blocked') && all;
    });
    expect(events.find((e) => e.kind === 'pg.statement')?.payload).toMatchObject({ sql: 'SELECT 1' });
    expect(events.find((e) => e.kind === 'guard.blocked')?.payload).toMatchObject({ reason: 'guard_failed' });
  });

  it('lets statements through when no rule needs the parser: guardrails off, or only shell rules', async () => {
    const builtin = setup.test.engine.policy.current().guard.rules.map((r) => r.id);
    await setPolicy(setup, { version: 1, guardrails: { enabled: false } }, false, builtin);
    const client = new pg.Client(setup.url);
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await setPolicy(
      setup,
      {
        version: 1,
        guardrails: {
          defaults: false,
          rules: [
            {
              id: 'no-shutdown',
              action: 'block',
              message: 'no',
              match: { shell: { command: ['shutdown'] } },
            },
          ],
        },
      },
      true,
      ['no-shutdown'],
    );
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    // A rule for every operation on this connection decides without the parser too.
    await setPolicy(
      setup,
      {
        version: 1,
        guardrails: {
          rules: [
            {
              id: 'read-only-here',
              action: 'block',
              message: 'not here',
              match: { connection: [setup.name] },
            },
          ],
        },
      },
      true,
      ['read-only-here', ...builtin],
    );
    expect((await rejection(client.query('SELECT 3'))).message).toContain('rule read-only-here (not here)');
    await client.end();
    expect((await health(setup)).guard).toMatchObject({ status: 'unavailable' });
  });
});

describe('the engine when the shell parser cannot be loaded', () => {
  let setup: PgProxySetup;

  beforeAll(async () => {
    setup = await startPgProxy({ guardParsers: { shell: BROKEN('tree-sitter-bash/tree-sitter-bash.wasm') } });
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  it('still guards PostgreSQL, and the hook refuses a Bash call naming the problem', async () => {
    const { guard } = await health(setup);
    expect(guard).toMatchObject({ status: 'unavailable', enabled: true });
    expect(guard.reason).toContain('shell parser');
    const client = new pg.Client(setup.url);
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    const outcome = await claudeCodeHook(
      JSON.stringify({
        session_id: 'claude-shell-broken',
        cwd: '/home/dev/project',
        hook_event_name: 'PreToolUse',
        tool_name: 'Bash',
        tool_input: { command: 'ls' },
      }),
      { home: setup.test.home },
    );
    const { permissionDecision, permissionDecisionReason } = (
      JSON.parse(outcome.stdout) as {
        hookSpecificOutput: { permissionDecision: string; permissionDecisionReason: string };
      }
    ).hookSpecificOutput;
    expect(permissionDecision).toBe('deny');
    expect(permissionDecisionReason).toContain('the shell parser (tree-sitter-bash) could not be loaded');
  });
});
