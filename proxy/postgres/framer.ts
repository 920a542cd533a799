import { ProtocolError } from './wire.js';

/** One complete typed message. `raw` is the whole message (type byte, length, body) for forwarding as is. */
export interface Frame {
  /** The type byte as a character code, e.g. 0x51 ('Q'). */
  type: number;
  body: Buffer;
  raw: Buffer;
}

/** PostgreSQL refuses messages over 1 GiB (MaxAllocSize); so does Glassbox, before buffering them. */
export const MAX_MESSAGE_BYTES = 0x3fff_ffff;

/**
 * Splits a byte stream into typed messages (PostgreSQL docs, 55.7 "Message Formats": Byte1 type, Int32 length
 * including itself, body). Messages may be split across TCP reads anywhere, or several may share one read.
 *
 * Complete messages in a chunk are returned as views into it (no copy); only an incomplete tail is kept, and
 * only until it completes. A declared length under 4 or over {@link MAX_MESSAGE_BYTES} is a
 * {@link ProtocolError} raised before anything is buffered.
 */
export class Framer {
  /** Chunks of an incomplete message, concatenated once it completes (never per read: that is quadratic). */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Total length (type byte included) of the incomplete message, once its header has arrived. */
  private needed = 0;

  constructor(private readonly maxLength = MAX_MESSAGE_BYTES) {}

  /** Removes and returns the bytes held for an incomplete message (for handing a stream over). */
  takePending(): Buffer {
    const pending = Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    this.needed = 0;
    return pending;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.partBytes;
  }

  /**
   * Adds a chunk and returns the messages it completes, in order.
   * @throws ProtocolError for an impossible declared length
   */
  push(chunk: Buffer): Frame[] {
    let data = chunk;
    if (this.partBytes > 0) {
      this.parts.push(chunk);
      this.partBytes += chunk.length;
      if (this.needed === 0 && this.partBytes >= 5)
        this.needed = this.headerLength(Buffer.concat(this.parts, 5));
      if (this.needed === 0 || this.partBytes < this.needed) return [];
      data = this.takePending();
    }
    const frames: Frame[] = [];
    let offset = 0;
    while (data.length - offset >= 5) {
      const end = offset + this.headerLength(data.subarray(offset, offset + 5));
      if (end > data.length) break;
      frames.push({
        type: data[offset]!,
        body: data.subarray(offset + 5, end),
        raw: data.subarray(offset, end),
      });
      offset = end;
    }
    if (offset < data.length) {
      const rest = Buffer.from(data.subarray(offset));
      this.parts = [rest];
      this.partBytes = rest.length;
      this.needed = rest.length >= 5 ? this.headerLength(rest) : 0;
    }
    return frames;
  }

  /** Whole message length (type byte + declared length) from a 5-byte header. */
  private headerLength(header: Buffer): number {
    const length = header.readInt32BE(1);
    if (length < 4 || length > this.maxLength) {
      throw new ProtocolError(
        `message '${String.fromCharCode(header[0]!)}' declares length ${length}, outside 4 to ${this.maxLength} bytes`,
      );
    }
    return length + 1;
  }
}

/**
 * Reads the first, untyped message of a connection (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest:
 * Int32 length, Int32 code, body) once enough bytes arrived.
 * @returns the message and any bytes after it, or undefined while incomplete
 * @throws ProtocolError for a length under 8 or over 10,000 bytes (PostgreSQL's own startup packet limit)
 */
export function takeStartupPacket(data: Buffer): { code: number; body: Buffer; rest: Buffer } | undefined {
  if (data.length < 4) return undefined;
  const length = data.readInt32BE(0);
  if (length < 8 || length > 10_000) throw new ProtocolError(`invalid startup packet length ${length}`);
  if (data.length < length) return undefined;
  return { code: data.readInt32BE(4), body: data.subarray(8, length), rest: data.subarray(length) };
}
