import { describe, expect, it } from 'vitest';
import { Framer } from '../../proxy/postgres/framer.js';
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
