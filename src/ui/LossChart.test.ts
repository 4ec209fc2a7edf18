import { describe, expect, it } from 'vitest';
import { downsample } from './LossChart';

describe('curve downsampling', () => {
  it('draws at most ~600 points of a 10,000-point curve, keeps the first and the last, and leaves the data alone', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({ step: i + 1 }));
    const drawn = downsample(points);
    expect(drawn.length).toBeLessThanOrEqual(601);
    expect(drawn[0]).toBe(points[0]);
    expect(drawn[drawn.length - 1]).toBe(points[points.length - 1]);
    expect(points).toHaveLength(10_000);
    // evenly spaced
    const gaps = new Set(
      drawn
        .slice(0, -1)
        .map((p, i) => drawn[i + 1].step - p.step)
        .slice(0, -1),
    );
    expect(gaps.size).toBe(1);
  });
  it('short curves are drawn whole', () => {
    const points = Array.from({ length: 50 }, (_, i) => i);
    expect(downsample(points)).toBe(points);
  });
});
