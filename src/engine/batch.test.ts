import { describe, expect, it } from 'vitest';
import { DEFAULT_AUGMENT } from '../core/config';
import { Rng } from '../core/rng';
import type { Samples } from '../core/samples';
import { assembleBatch, drawAugment, NO_AUGMENT, transformBox, type SampleAugment } from './batch';

const ID = { mean: [0, 0, 0] as [number, number, number], std: [1 / 255, 1 / 255, 1 / 255] as [number, number, number] };
const S = 64;

/** A bright rectangle on black, with its box. */
function rectangle(x0: number, y0: number, x1: number, y1: number): Samples {
  const images = new Uint8Array(S * S * 3);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) images.fill(255, (y * S + x) * 3, (y * S + x) * 3 + 3);
  return { images, count: 1, size: S, boxes: Float32Array.from([(x0 + x1) / 2 / S, (y0 + y1) / 2 / S, (x1 - x0) / S, (y1 - y0) / S]) };
}

/** The normalised box of the pixels brighter than half. */
function brightBox(x: Float32Array): number[] {
  let x0 = S,
    y0 = S,
    x1 = 0,
    y1 = 0;
  for (let y = 0; y < S; y++)
    for (let c = 0; c < S; c++)
      if (x[(y * S + c) * 3] > 127) {
        x0 = Math.min(x0, c);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, c + 1);
        y1 = Math.max(y1, y + 1);
      }
  return [(x0 + x1) / 2 / S, (y0 + y1) / 2 / S, (x1 - x0) / S, (y1 - y0) / S];
}

describe('augmentation', () => {
  it('the defaults are flips and small rotations within ±15°; 90° turns and colour jitter are off', () => {
    const rng = new Rng(3);
    const augs = Array.from({ length: 400 }, () => drawAugment(rng, DEFAULT_AUGMENT));
    expect(augs.every((a) => Math.abs(a.angle!) <= 15 && a.rot === 0 && a.brightness === 0 && a.contrast === 1)).toBe(true);
    expect(Math.max(...augs.map((a) => Math.abs(a.angle!)))).toBeGreaterThan(13);
    expect(augs.some((a) => a.hflip) && augs.some((a) => a.vflip)).toBe(true);
    // The stream does not depend on which options are on.
    const a = new Rng(9);
    const b = new Rng(9);
    drawAugment(a, DEFAULT_AUGMENT);
    drawAugment(b, { hflip: false, vflip: false, rot90: true, brightness: 0.1, contrast: 0.1 });
    expect(a.next()).toBe(b.next());
  });

  it('a small rotation turns the pixels, and the box becomes the axis-aligned box of the turned box', () => {
    const s = rectangle(8, 10, 30, 22); // off-centre, so the direction of the turn matters
    for (const angle of [10, -15, 30]) {
      const aug: SampleAugment = { ...NO_AUGMENT, angle, hflip: angle < 0 };
      const b = assembleBatch(s, [0], ID, 2, [aug]);
      const want = brightBox(b.x);
      // The bright pixels' box and the transformed box agree to about a pixel.
      b.boxes!.forEach((v, k) => expect(Math.abs(v - want[k]), `angle ${angle}, box[${k}]`).toBeLessThan(2.5 / S));
      expect(b.boxes![2]).toBeGreaterThan(s.boxes![2]);
    }
    // No rotation: the same pixels as before this option existed.
    const plain = assembleBatch(s, [0], ID, 2, [{ ...NO_AUGMENT, angle: 0 }]);
    expect(Array.from(plain.x)).toEqual(Array.from(s.images));
  });

  it('a box turned partly out of the image is clipped to it', () => {
    const out = transformBox([0.9, 0.5, 0.2, 0.8], { ...NO_AUGMENT, angle: 20 });
    expect(out[0] + out[2] / 2).toBeLessThanOrEqual(1 + 1e-6);
    expect(out[1] - out[3] / 2).toBeGreaterThanOrEqual(-1e-6);
    expect(out[1] + out[3] / 2).toBeLessThanOrEqual(1 + 1e-6);
  });
});
