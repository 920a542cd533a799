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
 * True when facts classified from one text may stand for every text of the same shape: plain SELECTs that
 * only read, call no function of note and run no program — nothing in their facts can depend on a constant.
 * Not EXPLAIN, whose options are constants (`EXPLAIN (ANALYZE 'on') DELETE …` runs the DELETE where
 * `ANALYZE 'off'` does not), nor any other statement type.
 */
export function shareableFacts(facts: SqlFacts): boolean {
  return (
    facts.parseError === undefined &&
    facts.effect === 'read' &&
    facts.statements.length > 0 &&
    facts.statements.every((s) => s.effect === 'read' && s.node === 'SelectStmt') &&
    facts.functions.length === 0 &&
    !facts.copyProgram &&
    !facts.noWhere
  );
}

/**
 * True when `text` tokenises differently with `standard_conforming_strings` off than on (PostgreSQL docs,
 * 4.1.2.1): a backslash in a plain `'…'` string then escapes the next character, so a literal may end
 * elsewhere and SQL hide inside or outside it. Texts without a backslash read the same either way.
 */
export function readsDifferentlyWithoutStandardStrings(text: string): boolean {
  if (!text.includes('\\')) return false;
  const on = new SqlScanner(text, { standardConformingStrings: true });
  const off = new SqlScanner(text, { standardConformingStrings: false });
  for (;;) {
    const more = on.next();
    if (more !== off.next()) return true;
    if (!more) return false;
    if (on.start !== off.start || on.end !== off.end || on.kind !== off.kind) return true;
  }
}
