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
  planClaudeSetup,
  undoClaudeSetup,
} from '../../../main/claude-settings.js';

const URL = 'http://127.0.0.1:8787';
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
  it('creates the file when there is none, and undo removes the key it added', () => {
    const path = settingsFile();
    const plan = planClaudeSetup(path, URL);
    expect(plan.summary).toBe(`Add "env": { "ANTHROPIC_BASE_URL": "${URL}" } to ${path}.`);
    expect(applyClaudeSetup(plan)).toEqual({ backup: null });
    expect(read(path)).toEqual({ env: { ANTHROPIC_BASE_URL: URL } });
    expect(canUndoClaudeSetup(path)).toBe(true);
    undoClaudeSetup(path);
    expect(read(path)).toEqual({});
    expect(canUndoClaudeSetup(path)).toBe(false);
  });

  it('merges into existing settings, keeps a backup and the file mode, and undo restores the old value', () => {
    const original = JSON.stringify({ model: 'opus', env: { FOO: '1', ANTHROPIC_BASE_URL: 'http://old:1' } });
    const path = settingsFile(original);
    chmodSync(path, 0o640);
    const plan = planClaudeSetup(path, URL);
    expect(plan.summary).toContain('from "http://old:1" to');
    const { backup } = applyClaudeSetup(plan);
    expect(backup).toBe(backupPath(path));
    expect(readFileSync(backup!, 'utf8')).toBe(original);
    expect(read(path)).toEqual({ model: 'opus', env: { FOO: '1', ANTHROPIC_BASE_URL: URL } });
    expect(statSync(path).mode & 0o777).toBe(0o640);
    // The user changes something else meanwhile; undo keeps it.
    writeFileSync(path, JSON.stringify({ ...read(path), theme: 'dark' }));
    undoClaudeSetup(path);
    expect(read(path)).toEqual({
      model: 'opus',
      theme: 'dark',
      env: { FOO: '1', ANTHROPIC_BASE_URL: 'http://old:1' },
    });
  });

  it('refuses to touch a malformed file, and says why', () => {
    const path = settingsFile('{ "model": "opus", ');
    expect(() => planClaudeSetup(path, URL)).toThrow(ClaudeSettingsError);
    expect(() => planClaudeSetup(path, URL)).toThrow(/not valid JSON.*will not overwrite/);
    expect(readFileSync(path, 'utf8')).toBe('{ "model": "opus", ');
    const array = settingsFile('[1,2]');
    expect(() => planClaudeSetup(array, URL)).toThrow(/not a JSON object/);
    const badEnv = settingsFile('{"env": "x"}');
    expect(() => planClaudeSetup(badEnv, URL)).toThrow(/"env" .* is not an object/);
  });

  it('refuses a plan made stale by another edit, and leaves a newer user value alone on undo', () => {
    const path = settingsFile('{}');
    const plan = planClaudeSetup(path, URL);
    writeFileSync(path, '{"model":"sonnet"}');
    expect(() => applyClaudeSetup(plan)).toThrow(/changed since/);
    applyClaudeSetup(planClaudeSetup(path, URL));
    writeFileSync(path, JSON.stringify({ model: 'sonnet', env: { ANTHROPIC_BASE_URL: 'http://mine:9' } }));
    expect(() => undoClaudeSetup(path)).toThrow(/changed after Glassbox set it/);
    expect(read(path)).toEqual({ model: 'sonnet', env: { ANTHROPIC_BASE_URL: 'http://mine:9' } });
    expect(() => undoClaudeSetup(path)).toThrow(/no Glassbox change to undo/);
  });

  it('does nothing when the value is already set, and a second setup still undoes to the original', () => {
    const path = settingsFile(JSON.stringify({ env: { ANTHROPIC_BASE_URL: 'http://first:1' } }));
    applyClaudeSetup(planClaudeSetup(path, URL));
    const same = planClaudeSetup(path, URL);
    expect(same.changes).toBe(false);
    applyClaudeSetup(planClaudeSetup(path, 'http://127.0.0.1:9999'));
    undoClaudeSetup(path);
    expect(read(path)).toEqual({ env: { ANTHROPIC_BASE_URL: 'http://first:1' } });
    expect(existsSync(backupPath(path))).toBe(true);
  });
});
