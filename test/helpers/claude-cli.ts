import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome } from './engine.js';
import { collectOutput, type ProcessOutput } from './process.js';

/** The real Claude Code CLI from @anthropic-ai/claude-code (a devDependency). */
export const CLAUDE = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

/** The API key the tests give the CLI (the mock accepts any). */
export const CLAUDE_TEST_API_KEY = 'sk-ant-api03-ClaudeCliTestKey-5e8a1c3b7d9f0246-CLIk';

/**
 * Runs `claude -p PROMPT --output-format json` (Bash allowed) to completion against `baseUrl`, with a
 * throwaway HOME and working directory and no traffic but the Messages API. `retries` is the CLI's own
 * retry budget for a failing request (CLAUDE_CODE_MAX_RETRIES; default 0); `files` are written to the working
 * directory first (name → content).
 */
export async function runClaude(
  baseUrl: string,
  prompt: string,
  retries = 0,
  files: Record<string, string> = {},
): Promise<ProcessOutput> {
  const home = tempHome('glassbox-claude-home-');
  const cwd = tempHome('glassbox-claude-cwd-');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(cwd, name), content);
  const child = spawn(CLAUDE, ['-p', prompt, '--allowedTools', 'Bash', '--output-format', 'json'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 90_000,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: CLAUDE_TEST_API_KEY,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: String(retries),
    },
  });
  try {
    return await collectOutput(child);
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
}
