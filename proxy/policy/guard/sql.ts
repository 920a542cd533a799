/**
 * The PostgreSQL statement classifier (DESIGN.md, "Guardrails and just-in-time approvals"; issue 17, point 1):
 * SQL text through PostgreSQL's own parser (libpg-query: PostgreSQL 17's src/backend/parser compiled to
 * WebAssembly) into the facts rules match (types.ts, SqlFacts). Comments, string constants and dollar-quoted
 * bodies are the parser's business, so a keyword inside them never counts. What each statement is comes from
 * sql-commands.ts; what it reads, writes and calls from one walk of its tree (sql-walk.ts).
 */
import { createRequire } from 'node:module';
import type * as PgQuery from 'libpg-query';
import { moreDangerous, statementKind } from './sql-commands.js';
import { parseBool } from './sql-constant.js';
import { flag, isFields, type PgFields, type PgNode, str, unwrap } from './sql-nodes.js';
import { literalFreeShape, shareableFacts } from './sql-shape.js';
import { walkStatement } from './sql-walk.js';
import type { SqlEffect, SqlFacts, SqlStatementFacts } from './types.js';

// The CommonJS build, required on first use: the WebAssembly module then starts loading only when a
// classifier is wanted, and only loadSqlParser() waits for it.
const requireCjs = createRequire(import.meta.url);

function parser(): typeof PgQuery {
  return requireCjs('libpg-query') as typeof PgQuery;
}

/**
 * Load PostgreSQL's parser (about 1 MB of WebAssembly; tens of ms). Call once before the first
 * `SqlClassifier.classify`, e.g. at engine start; later calls return at once.
 */
export async function loadSqlParser(): Promise<void> {
  await parser().loadModule();
}

/** Options of a SqlClassifier. */
export interface SqlClassifierOptions {
  /** Distinct SQL texts whose facts are kept (least recently used dropped first); default 2,000. */
  cacheEntries?: number;
  /** Texts longer than this (UTF-16 code units) are classified every time, not kept; default 64 Ki. */
  maxCachedChars?: number;
  /** The cached texts' total length (UTF-16 code units), least recently used dropped first; default 4 Mi. */
  cacheChars?: number;
  /**
   * Texts longer than this are not parsed: effect `unknown`, with a parseError saying why. Parsing takes
   * about 0.4–1.2 µs per character on the event loop, and the parser's heap keeps the pages a long text
   * touched (about 100 MB of RSS after 1 MB); default 1 Mi (1,048,576).
   */
  maxTextChars?: number;
}

const EMPTY_STATEMENT: Omit<SqlStatementFacts, 'effect' | 'node' | 'command'> = {
  reads: [],
  writes: [],
  noWhere: false,
  functions: [],
  copyProgram: false,
  alterDrop: false,
};

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** `EXPLAIN ANALYZE` runs the statement (ExplainStmt option `analyze`, true unless given false/off/0). */
function explainAnalyzes(options: unknown): boolean {
  let analyze = false;
  for (const item of Array.isArray(options) ? options : []) {
    const option = unwrap(item);
    if (option?.type !== 'DefElem' || str(option.fields, 'defname') !== 'analyze') continue;
    const arg = unwrap(option.fields.arg);
    if (!arg) analyze = true;
    else if (arg.type === 'String') analyze = parseBool(str(arg.fields, 'sval')) !== false;
    else if (arg.type === 'Boolean') analyze = arg.fields.boolval === true;
    else if (arg.type === 'Integer') analyze = arg.fields.ival !== undefined && arg.fields.ival !== 0;
    else analyze = true;
  }
  return analyze;
}

/** EXPLAIN ANALYZE counts as the statement it runs; plain EXPLAIN only reads (it plans, never executes). */
function explain(fields: PgFields): SqlStatementFacts {
  const inner = unwrap(fields.query);
  const base = { node: 'ExplainStmt', command: 'EXPLAIN' };
  if (!inner) return { ...EMPTY_STATEMENT, ...base, effect: 'read' };
  const facts = statementFacts(inner);
  if (explainAnalyzes(fields.options)) return { ...facts, ...base };
  return { ...EMPTY_STATEMENT, ...base, effect: 'read', reads: sorted([...facts.reads, ...facts.writes]) };
}

/** The facts of one top-level statement. */
function statementFacts(node: PgNode): SqlStatementFacts {
  if (node.type === 'ExplainStmt') return explain(node.fields);
  const kind = statementKind(node);
  const walk = walkStatement(node);
  let effect = walk.effects.reduce(moreDangerous, kind.effect);
  // COPY … PROGRAM runs a shell command on the database server: what it does is not in the SQL.
  const copyProgram = node.type === 'CopyStmt' && flag(node.fields, 'is_program');
  if (copyProgram) effect = 'unknown';
  return {
    effect,
    node: node.type,
    command: kind.command,
    reads: sorted(walk.reads),
    writes: sorted(walk.writes),
    // TRUNCATE empties its tables, as a DELETE without WHERE would.
    noWhere: walk.noWhere || node.type === 'TruncateStmt',
    functions: sorted(walk.functions),
    copyProgram,
    alterDrop: walk.alterDrop,
  };
}

/** A whole message's facts from its statements' (the most dangerous effect; the union of the rest). */
function combine(statements: SqlStatementFacts[], parseError?: string): SqlFacts {
  const facts: SqlFacts = {
    effect: statements.map((s) => s.effect).reduce<SqlEffect>(moreDangerous, 'read'),
    statements,
    reads: sorted(statements.flatMap((s) => s.reads)),
    writes: sorted(statements.flatMap((s) => s.writes)),
    noWhere: statements.some((s) => s.noWhere),
    functions: sorted(statements.flatMap((s) => s.functions)),
    copyProgram: statements.some((s) => s.copyProgram),
    alterDrop: statements.some((s) => s.alterDrop),
    commands: [...new Set(statements.map((s) => s.command))],
  };
  if (parseError !== undefined) facts.parseError = parseError;
  return facts;
}

