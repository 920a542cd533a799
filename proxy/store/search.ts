/**
 * Turns what a person types into a safe SQLite FTS5 MATCH expression: each word becomes a quoted term
 * (so punctuation and FTS operators in the input cannot cause syntax errors), words are ANDed, and the last
 * word matches as a prefix. Returns '' when there is nothing to search for.
 */
export function ftsQuery(input: string): string {
  const words = input.match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0) return '';
  return words.map((word, i) => `"${word}"${i === words.length - 1 ? '*' : ''}`).join(' AND ');
}
