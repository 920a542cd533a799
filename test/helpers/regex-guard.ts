import type {
  DecidingRule,
  Guard,
  GuardAction,
  GuardContext,
  GuardDecision,
  OperationFacts,
  SqlEffect,
  SqlFacts,
} from '../../proxy/policy/guard/types.js';

/** One rule of {@link RegexGuard}: the first whose `pattern` matches a statement's text decides. */
export interface RegexRule {
  id: string;
  pattern: RegExp;
  action: GuardAction;
  message: string;
}

/**
 * A stand-in Guard for enforcement tests: decides SQL by regular expressions over the statement's text (the
 * real guard classifies with PostgreSQL's parser; tests switch to it once merged). Tool calls are allowed.
 * Facts are kept per distinct text, as the real classifier caches them.
 */
export class RegexGuard implements Guard {
  private readonly facts = new Map<string, OperationFacts>();

  constructor(private readonly rules: RegexRule[]) {}

  sql(text: string, _context: GuardContext): { facts: OperationFacts; decision: GuardDecision } {
    let facts = this.facts.get(text);
    if (!facts) {
      if (this.facts.size >= 1_000) this.facts.clear();
      facts = { kind: 'sql', text, sql: roughFacts(text) };
      this.facts.set(text, facts);
    }
    const rule = this.rules.find((r) => r.pattern.test(text));
    if (!rule) return { facts, decision: { action: 'allow' } };
    const deciding: DecidingRule = { id: rule.id, message: rule.message, builtin: false };
    return { facts, decision: { action: rule.action, rule: deciding } };
  }

  toolCall(tool: string): { facts: OperationFacts; decision: GuardDecision } {
    return { facts: { kind: 'tool', tool }, decision: { action: 'allow' } };
  }
}

/** Facts good enough for events: the first keyword's effect and the command; no tables. */
function roughFacts(text: string): SqlFacts {
  const word = /^\s*(\w+)(?:\s+(TABLE))?/i.exec(text);
  const command = word ? [word[1], word[2]].filter(Boolean).join(' ').toUpperCase() : '';
  const effects: Record<string, SqlEffect> = {
    SELECT: 'read',
    INSERT: 'insert',
    UPDATE: 'update',
    DELETE: 'delete',
    DROP: 'ddl',
    CREATE: 'ddl',
    TRUNCATE: 'ddl',
  };
  const effect = effects[command.split(' ')[0] ?? ''] ?? 'unknown';
  const statement = {
    effect,
    node: 'Unknown',
    command,
    reads: [],
    writes: [],
    noWhere: !/\bwhere\b/i.test(text),
    functions: [],
    copyProgram: false,
    alterDrop: false,
  };
  return { ...statement, statements: [statement], commands: command ? [command] : [] };
}
