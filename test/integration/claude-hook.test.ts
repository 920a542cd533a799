import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homePaths } from '../../proxy/config.js';
import type { ApprovalBroker } from '../../proxy/policy/guard/types.js';
import type { EngineRuntime } from '../../proxy/runtime-file.js';
import { GLASSBOX_BIN, runCli } from '../helpers/cli.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { fake } from '../helpers/fake-secrets.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { collectOutput, type ProcessOutput } from '../helpers/process.js';

/**
 * The engine's policy here: one rule of its own (shutdown is refused), then the built-in ones (`rm -rf`
 * outside the working directory waits for a person, writes to `.env*` are flagged).
 */
const POLICY = {
  version: 1,
  guardrails: {
    rules: [
      {
        id: 'shell.no-shutdown',
        action: 'block',
        message: 'Do not shut the machine down.',
        match: { shell: { command: ['shutdown'] } },
      },
    ],
  },
};

/** Runs `glassbox hook claude-code` as Claude Code would: the input JSON on stdin, asynchronously. */
function runHook(home: string, input: unknown, args: string[] = []): Promise<ProcessOutput> {
  const child = spawn(process.execPath, [GLASSBOX_BIN, 'hook', 'claude-code', ...args], {
    env: { ...process.env, GLASSBOX_HOME: home },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(typeof input === 'string' ? input : JSON.stringify(input));
  return collectOutput(child);
}

/** The decision a hook printed (undefined for "no objection"). */
function decisionOf(
  result: ProcessOutput,
): { permissionDecision: string; permissionDecisionReason: string } | undefined {
  if (result.stdout.trim() === '') return undefined;
  const output = JSON.parse(result.stdout) as {
    hookSpecificOutput: {
      hookEventName: string;
      permissionDecision: string;
      permissionDecisionReason: string;
    };
  };
  const { hookEventName, ...decision } = output.hookSpecificOutput;
  expect(hookEventName).toBe('PreToolUse');
  return decision;
}

const CWD = '/home/dev/project';
function bash(command: string, sessionId = 'claude-session-1') {
  return {
    session_id: sessionId,
    transcript_path: '/home/dev/.claude/projects/x.jsonl',
    cwd: CWD,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command, description: 'test' },
    tool_use_id: 'toolu_1',
  };
}

async function pendingApproval(broker: ApprovalBroker): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const [pending] = broker.list();
    if (pending) return pending.id;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no approval was requested');
}

