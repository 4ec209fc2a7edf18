/**
 * Small dataset folders made in code for the import tests: class folders of coloured tiles,
 * Kvasir-style image/mask pairs with a polyp drawn where its mask is, and helpers to spy on the
 * decoder. Every file is encoded by a real encoder.
 */
import { nodeDecoder } from '../decode-node';
import { Rng } from '../../core/rng';
import type { ImageDecoder, ImageFormat, InputFile } from '../types';
import { draw, encodeJpeg, encodePng, maskPng, memFile, type Rgba } from './fixtures';
import { writeTiff } from './tiffWriter';

/** Class colours: each class's tiles are noisy versions of one colour, so a label can be read back from pixels. */
export const CLASS_COLOURS: Record<string, [number, number, number]> = {
  MSS: [220, 60, 60],
  MSIMUT: [60, 60, 220],
  NORM: [60, 200, 60],
  TUM: [200, 200, 60],
  ADI: [200, 60, 200],
};

export function tile(size: number, colour: readonly number[], seed: number): Rgba {
  const rng = new Rng(seed);
  return draw(size, size, () => colour.map((c) => Math.max(0, Math.min(255, c + rng.int(21) - 10))));
}

/** The class colour nearest to an RGB sample's mean. */
export function colourClass(images: Uint8Array, index: number, size: number, names: readonly string[]): string {
  const px = size * size;
  const mean = [0, 0, 0];
  for (let p = 0; p < px; p++) for (let c = 0; c < 3; c++) mean[c] += images[(index * px + p) * 3 + c] / px;
  let best = names[0];
  let bestD = Infinity;
  for (const n of names) {
    const d = CLASS_COLOURS[n].reduce((a, v, c) => a + (v - mean[c]) ** 2, 0);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

/** `ROOT/<class>/<class>_<i>.<ext>` tiles in rotating formats (jpg, png, tif). */
export function classFolderFiles(root: string, counts: Record<string, number>, size = 24, splitDir = ''): (InputFile & { reads: number })[] {
  const files: (InputFile & { reads: number })[] = [];
  let seed = 1;
  for (const [name, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      const img = tile(size, CLASS_COLOURS[name], seed++);
      const kind = i % 3;
      const dir = [root, splitDir, name].filter(Boolean).join('/');
      if (kind === 0) files.push(memFile(`${dir}/${name}_${i}.jpg`, encodeJpeg(img)));
      else if (kind === 1) files.push(memFile(`${dir}/${name}_${i}.png`, encodePng(img, true)));
      else {
        const rgb = new Uint8Array(size * size * 3);
        for (let p = 0; p < size * size; p++) rgb.set(img.data.subarray(p * 4, p * 4 + 3), p * 3);
        files.push(memFile(`${dir}/${name}_${i}.tif`, writeTiff({ width: size, height: size, channels: 3, bits: 8, data: rgb, compression: 'packbits' })));
      }
    }
  }
  return files;
}

export interface PolypRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A frame with a red polyp on a green-brown background, and its mask (PNG or JPEG). */
export function polypPair(w: number, h: number, rects: PolypRect[], maskFormat: 'png' | 'jpeg' = 'png', seed = 1): { image: Uint8Array; mask: Uint8Array } {
  const inside = (x: number, y: number) => rects.some((r) => x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1);
  const rng = new Rng(seed);
  const img = draw(w, h, (x, y) => (inside(x, y) ? [230, 40, 40] : [90 + rng.int(10), 140, 70]));
  const mask =
    maskFormat === 'png'
      ? maskPng(w, h, inside)
      : encodeJpeg(
          draw(w, h, (x, y) => (inside(x, y) ? [255, 255, 255] : [0, 0, 0])),
          95,
        );
  return { image: encodeJpeg(img, 95), mask };
}

/** Wraps the Node decoder, counting calls by format. */
export function spyDecoder(): ImageDecoder & { calls: ImageFormat[] } {
  const calls: ImageFormat[] = [];
  return {
    calls,
    decode(bytes, format) {
      calls.push(format);
      return nodeDecoder.decode(bytes, format);
    },
  };
}
