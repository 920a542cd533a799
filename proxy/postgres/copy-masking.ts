import type { CopyOptions } from './copy-statement.js';
import { type ColumnMask, wireText } from './mask-plan.js';
import type { ClientEncoding, PgMaskingPolicy } from './masking.js';

/** How one COPY OUT's rows are masked. */
export interface CopyPlan {
  policy: PgMaskingPolicy;
  options: CopyOptions;
  /** Columns in each row, from the CopyOutResponse. */
  columns: number;
  /**
   * By column: the rule masking it on the wire, if any. Undefined when the COPY's columns could not be known:
   * then every value is written as NULL (masking fails closed).
   */
  masks: Array<ColumnMask | undefined> | undefined;
  /** CopyData messages seen so far (the first is the header row when the options say so). */
  seen: number;
}

/**
 * A COPY OUT CopyData body with the values of masked columns rewritten, or undefined when nothing changes.
 * PostgreSQL sends one CopyData per row (PostgreSQL docs, 55.2.6 "COPY Operations"); rows are read in the
 * COPY's format (SQL Commands, COPY, "File Formats"): text (delimiter-separated, backslash escapes, NULL as
 * its null string), CSV (quoted fields, NULL as the unquoted null string) or binary (the PGCOPY header on the
 * first message, then per tuple an Int16 field count and Int32-length fields). A masked value becomes what
 * `wireText` (mask-plan.ts) says (NULL in binary); a row that cannot be read as the columns expected is written with
 * every value NULL.
 */
export function maskCopyData(body: Buffer, plan: CopyPlan, encoding: ClientEncoding): Buffer | undefined {
  const first = plan.seen === 0;
  plan.seen++;
  if (plan.options.format === 'binary') return maskBinary(body, plan, first);
  if (first && plan.options.header) return undefined;
  if (plan.masks && !plan.masks.some((m) => m?.rule.wire)) return undefined;
  const row = plan.options.format === 'csv' ? splitCsv(body, plan.options) : splitText(body, plan.options);
  const nulls = !row || row.fields.length !== plan.columns || !plan.masks;
  const out: Buffer[] = [];
  const delimiter = Buffer.from(plan.options.delimiter, 'latin1');
  const nullBytes = encoding.encode(plan.options.null);
  for (let i = 0; i < plan.columns; i++) {
    if (i > 0) out.push(delimiter);
    const field = row?.fields[i];
    const mask = plan.masks?.[i];
    if (!nulls && field && (!mask?.rule.wire || field.null)) {
      out.push(body.subarray(field.start, field.end));
      continue;
    }
    const value = nulls || !mask || !field ? null : wireText(mask, encoding.decode(field.value(body)));
    if (value === null) out.push(nullBytes);
    else
      out.push(
        encoding.encode(
          plan.options.format === 'csv' ? csvQuote(value, plan.options) : textEscape(value, plan.options),
        ),
      );
  }
  out.push(row?.terminator ?? Buffer.from('\n'));
  return Buffer.concat(out);
}

interface Field {
  start: number;
  end: number;
  /** Written as the null string (unquoted). */
  null: boolean;
  /** The value's bytes, its quoting or escapes undone. */
  value: (body: Buffer) => Buffer;
}

/** A text-format row: fields split at the delimiter, backslash escapes kept for {@link Field.value}. */
function splitText(body: Buffer, options: CopyOptions): { fields: Field[]; terminator: Buffer } | undefined {
  const { end, terminator } = rowEnd(body);
  const delimiter = options.delimiter.charCodeAt(0);
  const fields: Field[] = [];
  let start = 0;
  for (let i = 0; i <= end; i++) {
    if (i < end && body[i] === 0x5c) {
      i++;
      continue;
    }
    if (i < end && body[i] !== delimiter) continue;
    const fieldStart = start;
    fields.push({
      start: fieldStart,
      end: i,
      null: body.toString('latin1', fieldStart, i) === options.null,
      value: (b) => textUnescape(b.subarray(fieldStart, i)),
    });
    start = i + 1;
  }
  return { fields, terminator };
}

