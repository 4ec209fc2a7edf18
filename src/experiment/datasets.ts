/**
 * From one imported (or generated) set of samples to the train/validation/test data of each seed:
 * a stratified seeded split per seed (so a seed pairs the same split across methods), by whole
 * groups where the images have groups, one fixed split, or the split the folders gave. Each
 * seed's sets are index views of the one dataset (`viewOf` in core/samples.ts): no seed copies
 * pixels. Also bringing stored images to another input size.
 */
import { pixelOffset, viewOf, type Samples, type TrainData } from '../core/samples';
import { groupedSplit, stratifiedSplit, randomSplit } from '../data/split';
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
  /** Share of the training part held out for validation (default 0). */
  valShare?: number;
  splitSeed: 'per-seed' | 'fixed';
  classNames?: string[];
  /** Test and validation take whole groups (`Samples.groups`), not single images. */
  byGroup?: boolean;
  /** Indices of a split the folders gave: used for every seed. */
  given?: { train: number[]; test: number[]; val?: number[] };
}

export interface SeedSplit {
  train: number[];
  val: number[];
  test: number[];
}

/**
 * Indices of a seed's train, validation and test images in `all`. Images are put in the order of
 * their ids (paths) before the seeded draw, so a seed gives the same images whatever order the
 * import stored them in.
 */
export function splitForSeed(all: Samples, policy: SplitPolicy, seed: number): SeedSplit {
  if (policy.given) return { train: policy.given.train, val: policy.given.val ?? [], test: policy.given.test };
  const splitSeed = policy.splitSeed === 'fixed' ? 0 : seed;
  const opts = { testShare: policy.testShare, valShare: policy.valShare ?? 0, seed: splitSeed, ids: all.ids };
  if (policy.byGroup && all.groups) {
    const g = groupedSplit(all.groups, { ...opts, labels: all.labels, classNames: policy.classNames ?? [] });
    return { train: g.train, val: g.val, test: g.test };
  }
  return all.labels ? stratifiedSplit(all.labels, policy.classNames ?? [], opts) : randomSplit(all.count, opts);
}

/** Train/validation/test data for a seed, index views of `all` (no validation part when it holds no image). */
export function dataForSeed(all: Samples, policy: SplitPolicy, seed: number): TrainData {
  const parts = splitForSeed(all, policy, seed);
  const data: TrainData = { train: pick(all, parts.train), test: pick(all, parts.test) };
  if (parts.val.length) data.val = pick(all, parts.val);
  return data;
}
