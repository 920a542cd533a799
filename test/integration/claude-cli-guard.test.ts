import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalBroker } from '../../proxy/policy/guard/types.js';
import { CLAUDE, CLAUDE_TEST_API_KEY } from '../helpers/claude-cli.js';
import { runCliAsync } from '../helpers/cli.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { MockAnthropic, type MockPlan, type MockRequest } from '../helpers/mock-anthropic.js';
import { collectOutput, type ProcessOutput } from '../helpers/process.js';

type Message = { role: string; content: unknown };
type Block = { type?: string; tool_use_id?: string; content?: unknown; is_error?: boolean };

/** The tool_result for `id` in a Messages request, if the request carries one. */
function toolResult(request: MockRequest, id: string): Block | undefined {
  const messages = ((request.body ?? {}) as { messages?: Message[] }).messages ?? [];
  for (const message of messages) {
    if (!Array.isArray(message.content)) continue;
    const found = (message.content as Block[]).find((b) => b.type === 'tool_result' && b.tool_use_id === id);
    if (found) return found;
  }
  return undefined;
}

/** The model asks for `rm -rf <outside>`, then (whatever came back) for `ls`, then says it is done. */
function plan(outside: string) {
  return (request: MockRequest): MockPlan => {
    const body = (request.body ?? {}) as { tools?: Array<{ name: string }> };
    if (!body.tools?.some((tool) => tool.name === 'Bash'))
      return { type: 'message', content: [{ type: 'text', text: 'ok' }] };
    const bash = (id: string, command: string): MockPlan => ({
      type: 'message',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', id, name: 'Bash', input: { command, description: 'test' } }],
    });
    if (toolResult(request, 'toolu_ls'))
      return { type: 'message', content: [{ type: 'text', text: 'All done.' }] };
    if (toolResult(request, 'toolu_rm')) return bash('toolu_ls', 'ls');
    return bash('toolu_rm', `rm -rf ${outside}`);
  };
}

const text = (block: Block | undefined) => JSON.stringify(block?.content ?? '');

