import { describe, expect, it } from 'vitest';
import type { Normalization } from '../core/config';
import { assembleBatch } from '../engine/batch';
import { generateClassification, generateDetection } from '../data/synthetic';
import { imageBytes, pixelsOf, type Samples } from '../core/samples';
import { dataForSeed, resample } from './datasets';

const norm: Normalization = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };

/** A copy of the samples at `indices`, as the sets were made before views. */
function copyOf(s: Samples, indices: number[]): Samples {
  const px = imageBytes(s);
  const images = new Uint8Array(indices.length * px);
  indices.forEach((i, k) => images.set(pixelsOf(s, i), k * px));
  return {
    images,
    count: indices.length,
    size: s.size,
    labels: s.labels ? Int32Array.from(indices, (i) => s.labels![i]) : undefined,
    boxes: s.boxes ? Float32Array.from(indices.flatMap((i) => Array.from(s.boxes!.subarray(i * 4, i * 4 + 4)))) : undefined,
    ids: s.ids ? indices.map((i) => s.ids![i]) : undefined,
  };
}

describe("each seed's sets", () => {
  it('are views of the one dataset: five seeds copy no pixels', () => {
    const g = generateClassification({ count: 60, size: 16, seed: 1 });
    const all: Samples = { images: g.images, count: g.count, size: g.size, labels: g.labels, ids: g.ids };
    const policy = { testShare: 0.25, splitSeed: 'per-seed' as const, classNames: g.classNames };
    for (const seed of [0, 1, 2, 3, 4]) {
      const d = dataForSeed(all, policy, seed);
      expect(d.train.images).toBe(all.images);
      expect(d.test.images).toBe(all.images);
      expect(d.train.count + d.test.count).toBe(60);
      // No sample in both sets.
      const train = new Set(d.train.rows);
      expect(Array.from(d.test.rows!).some((r) => train.has(r))).toBe(false);
    }
  });

  it('give the batcher the same batches as copies would, augmentations and boxes included', () => {
    const g = generateDetection({ count: 30, size: 16, seed: 2 });
    const all: Samples = { images: g.images, count: g.count, size: g.size, boxes: g.boxes, ids: g.ids };
    const d = dataForSeed(all, { testShare: 0.3, splitSeed: 'per-seed' }, 3);
    const copy = copyOf(all, Array.from(d.train.rows!));
    const idx = [4, 0, 11, 7];
    const aug = idx.map((_, k) => ({ rot: k % 4, hflip: k % 2 === 0, vflip: k === 3, brightness: 0.1 * k, contrast: 1 - 0.05 * k }));
    const a = assembleBatch(d.train, idx, norm, 2, aug);
    const b = assembleBatch(copy, idx, norm, 2, aug);
    expect(a.x).toEqual(b.x);
    expect(a.boxes).toEqual(b.boxes);
  });

  it('resample a view into its own samples', () => {
    const g = generateClassification({ count: 12, size: 16, seed: 3 });
    const all: Samples = { images: g.images, count: g.count, size: g.size, labels: g.labels };
    const d = dataForSeed(all, { testShare: 0.25, splitSeed: 'fixed', classNames: g.classNames }, 0);
    const small = resample(d.test, 8);
    expect(small.rows).toBeUndefined();
    expect(small.images.length).toBe(d.test.count * 8 * 8 * 3);
    expect(resample(copyOf(all, Array.from(d.test.rows!)), 8).images).toEqual(small.images);
  });
});
