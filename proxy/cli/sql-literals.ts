/** A recorded bind parameter (see proxy/postgres/tracker.ts, RecordedParam). */
export interface RecordedParamLike {
  value: string | null;
  format: 'text' | 'binary';
  type_oid: number;
}

/** Names of common built-in types by OID (pg_type), for casts on inlined literals. */
const TYPE_NAMES: Record<number, string> = {
  16: 'boolean',
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  114: 'json',
  700: 'real',
  701: 'double precision',
  1043: 'varchar',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
};

/**
 * A standard SQL string literal for a text-format value: single quotes doubled. Safe with
 * standard_conforming_strings on (the default since PostgreSQL 9.1), where backslashes are ordinary.
 * A cast is added for known type OIDs, e.g. `'42'::integer`.
 */
export function sqlLiteral(value: string | null, typeOid = 0): string {
  if (value === null) return 'NULL';
  const cast = TYPE_NAMES[typeOid] ? `::${TYPE_NAMES[typeOid]}` : '';
  return `'${value.replace(/'/g, "''")}'${cast}`;
}

/**
 * Replaces `$1`, `$2`, … in `sql` with literals, skipping string constants ('…', E'…', $tag$…$tag$), quoted
 * identifiers and comments, as PostgreSQL's lexer does (PostgreSQL docs, 4.1 "Lexical Structure").
 * @returns the inlined SQL, or a reason it cannot be inlined safely (a binary parameter, a missing value,
 *          or SQL the scanner cannot follow)
 */
export function inlineParameters(
  sql: string,
  params: readonly RecordedParamLike[],
): { sql: string } | { reason: string } {
  const binary = params.findIndex((p) => p.format === 'binary');
  if (binary !== -1) return { reason: `parameter $${binary + 1} is in binary format` };
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    const start = i;
    if (ch === "'" || ((ch === 'E' || ch === 'e') && next === "'" && !isIdentChar(sql[i - 1]))) {
      const escapes = ch !== "'";
      i += escapes ? 2 : 1;
      for (;;) {
        if (i >= sql.length) return { reason: 'unterminated string constant' };
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") {
          i++;
          break;
        } else i++;
      }
    } else if (ch === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end === -1) return { reason: 'unterminated quoted identifier' };
      i = end + 1;
      while (sql[i] === '"') i = sql.indexOf('"', i + 1) + 1 || sql.length;
    } else if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
    } else if (ch === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (depth > 0) {
        if (i >= sql.length) return { reason: 'unterminated comment' };
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
    } else if (ch === '$' && /\d/.test(next ?? '') && !isIdentChar(sql[i - 1])) {
      let j = i + 1;
      while (/\d/.test(sql[j] ?? '')) j++;
      const index = Number(sql.slice(i + 1, j)) - 1;
      const param = params[index];
      if (!param) return { reason: `no value was recorded for $${index + 1}` };
      out += sqlLiteral(param.value, param.type_oid);
      i = j;
      continue;
    } else if (ch === '$' && !isIdentChar(sql[i - 1])) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        if (end === -1) return { reason: 'unterminated dollar-quoted string' };
        i = end + tag[0].length;
      } else i++;
    } else {
      i++;
    }
    out += sql.slice(start, i);
  }
  return { sql: out };
}

function isIdentChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}_$]/u.test(ch);
}
