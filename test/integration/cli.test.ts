import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../proxy/common/canonical-json.js';
import { chainHash } from '../../proxy/store/chain.js';
import { Store } from '../../proxy/store/store.js';
import type { Session } from '../../proxy/store/types.js';
import { GLASSBOX_BIN, runCli, spawnServe } from '../helpers/cli.js';
import { startTestEngine, tempHome } from '../helpers/engine.js';
import { TEST_IDENTITY } from '../helpers/identity.js';
import { claudeCodePlan, MockAnthropic } from '../helpers/mock-anthropic.js';

const TEST_SESSION = { kind: 'anthropic', target: 't', client: null, external_id: null } as const;

const SESSION_COLUMNS = [
  'id',
  'kind',
  'target',
  'client',
  'identity',
  'external_id',
  'started_at',
  'ended_at',
  'status',
  'stats',
  'head_hash',
];

describe('glassbox CLI on a recorded session', () => {
  let mock: MockAnthropic;
  let home: string;

  beforeAll(async () => {
    mock = await MockAnthropic.start({ plan: claudeCodePlan });
    const test = await startTestEngine(mock.url);
    home = test.home;
    const client = new Anthropic({
      baseURL: test.engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-api03-cliTests0000000000000000-CLI1',
      maxRetries: 0,
    });
    const headers = { 'x-claude-code-session-id': 'cli-session' };
    const tools = [{ name: 'Bash', description: 'run', input_schema: { type: 'object' as const } }];
    const first = await client.messages.create(
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: 'system prompt text',
        tools,
        messages: [{ role: 'user', content: 'say hello with bash' }],
      },
      { headers },
    );
    const toolUse = first.content.find((b) => b.type === 'tool_use')!;
    await client.messages
      .stream(
        {
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          system: 'system prompt text',
          tools,
          messages: [
            { role: 'user', content: 'say hello with bash' },
            { role: 'assistant', content: first.content },
            {
              role: 'user',
              content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'glassbox-hello' }],
            },
          ],
        },
        { headers },
      )
      .finalMessage();
    // Stop the engine but keep its data directory for the CLI.
    await test.engine.stop();
  });
  afterAll(async () => {
    await mock.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('sessions --json prints an array of session objects with the columns of DESIGN.md', () => {
    const result = runCli(home, ['sessions', '--json', '--limit', '5']);
    expect(result.status).toBe(0);
    const sessions = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(sessions).toHaveLength(1);
    for (const column of SESSION_COLUMNS) expect(sessions[0]).toHaveProperty(column);
    expect(sessions[0]).toMatchObject({
      kind: 'anthropic',
      external_id: 'cli-session',
      status: 'closed',
      stats: { turns: 2, requests: 2 },
    });
  });

  it('sessions prints a readable table, and filters by search words', () => {
    const table = runCli(home, ['sessions']).stdout;
    expect(table).toMatch(/^ID\s+KIND\s+TARGET\s+STATUS/);
    expect(table).toContain('anthropic');
    expect(
      JSON.parse(runCli(home, ['sessions', '--json', '--search', 'glassbox-hello']).stdout),
    ).toHaveLength(1);
    expect(
      JSON.parse(runCli(home, ['sessions', '--json', '--search', 'nothing-like-this']).stdout),
    ).toHaveLength(0);
  });

  it('show prints the conversation: user, assistant, tool call with input, tool result, tokens and cost', () => {
    const result = runCli(home, ['show', 'cli-session']);
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/Turn 1 · claude-sonnet-4-5/);
    expect(out).toMatch(/system\s+\[collapsed, 18 chars\]/);
    expect(out).toMatch(/user\s+say hello with bash/);
    expect(out).toMatch(/assistant\s+I will run it\./);
    expect(out).toMatch(/tool call\s+Bash \(toolu_mock_1\)/);
    expect(out).toContain('"command": "echo glassbox-hello"');
    expect(out).toMatch(/tool result\s+\(toolu_mock_1\) glassbox-hello/);
    expect(out).toMatch(/assistant\s+All done\./);
    expect(out).toMatch(/stop\s+tool_use · 25 in \/ 12 out/);
    expect(out).toMatch(/\$0\.\d{4}/);
    expect(out.indexOf('Turn 1')).toBeLessThan(out.indexOf('Turn 2'));
  });

  it('show --json prints {session, events}', () => {
    const parsed = JSON.parse(runCli(home, ['show', 'cli-session', '--json']).stdout) as {
      session: { id: string };
      events: Array<{ kind: string }>;
    };
    expect(Object.keys(parsed).sort()).toEqual(['events', 'session']);
    expect(parsed.events.map((e) => e.kind)).toEqual([
      'http.request',
      'llm.turn',
      'http.request',
      'llm.turn',
      'session.end',
    ]);
  });

  it('export --format jsonl carries everything needed to re-verify the chain independently', () => {
    const lines = runCli(home, ['export', 'cli-session', '--format', 'jsonl'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const [session, ...events] = lines as [
      { type: string; id: string; head_hash: string },
      ...Array<{ seq: number; ts: number; kind: string; payload: unknown; hash: string }>,
    ];
    expect(session.type).toBe('session');
    let prev = session.id;
    for (const event of events) {
      prev = chainHash(prev, event.seq, event.ts, event.kind, canonicalJson(event.payload));
      expect(prev).toBe(event.hash);
    }
    expect(prev).toBe(session.head_hash);
  });

  it('export --format har writes a HAR 1.2 log with one entry per exchange', () => {
    const file = join(home, 'out.har');
    const result = runCli(home, ['export', 'cli-session', '--format', 'har', '-o', file]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('Wrote HAR');
    const har = JSON.parse(execFileSync('cat', [file], { encoding: 'utf8' })) as {
      log: {
        version: string;
        entries: Array<{
          request: { method: string; url: string; postData: { text: string } };
          response: { status: number; content: { text: string } };
        }>;
      };
    };
    expect(har.log.version).toBe('1.2');
    expect(har.log.entries).toHaveLength(2);
    expect(har.log.entries[0]!.request).toMatchObject({ method: 'POST' });
    expect(har.log.entries[0]!.request.url).toMatch(/\/v1\/messages$/);
    expect(JSON.parse(har.log.entries[0]!.request.postData.text).messages[0].content).toBe(
      'say hello with bash',
    );
    expect(har.log.entries[1]!.response.status).toBe(200);
    expect(har.log.entries[1]!.response.content.text).toContain('All done.');
  });

  it('verify passes, then fails naming the first broken seq after one byte of a stored event changes', () => {
    expect(runCli(home, ['verify']).status).toBe(0);
    expect(runCli(home, ['verify']).stdout).toMatch(/^ok\s+\S+\s+5 events, chain intact/m);
    const db = new Database(join(home, 'glassbox.db'));
    db.prepare(
      `UPDATE events SET payload = replace(payload, 'say hello with bash', 'say hellO with bash') WHERE seq = 3`,
    ).run();
    db.close();
    const result = runCli(home, ['verify', 'cli-session']);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/BROKEN\s+\S+\s+at seq 3:/);
  });

  it('explains unknown and ambiguous ids', () => {
    const result = runCli(home, ['show', 'no-such-session']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no session matches "no-such-session"');
    // Two sessions started in the same second share their first 8 characters: a short prefix of them is
    // ambiguous, not unmatched.
    const other = tempHome();
    try {
      const store = Store.open(join(other, 'glassbox.db'));
      const ids = [1, 2].map(
        () => store.createSession({ ...TEST_SESSION, identity: TEST_IDENTITY }, 1_700_000_000_000_000).id,
      );
      store.close();
      const short = runCli(other, ['show', ids[0]!.slice(0, 4)]);
      expect(short.status).toBe(2);
      expect(short.stderr).toContain(`"${ids[0]!.slice(0, 4)}" is ambiguous: it matches sessions `);
      expect(short.stderr).toContain(ids[1]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('filters by the status and kind people see, and stops quietly when its reader does', () => {
    const kind = JSON.parse(runCli(home, ['sessions', '--kind', 'claude', '--json']).stdout) as Session[];
    expect(kind.length).toBeGreaterThan(0);
    expect(kind.every((s) => s.kind === 'anthropic')).toBe(true);
    // Recorded just now: live, not yet idle.
    expect(JSON.parse(runCli(home, ['sessions', '--status', 'idle', '--json']).stdout)).toEqual([]);
    expect(runCli(home, ['sessions', '--status', 'idle']).stdout).toContain('No sessions with status idle.');
    // A reader that has gone before the output comes (`| true`): EPIPE on the first write, no stack trace.
    const piped = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" "${GLASSBOX_BIN}" show ${kind[0]!.id} --json | true`],
      {
        env: { ...process.env, GLASSBOX_HOME: home },
        encoding: 'utf8',
      },
    );
    expect(piped.stderr).toBe('');
  });

  it('--help names both proxies and where to start', () => {
    const help = runCli(home, ['--help']).stdout;
    expect(help).toContain('PostgreSQL');
    expect(help).toContain('glassbox pg add');
  });
});

describe('glassbox serve and env', () => {
  it('prints the proxy address, the dashboard URL with its token and the export line; SIGTERM closes sessions', async () => {
    const mock = await MockAnthropic.start();
    const home = tempHome();
    try {
      const serve = await spawnServe(home, mock.url);
      const out = serve.output();
      expect(out).toMatch(/Anthropic proxy\s+http:\/\/127\.0\.0\.1:\d+\s+→\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(serve.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{43}$/);
      expect(out).toContain(`export ANTHROPIC_BASE_URL=${serve.anthropicUrl}`);
      // No glassbox executable is on this test's PATH, as in a checkout: the hint must work there.
      expect(out).toContain('eval "$(npx glassbox env)"');
      // `env` names the port this engine really listens on (a free one here), not the configured default.
      expect(runCli(home, ['env', '--shell', 'bash']).stdout).toBe(
        `export ANTHROPIC_BASE_URL=${serve.anthropicUrl}\n`,
      );
      await fetch(`${serve.anthropicUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-glassbox-session': 'serve-test' },
        body: JSON.stringify({
          model: 'claude-haiku-4-5',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
      expect(serve.output()).toContain('Stopped.');
      const [session] = JSON.parse(runCli(home, ['sessions', '--json']).stdout) as Array<{
        status: string;
        ended_at: number;
      }>;
      expect(session).toMatchObject({ status: 'closed' });
      expect(session!.ended_at).toBeGreaterThan(0);
    } finally {
      await mock.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says what to fix for bad flags, bad config and a busy port', async () => {
    const home = tempHome();
    try {
      const badPort = runCli(home, ['serve', '--anthropic-port', 'eighty']);
      expect(badPort.status).not.toBe(0);
      expect(badPort.stderr).toContain(
        '--anthropic-port must be a port number from 0 to 65535 (got "eighty")',
      );

      const badUrl = runCli(home, [
        'serve',
        '--anthropic-upstream',
        'ftp://nope',
        '--anthropic-port',
        '0',
        '--api-port',
        '0',
      ]);
      expect(badUrl.status).toBe(2);
      expect(badUrl.stderr).toMatch(
        /Invalid configuration in the command-line flags:\n\s+anthropic\.upstream:/,
      );

      writeFileSync(join(home, 'config.json'), JSON.stringify({ anthropic: { port: 'x' }, surprise: true }));
      const badServe = runCli(home, ['serve']);
      expect(badServe.status).toBe(2);
      expect(badServe.stderr).toContain(`Invalid configuration in ${join(home, 'config.json')}`);
      expect(badServe.stderr).toMatch(/anthropic\.port:/);
      writeFileSync(join(home, 'config.json'), '{ not json');
      expect(runCli(home, ['env']).stderr).toMatch(/config\.json is not valid JSON .* Fix it or delete it/);
      rmSync(join(home, 'config.json'));

      const blocker = createServer().listen(0, '127.0.0.1');
      await new Promise((resolve) => blocker.once('listening', resolve));
      const busy = (blocker.address() as { port: number }).port;
      const inUse = runCli(home, ['serve', '--anthropic-port', String(busy), '--api-port', '0']);
      blocker.close();
      expect(inUse.status).toBe(2);
      expect(inUse.stderr).toContain(
        `Port ${busy} for the Anthropic proxy is already in use. Stop what uses it, or pick another with --anthropic-port.`,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a second engine on the same data directory', async () => {
    const mock = await MockAnthropic.start();
    const home = tempHome();
    const first = await spawnServe(home, mock.url);
    try {
      const second = runCli(home, ['serve', '--anthropic-port', '0', '--api-port', '0']);
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(/Another Glassbox engine \(pid \d+\) is using this data directory/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
      await mock.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('env prints the setup line for each shell using the configured port', () => {
    const home = tempHome();
    try {
      writeFileSync(join(home, 'config.json'), JSON.stringify({ anthropic: { port: 9999 } }));
      expect(runCli(home, ['env', '--shell', 'bash']).stdout).toBe(
        'export ANTHROPIC_BASE_URL=http://127.0.0.1:9999\n',
      );
      expect(runCli(home, ['env', '--shell', 'fish']).stdout).toBe(
        'set -gx ANTHROPIC_BASE_URL http://127.0.0.1:9999\n',
      );
      expect(runCli(home, ['env', '--shell', 'powershell']).stdout).toBe(
        '$env:ANTHROPIC_BASE_URL = "http://127.0.0.1:9999"\n',
      );
      expect(runCli(home, ['env', '--shell', 'tcsh']).stderr).toMatch(
        /Allowed choices are bash, zsh, fish, powershell/,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('works as `npx glassbox` in the checkout', () => {
    const out = execFileSync('npx', ['--no-install', 'glassbox', '--version'], {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '..', '..'),
    });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
