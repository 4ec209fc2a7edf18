import { describe, expect, it } from 'vitest';
import { pixelOffset, pixelProblem, pixelsOf, viewOf, type Samples } from './samples';

/** n images of 2x2 px whose every byte is the image's index. */
function numbered(n: number): Samples {
  const px = 2 * 2 * 3;
  const images = new Uint8Array(n * px);
  for (let i = 0; i < n; i++) images.fill(i, i * px, (i + 1) * px);
  return {
    images,
    count: n,
    size: 2,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    boxes: Float32Array.from({ length: n * 4 }, (_, k) => Math.floor(k / 4) / 100),
    ids: Array.from({ length: n }, (_, i) => `img${i}.png`),
  };
}

describe('index views of samples', () => {
  it('share the pixels and keep their own labels, boxes and ids', () => {
    const all = numbered(10);
    const v = viewOf(all, [7, 2, 9]);
    expect(v.images).toBe(all.images);
    expect(v.count).toBe(3);
    expect(Array.from(v.rows!)).toEqual([7, 2, 9]);
    expect(Array.from(v.labels!)).toEqual([1, 2, 0]);
    expect(Array.from(v.boxes!)).toEqual([0.07, 0.07, 0.07, 0.07, 0.02, 0.02, 0.02, 0.02, 0.09, 0.09, 0.09, 0.09].map(Math.fround));
    expect(v.ids).toEqual(['img7.png', 'img2.png', 'img9.png']);
    expect(Array.from(pixelsOf(v, 1))).toEqual(new Array(12).fill(2));
    expect(pixelOffset(v, 2)).toBe(9 * 12);
    expect(pixelProblem(v)).toBeNull();
  });

  it('a view of a view points at the same pixels', () => {
    const all = numbered(10);
    const vv = viewOf(viewOf(all, [7, 2, 9]), [2, 0]);
    expect(vv.images).toBe(all.images);
    expect(Array.from(vv.rows!)).toEqual([9, 7]);
    expect(Array.from(pixelsOf(vv, 0))).toEqual(new Array(12).fill(9));
    expect(vv.ids).toEqual(['img9.png', 'img7.png']);
  });

  it('refuses indices outside the samples', () => {
    expect(() => viewOf(numbered(3), [0, 3])).toThrow(RangeError);
    expect(() => viewOf(numbered(3), [-1])).toThrow(RangeError);
  });

  it('names what is wrong with inconsistent pixels', () => {
    const all = numbered(4);
    expect(pixelProblem(all)).toBeNull();
    expect(pixelProblem({ ...all, count: 5 })).toMatch(/expected 5 x 2 x 2 x 3/);
    const v = viewOf(all, [1, 3]);
    expect(pixelProblem({ ...v, rows: Int32Array.of(1, 4) })).toMatch(/image 4 of 4/);
    expect(pixelProblem({ ...v, count: 3 })).toMatch(/2 rows for 3 samples/);
  });
});
