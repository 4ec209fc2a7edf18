/**
 * Group-level classification (a patient, a slide, a video sequence): the mean of each image's
 * class probabilities over the images of a group, scored against the group's label. Labels in
 * the tile datasets are given per patient, so this is the figure a clinician reads.
 *
 * Owns: `groupScores` and `groupClassification`. Plain arrays, like metrics.ts; imports only core.
 */
import { classificationMetrics, type ClassMetrics } from './metrics';

export interface GroupScores {
  /** Group names, sorted; an image without a group is a group of its own, named by its index. */
  names: string[];
  /** [G, C] mean probabilities. */
  scores: Float64Array;
  /** The label of each group: its images' majority label (ties: the lower class index). */
  labels: Int32Array;
  /** Groups whose images carry more than one label. */
  mixed: number;
}

/**
 * Mean scores per group. Each image's row is first divided by its sum, so that the students'
 * `max` ensemble (not a distribution) weighs each image equally.
 */
export function groupScores(scores: ArrayLike<number>, labels: ArrayLike<number>, groups: readonly string[], classes: number): GroupScores {
  const n = labels.length;
  const index = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = groups[i] ? `g:${groups[i]}` : `i:${String(i).padStart(9, '0')}`;
    let members = index.get(key);
    if (!members) index.set(key, (members = []));
    members.push(i);
  }
  const keys = [...index.keys()].sort();
  const out = new Float64Array(keys.length * classes);
  const groupLabels = new Int32Array(keys.length);
  let mixed = 0;
  keys.forEach((key, g) => {
    const members = index.get(key)!;
    const votes = new Array<number>(classes).fill(0);
    for (const i of members) {
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += scores[i * classes + c];
      for (let c = 0; c < classes; c++) out[g * classes + c] += (sum > 0 ? scores[i * classes + c] / sum : 1 / classes) / members.length;
      votes[labels[i]]++;
    }
    let best = 0;
    for (let c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
    groupLabels[g] = best;
    if (votes.filter((v) => v > 0).length > 1) mixed++;
  });
  return { names: keys.map((k) => (k.startsWith('g:') ? k.slice(2) : `image #${Number(k.slice(2))}`)), scores: out, labels: groupLabels, mixed };
}

/** Accuracy, confusion, sensitivity, specificity and ROC AUC over groups instead of images. */
export function groupClassification(scores: ArrayLike<number>, labels: ArrayLike<number>, groups: readonly string[], classes: number): ClassMetrics {
  const g = groupScores(scores, labels, groups, classes);
  return classificationMetrics(g.scores, g.labels, classes);
}
