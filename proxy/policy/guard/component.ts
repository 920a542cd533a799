/**
 * The guard as an engine component: loads the two WebAssembly parsers (PostgreSQL's, via libpg-query, and
 * tree-sitter-bash) at start, then answers with one {@link Guard} built from the classifiers and the policy
 * in force, read at each operation so a policy change applies to the next one.
 */
import { readFileSync, statSync } from 'node:fs';
import type { CompiledPolicy } from '../compile.js';
import { classifyFileTool } from './file-tools.js';
import { createGuard, type GuardClassifiers } from './guard.js';
import { loadShellParser, ShellClassifier } from './shell.js';
import { loadSqlParser, SqlClassifier } from './sql.js';
import type { Guard } from './types.js';

/**
 * Classified once at load so that PostgreSQL's parser compiles its code paths and sizes its memory at start
 * (about 20 MB of the engine's resident memory), not while the first client's statements flow.
 */
const WARM_UP_SQL =
  "WITH x AS (DELETE FROM s.a WHERE id = $1 RETURNING *) SELECT g, repeat('x', 2) FROM generate_series(1, 2) g JOIN x ON x.id = g WHERE g > 1 ORDER BY 1 LIMIT 3; UPDATE t SET a = 1; CREATE INDEX i ON t (a); DO $$BEGIN END$$";

/** `psql -f FILE` files read to classify their SQL, at most this many bytes (larger ones are not read). */
const MAX_SQL_FILE_BYTES = 1024 * 1024;

/** Reads a `psql -f` file for the shell classifier: its text, or undefined when missing, unreadable or large. */
function readSqlFile(path: string): string | undefined {
  try {
    if (statSync(path).size > MAX_SQL_FILE_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Loads both WebAssembly parsers (about 20 ms the first time), has PostgreSQL's parse one statement of many
 * kinds ({@link WARM_UP_SQL}), and returns the real classifiers, the shell classifier reading `psql -f` files
 * of up to 1 MiB; `dispose` frees the shell parser's memory.
 */
export async function loadGuardClassifiers(): Promise<GuardClassifiers & { dispose(): void }> {
  await Promise.all([loadSqlParser(), loadShellParser()]);
  const sql = new SqlClassifier();
  // Warm both parsers: their WebAssembly memory grows on first use, so that happens at start, not on the
  // first statements a client sends (which would pay for it in time and look like a leak of its own).
  new SqlClassifier({ cacheEntries: 0 }).classify(WARM_UP_SQL);
  const shell = new ShellClassifier();
  shell.classify('true', { home: '/' });
  return {
    sql,
    shell: { classify: (command, context) => shell.classify(command, { ...context, readFile: readSqlFile }) },
    fileTool: classifyFileTool,
    dispose: () => shell.dispose(),
  };
}

/** The engine's guard: start() loads the parsers; current() is the guard in effect (undefined when off). */
export class GuardComponent {
  private guard: Guard | undefined;
  private dispose: (() => void) | undefined;

  /** @param policy the policy in force (the watcher's `current`), read at each operation */
  constructor(private readonly policy: () => CompiledPolicy) {}

  /** Loads both parsers and builds the guard. */
  async start(): Promise<void> {
    const classifiers = await loadGuardClassifiers();
    this.dispose = classifiers.dispose;
    this.guard = createGuard(this.policy, classifiers);
  }

  async stop(): Promise<void> {
    this.guard = undefined;
    this.dispose?.();
    this.dispose = undefined;
  }

  /**
   * The guard in effect, or undefined when the policy turns guardrails off (`guardrails.enabled: false`) or
   * before start: enforcement points then classify nothing and let everything through.
   */
  current(): Guard | undefined {
    return this.policy().guard.enabled ? this.guard : undefined;
  }
}
