/**
 * Statistics over seeds: mean, sample standard deviation, and the paired two-sided t-test of
 * docs/METHOD.md (each method's ensemble against the KD ensemble, paired by seed). The t distribution
 * comes from stdlib's maintained implementation, not from hand-written special functions.
 */
import tcdf from '@stdlib/stats-base-dists-t-cdf';

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Sample standard deviation (n - 1 in the denominator); NaN for fewer than 2 values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export interface PairedT {
  n: number;
  meanDiff: number;
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/**
 * Paired two-sided t-test of a against b (same seeds in the same order). Pairs where either value
 * is NaN (a metric that was undefined for that seed) are left out, as the means leave them out;
 * `n` counts the pairs used. With identical differences the statistic is infinite (p = 0) unless
 * they are all zero (t = 0, p = 1).
 */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedT {
  if (a.length !== b.length) throw new Error(`pairedTTest needs pairs: ${a.length} vs ${b.length} values`);
  const d: number[] = [];
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i]) && !Number.isNaN(b[i])) d.push(a[i] - b[i]);
  const n = d.length;
  const md = mean(d);
  if (n < 2) return { n, meanDiff: md, t: NaN, df: n - 1, p: NaN };
  const sd = sampleStd(d);
  const df = n - 1;
  if (sd === 0) return md === 0 ? { n, meanDiff: 0, t: 0, df, p: 1 } : { n, meanDiff: md, t: md > 0 ? Infinity : -Infinity, df, p: 0 };
  const t = md / (sd / Math.sqrt(n));
  const p = 2 * (1 - tcdf(Math.abs(t), df));
  return { n, meanDiff: md, t, df, p: Math.min(1, Math.max(0, p)) };
}
