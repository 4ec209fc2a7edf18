import { describe, expect, it } from 'vitest';
import { groupedSplit, randomSplit, seededPool, splitGroupStats, stratifiedSplit, subsetQuotas, takeValidation } from './split';
import { Rng } from '../core/rng';

describe('subsetQuotas', () => {
  it('keeps the class balance of the folder, summing to the subset', () => {
    const q = subsetQuotas([10000, 5000, 5000], 500);
    expect(q).toEqual([250, 125, 125]);
    const r = subsetQuotas([7, 3, 1000], 20, 2);
    expect(r.reduce((a, b) => a + b, 0)).toBe(20);
    expect(r[0]).toBeGreaterThanOrEqual(2);
    expect(r[1]).toBeGreaterThanOrEqual(2);
    expect(subsetQuotas([3, 4], 100)).toEqual([3, 4]);
  });
});

describe('seeded splits', () => {
  const classNames = ['ADI', 'TUM', 'NORM'];
  const labels = Array.from({ length: 300 }, (_, i) => (i < 150 ? 0 : i < 250 ? 1 : 2));

  it('stratified 80:20 per class, reproducible from the seed, different for another seed', () => {
    const a = stratifiedSplit(labels, classNames, { testShare: 0.2, seed: 7 });
    const b = stratifiedSplit(labels, classNames, { testShare: 0.2, seed: 7 });
    const c = stratifiedSplit(labels, classNames, { testShare: 0.2, seed: 8 });
    expect(a).toEqual(b);
    expect(a.test).not.toEqual(c.test);
    const perClass = (idx: number[]) => [0, 1, 2].map((k) => idx.filter((i) => labels[i] === k).length);
    expect(perClass(a.test)).toEqual([30, 20, 10]);
    expect(perClass(a.train)).toEqual([120, 80, 40]);
    expect(new Set([...a.train, ...a.test]).size).toBe(300);
  });

  it('validation is taken from train; classes of one image cannot be split', () => {
    const s = stratifiedSplit(labels, classNames, { testShare: 0.2, valShare: 0.25, seed: 1 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([180, 60, 60]);
    const tiny = stratifiedSplit([0, 1, 1, 1], ['a', 'b'], { testShare: 0.2, seed: 1 });
    expect(tiny.tooSmall).toEqual([0]);
    expect(tiny.test.length).toBe(1);
    const v = takeValidation([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], null, [], 0.2, 3);
    expect([v.train.length, v.val.length]).toEqual([8, 2]);
  });

  it("one class's draw does not depend on the others", () => {
    const a = stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], ['x', 'y'], { testShare: 0.4, seed: 2 });
    const b = stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1], ['x', 'y'], { testShare: 0.4, seed: 2 });
    expect(a.test.filter((i) => i < 5)).toEqual(b.test.filter((i) => i < 5));
  });

  it('detection: plain seeded split; pools are seeded permutations', () => {
    const r = randomSplit(10, { testShare: 0.2, seed: 4 });
    expect([r.train.length, r.test.length]).toEqual([8, 2]);
    expect(randomSplit(10, { testShare: 0.2, seed: 4 })).toEqual(r);
    const pool = seededPool([1, 2, 3, 4, 5, 6], 3, 'TUM');
    expect([...pool].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seededPool([1, 2, 3, 4, 5, 6], 3, 'TUM')).toEqual(pool);
  });
});

