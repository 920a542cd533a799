/**
 * Byte-level reading and writing for the PostgreSQL frontend/backend protocol (PostgreSQL docs, 55.6
 * "Message Data Types": Int8/16/32 big-endian, String = NUL-terminated UTF-8, Byten).
 */

/** The bytes do not form a valid protocol message; maps to SQLSTATE 08P01 (protocol_violation). */
export class ProtocolError extends Error {
  readonly sqlstate = '08P01';
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** A bounds-checked cursor over one message body. Every read throws {@link ProtocolError} past the end. */
export class Reader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  /** Bytes not yet read. */
  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  int8(): number {
    this.need(1);
    return this.buffer.readInt8(this.offset++);
  }

  byte(): number {
    this.need(1);
    return this.buffer[this.offset++]!;
  }

  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  uint16(): number {
    this.need(2);
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A NUL-terminated string. */
  cstring(): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end === -1) throw new ProtocolError('unterminated string in message');
    const value = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }

  /** `length` raw bytes (a view, not a copy). */
  bytes(length: number): Buffer {
    if (length < 0) throw new ProtocolError(`negative length ${length} in message`);
    this.need(length);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** Everything not yet read. */
  rest(): Buffer {
    const value = this.buffer.subarray(this.offset);
    this.offset = this.buffer.length;
    return value;
  }

  private need(count: number): void {
    if (this.offset + count > this.buffer.length) {
      throw new ProtocolError(`message ends early (wanted ${count} more bytes, ${this.remaining} left)`);
    }
  }
}

/** Builds one message body; `frame(type)` adds the type byte and Int32 length. */
export class Writer {
  private readonly parts: Buffer[] = [];
  private size = 0;

  int8(value: number): this {
    return this.push(Buffer.of(value & 0xff));
  }

  int16(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(value);
    return this.push(b);
  }

  int32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(value | 0);
    return this.push(b);
  }

  cstring(value: string): this {
    return this.push(Buffer.from(`${value}\0`, 'utf8'));
  }

  bytes(value: Buffer): this {
    return this.push(value);
  }

  /** A typed message: Byte1 type, Int32 length (including itself), body. */
  frame(type: string): Buffer {
    const header = Buffer.allocUnsafe(5);
    header[0] = type.charCodeAt(0);
    header.writeInt32BE(this.size + 4, 1);
    return Buffer.concat([header, ...this.parts], this.size + 5);
  }

  /** An untyped startup-phase message: Int32 length, body. */
  untyped(): Buffer {
    const header = Buffer.allocUnsafe(4);
    header.writeInt32BE(this.size + 4, 0);
    return Buffer.concat([header, ...this.parts], this.size + 4);
  }

  private push(part: Buffer): this {
    this.parts.push(part);
    this.size += part.length;
    return this;
  }
}
