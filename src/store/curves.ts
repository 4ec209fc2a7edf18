/**
 * Curves of an experiment as Compare draws them: any loss term (per network, per step) or metric
 * (per network or ensemble, per evaluation) of every run, by step, epoch or training time; each
 * run as a line, or a method's mean ± sample std over its seeds as a band; EMA smoothing with the
 * raw curve kept to draw faintly behind; the test split and, where the evaluations carry one, the
 * validation split. Every series is cut to a bounded number of drawn points (largest-triangle-
 * three-buckets), so 20 runs x 10,000 steps draw as fast as 20 x 500; the store keeps every
 * point, and `curvesCsv` writes them all.
 *
 * Validation: an evaluation may carry `validation: { networks, ensembles }` (the metrics of the
 * held-out validation images after that epoch); `validationOf` reads it, and the series and the
 * CSV pick it up without any other change.
 *
 * Owns: the curve view's options, series, bands, downsampling, smoothing and the curves CSV. Pure
 * functions over the store's run progress: no worker, no DOM, no React.
 */
import type { Mode } from '../core/config';
import type { Evaluation, Metrics } from '../core/records';
import type { RunProgress, StepPoint } from './progress';

export const LOSS_TERMS = ['total', 'ce', 'kd', 'ml'] as const;
export type LossTerm = (typeof LOSS_TERMS)[number];
export const METRICS = ['accuracy', 'macroAuc', 'ece', 'meanIoU', 'hitRate'] as const;
export type MetricName = (typeof METRICS)[number];
export type Quantity = { kind: 'loss'; term: LossTerm } | { kind: 'metric'; metric: MetricName };
export type CurveX = 'step' | 'epoch' | 'time';
export type Split = 'test' | 'val';

export const QUANTITY_LABELS: Record<LossTerm | MetricName, string> = {
  total: 'Loss (total)',
  ce: 'Loss: CE term',
  kd: 'Loss: KD term',
  ml: 'Loss: ML term',
  accuracy: 'Accuracy',
  macroAuc: 'AUC (macro)',
  ece: 'Expected calibration error',
  meanIoU: 'Mean IoU',
  hitRate: 'IoU ≥ 0.5 rate',
};

export const X_LABELS: Record<CurveX, string> = { step: 'step', epoch: 'epoch', time: 'training time (s)' };

export interface CurveView {
  quantity: Quantity;
  /** A network (teacher, student1, ...) or an ensemble as `ensemble:max`. */
  network: string;
  /** Every run as a line, or each method's mean ± std over seeds. */
  mode: 'runs' | 'band';
  /** EMA weight in [0, 0.999] (0: raw). */
  smoothing: number;
  yScale: 'linear' | 'log';
  x: CurveX;
  splits: Split[];
}

export const defaultCurveView = (): CurveView => ({
  quantity: { kind: 'loss', term: 'total' },
  network: 'student1',
  mode: 'band',
  smoothing: 0.6,
  yScale: 'linear',
  x: 'step',
  splits: ['test', 'val'],
});

/** Points drawn per series at most. */
export const MAX_DRAWN = 500;

/** The validation metrics an evaluation carries, if any. */
export function validationOf(ev: Evaluation): Pick<Evaluation, 'networks' | 'ensembles'> | undefined {
  return (ev as Evaluation & { validation?: Pick<Evaluation, 'networks' | 'ensembles'> }).validation;
}

export function metricValue(m: Metrics | undefined, metric: MetricName): number | undefined {
  if (!m) return undefined;
  const v = (m as unknown as Record<string, unknown>)[metric];
  return typeof v === 'number' ? v : undefined;
}

export interface RawSeries {
  x: Float64Array;
  y: Float64Array;
}

export interface RunSeries {
  id: string;
  runKey: string;
  method: Mode;
  seed: number;
  split: Split;
  /** Smoothed (or raw, without smoothing), downsampled for drawing. */
  points: { x: number; y: number }[];
  /** The raw curve, downsampled, when smoothing is on. */
  raw: { x: number; y: number }[] | null;
  /** Values logged (before downsampling). */
  logged: number;
}

export interface BandPoint {
  x: number;
  mean: number;
  /** [mean - std, mean + std]; collapses to the mean where one seed has a value. */
  range: [number, number];
  /** Runs with a value here. */
  n: number;
}

export interface MethodBand {
  id: string;
  method: Mode;
  split: Split;
  seeds: number[];
  points: BandPoint[];
  /** The unsmoothed mean, when smoothing is on. */
  raw: { x: number; y: number }[] | null;
}