/** Facts for text that could not be classified: effect `unknown`, never assumed harmless. */
function unclassified(why: string): SqlFacts {
  return combine([{ ...EMPTY_STATEMENT, effect: 'unknown', node: 'ParseError', command: 'UNKNOWN' }], why);
}

function deepFreeze(facts: SqlFacts): SqlFacts {
  for (const s of facts.statements) {
    for (const list of [s.reads, s.writes, s.functions]) Object.freeze(list);
    Object.freeze(s);
  }
  for (const list of [facts.statements, facts.reads, facts.writes, facts.functions, facts.commands]) {
    Object.freeze(list);
  }
  return Object.freeze(facts);
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const details = isFields(error) && isFields(error.sqlDetails) ? error.sqlDetails : undefined;
  const at =
    typeof details?.cursorPosition === 'number' ? ` (at character ${details.cursorPosition + 1})` : '';
  return `${message}${at}`;
}

/**
 * Classifies SQL text (a Query message's string, a Parse message's statement) into SqlFacts. Synchronous and
 * cheap on repeats: the facts of each distinct text are kept in a least-recently-used cache, frozen and shared
 * between callers (do not modify them). Read-only statements are also cached by their literal-free shape
 * (sql-shape.ts), so `… WHERE aid = 7` after `… WHERE aid = 48213` is not parsed again.
 */
/** Shapes remembered at most (each up to 4 Ki characters), oldest first out. */
const SHAPES = 500;

export class SqlClassifier {
  private readonly cache = new Map<string, SqlFacts>();
  /** Facts of read-only statements by literal-free shape (a separate map: a shape is not a text). */
  private readonly shapes = new Map<string, SqlFacts>();
  private readonly cacheEntries: number;
  private readonly maxCachedChars: number;
  private readonly cacheChars: number;
  private readonly maxTextChars: number;
  private cachedChars = 0;

  constructor(options: SqlClassifierOptions = {}) {
    this.cacheEntries = Math.max(0, options.cacheEntries ?? 2000);
    this.maxCachedChars = options.maxCachedChars ?? 64 * 1024;
    this.cacheChars = options.cacheChars ?? 4 * 1024 * 1024;
    this.maxTextChars = options.maxTextChars ?? 1024 * 1024;
  }

  /**
   * The facts of `text`. Never throws on what it is given: text the parser rejects, text with a NUL character
   * (which PostgreSQL would cut short) and text longer than `maxTextChars` are effect `unknown` with a
   * `parseError`; empty text (or only comments) has no statements and effect `read`.
   * @throws Error when called before loadSqlParser() has finished
   */
  classify(text: string): SqlFacts {
    const cached = this.lookup(text);
    if (cached) return cached;
    // A text that differs from one seen before only in its constants shares that text's facts, when nothing
    // in them can depend on a constant (sql-shape.ts): clients that inline values repeat shapes, not texts.
    const shape = this.cacheEntries > 0 && typeof text === 'string' ? literalFreeShape(text) : undefined;
    const shaped = shape === undefined ? undefined : this.shapes.get(shape);
    if (shaped) return shaped;
    const facts = deepFreeze(this.compute(text));
    this.remember(text, facts);
    if (shape !== undefined && shareableFacts(facts)) {
      this.shapes.set(shape, facts);
      if (this.shapes.size > SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
    }
    return facts;
  }

  /** The cached facts of `key` (a text or a shape), refreshed as the most recently used. */
  private lookup(key: string): SqlFacts | undefined {
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
    }
    return cached;
  }

  private remember(key: string, facts: SqlFacts): void {
    if (key.length > Math.min(this.maxCachedChars, this.cacheChars) || this.cacheEntries === 0) return;
    if (this.cache.has(key)) return;
    this.cache.set(key, facts);
    this.cachedChars += key.length;
    while (this.cache.size > this.cacheEntries || this.cachedChars > this.cacheChars) this.evictOldest();
  }

  private evictOldest(): void {
    const oldest = this.cache.keys().next();
    if (oldest.done) return;
    this.cache.delete(oldest.value);
    this.cachedChars -= oldest.value.length;
  }

  private compute(text: string): SqlFacts {
    if (typeof text !== 'string') return unclassified(`not text but ${typeof text}`);
    if (text.length > this.maxTextChars) {
      return unclassified(`${text.length} characters, more than the ${this.maxTextChars} classified`);
    }
    if (text.includes('\0')) return unclassified('contains a NUL character');
    if (text.trim() === '') return combine([]);
    let tree: unknown;
    try {
      tree = parser().parseSync(text);
    } catch (error) {
      if (error instanceof Error && /not initiali[sz]ed/i.test(error.message)) {
        throw new Error(
          'SqlClassifier.classify was called before loadSqlParser() finished loading the parser',
        );
      }
      return unclassified(errorMessage(error));
    }
    try {
      const stmts = isFields(tree) && Array.isArray(tree.stmts) ? tree.stmts : [];
      const statements: SqlStatementFacts[] = [];
      for (const raw of stmts) {
        const node = isFields(raw) ? unwrap(raw.stmt) : undefined;
        if (!node) return unclassified('the parser returned a statement without a tree');
        statements.push(statementFacts(node));
      }
      return combine(statements);
    } catch (error) {
      return unclassified(`could not classify: ${errorMessage(error)}`);
    }
  }
}
