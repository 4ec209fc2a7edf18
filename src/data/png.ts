/**
 * PNG decoding through fast-png into 8-bit RGBA: every colour type (grey, grey+alpha, RGB, RGBA,
 * palette with tRNS alpha), every bit depth (1, 2, 4 unpacked and scaled; 16 reduced with rounding,
 * the source depth kept so the import can warn). Exact stored values: no gamma or colour profile.
 *
 * Pure JS: runs in workers and in Node.
 */
import { decode } from 'fast-png';
import type { RawImage } from './types';

export function decodePng(bytes: Uint8Array): RawImage {
  const png = decode(bytes);
  const { width, height, depth, channels } = png;
  const data = png.data;
  const n = width * height;
  const out = new Uint8Array(n * 4);
  const palette = png.palette;
  // Samples of row y, column x, channel c, whatever the packing.
  const rowSamples = width * channels;
  const rowBytes = Math.ceil((rowSamples * depth) / 8);
  const sample =
    depth >= 8
      ? (y: number, i: number) => data[y * rowSamples + i]
      : (y: number, i: number) => {
          const bit = i * depth;
          const byte = data[y * rowBytes + (bit >> 3)];
          return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        };
  const max = 2 ** depth - 1;
  const to8 = depth === 8 ? (v: number) => v : depth === 16 ? (v: number) => ((v * 255 + 32767) / 65535) | 0 : (v: number) => Math.round((v * 255) / max);
  const key = !palette && png.transparency && png.transparency.length > 0 ? png.transparency : null;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = (y * width + x) * 4;
      const i = x * channels;
      if (palette) {
        const c = palette[sample(y, i)] ?? [0, 0, 0];
        out[d] = c[0];
        out[d + 1] = c[1];
        out[d + 2] = c[2];
        out[d + 3] = c.length > 3 ? c[3] : 255;
        continue;
      }
      if (channels <= 2) {
        const g = sample(y, i);
        const v = to8(g);
        out[d] = out[d + 1] = out[d + 2] = v;
        out[d + 3] = channels === 2 ? to8(sample(y, i + 1)) : key && g === key[0] ? 0 : 255;
      } else {
        const r = sample(y, i);
        const g = sample(y, i + 1);
        const b = sample(y, i + 2);
        out[d] = to8(r);
        out[d + 1] = to8(g);
        out[d + 2] = to8(b);
        out[d + 3] = channels === 4 ? to8(sample(y, i + 3)) : key && key.length >= 3 && r === key[0] && g === key[1] && b === key[2] ? 0 : 255;
      }
    }
  }
  return { width, height, data: out, sourceBitDepth: depth };
}
