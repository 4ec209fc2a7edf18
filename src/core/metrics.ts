/**
 * Evaluation metrics on plain arrays (results read back once per evaluation): accuracy, confusion
 * matrix, per-class sensitivity and specificity, ROC AUC (one-vs-rest), calibration (ECE and the
 * reliability bins, `calibration.ts`), and for boxes mean IoU and the share of images with IoU >= 0.5.
 * No tensors: cheap, exact and testable by hand.
 */
import { calibrationOf, type ReliabilityBin } from './calibration';

export interface ClassMetrics {
  accuracy: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  sensitivity: number[];
  specificity: number[];
  /** One-vs-rest ROC AUC per class (NaN where a class is absent or alone). */
  auc: number[];
  /** Mean of the defined per-class AUCs; for two classes, the AUC of class 1. */
  macroAuc: number;
  /** Expected calibration error of the top-label confidence (`calibration.ts`). */
  ece?: number;
  /** The reliability diagram's bins. */
  reliability?: ReliabilityBin[];
  n: number;
}

export interface BoxMetrics {
  meanIoU: number;
  /** Share of images whose IoU >= 0.5. */
  hitRate: number;
  ious: number[];
  n: number;
}

/** The headline metric's name for a task, as every screen writes it. */
export function metricName(task: 'classify' | 'box'): 'Accuracy' | 'Mean IoU' {
  return task === 'classify' ? 'Accuracy' : 'Mean IoU';
}

/** Row-wise argmax of a flat [N, C] array. */
export function argmaxRows(probs: ArrayLike<number>, classes: number): number[] {
  const n = probs.length / classes;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * ROC AUC of scores against binary truth, by the rank-sum (Mann-Whitney U) formula with ties
 * counted half. NaN when either class is missing.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  for (let i = 0; i < positive.length; i++) if (positive[i]) nPos++;
  const nNeg = scores.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  let rankSumPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (positive[idx[k]]) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** ROC curve points (FPR, TPR) for one class, for drawing. */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean>): { fpr: number; tpr: number }[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let nPos = 0;
  for (let i = 0; i < positive.length; i++) if (positive[i]) nPos++;
  const nNeg = scores.length - nPos;
  const pts = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (positive[idx[i]]) tp++;
    else fp++;
    if (i + 1 === idx.length || scores[idx[i + 1]] !== scores[idx[i]]) {
      pts.push({ fpr: nNeg ? fp / nNeg : 0, tpr: nPos ? tp / nPos : 0 });
    }
  }
  return pts;
}

/**
 * Classification metrics of [N, C] scores (probabilities, or an ensemble's combined scores) against
 * integer labels. Rows are normalised to sum to 1 before AUC so that a max-ensemble's scores are
 * comparable across classes; the argmax is unchanged by that.
 */
export function classificationMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): ClassMetrics {
  const n = labels.length;
  const pred = argmaxRows(scores, classes);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    confusion[labels[i]][pred[i]]++;
    if (pred[i] === labels[i]) correct++;
  }
  const sensitivity: number[] = [];
  const specificity: number[] = [];
  for (let c = 0; c < classes; c++) {
    const tp = confusion[c][c];
    let fn = 0;
    let fp = 0;
    for (let k = 0; k < classes; k++) {
      if (k !== c) {
        fn += confusion[c][k];
        fp += confusion[k][c];
      }
    }
    const tn = n - tp - fn - fp;
    sensitivity.push(tp + fn > 0 ? tp / (tp + fn) : NaN);
    specificity.push(tn + fp > 0 ? tn / (tn + fp) : NaN);
  }
  const auc: number[] = [];
  for (let c = 0; c < classes; c++) {
    const s = new Float64Array(n);
    const pos = new Array<boolean>(n);
    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      for (let k = 0; k < classes; k++) rowSum += scores[i * classes + k];
      s[i] = rowSum > 0 ? scores[i * classes + c] / rowSum : 0;
      pos[i] = labels[i] === c;
    }
    auc.push(rocAuc(s, pos));
  }
  const defined = auc.filter((a) => !Number.isNaN(a));
  const macroAuc = classes === 2 ? auc[1] : defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN;
  const { ece, bins } = calibrationOf(scores, labels, classes);
  return { accuracy: n ? correct / n : NaN, confusion, sensitivity, specificity, auc, macroAuc, ece, reliability: bins, n };
}

const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * IoU of two (cx, cy, w, h) boxes, in plain numbers. Both are clipped to the image ([0, 1]) first:
 * the part of a predicted box outside the image covers nothing and must not count in its union.
 */
export function iouOf(a: ArrayLike<number>, b: ArrayLike<number>, ai = 0, bi = 0): number {
  const ax1 = clip01(a[ai] - a[ai + 2] / 2),
    ay1 = clip01(a[ai + 1] - a[ai + 3] / 2);
  const ax2 = clip01(a[ai] + a[ai + 2] / 2),
    ay2 = clip01(a[ai + 1] + a[ai + 3] / 2);
  const bx1 = clip01(b[bi] - b[bi + 2] / 2),
    by1 = clip01(b[bi + 1] - b[bi + 3] / 2);
  const bx2 = clip01(b[bi] + b[bi + 2] / 2),
    by2 = clip01(b[bi + 1] + b[bi + 3] / 2);
  const iw = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const ih = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const inter = iw * ih;
  const union = Math.max(0, ax2 - ax1) * Math.max(0, ay2 - ay1) + Math.max(0, bx2 - bx1) * Math.max(0, by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Mean IoU and IoU >= 0.5 rate of predicted [N, 4] boxes against targets [N, 4], both clipped to the image. */
export function boxMetrics(pred: ArrayLike<number>, target: ArrayLike<number>): BoxMetrics {
  const n = target.length / 4;
  const ious: number[] = [];
  for (let i = 0; i < n; i++) ious.push(iouOf(pred, target, i * 4, i * 4));
  const meanIoU = n ? ious.reduce((a, b) => a + b, 0) / n : NaN;
  const hitRate = n ? ious.filter((v) => v >= 0.5).length / n : NaN;
  return { meanIoU, hitRate, ious, n };
}
