/**
 * Seeded choices of which images to use and where they go: a class-stratified random subset (the
 * paper took 5,000 of 192,000 tiles), stratified train/test/validation splits for classification,
 * a plain seeded split for detection. Every stream is seeded from the run's seed and the stratum's
 * name (rng.ts's deriveSeed), so one class's draw never depends on another's, and the same seed
 * gives the same subset and split whatever order the files were listed in.
 *
 * Plain arithmetic on indices: no I/O.
 */
import { deriveSeed, Rng } from '../core/rng';

/**
 * How many of each stratum a subset of `total` takes: proportional to the strata's sizes (largest
 * deficit first), at least min(`minEach`, size) each when the total allows it.
 */
export function subsetQuotas(sizes: readonly number[], total: number, minEach = 0): number[] {
  const all = sizes.reduce((a, b) => a + b, 0);
  if (total >= all) return sizes.slice();
  const q = sizes.map((s) => Math.min(s, minEach));
  if (q.reduce((a, b) => a + b, 0) > total) q.fill(0);
  let given = q.reduce((a, b) => a + b, 0);
  const ideal = sizes.map((s) => (total * s) / all);
  while (given < total) {
    let best = -1;
    let bestDeficit = -Infinity;
    for (let i = 0; i < sizes.length; i++) {
      if (q[i] >= sizes[i]) continue;
      const deficit = ideal[i] - q[i];
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = i;
      }
    }
    if (best < 0) break;
    q[best]++;
    given++;
  }
  return q;
}

/** A seeded order of one stratum's items (sorted by the caller): the subset takes from its front. */
export function seededPool<T>(items: readonly T[], seed: number, stratum: string): T[] {
  return new Rng(deriveSeed(seed, `subset:${stratum}`)).shuffled(items);
}

export interface SplitIndices {
  train: number[];
  test: number[];
  val: number[];
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** Split one group of indices (already in a stable order) with its own seeded stream. */
function splitGroup(indices: readonly number[], testShare: number, valShare: number, seed: number, key: string, out: SplitIndices): void {
  const n = indices.length;
  if (n < 2) {
    out.train.push(...indices);
    return;
  }
  const order = new Rng(deriveSeed(seed, `split:${key}`)).shuffled(indices);
  const nTest = testShare > 0 ? clampInt(Math.round(n * testShare), 1, n - 1) : 0;
  const nTrain = n - nTest;
  const nVal = valShare > 0 ? clampInt(Math.round(nTrain * valShare), 0, nTrain - 1) : 0;
  out.test.push(...order.slice(0, nTest));
  out.val.push(...order.slice(nTest, nTest + nVal));
  out.train.push(...order.slice(nTest + nVal));
}

/**
 * Stratified split of items labelled `labels[i]` (classes named `classNames` for seeding): in each
 * class, round(n * testShare) to test (at least 1, at most n - 1), then round(train * valShare) of
 * the rest to validation. Classes with fewer than 2 items cannot be split; they go to train and are
 * listed in `tooSmall`.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  classNames: readonly string[],
  opts: { testShare: number; valShare?: number; seed: number },
): SplitIndices & { tooSmall: number[] } {
  const byClass: number[][] = classNames.map(() => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const out: SplitIndices = { train: [], test: [], val: [] };
  const tooSmall: number[] = [];
  byClass.forEach((idx, c) => {
    if (idx.length > 0 && idx.length < 2) tooSmall.push(c);
    splitGroup(idx, opts.testShare, opts.valShare ?? 0, opts.seed, `class:${classNames[c]}`, out);
  });
  for (const part of [out.train, out.test, out.val]) part.sort((a, b) => a - b);
  return { ...out, tooSmall };
}

/** Plain seeded split of n items (detection): the same shares, without strata. */
export function randomSplit(n: number, opts: { testShare: number; valShare?: number; seed: number }): SplitIndices {
  const out: SplitIndices = { train: [], test: [], val: [] };
  splitGroup(
    Array.from({ length: n }, (_, i) => i),
    opts.testShare,
    opts.valShare ?? 0,
    opts.seed,
    'all',
    out,
  );
  for (const part of [out.train, out.test, out.val]) part.sort((a, b) => a - b);
  return out;
}

/** Move round(train * valShare) of each class's training items to validation (for folder-given splits). */
export function takeValidation(
  train: readonly number[],
  labels: ArrayLike<number> | null,
  classNames: readonly string[],
  valShare: number,
  seed: number,
): { train: number[]; val: number[] } {
  const groups = new Map<string, number[]>();
  for (const i of train) {
    const key = labels ? `class:${classNames[labels[i]]}` : 'all';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const outTrain: number[] = [];
  const outVal: number[] = [];
  for (const [key, idx] of groups) {
    const order = new Rng(deriveSeed(seed, `val:${key}`)).shuffled(idx);
    const nVal = idx.length >= 2 ? clampInt(Math.round(idx.length * valShare), 0, idx.length - 1) : 0;
    outVal.push(...order.slice(0, nVal));
    outTrain.push(...order.slice(nVal));
  }
  outTrain.sort((a, b) => a - b);
  outVal.sort((a, b) => a - b);
  return { train: outTrain, val: outVal };
}
