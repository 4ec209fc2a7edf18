/**
 * From one imported (or generated) set of samples to the train/test data of each seed: a
 * stratified seeded split per seed (so a seed pairs the same split across methods), one fixed
 * split, or the split the folders gave. Each seed's sets are index views of the one dataset
 * (`viewOf` in core/samples.ts): no seed copies pixels. Also bringing stored images to another
 * input size.
 */
import { pixelOffset, viewOf, type Samples, type TrainData } from '../core/samples';
import { stratifiedSplit, randomSplit } from '../data/split';
import { resizeInto } from '../data/resize';

/** The samples at `indices`: an index view sharing `s`'s pixels (see `viewOf`). */
export function pick(s: Samples, indices: readonly number[]): Samples {
  return viewOf(s, indices);
}

/**
 * The same square images at another size (area-averaged when shrinking); boxes are unchanged.
 * A view is resampled into a dataset of its own samples only.
 */
export function resample(s: Samples, size: number): Samples {
  if (s.size === size) return s;
  const src = s.size * s.size;
  const rgba = new Uint8Array(src * 4);
  const images = new Uint8Array(s.count * size * size * 3);
  for (let i = 0; i < s.count; i++) {
    const o = pixelOffset(s, i);
    for (let p = 0; p < src; p++) {
      rgba[p * 4] = s.images[o + p * 3];
      rgba[p * 4 + 1] = s.images[o + p * 3 + 1];
      rgba[p * 4 + 2] = s.images[o + p * 3 + 2];
      rgba[p * 4 + 3] = 255;
    }
    resizeInto({ width: s.size, height: s.size, data: rgba, sourceBitDepth: 8 }, size, 'stretch', images, i * size * size * 3);
  }
  const { rows: _rows, ...rest } = s;
  return { ...rest, images, size };
}

export interface SplitPolicy {
  testShare: number;
  splitSeed: 'per-seed' | 'fixed';
  classNames?: string[];
  /** Indices of a split the folders gave: used for every seed. */
  given?: { train: number[]; test: number[] };
}

/** Indices of a seed's train and test images in `all`. */
export function splitForSeed(all: Samples, policy: SplitPolicy, seed: number): { train: number[]; test: number[] } {
  if (policy.given) return policy.given;
  const splitSeed = policy.splitSeed === 'fixed' ? 0 : seed;
  return all.labels
    ? stratifiedSplit(all.labels, policy.classNames ?? [], { testShare: policy.testShare, seed: splitSeed })
    : randomSplit(all.count, { testShare: policy.testShare, seed: splitSeed });
}

/** Train/test data for a seed: index views of `all`. */
export function dataForSeed(all: Samples, policy: SplitPolicy, seed: number): TrainData {
  const parts = splitForSeed(all, policy, seed);
  return { train: pick(all, parts.train), test: pick(all, parts.test) };
}
