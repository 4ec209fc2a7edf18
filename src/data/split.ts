/**
 * Seeded choices of which images to use and where they go: a class-stratified random subset (the
 * paper took 5,000 of 192,000 tiles), stratified train/test/validation splits for classification,
 * a plain seeded split for detection, and the grouped split that keeps every image of a patient
 * (slide, sequence, source tile) on one side. Every stream is seeded from the run's seed and the
 * stratum's name (rng.ts's deriveSeed), so one class's draw never depends on another's; given the
 * images' ids, items are put in id order before any shuffle, so the same seed gives the same split
 * whatever order the files arrive in.
 *
 * Plain arithmetic on indices: no I/O.
 */
import { EngineError } from '../core/errors';
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

/** `indices` in the order of their ids (when given), so that a shuffle does not depend on how they were listed. */
function inIdOrder(indices: number[], ids?: readonly string[]): number[] {
  if (!ids) return indices;
  return indices.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : a - b));
}

/** Items by class; a label without a class name is a typed error naming the item. */
function byClassOf(labels: ArrayLike<number>, classNames: readonly string[], ids?: readonly string[]): number[][] {
  const byClass: number[][] = classNames.map(() => []);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classNames.length) {
      const id = ids?.[i] ?? `#${i}`;
      throw new EngineError(
        'LABEL_MISMATCH',
        `Label ${l} of ${id} has no class name (${classNames.length} class(es)${classNames.length ? `: ${classNames.join(', ')}` : ''})`,
        id,
      );
    }
    byClass[l].push(i);
  }
  return byClass;
}

/**
 * Stratified split of items labelled `labels[i]` (classes named `classNames` for seeding): in each
 * class, round(n * testShare) to test (at least 1, at most n - 1), then round(train * valShare) of
 * the rest to validation. Classes with fewer than 2 items cannot be split; they go to train and are
 * listed in `tooSmall`. With `ids`, each class is put in id order before its shuffle.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  classNames: readonly string[],
  opts: { testShare: number; valShare?: number; seed: number; ids?: readonly string[] },
): SplitIndices & { tooSmall: number[] } {
  const byClass = byClassOf(labels, classNames, opts.ids);
  const out: SplitIndices = { train: [], test: [], val: [] };
  const tooSmall: number[] = [];
  byClass.forEach((idx, c) => {
    if (idx.length > 0 && idx.length < 2) tooSmall.push(c);
    splitGroup(inIdOrder(idx, opts.ids), opts.testShare, opts.valShare ?? 0, opts.seed, `class:${classNames[c]}`, out);
  });
  for (const part of [out.train, out.test, out.val]) part.sort((a, b) => a - b);
  return { ...out, tooSmall };
}

/** Plain seeded split of n items (detection): the same shares, without strata. */
export function randomSplit(n: number, opts: { testShare: number; valShare?: number; seed: number; ids?: readonly string[] }): SplitIndices {
  const out: SplitIndices = { train: [], test: [], val: [] };
  splitGroup(
    inIdOrder(
      Array.from({ length: n }, (_, i) => i),
      opts.ids,
    ),
    opts.testShare,
    opts.valShare ?? 0,
    opts.seed,
    'all',
    out,
  );
  for (const part of [out.train, out.test, out.val]) part.sort((a, b) => a - b);
  return out;
}

/** A unit of a grouped split: one group, or one image without a group. */
interface Unit {
  key: string;
  items: number[];
  /** Items per class. */
  counts: number[];
}

/** A class the grouped split cannot give both a training and a test group. */
export interface TooFewGroups {
  className: string;
  images: number;
  groups: number;
}

/**
 * Whole units into `take` from `from` (in their seeded order), one at a time, where a unit brings
 * the per-class counts closer to `target` (sum of |count - target| falls), and never the last
 * unit of a class (`from` keeps at least one of each).
 */
function takeUnits(from: Unit[], target: readonly number[]): { taken: Unit[]; left: Unit[] } {
  const classes = target.length;
  const got = new Array<number>(classes).fill(0);
  const unitsLeft = new Array<number>(classes).fill(0);
  for (const u of from) for (let c = 0; c < classes; c++) if (u.counts[c] > 0) unitsLeft[c]++;
  const cost = (add?: Unit) => got.reduce((a, g, c) => a + Math.abs(g + (add ? add.counts[c] : 0) - target[c]), 0);
  const leavesNone = (u: Unit) => u.counts.some((n, c) => n > 0 && unitsLeft[c] <= 1);
  const taken: Unit[] = [];
  const left: Unit[] = [];
  const take = (u: Unit) => {
    taken.push(u);
    for (let c = 0; c < classes; c++) {
      got[c] += u.counts[c];
      if (u.counts[c] > 0) unitsLeft[c]--;
    }
  };
  for (const u of from) {
    if (!leavesNone(u) && cost(u) < cost()) take(u);
    else left.push(u);
  }
  // A class that wants some but got none (its groups are all large): its smallest unit that can go.
  for (let c = 0; c < classes; c++) {
    if (target[c] <= 0 || got[c] > 0) continue;
    let best = -1;
    for (let k = 0; k < left.length; k++) {
      const u = left[k];
      if (u.counts[c] === 0 || leavesNone(u)) continue;
      if (best < 0 || u.items.length < left[best].items.length) best = k;
    }
    if (best >= 0) take(left.splice(best, 1)[0]);
  }
  return { taken, left };
}

