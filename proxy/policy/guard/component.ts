/**
 * The guard as an engine component: loads the two WebAssembly parsers (PostgreSQL's, via libpg-query, and
 * tree-sitter-bash) at start, then answers with one {@link Guard} built from the classifiers and the policy
 * in force, read at each operation so a policy change applies to the next one. A parser failing to load
 * (a packaged app missing its .wasm, the parser's heap out of memory) never stops the engine.
 */
import { readFileSync, statSync } from 'node:fs';
import { describeError } from '../../common/errors.js';
import type { CompiledPolicy } from '../compile.js';
import { classifyFileTool } from './file-tools.js';
import { ClassifierUnavailableError, createGuard, type GuardClassifiers } from './guard.js';
import { loadShellParser, ShellClassifier } from './shell.js';
import { loadSqlParser, SqlClassifier } from './sql.js';
import type { Guard, GuardHealth } from './types.js';

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

/** How the two WebAssembly parsers are loaded (tests inject a failing one); each rejects when it cannot be. */
export interface GuardParserLoaders {
  /** PostgreSQL's parser (libpg-query); default {@link loadSqlParser}. */
  sql?: () => Promise<void>;
  /** tree-sitter-bash; default {@link loadShellParser}. */
  shell?: () => Promise<void>;
}

/** The classifiers as loaded: a part whose parser failed throws its {@link ClassifierUnavailableError}. */
export interface LoadedGuardClassifiers {
  classifiers: GuardClassifiers;
  /** Frees the shell parser's memory. */
  dispose(): void;
  /** Why each parser that could not be loaded could not (empty when both loaded). */
  failures: ClassifierUnavailableError[];
}

/**
 * Loads both WebAssembly parsers (about 20 ms the first time), each on its own so that one failing leaves the
 * other working; has PostgreSQL's parse one statement of many kinds ({@link WARM_UP_SQL}). A parser that
 * cannot be loaded (or warmed up) is replaced by a classifier that throws {@link ClassifierUnavailableError}
 * naming it and the cause. The shell classifier reads `psql -f` files of up to 1 MiB. Never rejects.
 */
export async function loadGuardParts(loaders: GuardParserLoaders = {}): Promise<LoadedGuardClassifiers> {
  const failures: ClassifierUnavailableError[] = [];
  const unavailable = (what: string, error: unknown) => {
    const failure = new ClassifierUnavailableError(
      `the ${what} could not be loaded when the engine started (${describeError(error)})`,
    );
    failures.push(failure);
    return {
      classify: (): never => {
        throw failure;
      },
    };
  };
  const [sql, shell] = await Promise.all([
    (async (): Promise<GuardClassifiers['sql']> => {
      try {
        await (loaders.sql ?? loadSqlParser)();
        const classifier = new SqlClassifier();
        // Warm the parser: its WebAssembly memory grows on first use, so that happens at start, not on the
        // first statements a client sends (which would pay for it in time and look like a leak of its own).
        new SqlClassifier({ cacheEntries: 0 }).classify(WARM_UP_SQL);
        return classifier;
      } catch (error) {
        return unavailable('PostgreSQL parser (libpg-query)', error);
      }
    })(),
    (async (): Promise<{ classifier: GuardClassifiers['shell']; dispose?: () => void }> => {
      try {
        await (loaders.shell ?? loadShellParser)();
        const classifier = new ShellClassifier();
        classifier.classify('true', { home: '/' });
        return {
          classifier: {
            classify: (command, context) =>
              classifier.classify(command, { ...context, readFile: readSqlFile }),
          },
          dispose: () => classifier.dispose(),
        };
      } catch (error) {
        return { classifier: unavailable('shell parser (tree-sitter-bash)', error) };
      }
    })(),
  ]);
  return {
    classifiers: { sql, shell: shell.classifier, fileTool: classifyFileTool },
    dispose: () => shell.dispose?.(),
    failures,
  };
}

/**
 * The real classifiers, as {@link loadGuardParts} loads them, for commands that need both
 * (`glassbox policy explain`); `dispose` frees the shell parser's memory.
 * @throws ClassifierUnavailableError when a parser cannot be loaded
 */
export async function loadGuardClassifiers(
  loaders: GuardParserLoaders = {},
): Promise<GuardClassifiers & { dispose(): void }> {
  const { classifiers, dispose, failures } = await loadGuardParts(loaders);
  if (failures[0]) {
    dispose();
    throw failures[0];
  }
  return { ...classifiers, dispose };
}

/** What the guard component is given besides the policy. */
export interface GuardComponentOptions {
  /** How the parsers are loaded (default: the real ones). */
  loaders?: GuardParserLoaders | undefined;
  /** Where a parser that could not be loaded is reported at start (the engine's warnings). */
  warn?: (message: string) => void;
}

/**
 * The engine's guard: start() loads the parsers; current() is the guard in effect (undefined when off).
 * A parser that cannot be loaded does not stop the engine: the guard then refuses what a rule needs that
 * parser for (fail closed) and decides the rest, and {@link GuardComponent.health} says why.
 */
export class GuardComponent {
  private guard: Guard | undefined;
  private dispose: (() => void) | undefined;
  private failures: ClassifierUnavailableError[] = [];

  /** @param policy the policy in force (the watcher's `current`), read at each operation */
  constructor(
    private readonly policy: () => CompiledPolicy,
    private readonly options: GuardComponentOptions = {},
  ) {}

  /** Loads both parsers and builds the guard; never rejects (see the class comment). */
  async start(): Promise<void> {
    const { classifiers, dispose, failures } = await loadGuardParts(this.options.loaders);
    this.dispose = dispose;
    this.failures = failures;
    this.guard = createGuard(this.policy, classifiers);
    for (const failure of failures) {
      this.options.warn?.(`guardrails: ${failure.message}; what a guard rule needs it for is refused`);
    }
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

  /** For /api/health: whether both parsers loaded, and if not, why. */
  health(): GuardHealth {
    const enabled = this.policy().guard.enabled;
    if (!this.guard) return { status: 'stopped', enabled };
    if (this.failures.length === 0) return { status: 'ok', enabled };
    return { status: 'unavailable', enabled, reason: this.failures.map((f) => f.message).join('; ') };
  }
}
