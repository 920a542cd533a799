import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_TEST_API_KEY, runClaude } from '../helpers/claude-cli.js';
import { runCli } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { filesUnder } from '../helpers/files.js';
import { claudeCodePlan, MockAnthropic } from '../helpers/mock-anthropic.js';
import type { ProcessOutput } from '../helpers/process.js';

const API_KEY = CLAUDE_TEST_API_KEY;

describe('the real claude CLI through Glassbox', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let result: ProcessOutput;
  let cliSessionId: string;

  beforeAll(async () => {
    mock = await MockAnthropic.start({ plan: claudeCodePlan });
    test = await startTestEngine(mock.url);
    result = await runClaude(test.engine.addresses.anthropicUrl, 'run echo glassbox-hello');
    cliSessionId = (JSON.parse(result.stdout) as { session_id: string }).session_id;
  }, 120_000);
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  it('completes the agent loop unchanged: tool call, Bash runs, tool_result goes back, final answer', () => {
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ result: 'All done.', num_turns: 2, is_error: false });
    const posts = mock.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts.every((r) => r.url === '/v1/messages?beta=true')).toBe(true);
    expect(posts[0]!.headers['x-api-key']).toBe(API_KEY);
    expect(JSON.stringify(posts[1]!.body)).toContain('"tool_result"');
    expect(JSON.stringify(posts[1]!.body)).toContain('glassbox-hello');
  });

  it('lists the session under Claude Code session id with both turns', () => {
    const sessions = JSON.parse(runCli(test.home, ['sessions', '--json']).stdout) as Array<{
      external_id: string;
      client: string;
      stats: { turns: number };
    }>;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ external_id: cliSessionId, stats: { turns: 2 } });
    expect(sessions[0]!.client).toMatch(/^claude-cli\//);
  });

  it("prices Claude Code's default model: the session's cost is the CLI's own total_cost_usd", () => {
    const reported = JSON.parse(result.stdout) as {
      total_cost_usd: number;
      modelUsage: Record<string, unknown>;
    };
    expect(Object.keys(reported.modelUsage)).toEqual(['claude-opus-5-5']);
    const [session] = JSON.parse(runCli(test.home, ['sessions', '--json']).stdout) as Array<{
      stats: { cost_usd?: number; unpriced_turns?: number };
    }>;
    expect(session!.stats.unpriced_turns ?? 0).toBe(0);
    expect(reported.total_cost_usd).toBeGreaterThan(0);
    expect(session!.stats.cost_usd).toBeCloseTo(reported.total_cost_usd, 9);
  });

  it('shows the conversation with the Bash tool call and its result', () => {
    const shown = runCli(test.home, ['show', cliSessionId]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/user\s+run echo glassbox-hello/);
    expect(shown.stdout).toMatch(/tool call\s+Bash \(toolu_mock_1\)/);
    expect(shown.stdout).toContain('"command": "echo glassbox-hello"');
    expect(shown.stdout).toMatch(/tool result\s+\(toolu_mock_1\) glassbox-hello/);
    expect(shown.stdout).toMatch(/assistant\s+All done\./);
    expect(shown.stdout).toMatch(/Turn 2/);
  });

  it('verifies, and has the API key nowhere under GLASSBOX_HOME', () => {
    expect(runCli(test.home, ['verify', cliSessionId]).status).toBe(0);
    for (const file of filesUnder(test.home)) {
      expect(readFileSync(file).includes(Buffer.from(API_KEY)), file).toBe(false);
    }
  });
});
