import { describe, expect, it } from 'vitest';
import { boxMetrics, classificationMetrics, iouOf, rocAuc } from './metrics';
import { groupClassification, groupScores } from './groupMetrics';

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

  it('boxes are clipped to the image before IoU', () => {
    // A prediction reaching past the right edge: only its part inside the image counts.
    const pred = [0.9, 0.5, 0.4, 0.4]; // x from 0.7 to 1.1
    const target = [0.85, 0.5, 0.3, 0.4]; // x from 0.7 to 1.0
    expect(iouOf(pred, target)).toBeCloseTo(1, 12);
    expect(boxMetrics(pred, target).meanIoU).toBeCloseTo(1, 12);
  });

  it('group level: the mean of the image probabilities per group, scored against the group label', () => {
    // Patient A (class 1): 0.9, 0.2 -> mean 0.55 -> right; patient B (class 0): 0.6, 0.7 -> 0.65 -> wrong; C (class 0) alone: 0.1 -> right.
    const scores = [0.1, 0.9, 0.8, 0.2, 0.4, 0.6, 0.3, 0.7, 0.9, 0.1];
    const labels = [1, 1, 0, 0, 0];
    const groups = ['A', 'A', 'B', 'B', ''];
    const g = groupScores(scores, labels, groups, 2);
    expect(g.names).toEqual(['A', 'B', 'image #4']);
    expect(Array.from(g.scores)).toEqual([0.45, 0.55, 0.35, 0.65, 0.9, 0.1].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(g.labels)).toEqual([1, 0, 0]);
    const m = groupClassification(scores, labels, groups, 2);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.n).toBe(3);
    // A group whose images disagree takes its majority label, and is counted as mixed.
    expect(groupScores([0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0, 1, 1], ['x', 'x', 'x'], 2)).toMatchObject({ mixed: 1, labels: Int32Array.from([1]) });
  });
});
