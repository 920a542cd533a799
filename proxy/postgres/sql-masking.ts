import type { TextMasker } from '../policy/masking/types.js';
import { dollarBody, SqlScanner, type SqlScanOptions, tokenValue } from '../policy/sql-lexer.js';
import { addCounts } from './masking.js';

/** SQL text with the values in its literals masked, and how many each detector masked. */
export interface MaskedSql {
  sql: string;
  counts: Record<string, number>;
}

/**
 * Masks what an SQL text holds as data — string constants of every form (`'…'`, `E'…'`, `U&'…'`, `N'…'`,
 * `$$…$$`, `$tag$…$tag$`), numeric constants and comments — by the detectors of `masker`, and nothing else:
 * keywords, identifiers and parameters stay, so the recorded SQL keeps its shape (PostgreSQL docs, 4.1
 * "Lexical Structure", read by sql-lexer.ts). A constant is masked where it is written when its text is its
 * value; one whose quoting changes its value (`''`, backslash escapes, a constant continued on the next
 * line) is written afresh as an `E'…'` constant (a `U&'…'` one stays `U&'…'`) when something in it is
 * masked. Bit and hex constants hold no text and stay.
 *
 * A text holding a backslash is read with standard_conforming_strings on and then again off (what each
 * reading finds as a value is masked), so a session that turned the setting off cannot hide a value behind
 * the other reading. Linear in the text's length, plus the detectors' work on the constants.
 */
export function maskSqlLiterals(sql: string, masker: TextMasker): MaskedSql {
  const counts: Record<string, number> = {};
  let masked = maskOnce(sql, masker, { standardConformingStrings: true }, counts);
  if (masked.includes('\\')) masked = maskOnce(masked, masker, { standardConformingStrings: false }, counts);
  return { sql: masked, counts };
}

function maskOnce(
  sql: string,
  masker: TextMasker,
  options: SqlScanOptions,
  counts: Record<string, number>,
): string {
  const scanner = new SqlScanner(sql, options);
  let out = '';
  let copied = 0;
  const replace = (start: number, end: number, text: string) => {
    out += sql.slice(copied, start) + text;
    copied = end;
  };
  while (scanner.next()) {
    const { kind, start, end } = scanner;
    if (kind === 'comment' || kind === 'number') {
      const result = masker.mask(sql.slice(start, end));
      if (result.spans.length === 0) continue;
      addCounts(counts, result.counts);
      replace(start, end, result.text);
      continue;
    }
    if (kind !== 'string' || scanner.form === 'bit' || scanner.form === 'hex') continue;
    const token = scanner.token();
    if (token.form === 'dollar') {
      const body = dollarBody(sql, token);
      const result = masker.mask(sql.slice(body.start, body.end));
      if (result.spans.length === 0) continue;
      addCounts(counts, result.counts);
      replace(body.start, body.end, result.text);
      continue;
    }
    const open = sql.indexOf("'", start) + 1;
    const close = token.unterminated ? end : end - 1;
    const written = sql.slice(open, close);
    const value = tokenValue(sql, token, options);
    const result = masker.mask(value);
    if (result.spans.length === 0) continue;
    addCounts(counts, result.counts);
    if (value === written) replace(open, close, result.text);
    else if (token.form === 'unicode') replace(start, end, `U&'${result.text.replaceAll("'", "''")}'`);
    else replace(start, end, `E'${result.text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`);
  }
  return copied === 0 ? sql : out + sql.slice(copied);
}
