/**
 * "Set up Claude Code" (`glassbox setup claude-code` and the tray): writes two things into Claude Code's user
 * settings (~/.claude/settings.json) — `env.ANTHROPIC_BASE_URL`, so every `claude` run goes through
 * Glassbox's Anthropic proxy, and a `PreToolUse` hook running `glassbox hook claude-code` for the tools that
 * change things (Bash and the file tools), so guardrails can hold or refuse them. The change is planned first
 * (shown to the user), applied with a backup of the whole file, and can be undone: undo puts the key's
 * previous value back (or removes it) and removes exactly the hook entry Glassbox added, leaving everything
 * else — other hooks, other env, whatever the user changed since — alone. A malformed file is never
 * overwritten. Settings format: Claude Code's settings reference (`env`, `hooks` → event → `[{ matcher,
 * hooks: [{ type: "command", command, timeout }] }]`, timeout in seconds).
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
import { isDeepStrictEqual } from 'node:util';

/** The key Glassbox writes under `env`. */
export const BASE_URL_KEY = 'ANTHROPIC_BASE_URL';
/** The tools the hook is installed for: the shell and every tool that writes files. */
export const HOOK_MATCHER = 'Bash|Write|Edit|MultiEdit|NotebookEdit';
/** The hook's timeout, seconds: how long an approval may keep a tool call waiting (10 minutes). */
export const HOOK_TIMEOUT_S = 600;

/** Why the settings could not be changed; `message` says what to do. */
export class ClaudeSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaudeSettingsError';
  }
}

/** What to install: the Anthropic proxy's URL and the shell command that runs the hook. */
export interface ClaudeSetupTarget {
  baseUrl: string;
  /** e.g. `'/usr/bin/node' '/opt/glassbox/bin/glassbox.js' hook claude-code` (see {@link hookCommand}). */
  hookCommand: string;
}

/** A planned change, to show before applying. */
export interface ClaudeSetupPlan extends ClaudeSetupTarget {
  path: string;
  /** The file's text as read (null when it does not exist yet). */
  before: string | null;
  /** The file's text after the change. */
  after: string;
  /** The key's value before (undefined when unset). */
  previous: string | undefined;
  /** False when the file already holds exactly this (nothing to write). */
  changes: boolean;
  /** A short human description of the change, for the confirmation dialog and the CLI. */
  summary: string;
}

/** What {@link applyClaudeSetup} remembers for undo, next to the settings file. */
interface UndoRecord {
  set: string;
  previous: string | null;
  /** The hook command added (null for a record written before Glassbox installed the hook). */
  hook: string | null;
  at: string;
}

type Json = Record<string, unknown>;

/** The backup of the whole file taken before the change: `<settings>.glassbox-backup`. */
export function backupPath(settingsPath: string): string {
  return `${settingsPath}.glassbox-backup`;
}

/** The undo record: `<settings>.glassbox-undo.json`. */
export function undoPath(settingsPath: string): string {
  return `${settingsPath}.glassbox-undo.json`;
}

/**
 * The hook's shell command: `runtime` (Node, or Electron run as Node) running the `glassbox` entry with
 * `hook claude-code`, each path single-quoted for the POSIX shell Claude Code runs hooks with; `env` is set
 * for the command only (e.g. `ELECTRON_RUN_AS_NODE=1`).
 */
