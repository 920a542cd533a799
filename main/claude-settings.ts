/**
 * "Set up Claude Code": sets `env.ANTHROPIC_BASE_URL` in Claude Code's user settings (~/.claude/settings.json)
 * so every `claude` run goes through Glassbox. The change is planned first (shown to the user), applied with
 * a backup of the whole file, and can be undone: undo restores the key's previous value (or removes it) and
 * leaves everything else the user changed since alone. A malformed file is never overwritten.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** The key Glassbox writes under `env`. */
export const BASE_URL_KEY = 'ANTHROPIC_BASE_URL';

/** Why the settings could not be changed; `message` says what to do. */
export class ClaudeSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaudeSettingsError';
  }
}

/** A planned change, to show before applying. */
export interface ClaudeSetupPlan {
  path: string;
  /** The file's text as read (null when it does not exist yet). */
  before: string | null;
  /** The file's text after the change. */
  after: string;
  /** The key's value before (undefined when unset). */
  previous: string | undefined;
  baseUrl: string;
  /** False when the key already has this value (nothing to write). */
  changes: boolean;
  /** A short human description of the change, for the confirmation dialog. */
  summary: string;
}

/** What {@link applyClaudeSetup} remembers for undo, next to the settings file. */
interface UndoRecord {
  set: string;
  previous: string | null;
  at: string;
}

/** The backup of the whole file taken before the change: `<settings>.glassbox-backup`. */
export function backupPath(settingsPath: string): string {
  return `${settingsPath}.glassbox-backup`;
}

/** The undo record: `<settings>.glassbox-undo.json`. */
export function undoPath(settingsPath: string): string {
  return `${settingsPath}.glassbox-undo.json`;
}

/**
 * Plans setting `env.ANTHROPIC_BASE_URL` to `baseUrl`, keeping every other setting.
 * @throws ClaudeSettingsError when the file is not a JSON object or its `env` is not an object
 */
export function planClaudeSetup(path: string, baseUrl: string): ClaudeSetupPlan {
  const before = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const settings = parseSettings(path, before);
  const env = envOf(path, settings);
  const previous = typeof env[BASE_URL_KEY] === 'string' ? (env[BASE_URL_KEY] as string) : undefined;
  const after = `${JSON.stringify({ ...settings, env: { ...env, [BASE_URL_KEY]: baseUrl } }, null, 2)}\n`;
  const summary =
    previous === undefined
      ? `Add "env": { "${BASE_URL_KEY}": "${baseUrl}" } to ${path}.`
      : `Change env.${BASE_URL_KEY} in ${path} from "${previous}" to "${baseUrl}".`;
  return { path, before, after, previous, baseUrl, changes: previous !== baseUrl, summary };
}

/**
 * Applies a plan: backs up the current file (when there is one), writes the undo record, then replaces the
 * settings atomically (temp file + rename, keeping the file's mode).
 * @returns the backup's path, or null when there was no file to back up
 * @throws ClaudeSettingsError when the file changed since the plan was made
 */
export function applyClaudeSetup(plan: ClaudeSetupPlan): { backup: string | null } {
  const now = existsSync(plan.path) ? readFileSync(plan.path, 'utf8') : null;
  if (now !== plan.before) {
    throw new ClaudeSettingsError(`${plan.path} changed since the change was shown; try again`);
  }
  if (!plan.changes) return { backup: null };
  mkdirSync(dirname(plan.path), { recursive: true });
  let backup: string | null = null;
  if (plan.before !== null) {
    backup = backupPath(plan.path);
    copyFileSync(plan.path, backup);
  }
  // An undo record from an earlier setup keeps the value from before Glassbox first touched the key.
  const earlier = readUndo(plan.path);
  const record: UndoRecord = {
    set: plan.baseUrl,
    previous: earlier ? earlier.previous : (plan.previous ?? null),
    at: new Date().toISOString(),
  };
  writeFileSync(undoPath(plan.path), `${JSON.stringify(record, null, 2)}\n`);
  writeAtomically(plan.path, plan.after);
  return { backup };
}

/** True when there is a Glassbox change to undo in this settings file. */
export function canUndoClaudeSetup(path: string): boolean {
  return existsSync(undoPath(path));
}

/**
 * Undoes the setup: puts back the key's previous value (or removes the key, and `env` when it is left
 * empty), keeping everything else, and deletes the undo record.
 * @throws ClaudeSettingsError when there is nothing to undo, the file is malformed, or the key was changed
 *   by someone else since (then nothing is touched: the user's newer value wins)
 */
export function undoClaudeSetup(path: string): void {
  const record = readUndo(path);
  if (!record) throw new ClaudeSettingsError('there is no Glassbox change to undo in Claude Code settings');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const settings = parseSettings(path, text);
  const env = { ...envOf(path, settings) };
  if (env[BASE_URL_KEY] !== record.set) {
    rmSync(undoPath(path), { force: true });
    throw new ClaudeSettingsError(
      `env.${BASE_URL_KEY} in ${path} was changed after Glassbox set it; left as it is`,
    );
  }
  if (record.previous === null) delete env[BASE_URL_KEY];
  else env[BASE_URL_KEY] = record.previous;
  const restored: Record<string, unknown> = { ...settings, env };
  if (Object.keys(env).length === 0) delete restored.env;
  writeAtomically(path, `${JSON.stringify(restored, null, 2)}\n`);
  rmSync(undoPath(path), { force: true });
}

function parseSettings(path: string, text: string | null): Record<string, unknown> {
  if (text === null || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClaudeSettingsError(
      `${path} is not valid JSON (${(error as Error).message}); fix it first — Glassbox will not overwrite it`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClaudeSettingsError(
      `${path} is not a JSON object; fix it first — Glassbox will not overwrite it`,
    );
  }
  return value as Record<string, unknown>;
}

function envOf(path: string, settings: Record<string, unknown>): Record<string, unknown> {
  const env = settings.env ?? {};
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new ClaudeSettingsError(`"env" in ${path} is not an object; fix it first`);
  }
  return env as Record<string, unknown>;
}

function readUndo(path: string): UndoRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(undoPath(path), 'utf8')) as Partial<UndoRecord>;
    if (typeof record.set !== 'string') return undefined;
    return {
      set: record.set,
      previous: typeof record.previous === 'string' ? record.previous : null,
      at: String(record.at),
    };
  } catch {
    return undefined;
  }
}

function writeAtomically(path: string, text: string): void {
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, path);
}
