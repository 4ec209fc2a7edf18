import { describe, expect, it } from 'vitest';
import { boxMetrics, classificationMetrics, iouOf, rocAuc } from './metrics';

describe('metrics', () => {
  it('confusion, accuracy, sensitivity, specificity by hand', () => {
    // labels: 0,0,0,1,1 ; predictions: 0,0,1,1,0
    const probs = [0.9, 0.1, 0.8, 0.2, 0.4, 0.6, 0.3, 0.7, 0.55, 0.45];
    const m = classificationMetrics(probs, [0, 0, 0, 1, 1], 2);
    expect(m.confusion).toEqual([
      [2, 1],
      [1, 1],
    ]);
    expect(m.accuracy).toBeCloseTo(3 / 5);
    expect(m.sensitivity[1]).toBeCloseTo(1 / 2); // class 1: tp 1, fn 1
    expect(m.specificity[1]).toBeCloseTo(2 / 3); // tn 2, fp 1
    expect(m.sensitivity[0]).toBeCloseTo(2 / 3);
    expect(m.specificity[0]).toBeCloseTo(1 / 2);
    // AUC for class 1 scores [0.1,0.2,0.6 | 0.7,0.45]: pairs (pos > neg): 0.7 beats all 3, 0.45 beats 2 -> 5/6
    expect(m.macroAuc).toBeCloseTo(5 / 6);
  });

  it('AUC counts ties as half and is NaN with one class', () => {
    expect(rocAuc([0.5, 0.5], [true, false])).toBeCloseTo(0.5);
    expect(rocAuc([0.1, 0.9], [false, true])).toBe(1);
    expect(Number.isNaN(rocAuc([0.1, 0.2], [true, true]))).toBe(true);
  });

  it('box IoU metrics', () => {
    expect(iouOf([0.5, 0.5, 0.4, 0.4], [0.6, 0.5, 0.4, 0.4])).toBeCloseTo(0.6);
    const m = boxMetrics([0.5, 0.5, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1], [0.6, 0.5, 0.4, 0.4, 0.8, 0.8, 0.1, 0.1]);
    expect(m.meanIoU).toBeCloseTo(0.3);
    expect(m.hitRate).toBeCloseTo(0.5);
  });
});
