/**
 * Bytes to write in one go, gathered message by message. Views that follow each other in memory (the
 * messages of one TCP read forwarded as they came) are joined into one view without copying, so a read
 * nothing rewrote goes out as the very bytes it came as; only a read holding a rewritten message is copied
 * (once, by {@link Pieces.take}).
 */
export class Pieces {
  private parts: Buffer[] = [];
  private size = 0;

  add(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    const last = this.parts.at(-1);
    if (last && last.buffer === bytes.buffer && last.byteOffset + last.length === bytes.byteOffset) {
      this.parts[this.parts.length - 1] = Buffer.from(
        last.buffer,
        last.byteOffset,
        last.length + bytes.length,
      );
      return;
    }
    this.parts.push(bytes);
  }

  /** Everything added, as one buffer (undefined when nothing was), and starts afresh. */
  take(): Buffer | undefined {
    const { parts, size } = this;
    this.parts = [];
    this.size = 0;
    if (parts.length <= 1) return parts[0];
    return Buffer.concat(parts, size);
  }
}
