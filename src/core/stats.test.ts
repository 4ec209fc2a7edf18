import { describe, expect, it } from 'vitest';
import { mean, pairedTTest, sampleStd } from './stats';

describe('statistics over seeds', () => {
  it('mean and sample standard deviation by hand', () => {
    expect(mean([0.9, 0.92, 0.94])).toBeCloseTo(0.92, 12);
    // deviations -0.02, 0, 0.02 -> sum of squares 0.0008 / (3 - 1) = 0.0004 -> 0.02
    expect(sampleStd([0.9, 0.92, 0.94])).toBeCloseTo(0.02, 12);
    expect(Number.isNaN(sampleStd([1]))).toBe(true);
  });

  it('paired t-test against a hand computation', () => {
    // differences 0.02, 0.03, 0.01, 0.04: mean 0.025, sd sqrt(0.0005/3) = 0.0129099..., t = 0.025 / (sd/2) = 3.872983...
    const a = [0.92, 0.93, 0.91, 0.94];
    const b = [0.9, 0.9, 0.9, 0.9];
    const r = pairedTTest(a, b);
    expect(r.df).toBe(3);
    expect(r.meanDiff).toBeCloseTo(0.025, 12);
    expect(r.t).toBeCloseTo(3.872983346207417, 9);
    // two-sided p for t = 3.873 with 3 df (reference: 2 * (1 - F_t3(3.873)) = 0.030466...)
    expect(r.p).toBeCloseTo(0.03047, 4);
  });

  it('p for t = 2.0 with 5 df matches the closed form', () => {
    // For df = 5 the t CDF has a closed form; build a pair with t exactly 2 and check p.
    const tcdf5 = (t: number) => {
      const x = t / Math.sqrt(5);
      const th = Math.atan(x);
      return 0.5 + (th + Math.sin(th) * Math.cos(th) * (1 + (2 / 3) * Math.cos(th) ** 2)) / Math.PI;
    };
    const d = [1, 2, 3, 4, 5, 6];
    const md = 3.5;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - md) ** 2, 0) / 5);
    const shift = 2 * (sd / Math.sqrt(6)) - md; // makes mean difference = 2 * se
    const a = d.map((x) => x + shift);
    const r = pairedTTest(a, [0, 0, 0, 0, 0, 0]);
    expect(r.t).toBeCloseTo(2, 9);
    expect(r.p).toBeCloseTo(2 * (1 - tcdf5(2)), 6);
  });

  it('degenerate pairs', () => {
    expect(pairedTTest([1, 1], [1, 1]).p).toBe(1);
    expect(pairedTTest([2, 2], [1, 1]).p).toBe(0);
    expect(Number.isNaN(pairedTTest([2], [1]).p)).toBe(true);
    expect(() => pairedTTest([1, 2], [1])).toThrow();
  });

  it('pairs where either value is NaN are left out, as the means leave them out', () => {
    const r = pairedTTest([0.92, NaN, 0.91, 0.94, 0.93], [0.9, 0.9, NaN, 0.9, 0.9]);
    expect(r.n).toBe(3);
    expect(r.meanDiff).toBeCloseTo(0.03, 12);
    expect(Number.isFinite(r.p)).toBe(true);
    expect(Number.isNaN(pairedTTest([NaN, 0.9], [0.8, 0.8]).p)).toBe(true);
  });
});