export interface CurveModel {
  series: RunSeries[];
  bands: MethodBand[];
  /** Points left out of a log-scale chart because they are <= 0. */
  nonPositive: number;
  /** Whether any run has validation metrics. */
  hasValidation: boolean;
}

function stepsPerEpochOf(steps: StepPoint[]): number | undefined {
  return steps.find((p) => p.stepsPerEpoch)?.stepsPerEpoch;
}

/** Cumulative training time (s) after each step. */
function cumulativeSeconds(steps: StepPoint[]): Float64Array {
  const t = new Float64Array(steps.length);
  let acc = 0;
  steps.forEach((p, i) => {
    acc += p.ms / 1000;
    t[i] = acc;
  });
  return t;
}

/** The cohort phase's steps of a run (a teacher pre-training is not a method's run). */
function cohortSteps(run: RunProgress): StepPoint[] {
  return run.steps.filter((p) => p.phase === 'cohort');
}

const rawCache = new WeakMap<object, Map<string, RawSeries>>();

/** A run's unsmoothed series of one quantity, network, x and split (cached while the run's steps and evaluations are unchanged). */
export function rawSeries(run: RunProgress, q: Quantity, network: string, x: CurveX, split: Split): RawSeries {
  const key = `${q.kind}:${q.kind === 'loss' ? q.term : q.metric}|${network}|${x}|${split}`;
  const holder = q.kind === 'loss' ? run.steps : run.evaluations;
  let cache = rawCache.get(holder);
  if (!cache) rawCache.set(holder, (cache = new Map()));
  const hit = cache.get(key);
  if (hit) return hit;
  const steps = cohortSteps(run);
  const xs: number[] = [];
  const ys: number[] = [];
  if (q.kind === 'loss') {
    if (split === 'test') {
      const time = x === 'time' ? cumulativeSeconds(steps) : null;
      steps.forEach((p, i) => {
        const l = p.losses[network];
        if (!l) return;
        xs.push(x === 'step' ? p.step : x === 'epoch' ? (p.stepsPerEpoch ? p.step / p.stepsPerEpoch : p.epoch + 1) : time![i]);
        ys.push(l[q.term]);
      });
    }
  } else {
    const spe = stepsPerEpochOf(steps);
    const time = x === 'time' ? cumulativeSeconds(steps) : null;
    for (const ev of run.evaluations) {
      if (ev.phase !== 'cohort') continue;
      const source = split === 'test' ? ev : validationOf(ev);
      if (!source) continue;
      const m = network.startsWith('ensemble:') ? source.ensembles[network.slice('ensemble:'.length)] : source.networks[network];
      const v = metricValue(m, q.metric);
      if (v === undefined) continue;
      const endStep = spe ? (ev.epoch + 1) * spe : NaN;
      const xv = x === 'epoch' ? ev.epoch + 1 : x === 'step' ? endStep : time && endStep <= time.length ? time[endStep - 1] : NaN;
      if (!Number.isFinite(xv)) continue;
      xs.push(xv);
      ys.push(v);
    }
  }
  const out = { x: Float64Array.from(xs), y: Float64Array.from(ys) };
  cache.set(key, out);
  return out;
}

/**
 * Exponential moving average with TensorBoard's debiasing: s_i = (w s_{i-1} + (1 - w) y_i) and
 * the value drawn is s_i / (1 - w^(i+1)), so the first points are not pulled towards 0. NaN
 * values are carried through without entering the average.
 */
export function ema(y: Float64Array, weight: number): Float64Array {
  if (weight <= 0) return y;
  const out = new Float64Array(y.length);
  let acc = 0;
  let debias = 1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v - v !== 0) {
      // NaN or +-Infinity: drawn as it is, kept out of the average.
      out[i] = v;
      continue;
    }
    acc = weight * acc + (1 - weight) * v;
    debias *= weight;
    out[i] = acc / (1 - debias);
  }
  return out;
}

/**
 * Largest-triangle-three-buckets (Steinarsson, 2013): indices of at most `target` points that keep
 * the curve's shape, the first and the last included. Written on typed arrays: the same indices as
 * the `downsample` package's LTTB, 5-20x faster on 10,000 points (curves.test.ts).
 */
