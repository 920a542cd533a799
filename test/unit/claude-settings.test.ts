import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyClaudeSetup,
  backupPath,
  ClaudeSettingsError,
  canUndoClaudeSetup,
  hookCommand,
  isGlassboxHook,
  planClaudeSetup,
  undoClaudeSetup,
} from '../../proxy/claude-code/settings.js';

const URL = 'http://127.0.0.1:8787';
const COMMAND = hookCommand('/usr/bin/node', '/opt/glass box/bin/glassbox.js');
const TARGET = { baseUrl: URL, hookCommand: COMMAND };
const OUR_GROUP = {
  matcher: 'Bash|Write|Edit|MultiEdit|NotebookEdit',
  hooks: [{ type: 'command', command: COMMAND, timeout: 600 }],
};
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function settingsFile(content?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-claude-'));
  dirs.push(dir);
  const path = join(dir, '.claude', 'settings.json');
  if (content !== undefined) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
  return path;
}
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('Claude Code settings writer', () => {
  it('quotes the hook command for the shell and recognises Glassbox hooks however installed', () => {
    expect(COMMAND).toBe("/usr/bin/node '/opt/glass box/bin/glassbox.js' hook claude-code");
    expect(hookCommand('/x/Electron', '/app/bin/glassbox.js', { ELECTRON_RUN_AS_NODE: '1' })).toBe(
      'ELECTRON_RUN_AS_NODE=1 /x/Electron /app/bin/glassbox.js hook claude-code',
    );
    expect(isGlassboxHook(COMMAND)).toBe(true);
    expect(isGlassboxHook('npx glassbox hook claude-code')).toBe(true);
    expect(isGlassboxHook('glassbox hook claude-code-other')).toBe(false);
    expect(isGlassboxHook('jq -r .tool_input.command >> log')).toBe(false);
  });

  it('creates the file when there is none, and undo removes what it added', () => {
    const path = settingsFile();
    const plan = planClaudeSetup(path, TARGET);
    expect(plan.summary).toContain(`Add "env": { "ANTHROPIC_BASE_URL": "${URL}" } to ${path}.`);
    expect(plan.summary).toContain(`Add a PreToolUse hook for Bash, Write, Edit, MultiEdit, NotebookEdit`);
    expect(applyClaudeSetup(plan)).toEqual({ backup: null });
    expect(read(path)).toEqual({ env: { ANTHROPIC_BASE_URL: URL }, hooks: { PreToolUse: [OUR_GROUP] } });
    expect(canUndoClaudeSetup(path)).toBe(true);
    expect(undoClaudeSetup(path)).toEqual({ notes: [] });
    expect(read(path)).toEqual({});
    expect(canUndoClaudeSetup(path)).toBe(false);
  });

  it('merges with other hooks and env, keeps a backup and the file mode, and undo removes exactly its own', () => {
    const theirs = { matcher: 'Bash', hooks: [{ type: 'command', command: 'audit.sh' }] };
    const post = [{ matcher: 'Write', hooks: [{ type: 'command', command: 'prettier' }] }];
    const original = JSON.stringify({
      model: 'opus',
      env: { FOO: '1', ANTHROPIC_BASE_URL: 'http://old:1' },
      hooks: { PreToolUse: [theirs], PostToolUse: post },
    });
    const path = settingsFile(original);
    chmodSync(path, 0o640);
    const plan = planClaudeSetup(path, TARGET);
    expect(plan.summary).toContain('from "http://old:1" to');
    const { backup } = applyClaudeSetup(plan);
    expect(backup).toBe(backupPath(path));
    expect(readFileSync(backup!, 'utf8')).toBe(original);
    expect(read(path)).toEqual({
      model: 'opus',
      env: { FOO: '1', ANTHROPIC_BASE_URL: URL },
      hooks: { PreToolUse: [theirs, OUR_GROUP], PostToolUse: post },
    });
    expect(statSync(path).mode & 0o777).toBe(0o640);
    // The user changes something else meanwhile, and adds a hook of their own next to Glassbox's.
    const changed = read(path);
    const mine = { type: 'command', command: 'mine.sh' };
    const groups = (changed.hooks as { PreToolUse: Array<{ hooks: unknown[] }> }).PreToolUse;
    groups[1]!.hooks.push(mine);
    writeFileSync(path, JSON.stringify({ ...changed, theme: 'dark' }));
    expect(undoClaudeSetup(path)).toEqual({ notes: [] });
    expect(read(path)).toEqual({
      model: 'opus',
      theme: 'dark',
      env: { FOO: '1', ANTHROPIC_BASE_URL: 'http://old:1' },
      hooks: { PreToolUse: [theirs, { ...OUR_GROUP, hooks: [mine] }], PostToolUse: post },
    });
  });

  it('refuses to touch a malformed file, and says why', () => {
    const path = settingsFile('{ "model": "opus", ');
    expect(() => planClaudeSetup(path, TARGET)).toThrow(ClaudeSettingsError);
    expect(() => planClaudeSetup(path, TARGET)).toThrow(/not valid JSON.*will not overwrite/);
    expect(readFileSync(path, 'utf8')).toBe('{ "model": "opus", ');
    expect(() => planClaudeSetup(settingsFile('[1,2]'), TARGET)).toThrow(/not a JSON object/);
    expect(() => planClaudeSetup(settingsFile('{"env": "x"}'), TARGET)).toThrow(/"env" .* is not an object/);
    expect(() => planClaudeSetup(settingsFile('{"hooks": []}'), TARGET)).toThrow(/"hooks" .* not an object/);
    expect(() => planClaudeSetup(settingsFile('{"hooks": {"PreToolUse": {}}}'), TARGET)).toThrow(
      /"hooks.PreToolUse" .* not a list/,
    );
  });

  it('refuses a plan made stale by another edit; undo leaves a newer user value alone but removes the hook', () => {
    const path = settingsFile('{}');
    const plan = planClaudeSetup(path, TARGET);
    writeFileSync(path, '{"model":"sonnet"}');
    expect(() => applyClaudeSetup(plan)).toThrow(/changed since/);
    applyClaudeSetup(planClaudeSetup(path, TARGET));
    writeFileSync(path, JSON.stringify({ ...read(path), env: { ANTHROPIC_BASE_URL: 'http://mine:9' } }));
    expect(undoClaudeSetup(path).notes).toEqual([
      `env.ANTHROPIC_BASE_URL in ${path} was changed after Glassbox set it; left as it is`,
    ]);
    expect(read(path)).toEqual({ model: 'sonnet', env: { ANTHROPIC_BASE_URL: 'http://mine:9' } });
    // With both parts gone, there is nothing to undo: said, and the file is left as it is.
    applyClaudeSetup(planClaudeSetup(path, TARGET));
    writeFileSync(path, JSON.stringify({ model: 'sonnet', env: { ANTHROPIC_BASE_URL: 'http://mine:9' } }));
    expect(() => undoClaudeSetup(path)).toThrow(/changed after Glassbox set it/);
    expect(read(path)).toEqual({ model: 'sonnet', env: { ANTHROPIC_BASE_URL: 'http://mine:9' } });
    expect(() => undoClaudeSetup(path)).toThrow(/no Glassbox change to undo/);
  });

  it('does nothing when already set up, replaces an older Glassbox hook in place, and undoes to the original', () => {
    const path = settingsFile(JSON.stringify({ env: { ANTHROPIC_BASE_URL: 'http://first:1' } }));
    applyClaudeSetup(planClaudeSetup(path, TARGET));
    const same = planClaudeSetup(path, TARGET);
    expect(same.changes).toBe(false);
    // Glassbox moved (another checkout, the desktop app): one hook, the new command, no duplicate.
    const moved = hookCommand('/usr/bin/node', '/new/bin/glassbox.js');
    applyClaudeSetup(planClaudeSetup(path, { baseUrl: 'http://127.0.0.1:9999', hookCommand: moved }));
    expect((read(path).hooks as { PreToolUse: unknown[] }).PreToolUse).toEqual([
      { ...OUR_GROUP, hooks: [{ ...OUR_GROUP.hooks[0], command: moved }] },
    ]);
    undoClaudeSetup(path);
    expect(read(path)).toEqual({ env: { ANTHROPIC_BASE_URL: 'http://first:1' } });
    expect(existsSync(backupPath(path))).toBe(true);
  });
});