describe('the real claude CLI with `glassbox setup claude-code` done in its HOME', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let broker: ApprovalBroker;
  const home = tempHome('glassbox-claude-home-');
  const cwd = tempHome('glassbox-claude-cwd-');
  const outside = tempHome('glassbox-guard-outside-');
  let setup: ProcessOutput;
  let result: ProcessOutput;
  let finishedWhilePending = false;
  let approvals = 0;

  beforeAll(async () => {
    writeFileSync(join(outside, 'precious.txt'), 'keep me');
    writeFileSync(join(cwd, 'marker.txt'), 'here');
    mock = await MockAnthropic.start({ plan: plan(outside) });
    test = await startTestEngine(mock.url); // the default policy's guard and the engine's broker
    broker = test.engine.approvals;
    setup = await runCliAsync(test.home, ['setup', 'claude-code'], { HOME: home });
    const child = spawn(CLAUDE, ['-p', 'tidy up', '--allowedTools', 'Bash', '--output-format', 'json'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 150_000,
      // No ANTHROPIC_BASE_URL here: the settings `glassbox setup claude-code` wrote must bring it.
      env: {
        PATH: process.env.PATH,
        HOME: home,
        ANTHROPIC_API_KEY: CLAUDE_TEST_API_KEY,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_MAX_RETRIES: '0',
      },
    });
    const finished = collectOutput(child);
    let done = false;
    void finished.then(() => {
      done = true;
    });
    // The approver: waits for the held call, checks the CLI is still waiting, then denies it.
    for (let i = 0; i < 1_200 && !done; i++) {
      const [pending] = broker.list();
      if (pending) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        finishedWhilePending = done;
        broker.decide(pending.id, {
          approve: false,
          reason: 'not outside the project',
          by: { os_user: 'alice', via: 'test' },
        });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    result = await finished;
    approvals = broker.list({ all: true }).length;
  }, 180_000);
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
    for (const dir of [home, cwd, outside]) rmSync(dir, { recursive: true, force: true });
  });

  it('setup wrote the engine’s real Anthropic URL and the hook into ~/.claude/settings.json', () => {
    expect(setup.code, setup.stderr).toBe(0);
    const settings = JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8')) as {
      env: Record<string, string>;
      hooks: { PreToolUse: Array<{ matcher: string; hooks: Array<{ command: string; timeout: number }> }> };
    };
    expect(settings.env.ANTHROPIC_BASE_URL).toBe(test.engine.addresses.anthropicUrl);
    const [group] = settings.hooks.PreToolUse;
    expect(group!.matcher).toBe('Bash|Write|Edit|MultiEdit|NotebookEdit');
    expect(group!.hooks[0]!.timeout).toBe(600);
    expect(group!.hooks[0]!.command).toMatch(/glassbox\.js'? hook claude-code$/);
  });

  it('held the rm -rf outside the project until it was denied; it never ran', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(finishedWhilePending).toBe(false);
    expect(approvals).toBe(1);
    const [approval] = broker.list({ all: true });
    expect(approval).toMatchObject({ status: 'denied', subject: { text: `rm -rf ${outside}` } });
    expect(existsSync(join(outside, 'precious.txt'))).toBe(true);
  });

  it('the CLI went on, and the model’s next request carries the denial reason', () => {
    const next = mock.requests.find((r) => r.method === 'POST' && toolResult(r, 'toolu_rm'));
    const block = toolResult(next!, 'toolu_rm');
    expect(block?.is_error).toBe(true);
    expect(text(block)).toContain('Glassbox: denied by alice via test: not outside the project');
    expect(JSON.parse(result.stdout)).toMatchObject({ result: 'All done.', is_error: false });
  });

  it('ran ls without a wait: no approval asked, its real output went back to the model', () => {
    const after = mock.requests.find((r) => r.method === 'POST' && toolResult(r, 'toolu_ls'));
    const block = toolResult(after!, 'toolu_ls');
    expect(block?.is_error ?? false).toBe(false);
    expect(text(block)).toContain('marker.txt');
  });

  it('recorded both checks in the Claude session, beside its turns', async () => {
    const sessionId = (JSON.parse(result.stdout) as { session_id: string }).session_id;
    const session = test.engine.store.findByExternalId('anthropic', sessionId)!;
    expect(session.client).toMatch(/^claude-cli\//);
    const events = test.engine.store.listEvents(session.id, 0, 1_000);
    const checks = events.filter((e) => e.kind === 'guard.check').map((e) => e.payload);
    expect(checks).toMatchObject([
      { tool: 'Bash', text: `rm -rf ${outside}`, decision: 'approve', rule: { id: 'shell.rm-outside-cwd' } },
      { tool: 'Bash', text: 'ls', decision: 'allow' },
    ]);
    const shown = await runCliAsync(test.home, ['show', sessionId]);
    expect(shown.stdout).toContain(`guard Bash: rm -rf ${outside} → approve (rule shell.rm-outside-cwd)`);
  });
});

describe('glassbox setup claude-code --undo', () => {
  it('removes exactly what setup added, keeping the user’s own settings and hooks', async () => {
    const home = tempHome('glassbox-claude-home-');
    const glassbox = tempHome();
    try {
      const own = {
        model: 'opus',
        env: { FOO: '1' },
        hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'audit.sh' }] }] },
      };
      const elsewhere = join(home, 'elsewhere.json');
      await runCliAsync(glassbox, ['setup', 'claude-code', '--settings', elsewhere]);
      expect(existsSync(elsewhere)).toBe(true);
      const path = join(home, '.claude', 'settings.json');
      mkdirSync(join(home, '.claude'));
      writeFileSync(path, JSON.stringify(own));
      const setup = await runCliAsync(glassbox, ['setup', 'claude-code'], { HOME: home });
      expect(setup.code, setup.stderr).toBe(0);
      expect(setup.stdout).toContain('Add a PreToolUse hook');
      const again = await runCliAsync(glassbox, ['setup', 'claude-code'], { HOME: home });
      expect(again.stdout).toMatch(/already set up .* nothing changed/);
      const undo = await runCliAsync(glassbox, ['setup', 'claude-code', '--undo'], { HOME: home });
      expect(undo.code, undo.stderr).toBe(0);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(own);
      const twice = await runCliAsync(glassbox, ['setup', 'claude-code', '--undo'], { HOME: home });
      expect(twice.code).toBe(2);
      expect(twice.stderr).toMatch(/no Glassbox change to undo/);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(glassbox, { recursive: true, force: true });
    }
  });
});
