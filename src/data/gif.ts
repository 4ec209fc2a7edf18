/**
 * GIF decoding of the first frame into 8-bit RGBA on the logical screen: global or local colour
 * table, the transparent index of the frame's graphic control extension, interlaced rows. Pixels
 * outside the frame are transparent black, as browsers draw a first frame.
 *
 * Bounded by the header: the frame must lie inside the screen (omggif and other decoders
 * allocate the frame's own declared size, up to 65535 x 65535, whatever the screen says), its
 * LZW data is decoded into exactly width x height indices and stops with DECODE_FAILED ("more
 * data than the header declares") beyond them, and nothing past the first frame is read, so the
 * number of frames costs nothing.
 *
 * Pure byte arithmetic: runs in workers and in Node.
 */
import { DataError } from '../core/errors';
import { lzwDecode } from './lzw';
import type { RawImage } from './types';

const fail = (message: string): never => {
  throw new DataError('DECODE_FAILED', message);
};
const le16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);

/** Decode the first frame of a GIF file. */
export function decodeGif(b: Uint8Array): RawImage {
  if (b.length < 13) fail('truncated GIF: no screen descriptor');
  const width = le16(b, 6);
  const height = le16(b, 8);
  if (width === 0 || height === 0) fail('corrupt GIF: zero width or height');
  const flags = b[10];
  let at = 13;
  let palette: Uint8Array | null = null;
  if (flags & 0x80) {
    const n = 3 * (1 << ((flags & 7) + 1));
    if (at + n > b.length) fail('truncated GIF: the colour table ends past the end of the file');
    palette = b.subarray(at, at + n);
    at += n;
  }
  let transparent = -1;
  const skipSubBlocks = (): void => {
    for (;;) {
      if (at >= b.length) fail('truncated GIF: the file ends inside a block');
      const n = b[at++];
      if (n === 0) return;
      at += n;
    }
  };
  for (;;) {
    if (at >= b.length) fail('truncated GIF: the file ends before the first frame');
    const c = b[at];
    if (c === 0x3b) fail('GIF without any frame');
    if (c === 0x21) {
      const label = b[at + 1];
      if (label === 0xf9 && at + 7 < b.length && b[at + 2] === 4) {
        // Graphic control extension: bit 0 of the packed byte says whether a colour is transparent.
        transparent = b[at + 3] & 1 ? b[at + 6] : -1;
      }
      at += 2;
      skipSubBlocks();
      continue;
    }
    if (c !== 0x2c) fail(`corrupt GIF: unknown block 0x${c.toString(16)}`);
    break;
  }
  if (at + 10 > b.length) fail('truncated GIF: the file ends inside the image descriptor');
  const fx = le16(b, at + 1);
  const fy = le16(b, at + 3);
  const fw = le16(b, at + 5);
  const fh = le16(b, at + 7);
  const lf = b[at + 9];
  at += 10;
  if (fw === 0 || fh === 0) fail('corrupt GIF: a frame of zero width or height');
  if (fx + fw > width || fy + fh > height) {
    fail(`corrupt GIF: the first frame (${fw} x ${fh} at ${fx}, ${fy}) lies outside the ${width} x ${height} screen`);
  }
  if (lf & 0x80) {
    const n = 3 * (1 << ((lf & 7) + 1));
    if (at + n > b.length) fail('truncated GIF: the local colour table ends past the end of the file');
    palette = b.subarray(at, at + n);
    at += n;
  }
  if (!palette) fail('corrupt GIF: no colour table');
  const minCodeSize = b[at++];
  if (!(minCodeSize >= 2 && minCodeSize <= 8)) fail(`corrupt GIF: LZW code size ${minCodeSize} (2 to 8 allowed)`);
  // The frame's data sub-blocks, joined (bounded by the file's size).
  const start = at;
  let total = 0;
  for (;;) {
    if (at >= b.length) fail('truncated GIF: the file ends inside the first frame');
    const n = b[at++];
    if (n === 0) break;
    total += n;
    at += n;
  }
  if (at > b.length) fail('truncated GIF: the file ends inside the first frame');
  const data = new Uint8Array(total);
  for (let p = start, o = 0; ;) {
    const n = b[p++];
    if (n === 0) break;
    data.set(b.subarray(p, p + n), o);
    o += n;
    p += n;
  }
  const indices = new Uint8Array(fw * fh);
  lzwDecode(data, indices, { lsbFirst: true, minCodeSize, earlyChange: 0 }, 'corrupt GIF frame');

  const pal = palette!;
  const colours = pal.length / 3;
  const out = new Uint8Array(width * height * 4);
  const interlaced = (lf & 0x40) !== 0;
  // Interlaced rows arrive as every 8th from 0, every 8th from 4, every 4th from 2, every 2nd from 1.
  const rowOrder: number[] = [];
  if (interlaced) {
    for (const [from, step] of [
      [0, 8],
      [4, 8],
      [2, 4],
      [1, 2],
    ])
      for (let y = from; y < fh; y += step) rowOrder.push(y);
  }
  for (let r = 0; r < fh; r++) {
    const y = fy + (interlaced ? rowOrder[r] : r);
    for (let x = 0; x < fw; x++) {
      const i = indices[r * fw + x];
      if (i === transparent) continue;
      const d = (y * width + fx + x) * 4;
      if (i < colours) {
        out[d] = pal[i * 3];
        out[d + 1] = pal[i * 3 + 1];
        out[d + 2] = pal[i * 3 + 2];
      }
      out[d + 3] = 255;
    }
  }
  return { width, height, data: out, sourceBitDepth: 8 };
}