export function lttb(xs: ArrayLike<number>, ys: ArrayLike<number>, target: number): Int32Array {
  const n = xs.length;
  if (target >= n || target < 3) return Int32Array.from({ length: n }, (_, i) => i);
  const out = new Int32Array(target);
  const every = (n - 2) / (target - 2);
  let a = 0;
  for (let i = 0; i < target - 2; i++) {
    // The next bucket's average point.
    const s = Math.floor((i + 1) * every) + 1;
    const e = Math.min(Math.floor((i + 2) * every) + 1, n);
    let ax = 0;
    let ay = 0;
    for (let j = s; j < e; j++) {
      ax += xs[j];
      ay += ys[j];
    }
    ax /= e - s;
    ay /= e - s;
    // The point of this bucket making the largest triangle with the last pick and that average.
    const rs = Math.floor(i * every) + 1;
    const re = Math.floor((i + 1) * every) + 1;
    let best = -1;
    let pick = rs;
    for (let j = rs; j < re; j++) {
      const area = Math.abs((xs[a] - ax) * (ys[j] - ys[a]) - (xs[a] - xs[j]) * (ay - ys[a]));
      if (area > best) {
        best = area;
        pick = j;
      }
    }
    out[i + 1] = pick;
    a = pick;
  }
  out[target - 1] = n - 1;
  return out;
}

const drawnCache = new WeakMap<Float64Array, Map<string, { x: number; y: number }[]>>();

/** The finite points of (xs, ys), those > 0 on a log scale, cut to `max` by LTTB (cached per y array). */
function drawn(xs: Float64Array, ys: Float64Array, max: number, log: boolean): { x: number; y: number }[] {
  const key = `${max}|${log}`;
  let cache = drawnCache.get(ys);
  if (!cache) drawnCache.set(ys, (cache = new Map()));
  const hit = cache.get(key);
  if (hit) return hit;
  let fx: ArrayLike<number> = xs;
  let fy: ArrayLike<number> = ys;
  let clean = true;
  for (let i = 0; i < ys.length && clean; i++) clean = Number.isFinite(ys[i]) && (!log || ys[i] > 0);
  if (!clean) {
    const kx: number[] = [];
    const ky: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      if (Number.isFinite(ys[i]) && (!log || ys[i] > 0)) {
        kx.push(xs[i]);
        ky.push(ys[i]);
      }
    }
    fx = kx;
    fy = ky;
  }
  const out = Array.from(lttb(fx, fy, max), (i) => ({ x: fx[i], y: fy[i] }));
  cache.set(key, out);
  return out;
}

/** Values a log scale cannot draw. */
function nonPositiveCount(ys: Float64Array): number {
  let n = 0;
  for (let i = 0; i < ys.length; i++) if (ys[i] <= 0) n++;
  return n;
}

/**
 * Mean ± sample std over series on a shared grid: their exact x values when there are at most
 * `max` of them (epochs, aligned steps), otherwise `max` equal-width buckets where each series
 * counts with the mean of its points in the bucket.
 */
export function band(series: RawSeries[], max = MAX_DRAWN): BandPoint[] {
  let lo = Infinity;
  let hi = -Infinity;
  let aligned = true;
  const first = series[0]?.x;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      if (s.x[i] < lo) lo = s.x[i];
      if (s.x[i] > hi) hi = s.x[i];
    }
    // Most experiments log the same steps in every run: one shared grid, no set needed.
    if (aligned && (s.x.length > first.length || s.x.some((x, i) => x !== first[i]))) aligned = false;
  }
  if (!Number.isFinite(lo)) return [];
  let grid: Float64Array;
  let slot: (x: number, i: number) => number;
  const longest = series.reduce((a, s) => (s.x.length > a.x.length ? s : a), series[0]).x;
  if (aligned && longest.length <= max) {
    grid = longest;
    slot = (_x, i) => i;
  } else {
    const all = aligned ? longest : Float64Array.from(new Set(series.flatMap((s) => Array.from(s.x)))).sort();
    if (all.length <= max) {
      grid = all;
      const index = new Map(Array.from(all, (x, i) => [x, i]));
      slot = (x) => index.get(x)!;
    } else {
      const w = (hi - lo) / max || 1;
      grid = Float64Array.from({ length: max }, (_, i) => lo + (i + 0.5) * w);
      slot = (x) => Math.min(max - 1, Math.floor((x - lo) / w));
    }
  }
  const bucketed = grid.length === max && !(aligned && longest.length <= max) && grid !== longest;
  const g = grid.length;
  // Per grid point: the sum and the sum of squares of the series' values, their count, and the x's.
  const sum = new Float64Array(g);
  const sq = new Float64Array(g);
  const cnt = new Float64Array(g);
  const xsum = new Float64Array(g);
  const xcnt = new Float64Array(g);
  const bs = new Float64Array(g);
  const bn = new Float64Array(g);
  for (const s of series) {
    bs.fill(0);
    bn.fill(0);
    for (let i = 0; i < s.x.length; i++) {
      const v = s.y[i];
      if (!Number.isFinite(v)) continue;
      const b = slot(s.x[i], i);
      bs[b] += v;
      bn[b]++;
      xsum[b] += s.x[i];
      xcnt[b]++;
    }
    for (let b = 0; b < g; b++) {
      if (!bn[b]) continue;
      const m = bs[b] / bn[b];
      sum[b] += m;
      sq[b] += m * m;
      cnt[b]++;
    }
  }
  const out: BandPoint[] = [];
  for (let b = 0; b < g; b++) {
    const n = cnt[b];
    if (!n) continue;
    const mean = sum[b] / n;
    const std = n > 1 ? Math.sqrt(Math.max(0, (sq[b] - n * mean * mean) / (n - 1))) : 0;
    out.push({ x: bucketed ? xsum[b] / xcnt[b] : grid[b], mean, range: [mean - std, mean + std], n });
  }
  return out;
}

