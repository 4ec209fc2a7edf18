import { describe, expect, it } from 'vitest';
import { maskToBox } from './maskBoxes';
import type { RawImage } from './types';

function mask(w: number, h: number, on: (x: number, y: number) => number): RawImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = on(x, y);
      data.set([v, v, v, 255], (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data, sourceBitDepth: 8 };
}

const inRect = (x: number, y: number, x0: number, y0: number, x1: number, y1: number) => x >= x0 && x < x1 && y >= y0 && y < y1;

describe('maskToBox', () => {
  it('two components: union box, both counted; a speck under 50 px ignored', () => {
    const m = mask(100, 80, (x, y) => (inRect(x, y, 10, 10, 30, 25) || inRect(x, y, 60, 40, 90, 70) ? 255 : inRect(x, y, 0, 75, 7, 80) ? 200 : 0));
    // The speck is 7 x 5 = 35 px.
    const r = maskToBox(m);
    expect(r.components.length).toBe(2);
    expect(r.specks).toBe(1);
    expect(r.box).toEqual([(10 + 90) / 2 / 100, (10 + 70) / 2 / 80, 80 / 100, 60 / 80]);
  });

  it('threshold at half intensity of the brightest channel; 8-connectivity joins diagonals', () => {
    // A diagonal line of 60 pixels is one component under 8-connectivity.
    const diag = mask(70, 70, (x, y) => (x === y && x < 60 ? 128 : 127));
    const r = maskToBox(diag);
    expect([r.components.length, r.box]).toEqual([1, [30 / 70, 30 / 70, 60 / 70, 60 / 70]]);
    const red: RawImage = { width: 10, height: 10, data: new Uint8Array(400), sourceBitDepth: 8 };
    for (let p = 0; p < 100; p++) red.data.set([200, 0, 0, 255], p * 4);
    expect(maskToBox(red).box).toEqual([0.5, 0.5, 1, 1]);
  });

  it('empty and 0/1 label-map masks', () => {
    expect(maskToBox(mask(20, 20, () => 30)).box).toBeNull();
    const labels = maskToBox(mask(20, 20, (x, y) => (inRect(x, y, 0, 0, 10, 10) ? 1 : 0)));
    expect(labels.box).toEqual([0.25, 0.25, 0.5, 0.5]);
  });
});
