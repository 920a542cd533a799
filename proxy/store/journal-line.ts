/**
 * How a batch of store writes is written as one journal line, and read back.
 *
 * A line is a JSON array of ops (ops.ts), on one line. An event's payload is spliced in as the JSON it already
 * is (`value`) rather than escaped again as a string: the payload is the large part of a line, so writing one
 * costs about one pass over the payload's text. A checkpoint's deltas (`inflight_parts`) are spliced in the
 * same way, as `deltas`.
 *
 * A payload may carry a member whose value has not been parsed (a large request body recorded before it is
 * read; see `UncheckedMember` in common/json-text.ts). Such a line starts with a header op naming where those
 * members are, `[{"op":"unchecked","at":[op,start,length,…]},…`: for each member (`"key":value`), the index
 * of its op in the line and its byte offsets, counted from the first byte after the header. Reading the line
 * checks each of them on its own, and stores a member that is not one JSON value as text instead
 * (`checkMember`) — so the line is always read, and a crafted value can never add members to the object
 * around it.
 */
import { checkMember, JsonText } from '../common/json-text.js';
import type { StoreOp } from './ops.js';

/** One journal line without its line feed: JSON text, or the UTF-8 pieces of it in order. */
export type JournalLine = string | readonly Buffer[];

const HEADER = '[{"op":"unchecked","at":[';
const HEADER_END = ']},';

/**
 * One journal line for `ops`, as one string, or as UTF-8 pieces to write in order when a payload brought its
 * own bytes (a `JsonText` with bytes) — those bytes among them, untouched. The text is the same either way.
 *
 * The line holds no line feed (the journal is split at them): payloads are JSON.stringify's output or a
 * `JsonText`, neither of which has one, so they are not scanned again here. For a 106 KB request that scan,
 * with the copy of the payload it forced, cost 160 µs on the request's path.
 */
export function encodeOps(ops: readonly StoreOp[]): JournalLine {
  const segments: Array<string | { payload: JsonText; op: number }> = ['['];
  let withBytes = false;
  ops.forEach((op, i) => {
    if (i > 0) segments.push(',');
    if (op.op === 'event' && op.payload !== undefined && op.hash === undefined) {
      const { payload, ...rest } = op;
      const spliced = payload instanceof JsonText ? { payload, op: i } : payload;
      segments.push(`${JSON.stringify(rest).slice(0, -1)},"value":`, spliced, '}');
      withBytes ||= payload instanceof JsonText && payload.bytes !== undefined;
    } else if (op.op === 'inflight_parts' && typeof op.deltas === 'string') {
      // JSON.stringify's output, so one line: spliced as JSON rather than escaped again as a string.
      const { deltas, ...rest } = op;
      segments.push(`${JSON.stringify(rest).slice(0, -1)},"deltas":${deltas}}`);
    } else segments.push(JSON.stringify(op));
  });
  segments.push(']');
  if (withBytes) return linePieces(segments);
  return segments.map((segment) => (typeof segment === 'string' ? segment : segment.payload.text)).join('');
}

/** The pieces of a line whose segments include bytes, with the unchecked-members header when needed. */
function linePieces(segments: ReadonlyArray<string | { payload: JsonText; op: number }>): Buffer[] {
  const pieces: Buffer[] = [];
  const at: number[] = [];
  let offset = 0;
  let text = '';
  const push = (piece: Buffer) => {
    pieces.push(piece);
    offset += piece.length;
  };
  const pushText = () => {
    if (text) push(Buffer.from(text, 'utf8'));
    text = '';
  };
  for (const segment of segments) {
    if (typeof segment === 'string') text += segment;
    else if (!segment.payload.bytes) text += segment.payload.text;
    else {
      pushText();
      const { bytes, unchecked } = segment.payload;
      bytes.forEach((piece, i) => {
        if (unchecked && i === unchecked.piece) {
          // The member starts with `"key":`, at the end of the piece before; starts count from the byte after
          // the array's opening bracket, which the header replaces.
          const keyBytes = unchecked.key.length + 3;
          at.push(segment.op, offset - keyBytes - 1, keyBytes + piece.length);
        }
        push(piece);
      });
    }
  }
  pushText();
  if (at.length === 0) return pieces;
  pieces[0] = pieces[0]!.subarray(1);
  pieces.unshift(Buffer.from(`${HEADER}${at.join(',')}${HEADER_END}`));
  return pieces;
}

/**
 * Reads one journal line (text, or its UTF-8 bytes) back into ops. In a line with unchecked members each is
 * parsed on its own (see the module comment) and set on its op's value; the rest of the line, with `null` in
 * their place, is parsed apart, so a member is parsed once.
 * @throws SyntaxError when the line is not a journal line (torn, or not written by this module)
 */
export function decodeJournalLine(line: string | Uint8Array): StoreOp[] {
  if (typeof line === 'string') {
    if (!line.startsWith(HEADER)) return JSON.parse(line) as StoreOp[];
    line = Buffer.from(line, 'utf8');
  }
  const bytes = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  if (bytes.indexOf(HEADER) !== 0) return JSON.parse(bytes.toString('utf8')) as StoreOp[];
  const end = bytes.indexOf(HEADER_END, HEADER.length);
  if (end < 0) throw new SyntaxError('a journal line has an unterminated unchecked-members header');
  const at = bytes.toString('latin1', HEADER.length, end).split(',').map(Number);
  const body = end + HEADER_END.length;
  const parts: Buffer[] = [Buffer.from('[')];
  const values: Array<{ op: number; key: string; value: unknown }> = [];
  let from = body;
  for (let i = 0; i + 2 < at.length; i += 3) {
    const start = body + at[i + 1]!;
    const stop = start + at[i + 2]!;
    const colon = bytes.indexOf('":', start);
    if (!(start >= from && stop <= bytes.length && bytes[start] === 0x22 && colon > start && colon < stop)) {
      throw new SyntaxError('a journal line names unchecked members it does not hold');
    }
    const key = bytes.toString('utf8', start + 1, colon);
    const checked = checkMember(key, bytes.subarray(colon + 2, stop));
    if ('value' in checked) values.push({ op: at[i]!, key, value: checked.value });
    parts.push(
      bytes.subarray(from, start),
      'value' in checked ? Buffer.from(`"${key}":null`) : checked.member,
    );
    from = stop;
  }
  parts.push(bytes.subarray(from));
  const ops = JSON.parse(Buffer.concat(parts).toString('utf8')) as StoreOp[];
  for (const { op, key, value } of values) {
    const target = ops[op];
    if (target?.op !== 'event' || typeof target.value !== 'object' || target.value === null) {
      throw new SyntaxError('a journal line names an unchecked member of an op that has no such value');
    }
    (target.value as Record<string, unknown>)[key] = value;
  }
  return ops;
}

/** A journal line as text (pieces are decoded as UTF-8); for tests and diagnostics. */
export function journalLineText(line: JournalLine | Uint8Array): string {
  if (typeof line === 'string') return line;
  if (line instanceof Uint8Array)
    return Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
  return Buffer.concat(line).toString('utf8');
}
