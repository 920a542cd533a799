import { describe, expect, it, vi } from 'vitest';
import { Framer, StartupReader } from '../../proxy/postgres/framer.js';
import { startupMessage } from '../../proxy/postgres/frontend-messages.js';
import { STARTUP_CODE } from '../../proxy/postgres/messages.js';
import { Writer } from '../../proxy/postgres/wire.js';

const query = (sql: string) => new Writer().cstring(sql).frame('Q');

describe('Framer', () => {
  const stream = Buffer.concat([
    query('select 1'),
    new Writer().frame('S'),
    query('select "é" -- ünïcode'),
    new Writer().frame('X'),
  ]);

  it('yields the same messages however the stream is split', () => {
    const whole = new Framer().push(stream).map((f) => f.raw.toString('hex'));
    expect(whole).toHaveLength(4);
    for (let cut = 1; cut < stream.length; cut++) {
      const framer = new Framer();
      const frames = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
      expect(
        frames.map((f) => f.raw.toString('hex')),
        `cut at ${cut}`,
      ).toEqual(whole);
      expect(framer.buffered).toBe(0);
    }
    const framer = new Framer();
    expect(
      [...stream].flatMap((byte) => framer.push(Buffer.of(byte))).map((f) => f.raw.toString('hex')),
    ).toEqual(whole);
  });

  it('refuses declared lengths under 4 or over the limit before buffering them', () => {
    expect(() => new Framer().push(Buffer.from([0x51, 0, 0, 0, 3]))).toThrow(/outside 4 to/);
    expect(() => new Framer(1024).push(Buffer.from([0x51, 0, 0, 0x10, 0]))).toThrow(/declares length 4096/);
    const framer = new Framer(1024);
    expect(framer.push(Buffer.from([0x51, 0]))).toEqual([]);
    expect(() => framer.push(Buffer.from([0, 0x10, 0]))).toThrow(/outside 4 to 1024/);
  });

  // Quadratic re-concatenation would copy about 32 GiB here and run into the test timeout.
  it('assembles a 64 MiB message from 1,024 reads of 64 KiB', () => {
    const size = 64 * 1024 * 1024;
    const message = Buffer.alloc(size + 5, 0x61);
    message[0] = 0x64;
    message.writeInt32BE(size + 4, 1);
    const framer = new Framer();
    const frames = [];
    for (let offset = 0; offset < message.length; offset += 64 * 1024) {
      frames.push(...framer.push(message.subarray(offset, offset + 64 * 1024)));
    }
    expect(frames).toHaveLength(1);
    expect(frames[0]!.body.length).toBe(size);
    expect(frames[0]!.body.every((byte) => byte === 0x61)).toBe(true);
  });
});

describe('StartupReader', () => {
  const ssl = new Writer().int32(STARTUP_CODE.SSLRequest).untyped();
  const packets = [...Array.from({ length: 2000 }, () => ssl), startupMessage({ user: 'u', database: 'd' })];
  const stream = Buffer.concat([...packets, new Writer().cstring('select 1').frame('Q')]);

  /** Feeds `stream` in reads of `size` bytes, taking packets as they complete; counts the bytes copied. */
  function read(size: number) {
    const concat = vi.spyOn(Buffer, 'concat');
    const reader = new StartupReader();
    const taken: number[] = [];
    try {
      for (let offset = 0; offset < stream.length; offset += size) {
        reader.push(stream.subarray(offset, offset + size));
        while (taken.length < packets.length) {
          const packet = reader.take();
          if (!packet) break;
          taken.push(packet.code);
        }
      }
      const rest = reader.rest();
      const copied = concat.mock.results.reduce((sum, result) => sum + (result.value as Buffer).length, 0);
      return { taken, rest, copied };
    } finally {
      concat.mockRestore();
    }
  }

  it('reads packets split anywhere, and hands back what follows them', () => {
    for (const size of [1, 3, 7, 8, 100, stream.length]) {
      const { taken, rest } = read(size);
      expect(taken, `reads of ${size}`).toEqual([
        ...Array(2000).fill(STARTUP_CODE.SSLRequest),
        STARTUP_CODE.v30,
      ]);
      expect(rest.toString('latin1'), `reads of ${size}`).toBe('Q\0\0\0\rselect 1\0');
    }
  });

  it('parses by offset: bytes are copied at most once however small the reads (linear, not quadratic)', () => {
    // Each packet split across reads is copied once, when it completes; none is copied again per packet.
    for (const size of [1, 3, 5, 1000])
      expect(read(size).copied, `reads of ${size}`).toBeLessThanOrEqual(stream.length);
    // In one read, packets are views of it.
    expect(read(stream.length).copied).toBe(0);
  });

  it('refuses an impossible length before buffering it', () => {
    const reader = new StartupReader();
    reader.push(Buffer.from([0, 0, 0x27]));
    expect(reader.take()).toBeUndefined();
    reader.push(Buffer.from([0x11, 0]));
    expect(() => reader.take()).toThrow('invalid startup packet length 10001');
    const short = new StartupReader();
    short.push(Buffer.from([0, 0, 0, 7, 0, 0, 0, 0]));
    expect(() => short.take()).toThrow('invalid startup packet length 7');
  });
});
