import { isAbsolute, relative, resolve } from 'node:path';
import type {
  Guard,
  GuardAction,
  GuardContext,
  GuardDecision,
  OperationFacts,
} from '../../proxy/policy/guard/types.js';

/** One rule of {@link RegexGuard}: a pattern on the command line (Bash) or on a path (file tools). */
export interface RegexRule {
  id: string;
  action: GuardAction;
  message: string;
  pattern: RegExp;
  /** Also required: the match's first group names a path outside the session's working directory. */
  outsideCwd?: boolean;
}

/**
 * A small Guard for tests of the enforcement points: decides by regular expressions over a Bash command line
 * or a file tool's path, first match wins. The real guard (proxy/policy/guard/, built alongside) classifies
 * with parsers; this one stands in for it so the hook and the control API can be tested on their own.
 */
export class RegexGuard implements Guard {
  constructor(private readonly rules: RegexRule[]) {}

  sql(text: string): { facts: OperationFacts; decision: GuardDecision } {
    const facts: OperationFacts = {
      kind: 'sql',
      text,
      sql: {
        effect: 'unknown',
        statements: [],
        reads: [],
        writes: [],
        noWhere: false,
        functions: [],
        copyProgram: false,
        alterDrop: false,
        commands: [],
      },
    };
    return { facts, decision: this.decide(text, {}) };
  }

  toolCall(
    tool: string,
    input: unknown,
    context: GuardContext,
  ): { facts: OperationFacts; decision: GuardDecision } {
    const fields = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    if (tool === 'Bash') {
      const command = typeof fields.command === 'string' ? fields.command : '';
      const facts: OperationFacts = { kind: 'bash', command, shell: { commands: [], sql: [] }, sql: [] };
      return { facts, decision: this.decide(command, context) };
    }
    const path = fields.file_path ?? fields.notebook_path;
    if (typeof path === 'string') {
      const absolute = resolve(context.cwd ?? '/', path);
      return {
        facts: { kind: 'file', file: { tool, paths: [absolute] } },
        decision: this.decide(absolute, context),
      };
    }
    return { facts: { kind: 'tool', tool }, decision: { action: 'allow' } };
  }

  private decide(text: string, context: Partial<GuardContext>): GuardDecision {
    for (const rule of this.rules) {
      const match = rule.pattern.exec(text);
      if (!match) continue;
      if (rule.outsideCwd) {
        const target = resolve(context.cwd ?? '/', match[1] ?? '.');
        const inside = context.cwd !== undefined && !relative(context.cwd, target).startsWith('..');
        if (inside || !isAbsolute(target)) continue;
      }
      return { action: rule.action, rule: { id: rule.id, message: rule.message, builtin: false } };
    }
    return { action: 'allow' };
  }
}
