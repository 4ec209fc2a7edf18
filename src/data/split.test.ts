import { describe, expect, it } from 'vitest';
import { randomSplit, seededPool, stratifiedSplit, subsetQuotas, takeValidation } from './split';

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
