/**
 * Calibration of a classifier's probabilities: the reliability diagram (top-label confidence
 * against accuracy in equal-width confidence bins) and the expected calibration error,
 * ECE = sum_b (n_b / N) |accuracy_b - confidence_b| (Guo et al., 2017, "On Calibration of Modern
 * Neural Networks"; 15 bins, right-closed as torchmetrics' `CalibrationError(norm='l1')`).
 *
 * Rows are divided by their sum first, as for the AUC (`metrics.ts`), so a max-ensemble's scores
 * become a distribution; the argmax is unchanged.
 *
 * Owns: reliability bins and ECE on plain arrays. Imports nothing.
 */

export const CALIBRATION_BINS = 15;

export interface ReliabilityBin {
  /** The bin's confidence interval (lo, hi]; the first bin also holds confidence 0. */
  lo: number;
  hi: number;
  /** Test images whose top-label confidence falls in the bin. */
  count: number;
  /** Their mean top-label confidence (NaN when the bin is empty). */
  confidence: number;
  /** Share of them whose top label is right (NaN when the bin is empty). */
  accuracy: number;
}

export interface Calibration {
  /** Expected calibration error over the non-empty bins (NaN without images). */
  ece: number;
  bins: ReliabilityBin[];
}

/** Reliability bins and ECE of [N, C] scores against integer labels. */
export function calibrationOf(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number, binCount = CALIBRATION_BINS): Calibration {
  const n = labels.length;
  const count = new Array<number>(binCount).fill(0);
  const confSum = new Array<number>(binCount).fill(0);
  const correct = new Array<number>(binCount).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const v = scores[i * classes + c];
      sum += v;
      if (v > scores[i * classes + best]) best = c;
    }
    const conf = sum > 0 ? scores[i * classes + best] / sum : 0;
    // (lo, hi] bins: ceil(conf * B) - 1, with 0 in the first bin.
    const b = Math.min(binCount - 1, Math.max(0, Math.ceil(conf * binCount) - 1));
    count[b]++;
    confSum[b] += conf;
    if (best === labels[i]) correct[b]++;
  }
  let ece = 0;
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < binCount; b++) {
    const confidence = count[b] ? confSum[b] / count[b] : NaN;
    const accuracy = count[b] ? correct[b] / count[b] : NaN;
    if (count[b]) ece += (count[b] / n) * Math.abs(accuracy - confidence);
    bins.push({ lo: b / binCount, hi: (b + 1) / binCount, count: count[b], confidence, accuracy });
  }
  return { ece: n ? ece : NaN, bins };
}
