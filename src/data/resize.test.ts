import { describe, expect, it } from 'vitest';
import { placeBox, placement, resizeInto } from './resize';
import type { RawImage } from './types';

function rgba(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RawImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...f(x, y), 255], (y * w + x) * 4);
  return { width: w, height: h, data, sourceBitDepth: 8 };
}

describe('resizeInto', () => {
  it("shrinking averages each output pixel's area (an exact 2x checkerboard becomes flat grey)", () => {
    const img = rgba(8, 8, (x, y) => ((x + y) % 2 ? [255, 255, 255] : [0, 0, 0]));
    const out = new Uint8Array(4 * 4 * 3);
    resizeInto(img, 4, 'stretch', out);
    expect(new Set(out)).toEqual(new Set([128]));
    // Non-integer ratio: a 3 -> 2 shrink of [0, 90, 180] gives [30, 150] (weights 2/3, 1/3).
    const row = rgba(3, 1, (x) => [x * 90, 0, 0]);
    const o2 = new Uint8Array(2 * 2 * 3);
    resizeInto(row, 2, 'stretch', o2);
    expect([o2[0], o2[3]]).toEqual([30, 150]);
  });

  it('enlarging is bilinear with aligned pixel centres; same size copies exactly', () => {
    const img = rgba(2, 2, (x) => [x ? 200 : 0, 7, 9]);
    const out = new Uint8Array(4 * 4 * 3);
    resizeInto(img, 4, 'stretch', out);
    expect(Array.from({ length: 4 }, (_, x) => out[x * 3])).toEqual([0, 50, 150, 200]);
    const same = rgba(3, 3, (x, y) => [x, y, 5]);
    const o = new Uint8Array(27);
    resizeInto(same, 3, 'stretch', o);
    expect(Array.from(o.subarray(0, 6))).toEqual([0, 0, 5, 1, 0, 5]);
  });

  it('pad: centred on black, boxes moved with the image', () => {
    const img = rgba(40, 20, () => [255, 0, 0]);
    const out = new Uint8Array(20 * 20 * 3);
    const p = resizeInto(img, 20, 'pad', out, 0);
    expect(p).toEqual({ size: 20, x: 0, y: 5, width: 20, height: 10 });
    expect([out[(2 * 20 + 10) * 3], out[(10 * 20 + 10) * 3]]).toEqual([0, 255]);
    expect(placeBox([0.5, 0.5, 1, 1], p)).toEqual([0.5, 0.5, 1, 0.5]);
    expect(placeBox([0.25, 0, 0.5, 0], placement(40, 20, 20, 'stretch'))).toEqual([0.25, 0, 0.5, 0]);
  });
});
