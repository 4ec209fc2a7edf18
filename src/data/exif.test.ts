import { crc32 } from 'node:zlib';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { applyOrientation, neutralizeOrientation, orientBox, readOrientation, type Orientation } from './exif';
import { maskToBox } from './maskBoxes';
import { draw, encodeJpeg, withOrientation } from './testing/fixtures';
import { writeTiff } from './testing/tiffWriter';
import type { RawImage } from './types';

const ORIENTATIONS: Orientation[] = [1, 2, 3, 4, 5, 6, 7, 8];

/** Reference: orientation as compositions of transpose and flips (EXIF spec's definitions). */
function reference(img: number[][], o: Orientation): number[][] {
  const flipH = (m: number[][]) => m.map((r) => [...r].reverse());
  const flipV = (m: number[][]) => [...m].reverse();
  const transpose = (m: number[][]) => m[0].map((_, c) => m.map((r) => r[c]));
  const rotCw = (m: number[][]) => flipH(transpose(m));
  switch (o) {
    case 1:
      return img;
    case 2:
      return flipH(img);
    case 3:
      return flipV(flipH(img));
    case 4:
      return flipV(img);
    case 5:
      return transpose(img);
    case 6:
      return rotCw(img);
    case 7:
      return flipV(flipH(transpose(img)));
    case 8:
      return flipV(transpose(img));
  }
}

function raw(w: number, h: number, f: (x: number, y: number) => number): RawImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(f(x, y), (y * w + x) * 4, (y * w + x) * 4 + 4);
  return { width: w, height: h, data, sourceBitDepth: 8 };
}

describe('EXIF orientation', () => {
  it('reads the tag from JPEG APP1 (either byte order) and from TIFF', () => {
    const jpeg = encodeJpeg(draw(8, 8, () => [1, 2, 3]));
    expect(readOrientation(jpeg, 'jpeg')).toBe(1);
    for (const o of ORIENTATIONS) {
      expect(readOrientation(withOrientation(jpeg, o, true), 'jpeg')).toBe(o);
      expect(readOrientation(withOrientation(jpeg, o, false), 'jpeg')).toBe(o);
    }
    const tiff = writeTiff({ width: 2, height: 2, channels: 1, bits: 8, data: new Uint8Array(4), compression: 'none', orientation: 6 });
    expect(readOrientation(tiff, 'tiff')).toBe(6);
  });

  it('applyOrientation matches the EXIF definitions for all 8 values', () => {
    const w = 4,
      h = 3;
    const img = raw(w, h, (x, y) => y * w + x + 1);
    const grid = Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => y * w + x + 1));
    for (const o of ORIENTATIONS) {
      const out = applyOrientation(img, o);
      const want = reference(grid, o);
      const got = Array.from({ length: out.height }, (_, y) => Array.from({ length: out.width }, (_, x) => out.data[(y * out.width + x) * 4]));
      expect(got, `orientation ${o}`).toEqual(want);
    }
  });

  it('orientBox moves a box exactly as applyOrientation moves its pixels', () => {
    const w = 40,
      h = 30;
    const mask = raw(w, h, (x, y) => (x >= 5 && x < 17 && y >= 3 && y < 11 ? 255 : 0));
    const box = maskToBox(mask).box!;
    for (const o of ORIENTATIONS) {
      const turned = maskToBox(applyOrientation(mask, o)).box!;
      orientBox(box, o).forEach((v, i) => expect(v, `orientation ${o}`).toBeCloseTo(turned[i], 9));
    }
  });

  it('neutralizeOrientation resets the tag in a copy (PNG eXIf CRC recomputed)', () => {
    const jpeg = withOrientation(encodeJpeg(draw(8, 8, () => [1, 2, 3])), 6);
    const n = neutralizeOrientation(jpeg, 'jpeg');
    expect([readOrientation(n, 'jpeg'), readOrientation(jpeg, 'jpeg'), n.length]).toEqual([1, 6, jpeg.length]);
    // PNG with an eXIf chunk after IHDR.
    const png = encode({ width: 1, height: 1, data: Uint8Array.of(9), channels: 1, depth: 8 });
    const seg = withOrientation(Uint8Array.of(0xff, 0xd8), 8).subarray(2 + 4 + 6); // the TIFF block of the APP1
    const chunk = new Uint8Array(12 + seg.length);
    const dv = new DataView(chunk.buffer);
    dv.setUint32(0, seg.length);
    chunk.set([0x65, 0x58, 0x49, 0x66], 4);
    chunk.set(seg, 8);
    dv.setUint32(8 + seg.length, crc32(chunk.subarray(4, 8 + seg.length)));
    const withExif = new Uint8Array(png.length + chunk.length);
    withExif.set(png.subarray(0, 33));
    withExif.set(chunk, 33);
    withExif.set(png.subarray(33), 33 + chunk.length);
    expect(readOrientation(withExif, 'png')).toBe(8);
    const reset = neutralizeOrientation(withExif, 'png');
    expect(readOrientation(reset, 'png')).toBe(1);
    const crc = new DataView(reset.buffer).getUint32(33 + 8 + seg.length);
    expect(crc).toBe(crc32(reset.subarray(33 + 4, 33 + 8 + seg.length)));
  });
});