describe('grouped split', () => {
  /** `groups` groups of 1..maxSize items each, each group of one class (labels per patient). */
  function cohort(seed: number, groups: number, maxSize: number) {
    const rng = new Rng(seed);
    const g: string[] = [];
    const labels: number[] = [];
    const ids: string[] = [];
    for (let k = 0; k < groups; k++) {
      const size = 1 + rng.int(maxSize);
      for (let t = 0; t < size; t++) {
        g.push(`p${k}`);
        labels.push(k % 3 === 0 ? 1 : 0);
        ids.push(`img/${k}/${t}.png`);
      }
    }
    return { g, labels, ids, largest: maxSize };
  }

  it('test and validation take whole groups; each class keeps its test share within one group of the target', () => {
    for (let seed = 0; seed < 30; seed++) {
      const c = cohort(seed, 40, 9);
      const s = groupedSplit(c.g, { labels: c.labels, classNames: ['a', 'b'], testShare: 0.2, valShare: 0.25, seed, ids: c.ids });
      expect(splitGroupStats(c.g, s).inBoth).toBe(0);
      expect(s.train.length + s.val.length + s.test.length).toBe(c.g.length);
      for (const cls of [0, 1]) {
        const n = c.labels.filter((l) => l === cls).length;
        const inTest = s.test.filter((i) => c.labels[i] === cls).length;
        const largest = Math.max(...[...new Set(c.g)].map((g) => c.g.filter((x, i) => x === g && c.labels[i] === cls).length));
        expect(Math.abs(inTest - Math.round(n * 0.2)), `seed ${seed} class ${cls}`).toBeLessThanOrEqual(largest);
        expect(inTest).toBeGreaterThan(0);
        expect(s.train.some((i) => c.labels[i] === cls)).toBe(true);
      }
      const total = Math.round(c.labels.filter((l) => l === 0).length * 0.2) + Math.round(c.labels.filter((l) => l === 1).length * 0.2);
      expect(Math.abs(s.test.length - total)).toBeLessThanOrEqual(c.largest);
    }
  });

  it('the same seed picks the same groups whatever order the items come in; another seed picks others', () => {
    const c = cohort(3, 30, 6);
    const perm = new Rng(11).shuffled(c.g.map((_, i) => i));
    const a = groupedSplit(c.g, { labels: c.labels, classNames: ['a', 'b'], testShare: 0.25, seed: 4, ids: c.ids });
    const b = groupedSplit(
      perm.map((i) => c.g[i]),
      { labels: perm.map((i) => c.labels[i]), classNames: ['a', 'b'], testShare: 0.25, seed: 4, ids: perm.map((i) => c.ids[i]) },
    );
    const testIds = (s: { test: number[] }, ids: string[]) => s.test.map((i) => ids[i]).sort();
    expect(
      testIds(
        b,
        perm.map((i) => c.ids[i]),
      ),
    ).toEqual(testIds(a, c.ids));
    const other = groupedSplit(c.g, { labels: c.labels, classNames: ['a', 'b'], testShare: 0.25, seed: 5, ids: c.ids });
    expect(testIds(other, c.ids)).not.toEqual(testIds(a, c.ids));
  });

  it('items without a group are units of their own; a class in fewer than 2 groups is named and stays in training', () => {
    const g = ['p1', 'p1', 'p2', 'p2', '', '', '', 'q', 'q', 'q'];
    const labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1];
    const s = groupedSplit(g, { labels, classNames: ['a', 'b'], testShare: 0.3, seed: 1 });
    expect(s.tooFew).toEqual([{ className: 'b', images: 3, groups: 1 }]);
    expect(s.test.some((i) => labels[i] === 1)).toBe(false);
    expect(splitGroupStats(g, s).inBoth).toBe(0);
    // Detection: one stratum; a single group cannot be split.
    expect(groupedSplit(['v', 'v', 'v'], { testShare: 0.2, seed: 0 }).tooFew).toEqual([{ className: 'all', images: 3, groups: 1 }]);
  });

  it('a split by image of grouped items leaks, and the share of leaked test images is counted', () => {
    const g = ['a', 'a', 'b', 'b'];
    expect(splitGroupStats(g, { train: [0, 2], val: [], test: [1, 3] })).toEqual({ groups: { train: 2, val: 0, test: 2 }, inBoth: 2, leakage: 1 });
    expect(splitGroupStats(g, { train: [0, 1, 2], val: [], test: [3] }).leakage).toBe(1);
    expect(splitGroupStats(g, { train: [0, 1], val: [], test: [2, 3] }).leakage).toBe(0);
  });
});

describe('splits and the order of the files', () => {
  it('with ids, a stratified split picks the same images whatever order they are listed in', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, '0')}.png`);
    const labels = ids.map((_, i) => i % 2);
    const perm = new Rng(2).shuffled(ids.map((_, i) => i));
    const a = stratifiedSplit(labels, ['x', 'y'], { testShare: 0.25, seed: 9, ids });
    const b = stratifiedSplit(
      perm.map((i) => labels[i]),
      ['x', 'y'],
      { testShare: 0.25, seed: 9, ids: perm.map((i) => ids[i]) },
    );
    expect(b.test.map((i) => ids[perm[i]]).sort()).toEqual(a.test.map((i) => ids[i]).sort());
    const r1 = randomSplit(40, { testShare: 0.25, seed: 9, ids });
    const r2 = randomSplit(40, { testShare: 0.25, seed: 9, ids: perm.map((i) => ids[i]) });
    expect(r2.test.map((i) => ids[perm[i]]).sort()).toEqual(r1.test.map((i) => ids[i]).sort());
  });

  it('a label without a class name is a typed error naming the item', () => {
    expect(() => stratifiedSplit([0, 1, 2], ['x', 'y'], { testShare: 0.2, seed: 0, ids: ['a', 'b', 'c'] })).toThrow(
      expect.objectContaining({ code: 'LABEL_MISMATCH', subject: 'c' }),
    );
    expect(() => stratifiedSplit([0, 1], [], { testShare: 0.2, seed: 0 })).toThrow(expect.objectContaining({ code: 'LABEL_MISMATCH' }));
  });
});