/** A CSV row: quoted fields (quote and escape characters as the options say), NULL as the unquoted null string. */
function splitCsv(body: Buffer, options: CopyOptions): { fields: Field[]; terminator: Buffer } | undefined {
  const { end, terminator } = rowEnd(body);
  const delimiter = options.delimiter.charCodeAt(0);
  const quote = options.quote.charCodeAt(0);
  const escapeChar = options.escape.charCodeAt(0);
  const fields: Field[] = [];
  let i = 0;
  for (;;) {
    const start = i;
    if (body[i] === quote && i < end) {
      const parts: Buffer[] = [];
      let from = i + 1;
      // PostgreSQL's own output: inside quotes, a quote or escape character is preceded by the escape.
      for (i++; ; ) {
        if (i >= end) return undefined;
        if (body[i] === escapeChar && i + 1 < end && (body[i + 1] === quote || body[i + 1] === escapeChar)) {
          parts.push(body.subarray(from, i));
          from = i + 1;
          i += 2;
          continue;
        }
        if (body[i] === quote) break;
        i++;
      }
      parts.push(body.subarray(from, i));
      i++;
      const value = Buffer.concat(parts);
      fields.push({ start, end: i, null: false, value: () => value });
    } else {
      while (i < end && body[i] !== delimiter) i++;
      const fieldEnd = i;
      fields.push({
        start,
        end: fieldEnd,
        null: body.toString('latin1', start, fieldEnd) === options.null,
        value: (b) => b.subarray(start, fieldEnd),
      });
    }
    if (i >= end) break;
    if (body[i] !== delimiter) return undefined;
    i++;
  }
  return { fields, terminator };
}

/** Where a row's data ends and its terminator (`\n`, or `\r\n` as a Windows server writes it). */
function rowEnd(body: Buffer): { end: number; terminator: Buffer } {
  let end = body.length;
  if (body[end - 1] === 0x0a) end--;
  if (end < body.length && body[end - 1] === 0x0d) end--;
  return { end, terminator: body.subarray(end) };
}

const TEXT_ESCAPES: Record<string, number> = { b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** Undoes text format's backslash escapes (`\n`, `\t`, `\\`, octal `\123`, hex `\x41`, `\<char>`). */
function textUnescape(bytes: Buffer): Buffer {
  if (!bytes.includes(0x5c)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x5c || i + 1 >= bytes.length) {
      out.push(bytes[i]!);
      continue;
    }
    const next = String.fromCharCode(bytes[++i]!);
    const octal = /^[0-7]{1,3}/.exec(bytes.toString('latin1', i, i + 3));
    const hex = next === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(bytes.toString('latin1', i + 1, i + 3)) : null;
    if (octal) {
      out.push(Number.parseInt(octal[0], 8) & 0xff);
      i += octal[0].length - 1;
    } else if (hex) {
      out.push(Number.parseInt(hex[0], 16));
      i += hex[0].length;
    } else {
      out.push(TEXT_ESCAPES[next] ?? bytes[i]!);
    }
  }
  return Buffer.from(out);
}

/** A value written in text format: backslash, newline, carriage return, tab and the delimiter escaped. */
function textEscape(value: string, options: CopyOptions): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\' || ch === options.delimiter) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out;
}

/** A value written as a quoted CSV field (quote and escape characters escaped), never taken for NULL. */
function csvQuote(value: string, options: CopyOptions): string {
  const { quote, escape: escapeChar } = options;
  let out = quote;
  for (const ch of value) out += ch === quote || ch === escapeChar ? `${escapeChar}${ch}` : ch;
  return out + quote;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A binary-format CopyData: masked fields (and, when the columns are unknown, every field) become NULL (-1). */
function maskBinary(body: Buffer, plan: CopyPlan, first: boolean): Buffer | undefined {
  if (plan.masks && !plan.masks.some((m) => m?.rule.wire)) return undefined;
  let at = 0;
  if (first && body.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
    if (body.length < SIGNATURE.length + 8) return undefined;
    at = SIGNATURE.length + 8 + body.readInt32BE(SIGNATURE.length + 4);
  }
  if (at + 2 > body.length) return undefined;
  const count = body.readInt16BE(at);
  if (count === -1) return undefined; // the trailer
  const out: Buffer[] = [body.subarray(0, at + 2)];
  const nullLength = Buffer.from([0xff, 0xff, 0xff, 0xff]);
  let offset = at + 2;
  let readable = count === plan.columns;
  for (let i = 0; i < count; i++) {
    const length = offset + 4 <= body.length ? body.readInt32BE(offset) : -2;
    const end = offset + 4 + Math.max(length, 0);
    if (length < -1 || end > body.length) readable = false;
    if (!readable || !plan.masks || plan.masks[i]?.rule.wire) out.push(nullLength);
    else out.push(body.subarray(offset, end));
    if (!readable) continue;
    offset = end;
  }
  return Buffer.concat(out);
}
