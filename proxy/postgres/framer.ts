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

/** An untyped start-up phase message (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest). */
export interface StartupPacket {
  /** The Int32 after the length: a protocol version or a request code (messages.ts STARTUP_CODE). */
  code: number;
  body: Buffer;
}

/** PostgreSQL's own limit on a start-up packet's length (MAX_STARTUP_PACKET_LENGTH), bytes. */
export const MAX_STARTUP_PACKET_BYTES = 10_000;

/**
 * Reads the untyped messages that open a connection (PostgreSQL docs, 55.7 "Message Formats": Int32 length,
 * Int32 code, body) from chunks as they arrive, by offset: a packet within one chunk is a view of it, one
 * split across chunks is copied once when complete, and nothing is copied again per packet or per read
 * (re-copying the buffer for every packet made a stream of small packets cost the square of its length).
 */
export class StartupReader {
  /** Chunks from `head` on are not fully taken; `chunks[head]` is taken up to `offset`. */
  private chunks: Buffer[] = [];
  private head = 0;
  private offset = 0;
  private unread = 0;

  /** Bytes received and not yet taken. */
  get buffered(): number {
    return this.unread;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.unread += chunk.length;
  }

  /**
   * The next complete packet, or undefined until it has arrived.
   * @throws ProtocolError for a length under 8 or over {@link MAX_STARTUP_PACKET_BYTES} (before buffering it)
   */
  take(): StartupPacket | undefined {
    if (this.unread < 4) return undefined;
    const length = this.peekInt32();
    if (length < 8 || length > MAX_STARTUP_PACKET_BYTES)
      throw new ProtocolError(`invalid startup packet length ${length}`);
    if (this.unread < length) return undefined;
    const packet = this.read(length);
    return { code: packet.readInt32BE(4), body: packet.subarray(8) };
  }

  /** Removes and returns every byte not yet taken (the client's first typed messages). */
  rest(): Buffer {
    return this.read(this.unread);
  }

  private peekInt32(): number {
    const first = this.chunks[this.head]!;
    if (first.length - this.offset >= 4) return first.readInt32BE(this.offset);
    const header = Buffer.alloc(4);
    let filled = 0;
    for (let i = this.head; filled < 4; i++) {
      filled += this.chunks[i]!.copy(header, filled, i === this.head ? this.offset : 0);
    }
    return header.readInt32BE(0);
  }

  private read(length: number): Buffer {
    if (length === 0) return Buffer.alloc(0);
    this.unread -= length;
    const first = this.chunks[this.head]!;
    if (first.length - this.offset >= length) {
      const view = first.subarray(this.offset, this.offset + length);
      this.advance(first, length);
      return view;
    }
    const parts: Buffer[] = [];
    for (let needed = length; needed > 0; ) {
      const chunk = this.chunks[this.head]!;
      const part = chunk.subarray(this.offset, this.offset + needed);
      parts.push(part);
      needed -= part.length;
      this.advance(chunk, part.length);
    }
    return Buffer.concat(parts, length);
  }

  /** Moves past `count` bytes of the head chunk, dropping it once fully taken (by index: shift() is O(n)). */
  private advance(chunk: Buffer, count: number): void {
    this.offset += count;
    if (this.offset < chunk.length) return;
    this.offset = 0;
    this.head++;
    if (this.head === this.chunks.length || (this.head >= 64 && this.head * 2 >= this.chunks.length)) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