/**
 * Grouped, stratified, seeded split: test and validation take whole groups. `groups[i]` is item
 * i's group ('' for none: such an item is a unit of its own). Units are put in name order, then
 * shuffled with the seed; test takes each unit in turn that brings every class closer to
 * round(n_c * testShare) (so the test share is within one group of the target), then validation
 * does the same on what is left with round(n_train_c * valShare). Every class keeps a unit in
 * training. A class with fewer than 2 units cannot be split: it stays in training and is named
 * in `tooFew`. Without labels (detection) all items form one class.
 */
export function groupedSplit(
  groups: readonly string[],
  opts: { labels?: ArrayLike<number>; classNames?: readonly string[]; testShare: number; valShare?: number; seed: number; ids?: readonly string[] },
): SplitIndices & { tooFew: TooFewGroups[] } {
  const n = groups.length;
  const names = opts.labels ? (opts.classNames ?? []) : ['all'];
  // A label without a class name is a typed error naming the item.
  if (opts.labels) byClassOf(opts.labels, names, opts.ids);
  const labelOf = (i: number) => (opts.labels ? opts.labels[i] : 0);
  const classes = names.length;
  const units = new Map<string, Unit>();
  for (let i = 0; i < n; i++) {
    const key = groups[i] ? `g:${groups[i]}` : `i:${opts.ids?.[i] ?? String(i).padStart(12, '0')}`;
    let u = units.get(key);
    if (!u) units.set(key, (u = { key, items: [], counts: new Array<number>(classes).fill(0) }));
    u.items.push(i);
    u.counts[labelOf(i)]++;
  }
  const sorted = [...units.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const order = new Rng(deriveSeed(opts.seed, 'split:groups')).shuffled(sorted);
  const total = new Array<number>(classes).fill(0);
  const unitCount = new Array<number>(classes).fill(0);
  for (const u of sorted)
    for (let c = 0; c < classes; c++) {
      total[c] += u.counts[c];
      if (u.counts[c] > 0) unitCount[c]++;
    }
  const tooFew: TooFewGroups[] = [];
  const testTarget = total.map((t, c) => {
    if (t === 0) return 0;
    if (unitCount[c] < 2) {
      tooFew.push({ className: names[c], images: t, groups: unitCount[c] });
      return 0;
    }
    return opts.testShare > 0 ? clampInt(Math.round(t * opts.testShare), 1, t - 1) : 0;
  });
  const test = takeUnits(order, testTarget);
  const valShare = opts.valShare ?? 0;
  let val: Unit[] = [];
  let train = test.left;
  if (valShare > 0) {
    const left = new Array<number>(classes).fill(0);
    for (const u of train) for (let c = 0; c < classes; c++) left[c] += u.counts[c];
    const valTarget = left.map((t) => (t > 1 ? clampInt(Math.round(t * valShare), 0, t - 1) : 0));
    const v = takeUnits(train, valTarget);
    val = v.taken;
    train = v.left;
  }
  const flat = (us: Unit[]) => us.flatMap((u) => u.items).sort((a, b) => a - b);
  return { train: flat(train), test: flat(test.taken), val: flat(val), tooFew };
}

/** How a split treats groups: distinct groups per part, groups in more than one part, and test images whose group is in training. */
export function splitGroupStats(
  groups: readonly string[],
  parts: SplitIndices,
): { groups: { train: number; val: number; test: number }; inBoth: number; leakage: number } {
  const of = (idx: readonly number[]) => new Set(idx.map((i) => groups[i]).filter((g) => g));
  const train = of(parts.train);
  const val = of(parts.val);
  const test = of(parts.test);
  let inBoth = 0;
  for (const g of new Set([...train, ...val, ...test])) if (Number(train.has(g)) + Number(val.has(g)) + Number(test.has(g)) > 1) inBoth++;
  const leaked = parts.test.filter((i) => groups[i] && train.has(groups[i])).length;
  return { groups: { train: train.size, val: val.size, test: test.size }, inBoth, leakage: parts.test.length ? leaked / parts.test.length : 0 };
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
