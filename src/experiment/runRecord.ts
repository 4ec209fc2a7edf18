/**
 * What a run's record says beyond its networks' metrics: the images of its split (relative paths
 * and groups, so anyone can check that no patient is on both sides), what guessing scores on that
 * split (the baseline a network must beat), and, for classification with groups, the evaluation
 * per group (the mean of each network's and ensemble's image probabilities over a group's images).
 *
 * Owns: `splitRecordOf`, `chanceOf`, `groupEvaluationOf`. Plain arithmetic on `Samples` and
 * predictions: no tfjs, no DOM.
 */
import { groupClassification } from '../core/groupMetrics';
import { boxMetrics } from '../core/metrics';
import type { Predictions } from '../core/records';
import type { ChanceRecord, GroupEvaluation, SplitEntry, SplitRecord } from '../core/results';
import type { Samples, TrainData } from '../core/samples';
import { splitGroupStats } from '../data/split';

function entries(s: Samples | undefined): SplitEntry[] {
  if (!s) return [];
  return Array.from({ length: s.count }, (_, i) => {
    const e: SplitEntry = { file: s.ids?.[i] ?? `#${i}` };
    if (s.groups?.[i]) e.group = s.groups[i];
    return e;
  });
}

/** The run's split as results.json records it. */
export function splitRecordOf(data: TrainData, by: SplitRecord['by']): SplitRecord {
  const record: SplitRecord = { by, train: entries(data.train), validation: entries(data.val), test: entries(data.test) };
  const all = [...record.train, ...record.validation, ...record.test];
  if (all.some((e) => e.group)) {
    const groups = all.map((e) => e.group ?? '');
    const nTrain = record.train.length;
    const nVal = record.validation.length;
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    const stats = splitGroupStats(groups, { train: range(0, nTrain), val: range(nTrain, nTrain + nVal), test: range(nTrain + nVal, all.length) });
    record.groups = { train: stats.groups.train, validation: stats.groups.val, test: stats.groups.test };
    record.groupsInBoth = stats.inBoth;
    record.leakage = stats.leakage;
  }
  return record;
}

/** The most frequent label of `labels` (ties: the lower class index). */
function majority(labels: ArrayLike<number>, classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  let best = 0;
  for (let c = 1; c < classes; c++) if (counts[c] > counts[best]) best = c;
  return best;
}

/** Each group's label (its images' majority), one per group, in name order; images without a group count alone. */
function groupLabels(s: Samples, classes: number): number[] {
  const byGroup = new Map<string, number[]>();
  for (let i = 0; i < s.count; i++) {
    const key = s.groups?.[i] ? `g:${s.groups[i]}` : `i:${i}`;
    let l = byGroup.get(key);
    if (!l) byGroup.set(key, (l = []));
    l.push(s.labels![i]);
  }
  return [...byGroup.keys()].sort().map((k) => majority(byGroup.get(k)!, classes));
}

/**
 * What guessing scores on this split. Classification: predict the training images' majority class
 * for every test image (accuracy = that class's share of the test images; AUC 0.5, a constant
 * score ranks nothing), and per group the training groups' majority class. Detection: predict the
 * mean training box for every test image (mean IoU, IoU >= 0.5 rate).
 */
export function chanceOf(data: TrainData, task: 'classify' | 'box', classNames: readonly string[] = []): ChanceRecord {
  if (task === 'box') {
    const b = data.train.boxes!;
    const mean: [number, number, number, number] = [0, 0, 0, 0];
    for (let i = 0; i < data.train.count; i++) for (let k = 0; k < 4; k++) mean[k] += b[i * 4 + k] / data.train.count;
    const n = data.test.count;
    const pred = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) pred.set(mean, i * 4);
    const m = boxMetrics(pred, data.test.boxes!);
    return { rule: 'mean-box', box: mean, meanIoU: m.meanIoU, hitRate: m.hitRate };
  }
  const classes = Math.max(classNames.length, 2);
  const c = majority(data.train.labels!, classes);
  let hits = 0;
  for (let i = 0; i < data.test.count; i++) if (data.test.labels![i] === c) hits++;
  const record: ChanceRecord = {
    rule: 'majority-class',
    className: classNames[c] ?? String(c),
    accuracy: data.test.count ? hits / data.test.count : NaN,
    auc: 0.5,
  };
  if (data.test.groups?.some((g) => g)) {
    const trainGroups = groupLabels(data.train, classes);
    const gc = majority(trainGroups, classes);
    const testGroups = groupLabels(data.test, classes);
    record.groupAccuracy = testGroups.length ? testGroups.filter((l) => l === gc).length / testGroups.length : NaN;
  }
  return record;
}

/** Classification with groups: every network's and ensemble's final predictions, scored per group. */
export function groupEvaluationOf(predictions: Predictions, test: Samples, classes: number): GroupEvaluation | undefined {
  if (!test.labels || !test.groups?.some((g) => g)) return undefined;
  const networks: GroupEvaluation['networks'] = {};
  const ensembles: GroupEvaluation['ensembles'] = {};
  for (const [k, p] of Object.entries(predictions.networks)) networks[k] = groupClassification(p, test.labels, test.groups, classes);
  for (const [k, p] of Object.entries(predictions.ensembles)) ensembles[k] = groupClassification(p, test.labels, test.groups, classes);
  const labels = groupLabels(test, classes);
  const any = Object.values(networks)[0] ?? Object.values(ensembles)[0];
  // Mixed groups: those whose images do not all carry the group's label.
  const mixed = new Set<string>();
  const first = new Map<string, number>();
  for (let i = 0; i < test.count; i++) {
    const g = test.groups[i];
    if (!g) continue;
    if (!first.has(g)) first.set(g, test.labels[i]);
    else if (first.get(g) !== test.labels[i]) mixed.add(g);
  }
  return { groups: any?.n ?? labels.length, mixed: mixed.size, networks, ensembles };
}
