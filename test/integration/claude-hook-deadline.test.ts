import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudeCodeHook } from '../../proxy/cli/hook-claude-code.js';
import type { ApprovalBroker } from '../../proxy/policy/guard/types.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

const CWD = '/home/dev/project';
function bash(command: string, sessionId: string) {
  return JSON.stringify({
    session_id: sessionId,
    cwd: CWD,
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command },
    tool_use_id: 'toolu_1',
  });
}

/**
 * A clock for the hook that runs with real time until an approval of `text` is pending; the first time the
 * hook reads it after that, `decide` runs (a person decides at that very instant) and the clock jumps an hour
 * ahead, past the hook's deadline. So the hook's last look saw the approval pending, and its decision is made
 * between that look and the hook's withdrawal: the race of issue 17 review #6, made certain.
 */
function decidingClock(broker: ApprovalBroker, text: string, decide: (id: string) => void): () => number {
  let jumped = false;
  return () => {
    if (!jumped) {
      const pending = broker.list().find((a) => a.subject.text === text && a.status === 'pending');
      if (!pending) return Date.now();
      jumped = true;
      decide(pending.id);
    }
    return Date.now() + 3_600_000;
  };
}

/** The decision a hook printed, without its event name. */
function decisionOf(stdout: string): { permissionDecision: string; permissionDecisionReason: string } {
  const { hookSpecificOutput } = JSON.parse(stdout) as {
    hookSpecificOutput: {
      hookEventName: string;
      permissionDecision: string;
      permissionDecisionReason: string;
    };
  };
  const { hookEventName, ...decision } = hookSpecificOutput;
  expect(hookEventName).toBe('PreToolUse');
  return decision;
}

/** The hook's deadline against a real engine: a decision made as the deadline passes is the one that counts. */
describe('glassbox hook claude-code at its deadline', () => {
  let test: TestEngine;
  let broker: ApprovalBroker;

  beforeAll(async () => {
    test = await startTestEngine('http://127.0.0.1:9');
    broker = test.engine.approvals;
  });
  afterAll(async () => {
    await test.cleanup();
  });

  it('allows the call when the approval was given just as the deadline passed (the record says approved)', async () => {
    const text = 'rm -rf /srv/approved-late';
    const clock = decidingClock(broker, text, (id) =>
      broker.decide(id, { approve: true, by: { os_user: 'carol', via: 'dashboard' } }),
    );
    const outcome = await claudeCodeHook(bash(text, 'claude-late-1'), {
      home: test.home,
      timeoutS: 22,
      clock,
    });
    const approval = broker.list({ all: true }).find((a) => a.subject.text === text)!;
    expect(approval.status).toBe('approved');
    expect(decisionOf(outcome.stdout)).toEqual({
      permissionDecision: 'allow',
      permissionDecisionReason: 'Glassbox: approved by carol via dashboard',
    });
  });

  it('denies with the approver’s reason when it was denied just as the deadline passed', async () => {
    const text = 'rm -rf /srv/denied-late';
    const clock = decidingClock(broker, text, (id) =>
      broker.decide(id, { approve: false, reason: 'not today', by: { os_user: 'carol', via: 'dashboard' } }),
    );
    const outcome = await claudeCodeHook(bash(text, 'claude-late-2'), {
      home: test.home,
      timeoutS: 22,
      clock,
    });
    expect(decisionOf(outcome.stdout)).toEqual({
      permissionDecision: 'deny',
      permissionDecisionReason: 'Glassbox: denied by carol via dashboard: not today',
    });
  });

  it('still withdraws and denies when nobody decided by the deadline', async () => {
    const text = 'rm -rf /srv/nobody';
    const clock = decidingClock(broker, text, () => undefined);
    const outcome = await claudeCodeHook(bash(text, 'claude-late-3'), {
      home: test.home,
      timeoutS: 22,
      clock,
    });
    expect(decisionOf(outcome.stdout).permissionDecisionReason).toMatch(
      /^Glassbox: nobody decided approval ap_\w+ \(rule shell\.rm-outside-cwd\)/,
    );
    expect(broker.list({ all: true }).find((a) => a.subject.text === text)?.status).toBe('withdrawn');
  });
});