const bandCache = new Map<string, { inputs: Float64Array[]; points: BandPoint[] }>();

/** `band`, remembered per group while its series are the same arrays (a live run changes one). */
function cachedBand(key: string, series: RawSeries[], max: number): BandPoint[] {
  const hit = bandCache.get(key);
  if (hit && hit.inputs.length === series.length && hit.inputs.every((y, i) => y === series[i].y)) return hit.points;
  const points = band(series, max);
  if (bandCache.size > 64) bandCache.clear();
  bandCache.set(key, { inputs: series.map((s) => s.y), points });
  return points;
}

const emaCache = new WeakMap<Float64Array, Map<number, Float64Array>>();

function smoothed(y: Float64Array, weight: number): Float64Array {
  if (weight <= 0) return y;
  let cache = emaCache.get(y);
  if (!cache) emaCache.set(y, (cache = new Map()));
  let out = cache.get(weight);
  if (!out) cache.set(weight, (out = ema(y, weight)));
  return out;
}

/** Everything the curves chart draws for `view` over the runs of an experiment. */
export function curveModel(runs: RunProgress[], view: CurveView, max = MAX_DRAWN): CurveModel {
  const methodRuns = runs.filter((r): r is RunProgress & { run: NonNullable<RunProgress['run']> } => r.run !== null);
  const hasValidation = methodRuns.some((r) => r.evaluations.some((e) => validationOf(e) !== undefined));
  const splits = view.quantity.kind === 'loss' ? (['test'] as Split[]) : view.splits.filter((s) => s === 'test' || hasValidation);
  const log = view.yScale === 'log';
  let nonPositive = 0;
  const series: RunSeries[] = [];
  const byMethod = new Map<string, { method: Mode; split: Split; seeds: number[]; raw: RawSeries[]; smooth: RawSeries[] }>();
  for (const r of methodRuns) {
    for (const split of splits) {
      const raw = rawSeries(r, view.quantity, view.network, view.x, split);
      if (raw.x.length === 0) continue;
      const smooth = { x: raw.x, y: smoothed(raw.y, view.smoothing) };
      if (view.mode === 'runs') {
        if (log) nonPositive += nonPositiveCount(smooth.y);
        series.push({
          id: `${r.key}|${split}`,
          runKey: r.key,
          method: r.run.method,
          seed: r.seed,
          split,
          points: drawn(smooth.x, smooth.y, max, log),
          // The faint raw curve behind: half the points (it is context, and 20 of them are painted).
          raw: view.smoothing > 0 ? drawn(raw.x, raw.y, Math.ceil(max / 2), log) : null,
          logged: raw.x.length,
        });
      } else {
        const g = `${r.run.method}|${split}`;
        const entry = byMethod.get(g) ?? { method: r.run.method, split, seeds: [], raw: [], smooth: [] };
        entry.seeds.push(r.seed);
        entry.raw.push(raw);
        entry.smooth.push(smooth);
        byMethod.set(g, entry);
      }
    }
  }
  const bands: MethodBand[] = [];
  const viewKey = `${view.quantity.kind}:${view.quantity.kind === 'loss' ? view.quantity.term : view.quantity.metric}|${view.network}|${view.x}|${max}`;
  for (const [id, g] of byMethod) {
    let points = cachedBand(`${viewKey}|${id}|${view.smoothing}`, g.smooth, max);
    if (log) {
      const positive = points.filter((p) => p.mean > 0);
      nonPositive += points.length - positive.length;
      const floor = Math.min(...positive.map((p) => p.mean)) / 10;
      points = positive.map((p) => ({ ...p, range: [Math.max(p.range[0], floor), p.range[1]] as [number, number] }));
    }
    const rawMean = view.smoothing > 0 ? cachedBand(`${viewKey}|${id}|raw`, g.raw, Math.ceil(max / 2)).map((p) => ({ x: p.x, y: p.mean })) : null;
    bands.push({ id, method: g.method, split: g.split, seeds: g.seeds, points, raw: rawMean && (log ? rawMean.filter((p) => p.y > 0) : rawMean) });
  }
  return { series, bands, nonPositive, hasValidation };
}

