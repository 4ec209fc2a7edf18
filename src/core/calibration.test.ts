import { describe, expect, it } from 'vitest';
import { calibrationOf } from './calibration';
import { classificationMetrics } from './metrics';

describe('calibration', () => {
  it('ECE and reliability bins by hand', () => {
    // Top-label confidences 0.9 (right), 0.9 (wrong), 0.6 (right), 0.55 (right), with 10 bins.
    const probs = [0.9, 0.1, 0.1, 0.9, 0.4, 0.6, 0.55, 0.45];
    const labels = [0, 0, 1, 0];
    const c = calibrationOf(probs, labels, 2, 10);
    const b9 = c.bins[8]; // (0.8, 0.9]
    expect(b9.count).toBe(2);
    expect(b9.confidence).toBeCloseTo(0.9, 12);
    expect(b9.accuracy).toBe(0.5);
    const b6 = c.bins[5]; // (0.5, 0.6]: 0.6 and 0.55
    expect(b6.count).toBe(2);
    expect(b6.confidence).toBeCloseTo(0.575, 12);
    expect(b6.accuracy).toBe(1);
    expect(c.bins.filter((b) => b.count === 0).every((b) => Number.isNaN(b.accuracy))).toBe(true);
    // (2/4)|0.5 - 0.9| + (2/4)|1 - 0.575|
    expect(c.ece).toBeCloseTo(0.5 * 0.4 + 0.5 * 0.425, 12);
  });

  it('a perfectly confident and right classifier has ECE 0; confidence 1 falls in the last bin', () => {
    const c = calibrationOf([1, 0, 0, 1], [0, 1], 2);
    expect(c.ece).toBe(0);
    expect(c.bins[c.bins.length - 1].count).toBe(2);
  });

  it('normalises rows (a max ensemble) before taking the confidence', () => {
    // Row (0.8, 0.8): confidence 0.5, not 0.8.
    const c = calibrationOf([0.8, 0.8], [0], 2, 10);
    expect(c.bins[4].count).toBe(1);
    expect(c.bins[4].confidence).toBeCloseTo(0.5, 12);
  });

  it('is part of the classification metrics, and NaN without images', () => {
    const m = classificationMetrics([0.7, 0.3, 0.2, 0.8], [0, 0], 2);
    expect(m.ece).toBeCloseTo(0.5 * 0.3 + 0.5 * 0.8, 12);
    expect(m.reliability).toHaveLength(15);
    expect(Number.isNaN(calibrationOf([], [], 2).ece)).toBe(true);
  });
});
