/**
 * How much of a text that is still growing (a content block streaming in, a body still arriving) is
 * finished: the rest — its unfinished tail — could still become, or be part of, a secret, so it is not stored
 * until it is finished. A value is masked only as a whole: a checkpoint that stored the first half of an API
 * key would store what no detector can find any more.
 *
 * The finished part ends at the last *break* in the text:
 *  1. a line break; or, on the line being written,
 *  2. a space or tab right after a lower-case word — a letter `a`–`z`, or one and a single `.,;:!?)` — with
 *     an even number of `"`, of backticks and of `'` (not counting an apostrophe between two letters) before
 *     it on the line, so not inside a quoted value.
 * So a token still being written is held, and so is a run of tokens that are not lower-case words: card
 * numbers in groups (`4111 1111 1111`), phone numbers (`+1 415 555 0100`), IBANs (`DE89 3704 0044`),
 * upper-case or base32 groups, a quoted passphrase. Secrets have no spaces, and the values that have them
 * have no lower-case word inside.
 *  3. A PEM block (a private key spans lines) begun before that break holds from its `-----BEGIN` until its
 *     `-----END …-----` line is whole before the break.
 * A `-` less than {@link MARKER} characters from the end (a marker could start there), or an apostrophe at the
 * very end, waits for the text after it; a run of more than {@link MAX_HELD} characters without a break is
 * cut that far before its end.
 * What is held is stored once it is finished, or when its block ends (the whole text is then final and masked
 * as a whole). Masking the finished part looks back at the text stored before it (reply-masking.ts), so a
 * name stored in one checkpoint still marks the value that follows it in the next (`password: ` … `hunter2`).
 * What the rule cannot keep whole: a value a custom pattern defines with a space after a lower-case word in
 * it (`project falcon`), whose words before that space may be stored before the rest is masked.
 */

/**
 * Most characters held: a run longer than this with no break (a base64 or hex blob, minified code) is cut
 * this far before its end. A secret is far shorter, so only one standing right at the cut could be split.
 */
export const MAX_HELD = 16 * 1024;

/** The longest marker the scan looks for (`-----BEGIN`): a `-` closer than this to the end waits for more. */
const MARKER = 10;

/**
 * The finished part of one growing text (see the module comment), found incrementally: each call scans only
 * what was added since the last, so a reply of any length costs one pass over its text, however often it is
 * checkpointed. Give it the same text each time, grown at its end.
 */
export class FinishedPart {
  /** Characters scanned. */
  private scanned = 0;
  private lineStart = 0;
  /** Open quotes on the line: bit 1 `"`, bit 2 backtick, bit 4 `'`. */
  private quotes = 0;
  /** The position after the last break found (rules 1 and 2). */
  private lastBreak = 0;
  /** Where the last `-----BEGIN` is (-1: none), where its `-----END` is, and the position after its `-----`. */
  private pemBegin = -1;
  private pemEnd = -1;
  private pemClose = -1;

  /** The end of the finished part of `text`: a position from `from` (what is stored already) to its length. */
  end(text: string, from = 0): number {
    let i = this.scanned;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // What the next characters decide waits for them: an apostrophe's, a marker's.
      if ((c === 39 && i === text.length - 1) || (c === 45 && text.length - i < MARKER)) break;
      this.step(text, i);
    }
    this.scanned = i;
    let cut = this.lastBreak;
    if (this.pemBegin !== -1 && this.pemBegin < cut && (this.pemClose === -1 || this.pemClose > cut))
      cut = this.pemBegin;
    return Math.max(cut, from, text.length - MAX_HELD);
  }

  private step(text: string, i: number): void {
    const c = text.charCodeAt(i);
    if (c === 10) {
      this.lineStart = i + 1;
      this.lastBreak = i + 1;
      this.quotes = 0;
    } else if (c === 34) this.quotes ^= 1;
    else if (c === 96) this.quotes ^= 2;
    else if (c === 39) {
      if (!(isLetter(text.charCodeAt(i - 1)) && isLetter(text.charCodeAt(i + 1)))) this.quotes ^= 4;
    } else if ((c === 32 || c === 9) && this.quotes === 0 && i > this.lineStart && afterWord(text, i)) {
      this.lastBreak = i + 1;
    } else if (c === 45) this.dash(text, i);
  }

  /** Rule 3's markers. */
  private dash(text: string, i: number): void {
    if (text.startsWith('-----BEGIN', i)) {
      this.pemBegin = i;
      this.pemEnd = -1;
      this.pemClose = -1;
    } else if (this.pemBegin !== -1 && this.pemEnd === -1 && text.startsWith('-----END', i)) {
      this.pemEnd = i;
    } else if (
      this.pemEnd !== -1 &&
      this.pemClose === -1 &&
      i >= this.pemEnd + 8 &&
      text.startsWith('-----', i)
    ) {
      this.pemClose = i + 5;
    }
  }
}

/** The end of the finished part of a text seen once (see {@link FinishedPart}). */
export function finishedUpTo(text: string, from = 0): number {
  return new FinishedPart().end(text, from);
}

/** True when the character before `at` ends a lower-case word, with at most one punctuation mark after it. */
function afterWord(text: string, at: number): boolean {
  let c = text.charCodeAt(at - 1);
  if (c === 46 || c === 44 || c === 59 || c === 58 || c === 33 || c === 63 || c === 41)
    c = text.charCodeAt(at - 2);
  return c >= 97 && c <= 122;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}