/** The networks and ensembles a quantity has in these runs, in a stable order. */
export function curveNetworks(runs: RunProgress[], q: Quantity): string[] {
  const names = new Set<string>();
  for (const r of runs) {
    if (!r.run) continue;
    if (q.kind === 'loss') {
      for (const n of r.networks) if (n.trained) names.add(n.name);
      for (const p of r.steps.slice(0, 1)) for (const n of Object.keys(p.losses)) names.add(n);
    } else {
      for (const n of r.networks) names.add(n.name);
      for (const ev of r.evaluations.slice(-1)) {
        for (const n of Object.keys(ev.networks)) names.add(n);
        for (const e of Object.keys(ev.ensembles)) names.add(`ensemble:${e}`);
      }
    }
  }
  const rank = (n: string) => (n === 'teacher' ? 0 : n.startsWith('student') ? 1 : 2);
  return Array.from(names).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true }));
}

const CSV_HEAD = 'run,method,seed,network,term,step,epoch,value';

const METRIC_TERMS: [MetricName, string][] = [
  ['accuracy', 'accuracy'],
  ['macroAuc', 'macro_auc'],
  ['ece', 'ece'],
  ['meanIoU', 'mean_iou'],
  ['hitRate', 'hit_rate'],
];

/**
 * Every logged value of every run (and teacher pre-training) as one CSV: each step's loss terms
 * per trained network (`loss_total`, `loss_ce`, `loss_kd`, `loss_ml`), and each evaluation's
 * metrics per network and ensemble (`test_accuracy`, `test_macro_auc`, `test_ece`, or
 * `test_mean_iou`, `test_hit_rate`; `val_...` for validation). Epochs count from 1; an
 * evaluation's step is the last step of its epoch.
 */
export function curvesCsv(runs: RunProgress[]): string {
  const lines = [CSV_HEAD];
  const num = (v: number) => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');
  for (const r of runs) {
    const method = r.run ? r.run.method : 'teacher-pretraining';
    const head = `${r.key},${method},${r.seed}`;
    for (const p of r.steps) {
      for (const [network, l] of Object.entries(p.losses)) {
        for (const t of LOSS_TERMS) lines.push(`${head},${network},loss_${t},${p.step},${p.epoch + 1},${num(l[t])}`);
      }
    }
    const spe = r.steps.find((p) => p.stepsPerEpoch && p.phase === (r.run ? 'cohort' : 'teacher'))?.stepsPerEpoch;
    for (const ev of r.evaluations) {
      const step = spe ? String((ev.epoch + 1) * spe) : '';
      const parts: [string, Pick<Evaluation, 'networks' | 'ensembles'> | undefined][] = [
        ['test', ev],
        ['val', validationOf(ev)],
      ];
      for (const [split, source] of parts) {
        if (!source) continue;
        const members: [string, Metrics][] = [
          ...Object.entries(source.networks),
          ...Object.entries(source.ensembles).map(([k, m]) => [`ensemble_${k}`, m] as [string, Metrics]),
        ];
        for (const [network, m] of members) {
          for (const [metric, term] of METRIC_TERMS) {
            const v = metricValue(m, metric);
            if (v !== undefined) lines.push(`${head},${network},${split}_${term},${step},${ev.epoch + 1},${num(v)}`);
          }
        }
      }
    }
  }
  return lines.join('\n') + '\n';
}
