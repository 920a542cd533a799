/**
 * Draws Glassbox's icons as PNGs with no dependencies (zlib only): the app icon (build/icons/icon.png,
 * 1024×1024, which electron-builder turns into .icns and .ico) and the tray icons (build/icons/tray/): for
 * each state — recording, paused, approval, error — a coloured PNG (Linux, Windows) and a black template
 * PNG (macOS, which tints `…Template.png` for light and dark menu bars), at 16 px and @2x.
 * Run: `node --import tsx build/make-icons.ts` (the PNGs are committed; rerun after changing a shape).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];
/** Coverage (0–1) of the shape at a point in a unit square (0–1 on both axes). */
type Shape = (x: number, y: number) => number;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Encodes an RGBA image (row-major, 4 bytes per pixel) as PNG. */
function png(size: number, pixels: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Renders layers (shape, colour), later ones on top, with 4×4 supersampling. */
function render(size: number, layers: Array<[Shape, Rgba]>): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (const [shape, [cr, cg, cb, ca]] of layers) {
        let cover = 0;
        for (let sy = 0; sy < 4; sy++)
          for (let sx = 0; sx < 4; sx++)
            cover += shape((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size);
        const alpha = (cover / 16) * (ca / 255);
        r = cr * alpha + r * (1 - alpha);
        g = cg * alpha + g * (1 - alpha);
        b = cb * alpha + b * (1 - alpha);
        a = alpha + a * (1 - alpha);
      }
      const i = (py * size + px) * 4;
      pixels.set([a ? r / a : 0, a ? g / a : 0, a ? b / a : 0, a * 255].map(Math.round), i);
    }
  }
  return png(size, pixels);
}

const circle =
  (cx: number, cy: number, radius: number): Shape =>
  (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2 ? 1 : 0;
const rect =
  (x0: number, y0: number, x1: number, y1: number): Shape =>
  (x, y) =>
    x >= x0 && x <= x1 && y >= y0 && y <= y1 ? 1 : 0;
const ring = (cx: number, cy: number, outer: number, inner: number): Shape => {
  const o = circle(cx, cy, outer);
  const i = circle(cx, cy, inner);
  return (x, y) => o(x, y) * (1 - i(x, y));
};
const roundedSquare =
  (inset: number, radius: number): Shape =>
  (x, y) => {
    const dx = Math.max(inset + radius - x, 0, x - (1 - inset - radius));
    const dy = Math.max(inset + radius - y, 0, y - (1 - inset - radius));
    return x >= inset &&
      x <= 1 - inset &&
      y >= inset &&
      y <= 1 - inset &&
      dx * dx + dy * dy <= radius * radius
      ? 1
      : 0;
  };
const frame = (inset: number, width: number): Shape => {
  const outer = rect(inset, inset, 1 - inset, 1 - inset);
  const inner = rect(inset + width, inset + width, 1 - inset - width, 1 - inset - width);
  return (x, y) => outer(x, y) * (1 - inner(x, y));
};

/** The tray glyph of each state, drawn in one colour. */
const GLYPHS: Record<'recording' | 'paused' | 'approval' | 'error', Shape[]> = {
  recording: [ring(0.5, 0.5, 0.47, 0.33), circle(0.5, 0.5, 0.2)],
  paused: [ring(0.5, 0.5, 0.47, 0.33), rect(0.36, 0.3, 0.46, 0.7), rect(0.54, 0.3, 0.64, 0.7)],
  approval: [ring(0.5, 0.5, 0.47, 0.33), rect(0.44, 0.24, 0.56, 0.58), circle(0.5, 0.72, 0.07)],
  error: [ring(0.5, 0.5, 0.47, 0.33), rect(0.25, 0.44, 0.75, 0.56)],
};
const COLOURS: Record<keyof typeof GLYPHS, Rgba> = {
  recording: [214, 48, 49, 255],
  paused: [120, 128, 140, 255],
  approval: [230, 145, 20, 255],
  error: [200, 30, 30, 255],
};

const out = join(dirname(fileURLToPath(import.meta.url)), 'icons');
mkdirSync(join(out, 'tray'), { recursive: true });
writeFileSync(
  join(out, 'icon.png'),
  render(1024, [
    [roundedSquare(0.06, 0.18), [24, 36, 56, 255]],
    [frame(0.27, 0.06), [150, 210, 255, 255]],
    [circle(0.5, 0.5, 0.09), [214, 48, 49, 255]],
  ]),
);
for (const [state, shapes] of Object.entries(GLYPHS) as Array<[keyof typeof GLYPHS, Shape[]]>) {
  for (const [suffix, size] of [
    ['', 16],
    ['@2x', 32],
  ] as const) {
    const union: Shape = (x, y) => Math.max(...shapes.map((shape) => shape(x, y)));
    writeFileSync(join(out, 'tray', `tray-${state}${suffix}.png`), render(size, [[union, COLOURS[state]]]));
    writeFileSync(
      join(out, 'tray', `tray-${state}Template${suffix}.png`),
      render(size, [[union, [0, 0, 0, 255]]]),
    );
  }
}
process.stdout.write(`Wrote icons to ${out}\n`);