describe('glassbox hook claude-code against a running engine', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let broker: ApprovalBroker;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    const home = tempHome();
    writeFileSync(join(home, 'policy.json'), JSON.stringify(POLICY), { mode: 0o600 });
    test = await startTestEngine(mock.url, undefined, home);
    broker = test.engine.approvals;
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  it('finds the engine through engine.json: pid, start time and every port it listens on', () => {
    const runtime = JSON.parse(readFileSync(homePaths(test.home).runtime, 'utf8')) as EngineRuntime;
    expect(runtime.pid).toBe(process.pid);
    expect(runtime.startedAt).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(runtime.startedAt).toBeLessThanOrEqual(Date.now());
    expect(runtime.apiUrl).toBe(test.engine.addresses.apiUrl);
    expect(runtime.anthropicUrl).toBe(test.engine.addresses.anthropicUrl);
    expect(runtime.postgres).toEqual([]);
  });

  it('lets a harmless command through without a decision, and records the check in the Claude session', async () => {
    const result = await runHook(test.home, bash('ls -la', 'claude-ls'));
    expect(result.code, result.stderr).toBe(0);
    expect(decisionOf(result)).toBeUndefined();
    const session = test.engine.store.findByExternalId('anthropic', 'claude-ls')!;
    const events = test.engine.store.listEvents(session.id);
    expect(events.map((e) => e.kind)).toEqual(['guard.check']);
    expect(events[0]!.payload).toMatchObject({ tool: 'Bash', text: 'ls -la', decision: 'allow', rule: null });
    expect(broker.list({ all: true })).toHaveLength(0);
  });

  it('denies a blocked command with the rule and its message, shown to the model', async () => {
    const result = await runHook(test.home, bash('sudo shutdown -h now'));
    expect(result.code).toBe(0);
    expect(decisionOf(result)).toEqual({
      permissionDecision: 'deny',
      permissionDecisionReason: 'Glassbox: blocked by rule shell.no-shutdown: Do not shut the machine down.',
    });
  });

  it('holds rm -rf outside the working directory until a person denies it, and says who and why', async () => {
    const hook = runHook(test.home, bash('rm -rf /tmp/x'));
    const id = await pendingApproval(broker);
    const approval = broker.get(id)!;
    expect(approval.subject).toMatchObject({
      kind: 'bash',
      text: 'rm -rf /tmp/x',
      rule: { id: 'shell.rm-outside-cwd' },
      client: 'claude-code',
    });
    expect(approval.subject.operation_hash).toMatch(/^[0-9a-f]{64}$/);
    broker.decide(id, { approve: false, reason: 'not on my machine', by: { os_user: 'alice', via: 'test' } });
    const result = await hook;
    expect(result.code).toBe(0);
    expect(decisionOf(result)).toEqual({
      permissionDecision: 'deny',
      permissionDecisionReason: 'Glassbox: denied by alice via test: not on my machine',
    });
    expect(result.stderr).toContain(`waiting for approval ${id} (rule shell.rm-outside-cwd)`);
    // The check is in the chain of the session the approval belongs to, with the request's seq.
    const session = test.engine.store.findByExternalId('anthropic', 'claude-session-1')!;
    expect(approval.subject.session_id).toBe(session.id);
    const check = test.engine.store
      .listEvents(session.id)
      .find((e) => e.seq === approval.subject.request_seq)!;
    expect(check).toMatchObject({
      kind: 'guard.check',
      payload: { decision: 'approve', text: 'rm -rf /tmp/x' },
    });
  });

  it('allows the held command once a person approves it', async () => {
    const hook = runHook(test.home, bash('rm -rf /var/tmp/build', 'claude-session-2'));
    const id = await pendingApproval(broker);
    // The broker judges self-approval itself: bob is not the OS user the Claude session runs as.
    broker.decide(id, { approve: true, by: { os_user: 'bob', via: 'dashboard' } });
    expect(decisionOf(await hook)).toEqual({
      permissionDecision: 'allow',
      permissionDecisionReason: 'Glassbox: approved by bob via dashboard',
    });
  });

  it('denies when nobody decides before the hook must answer, well before its timeout', async () => {
    // A 22 s hook timeout leaves 2 s to wait (the hook answers 20 s early).
    const result = await runHook(test.home, bash('rm -rf /srv/data', 'claude-session-3'), [
      '--timeout',
      '22',
    ]);
    const decision = decisionOf(result)!;
    expect(decision.permissionDecision).toBe('deny');
    expect(decision.permissionDecisionReason).toMatch(
      /^Glassbox: nobody decided approval ap_[0-9A-Z]{8} \(rule shell\.rm-outside-cwd\)/,
    );
    // Withdrawn, so nobody approves a call that will not run.
    const approval = broker.list({ all: true }).find((a) => a.subject.text === 'rm -rf /srv/data');
    expect(approval).toMatchObject({ status: 'withdrawn', subject: { text: 'rm -rf /srv/data' } });
  });

  it('withdraws the approval when Claude Code cancels the hook while it waits', async () => {
    const child = spawn(process.execPath, [GLASSBOX_BIN, 'hook', 'claude-code'], {
      env: { ...process.env, GLASSBOX_HOME: test.home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(JSON.stringify(bash('rm -rf /opt/app', 'claude-session-4')));
    const finished = collectOutput(child);
    const id = await pendingApproval(broker);
    child.kill('SIGTERM');
    const result = await finished;
    expect(result.code).toBe(0);
    expect(decisionOf(result)?.permissionDecision).toBe('deny');
    expect(broker.get(id)).toMatchObject({
      status: 'withdrawn',
      reason: 'Claude Code cancelled the tool call',
    });
  });

  it('masks what it records: a secret in the command never reaches the chain', async () => {
    const key = fake.githubToken();
    const result = await runHook(test.home, bash(`GITHUB_TOKEN=${key} gh repo list`, 'claude-secret'));
    expect(decisionOf(result)).toBeUndefined();
    const session = test.engine.store.findByExternalId('anthropic', 'claude-secret')!;
    const [check] = test.engine.store.listEvents(session.id);
    expect(JSON.stringify(check!.payload)).not.toContain(key);
    expect((check!.payload as { text: string }).text).toContain('gh repo list');
  });

  it('checks file tools by path: a flagged write is no objection to Claude Code', async () => {
    const input = {
      ...bash(''),
      tool_name: 'Write',
      tool_input: { file_path: `${CWD}/.env.local`, content: 'X=1' },
    };
    expect(decisionOf(await runHook(test.home, input))).toBeUndefined();
    const session = test.engine.store.findByExternalId('anthropic', 'claude-session-1')!;
    const last = test.engine.store.listEvents(session.id).at(-1)!;
    expect(last.payload).toMatchObject({ tool: 'Write', decision: 'flag', paths: [`${CWD}/.env.local`] });
  });

  it('refuses input it cannot read instead of letting the call through', async () => {
    const decision = decisionOf(await runHook(test.home, '{"tool_name": '))!;
    expect(decision.permissionDecision).toBe('deny');
    expect(decision.permissionDecisionReason).toMatch(/could not read the hook's input/);
  });

  it('answers bad requests to the control API with clear errors, and only with the token', async () => {
    const { apiUrl, token } = test.engine.addresses;
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${apiUrl}/api/guard/tool-call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body,
      });
    const missing = await post(JSON.stringify({ session_id: 's', tool_input: {} }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/^tool_name: /);
    expect((await post('{')).status).toBe(400);
    expect((await post('{}', { authorization: 'Bearer wrong' })).status).toBe(401);
    const get = await fetch(`${apiUrl}/api/guard/tool-call`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(get.status).toBe(405);
    const wait = await fetch(`${apiUrl}/api/approvals/nope/wait?timeout=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(wait.status).toBe(404);
  });

  it('shows the check in `glassbox show`', () => {
    const shown = runCli(test.home, ['show', 'claude-session-1']);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('guard Bash: rm -rf /tmp/x → approve (rule shell.rm-outside-cwd)');
  });
});

describe('glassbox hook claude-code with no engine running', () => {
  const home = tempHome();
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('says so and denies by default (approvals.engineDown)', async () => {
    const result = await runHook(home, bash('ls'));
    expect(result.code).toBe(0);
    const decision = decisionOf(result)!;
    expect(decision.permissionDecision).toBe('deny');
    expect(decision.permissionDecisionReason).toMatch(
      /^Glassbox is not running, so this tool call could not be checked/,
    );
    expect(result.stderr).toMatch(/no Glassbox engine is running on .*; approvals.engineDown is deny/);
  });

  it('denies when a stale engine.json names a dead engine, and when policy.json cannot be read', async () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'engine.pid'), '999999\n');
    writeFileSync(join(home, 'engine.json'), JSON.stringify({ pid: 999999, apiUrl: 'http://127.0.0.1:9' }));
    writeFileSync(join(home, 'policy.json'), '{ not json');
    const decision = decisionOf(await runHook(home, bash('ls')))!;
    expect(decision.permissionDecision).toBe('deny');
  });
});

describe('glassbox hook claude-code against an engine with guardrails off', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  beforeAll(async () => {
    mock = await MockAnthropic.start();
    const home = tempHome();
    writeFileSync(join(home, 'policy.json'), JSON.stringify({ version: 1, guardrails: { enabled: false } }), {
      mode: 0o600,
    });
    test = await startTestEngine(mock.url, undefined, home);
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  it('has no objection and records nothing', async () => {
    const result = await runHook(test.home, bash('rm -rf /tmp/x', 'claude-off'));
    expect(result.code).toBe(0);
    expect(decisionOf(result)).toBeUndefined();
    expect(test.engine.store.findByExternalId('anthropic', 'claude-off')).toBeUndefined();
  });
});
