/**
 * The literal-free shape of a SQL text, for sharing one classification between statements that differ only
 * in their constants: `SELECT abalance FROM pgbench_accounts WHERE aid = 48213` and `… = 7` have the same
 * shape, `SELECT abalance FROM pgbench_accounts WHERE aid = ?`. Clients that do not use parameters (psql,
 * `pgbench -M simple`, ORMs that inline values) send a new text for every statement; parsing each costs about
 * 20 µs, looking up its shape about 1 µs.
 *
 * Only facts that cannot depend on a constant may be shared (see {@link shareableFacts}): a constant can
 * decide whether a WHERE is constant true (`WHERE 1 = 1` vs `WHERE 1 = 2`), so statements that modify rows
 * are always parsed on their own.
 */
import { SqlScanner } from '../sql-lexer.js';
import type { SqlFacts } from './types.js';

/** Texts longer than this are not shaped (the lexing would cost more than it saves). */
const MAX_SHAPED_CHARS = 4096;

/**
 * `text` with every string and number constant replaced by `?`, comments dropped and runs of white space
 * made one space; undefined when the text holds no constant (nothing to share), is long, or ends inside a
 * literal, quoted identifier or comment. Lexed by PostgreSQL's lexical rules with
 * `standard_conforming_strings` on, as the classifier's parser reads it (PostgreSQL docs, 4.1).
 */
export function literalFreeShape(text: string): string | undefined {
  if (text.length > MAX_SHAPED_CHARS) return undefined;
  const scanner = new SqlScanner(text, { standardConformingStrings: true });
  let shape = '';
  let constants = 0;
  while (scanner.next()) {
    if (scanner.unterminated) return undefined;
    switch (scanner.kind) {
      case 'string':
      case 'number':
        shape += '?';
        constants++;
        break;
      case 'space':
      case 'comment':
        if (!shape.endsWith(' ')) shape += ' ';
        break;
      default:
        shape += text.slice(scanner.start, scanner.end);
    }
  }
  return constants > 0 ? shape : undefined;
}

/**
 * True when facts classified from one text may stand for every text of the same shape: a statement that only
 * reads, calls no function of note and runs no program — nothing in its facts can depend on a constant.
 */
export function shareableFacts(facts: SqlFacts): boolean {
  return (
    facts.parseError === undefined &&
    facts.effect === 'read' &&
    facts.statements.length > 0 &&
    facts.statements.every((s) => s.effect === 'read') &&
    facts.functions.length === 0 &&
    !facts.copyProgram &&
    !facts.noWhere
  );
}