export function hookCommand(runtime: string, entry: string, env: Record<string, string> = {}): string {
  const vars = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)} `);
  return `${vars.join('')}${shellQuote(runtime)} ${shellQuote(entry)} hook claude-code`;
}

/** True for a hook command that runs `glassbox hook claude-code`, however Glassbox was installed. */
export function isGlassboxHook(command: unknown): boolean {
  return typeof command === 'string' && /glassbox(?:\.js)?['"]?\s+hook\s+claude-code\s*$/.test(command);
}

/**
 * Plans setting `env.ANTHROPIC_BASE_URL` and the PreToolUse hook, keeping every other setting. A Glassbox
 * hook already there (from an earlier setup, perhaps with another path) is replaced in place, not doubled.
 * @throws ClaudeSettingsError when the file is not a JSON object, or its `env`, `hooks` or
 *   `hooks.PreToolUse` is not what Claude Code expects there
 */
export function planClaudeSetup(path: string, target: ClaudeSetupTarget): ClaudeSetupPlan {
  const before = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const settings = parseSettings(path, before);
  const env = envOf(path, settings);
  const hooks = hooksOf(path, settings);
  const previous = typeof env[BASE_URL_KEY] === 'string' ? (env[BASE_URL_KEY] as string) : undefined;
  const ours = {
    matcher: HOOK_MATCHER,
    hooks: [{ type: 'command', command: target.hookCommand, timeout: HOOK_TIMEOUT_S }],
  };
  const earlier = readUndo(path)?.hook;
  const isOurs = (command: unknown) => isGlassboxHook(command) || (earlier != null && command === earlier);
  const groups = preToolUseOf(path, hooks);
  const at = groups.findIndex((group) => entriesOf(group).some((entry) => isOurs(entry.command)));
  const kept = withoutHooks(groups, isOurs);
  const place = at === -1 ? kept.length : Math.min(at, kept.length);
  const preToolUse = [...kept.slice(0, place), ours, ...kept.slice(place)];
  const next: Json = {
    ...settings,
    env: { ...env, [BASE_URL_KEY]: target.baseUrl },
    hooks: { ...hooks, PreToolUse: preToolUse },
  };
  const after = `${JSON.stringify(next, null, 2)}\n`;
  const lines = [
    previous === undefined
      ? `Add "env": { "${BASE_URL_KEY}": "${target.baseUrl}" } to ${path}.`
      : previous === target.baseUrl
        ? `Keep env.${BASE_URL_KEY} "${target.baseUrl}" in ${path}.`
        : `Change env.${BASE_URL_KEY} in ${path} from "${previous}" to "${target.baseUrl}".`,
    `${at === -1 ? 'Add' : 'Keep'} a PreToolUse hook for ${HOOK_MATCHER.split('|').join(', ')} that asks Glassbox first (timeout ${HOOK_TIMEOUT_S} s): ${target.hookCommand}`,
  ];
  return {
    path,
    before,
    after,
    previous,
    ...target,
    changes: !isDeepStrictEqual(settings, next),
    summary: lines.join('\n'),
  };
}

/**
 * Applies a plan: backs up the current file (when there is one), writes the undo record, then replaces the
 * settings atomically (temp file + rename, keeping the file's mode).
 * @returns the backup's path, or null when there was no file to back up (or nothing to change)
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
    hook: plan.hookCommand,
    at: new Date().toISOString(),
  };
  writeFileSync(undoPath(plan.path), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  writeAtomically(plan.path, plan.after);
  return { backup };
}

/** True when there is a Glassbox change to undo in this settings file. */
export function canUndoClaudeSetup(path: string): boolean {
  return existsSync(undoPath(path));
}

/**
 * Undoes the setup: puts back the key's previous value (or removes the key, and `env` when it is left
 * empty) unless someone changed it since, and removes the hook entry Glassbox added (and the `PreToolUse`
 * list and `hooks` object when they are left empty), keeping everything else; deletes the undo record.
 * @returns notes on what was left as it is (the user's newer value wins), empty when all was undone
 * @throws ClaudeSettingsError when there is nothing to undo, the file is malformed, or nothing Glassbox
 *   added is left in the file (then nothing is touched)
 */
export function undoClaudeSetup(path: string): { notes: string[] } {
  const record = readUndo(path);
  if (!record) throw new ClaudeSettingsError('there is no Glassbox change to undo in Claude Code settings');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const settings = parseSettings(path, text);
  const env = { ...envOf(path, settings) };
  const hooks = { ...hooksOf(path, settings) };
  const groups = preToolUseOf(path, hooks);
  const hadHook =
    record.hook !== null && groups.some((g) => entriesOf(g).some((e) => e.command === record.hook));
  const notes: string[] = [];
  const envIsOurs = env[BASE_URL_KEY] === record.set;
  if (!envIsOurs)
    notes.push(`env.${BASE_URL_KEY} in ${path} was changed after Glassbox set it; left as it is`);
  if (!envIsOurs && !hadHook) {
    rmSync(undoPath(path), { force: true });
    throw new ClaudeSettingsError(notes[0]!);
  }
  const restored: Json = { ...settings };
  if (envIsOurs) {
    if (record.previous === null) delete env[BASE_URL_KEY];
    else env[BASE_URL_KEY] = record.previous;
    if (Object.keys(env).length === 0) delete restored.env;
    else restored.env = env;
  }
  if (hadHook) {
    const kept = withoutHooks(groups, (command) => command === record.hook);
    if (kept.length === 0) delete hooks.PreToolUse;
    else hooks.PreToolUse = kept;
    if (Object.keys(hooks).length === 0) delete restored.hooks;
    else restored.hooks = hooks;
  }
  writeAtomically(path, `${JSON.stringify(restored, null, 2)}\n`);
  rmSync(undoPath(path), { force: true });
  return { notes };
}

/** `groups` without the hook entries whose command `drop` picks; groups left with no entry are dropped. */
function withoutHooks(groups: unknown[], drop: (command: unknown) => boolean): unknown[] {
  const kept: unknown[] = [];
  for (const group of groups) {
    const entries = entriesOf(group);
    const left = entries.filter((entry) => !drop(entry.command));
    if (left.length === entries.length) kept.push(group);
    else if (left.length > 0) kept.push({ ...(group as Json), hooks: left });
  }
  return kept;
}

/** A PreToolUse group's hook entries (none when it is not shaped as Claude Code documents). */
function entriesOf(group: unknown): Json[] {
  const hooks = isObject(group) ? group.hooks : undefined;
  return Array.isArray(hooks) ? hooks.filter(isObject) : [];
}

function parseSettings(path: string, text: string | null): Json {
  if (text === null || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClaudeSettingsError(
      `${path} is not valid JSON (${(error as Error).message}); fix it first — Glassbox will not overwrite it`,
    );
  }
  if (!isObject(value)) {
    throw new ClaudeSettingsError(
      `${path} is not a JSON object; fix it first — Glassbox will not overwrite it`,
    );
  }
  return value;
}

function envOf(path: string, settings: Json): Json {
  const env = settings.env ?? {};
  if (!isObject(env)) throw new ClaudeSettingsError(`"env" in ${path} is not an object; fix it first`);
  return env;
}

function hooksOf(path: string, settings: Json): Json {
  const hooks = settings.hooks ?? {};
  if (!isObject(hooks)) throw new ClaudeSettingsError(`"hooks" in ${path} is not an object; fix it first`);
  return hooks;
}

function preToolUseOf(path: string, hooks: Json): unknown[] {
  const list = hooks.PreToolUse ?? [];
  if (!Array.isArray(list)) {
    throw new ClaudeSettingsError(`"hooks.PreToolUse" in ${path} is not a list; fix it first`);
  }
  return list;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readUndo(path: string): UndoRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(undoPath(path), 'utf8')) as Partial<UndoRecord>;
    if (typeof record.set !== 'string') return undefined;
    return {
      set: record.set,
      previous: typeof record.previous === 'string' ? record.previous : null,
      hook: typeof record.hook === 'string' ? record.hook : null,
      at: String(record.at),
    };
  } catch {
    return undefined;
  }
}

/** A word for a POSIX shell: single-quoted unless it is plainly safe. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function writeAtomically(path: string, text: string): void {
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, path);
}
