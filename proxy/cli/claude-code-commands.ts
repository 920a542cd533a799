import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import {
  applyClaudeSetup,
  ClaudeSettingsError,
  canUndoClaudeSetup,
  HOOK_TIMEOUT_S,
  hookCommand,
  planClaudeSetup,
  undoClaudeSetup,
} from '../claude-code/settings.js';
import { UserError } from '../common/errors.js';
import { glassboxHome } from '../config.js';
import { anthropicUrlFor } from './engine-finder.js';
import { hookCommandMain } from './hook-claude-code.js';

/** Adds `glassbox hook claude-code` and `glassbox setup claude-code [--undo]` to the program. */
export function addClaudeCodeCommands(program: Command): void {
  program
    .command('hook')
    .description('hooks that agents run (installed by `glassbox setup`)')
    .command('claude-code')
    .description(
      "Claude Code's PreToolUse hook: asks the running engine about a tool call (JSON on stdin), waits for an approval when a rule wants one, and prints Claude Code's decision JSON",
    )
    .option(
      '--timeout <seconds>',
      `the hook's timeout as configured in Claude Code (default ${HOOK_TIMEOUT_S}); the hook answers before it`,
      (v) => seconds(v),
    )
    .action((options: { timeout?: number }) =>
      hookCommandMain(options.timeout !== undefined ? ['--timeout', String(options.timeout)] : []),
    );

  program
    .command('setup')
    .description('point an agent at Glassbox')
    .command('claude-code')
    .description(
      `set ANTHROPIC_BASE_URL and the guardrails hook (PreToolUse, timeout ${HOOK_TIMEOUT_S} s) in Claude Code's user settings, keeping a backup; --undo removes exactly that`,
    )
    .option('--undo', 'remove what an earlier setup added, keeping everything else')
    .option('--settings <file>', "Claude Code's settings file (default ~/.claude/settings.json)")
    .action((options: { undo?: boolean; settings?: string }) => {
      const path = options.settings ? resolve(options.settings) : join(homedir(), '.claude', 'settings.json');
      try {
        if (options.undo) return undo(path);
        setup(path);
      } catch (error) {
        if (error instanceof ClaudeSettingsError) throw new UserError(error.message);
        throw error;
      }
    });
}

function setup(path: string): void {
  const home = glassboxHome();
  const plan = planClaudeSetup(path, {
    baseUrl: anthropicUrlFor(home),
    hookCommand: ownHookCommand(home),
  });
  if (!plan.changes) {
    process.stdout.write(`Claude Code is already set up for Glassbox in ${path}; nothing changed.\n`);
    return;
  }
  const { backup } = applyClaudeSetup(plan);
  const lines = [
    ...plan.summary.split('\n'),
    ...(backup ? [`The previous file is saved as ${backup}.`] : []),
    'New `claude` sessions go through Glassbox, and their shell commands and file edits are checked first.',
    'Undo with `glassbox setup claude-code --undo`.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function undo(path: string): void {
  if (!canUndoClaudeSetup(path)) {
    throw new UserError(`there is no Glassbox change to undo in ${path}`);
  }
  const { notes } = undoClaudeSetup(path);
  const lines = [`Removed Glassbox's ANTHROPIC_BASE_URL and hook from ${path}.`, ...notes];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * The command Claude Code runs: this Node running this `glassbox` entry (its real path, so an `npx` or
 * linked install keeps working when PATH differs), with GLASSBOX_HOME when it was set, so the hook finds the
 * same engine.
 */
function ownHookCommand(home: string): string {
  const entry = realpathSync(process.argv[1] ?? '');
  const env: Record<string, string> = process.env.GLASSBOX_HOME?.trim()
    ? { GLASSBOX_HOME: resolve(home) }
    : {};
  return hookCommand(process.execPath, entry, env);
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 86_400)
    throw new InvalidArgumentError('--timeout must be whole seconds from 1 to 86400');
  return n;
}
