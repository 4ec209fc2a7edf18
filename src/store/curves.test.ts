import { createLTTB } from 'downsample';
import { describe, expect, it } from 'vitest';
import type { Mode } from '../core/config';
import type { ClassMetrics } from '../core/metrics';
import type { Evaluation } from '../core/records';
import { band, curveModel, curveNetworks, curvesCsv, defaultCurveView, ema, lttb, rawSeries, type CurveView } from './curves';
import type { RunProgress, StepPoint } from './progress';

const metrics = (accuracy: number, ece = 0.1): ClassMetrics => ({
  accuracy,
  confusion: [],
  sensitivity: [],
  specificity: [],
  auc: [],
  macroAuc: 0.5,
  ece,
  n: 10,
});

/** A finished run: `steps` steps of 2 students (`spe` per epoch), one evaluation per epoch. */
function run(
  method: Mode,
  seed: number,
  steps: number,
  spe: number,
  loss: (i: number) => number,
  acc: (epoch: number) => number,
  withVal = false,
): RunProgress {
  const points: StepPoint[] = Array.from({ length: steps }, (_, i) => ({
    step: i + 1,
    phase: 'cohort',
    epoch: Math.floor(i / spe),
    stepsPerEpoch: spe,
    losses: {
      student1: { ce: loss(i), kd: 0, ml: loss(i) / 2, total: loss(i) * 1.5 },
      student2: { ce: loss(i) + 1, kd: 0, ml: 0.1, total: loss(i) + 1.1 },
    },
    imagesPerSec: 100,
    ms: 10,
  }));
  const evaluations: Evaluation[] = Array.from({ length: Math.floor(steps / spe) }, (_, e) => ({
    phase: 'cohort',
    epoch: e,
    networks: { student1: metrics(acc(e)), student2: metrics(acc(e) - 0.1) },
    ensembles: { max: metrics(acc(e) + 0.05), mean: metrics(acc(e) + 0.04) },
    ...(withVal ? { validation: { networks: { student1: metrics(acc(e) - 0.2) }, ensembles: { max: metrics(acc(e) - 0.15) } } } : {}),
  }));
  return {
    key: `${method}:${seed}`,
    label: `${method}, seed ${seed}`,
    run: { index: 0, method, seed, sharedTeacher: false },
    seed,
    status: 'done',
    networks: [
      { name: 'student1', role: 'student', arch: 'resnet18', width: 1, params: 1, trained: true },
      { name: 'student2', role: 'student', arch: 'resnet18', width: 1, params: 1, trained: true },
    ],
    steps: points,
    evaluations,
    stepsDone: steps,
    totalSteps: steps,
  };
}

const view = (over: Partial<CurveView> = {}): CurveView => ({ ...defaultCurveView(), smoothing: 0, ...over });

describe('curve downsampling and smoothing', () => {
  it("LTTB keeps at most the target, the first and the last point, and picks the same points as the downsample package's", () => {
    const xs = Float64Array.from({ length: 10_000 }, (_, i) => i);
    const ys = xs.map((x) => Math.sin(x / 97) + ((x * 7919) % 13) / 50);
    const mine = lttb(xs, ys, 500);
    expect(mine).toHaveLength(500);
    expect(mine[0]).toBe(0);
    expect(mine[499]).toBe(9999);
    const reference = createLTTB<{ x: number; y: number }>({ x: 'x', y: 'y' })(
      Array.from(xs, (x, i) => ({ x, y: ys[i] })),
      500,
    ) as unknown as { x: number }[];
    expect(Array.from(mine)).toEqual(reference.map((p) => p.x));
    expect(lttb([1, 2, 3], [1, 2, 3], 500)).toEqual(Int32Array.from([0, 1, 2]));
  });

  it('EMA with debiasing: a constant stays constant, and the first values by hand', () => {
    expect(Array.from(ema(Float64Array.from([2, 2, 2]), 0.9))).toEqual([2, 2, 2].map((v) => expect.closeTo(v, 12)));
    const s = ema(Float64Array.from([1, 3]), 0.5);
    // s1 = 0.5 -> 0.5 / 0.5 = 1; s2 = 0.25 + 1.5 = 1.75 -> 1.75 / 0.75
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(1.75 / 0.75, 12);
    const raw = Float64Array.from([1, 2]);
    expect(ema(raw, 0)).toBe(raw);
  });
});

describe('bands over seeds', () => {
  it('mean and sample std at each shared x, by hand; a point one seed lacks counts the others', () => {
    const b = band([
      { x: Float64Array.from([1, 2, 3]), y: Float64Array.from([1, 2, 3]) },
      { x: Float64Array.from([1, 2, 3]), y: Float64Array.from([3, 4, 5]) },
      { x: Float64Array.from([1, 2]), y: Float64Array.from([2, 3]) },
    ]);
    expect(b.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(b[0].mean).toBeCloseTo(2, 12);
    expect(b[0].range[0]).toBeCloseTo(1, 12);
    expect(b[0].range[1]).toBeCloseTo(3, 12);
    expect(b[2]).toMatchObject({ n: 2, mean: 4 });
    expect(b[2].range[1] - b[2].range[0]).toBeCloseTo(2 * Math.SQRT2, 12);
  });

  it('a 3-seed experiment: one band per method with mean and spread, the band inside the runs', () => {
    const runs = [0, 1, 2].flatMap((s) => [
      run(
        'ml',
        s,
        20,
        5,
        (i) => 2 - i * 0.05 + s * 0.1,
        (e) => 0.5 + e * 0.1 + s * 0.02,
      ),
      run(
        'kd',
        s,
        20,
        5,
        (i) => 3 - i * 0.05 + s * 0.2,
        (e) => 0.4 + e * 0.1,
      ),
    ]);
    const m = curveModel(runs, view({ mode: 'band', quantity: { kind: 'metric', metric: 'accuracy' }, x: 'epoch' }));
    expect(m.bands.map((b) => b.method).sort()).toEqual(['kd', 'ml']);
    const ml = m.bands.find((b) => b.method === 'ml')!;
    expect(ml.seeds).toEqual([0, 1, 2]);
    expect(ml.points.map((p) => p.x)).toEqual([1, 2, 3, 4]);
    expect(ml.points[0].mean).toBeCloseTo(0.52, 12);
    expect(ml.points[0].range[1] - ml.points[0].range[0]).toBeCloseTo(2 * 0.02, 12);
    const kd = m.bands.find((b) => b.method === 'kd')!;
    expect(kd.points.every((p) => Math.abs(p.range[1] - p.range[0]) < 1e-12)).toBe(true);
    expect(m.series).toEqual([]);
  });
});

describe('curve model', () => {
  it('20 runs x 10,000 steps draw at most 500 points a series, and every value stays in the store', () => {
    const runs = Array.from({ length: 20 }, (_, k) =>
      run(
        k % 2 ? 'ml' : 'kd',
        k >> 1,
        10_000,
        500,
        (i) => 2 / (1 + i / 500) + ((i * k) % 7) / 100,
        () => 0.8,
      ),
    );
    const t0 = performance.now();
    const lines = curveModel(runs, view({ mode: 'runs', smoothing: 0.9 }));
    const bands = curveModel(runs, view({ mode: 'band', smoothing: 0.9 }));
    const ms = performance.now() - t0;
    expect(lines.series).toHaveLength(20);
    for (const s of lines.series) {
      expect(s.logged).toBe(10_000);
      expect(s.points.length).toBeLessThanOrEqual(500);
      expect(s.raw!.length).toBeLessThanOrEqual(250);
      expect(s.points[s.points.length - 1].x).toBe(10_000);
    }
    expect(bands.bands).toHaveLength(2);
    for (const b of bands.bands) {
      expect(b.points.length).toBeLessThanOrEqual(500);
      expect(b.raw!.length).toBeLessThanOrEqual(250);
    }
    expect(runs[0].steps).toHaveLength(10_000);
    // For the record (not a timing assertion): the whole model of 200,000 steps.
    console.info(`curve model of 20 x 10,000 steps, lines and bands: ${ms.toFixed(0)} ms`);
  });

  it('x by step, epoch or training time; the same arrays come back while a run is unchanged', () => {
    const r = run(
      'ml',
      0,
      10,
      5,
      (i) => i,
      (e) => e,
    );
    const q = { kind: 'loss', term: 'ce' } as const;
    expect(Array.from(rawSeries(r, q, 'student1', 'step', 'test').x.slice(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(rawSeries(r, q, 'student1', 'epoch', 'test').x.slice(4, 6))).toEqual([1, 1.2]);
    expect(Array.from(rawSeries(r, q, 'student1', 'time', 'test').x.slice(0, 2))).toEqual([0.01, 0.02]);
    const acc = { kind: 'metric', metric: 'accuracy' } as const;
    expect(Array.from(rawSeries(r, acc, 'ensemble:max', 'step', 'test').x)).toEqual([5, 10]);
    expect(Array.from(rawSeries(r, acc, 'ensemble:max', 'time', 'test').x)).toEqual([0.05, 0.1].map((v) => expect.closeTo(v, 12)));
    expect(rawSeries(r, q, 'student1', 'step', 'test')).toBe(rawSeries(r, q, 'student1', 'step', 'test'));
  });

  it('validation beside test where the evaluations carry it; log scale leaves out values <= 0 and says how many', () => {
    const withVal = run(
      'ml',
      0,
      10,
      5,
      (i) => i,
      (e) => 0.5 + e / 10,
      true,
    );
    const plain = run(
      'kd',
      0,
      10,
      5,
      (i) => i,
      (e) => 0.5 + e / 10,
    );
    const m = curveModel([withVal, plain], view({ mode: 'runs', quantity: { kind: 'metric', metric: 'accuracy' }, x: 'epoch' }));
    expect(m.hasValidation).toBe(true);
    expect(m.series.map((s) => s.id)).toEqual(['ml:0|test', 'ml:0|val', 'kd:0|test']);
    expect(m.series[1].points.map((p) => p.y)).toEqual([0.3, 0.4].map((v) => expect.closeTo(v, 12)));
    const onlyTest = curveModel([plain], view({ quantity: { kind: 'metric', metric: 'accuracy' } }));
    expect(onlyTest.hasValidation).toBe(false);
    const log = curveModel([plain], view({ mode: 'runs', yScale: 'log', quantity: { kind: 'loss', term: 'ce' } }));
    // CE of student1 is i = 0..9: the first is 0.
    expect(log.nonPositive).toBe(1);
    expect(log.series[0].points).toHaveLength(9);
  });

  it('networks per quantity: trained networks for losses, ensembles too for metrics', () => {
    const runs = [
      run(
        'ml',
        0,
        10,
        5,
        (i) => i,
        (e) => e,
      ),
    ];
    expect(curveNetworks(runs, { kind: 'loss', term: 'total' })).toEqual(['student1', 'student2']);
    expect(curveNetworks(runs, { kind: 'metric', metric: 'accuracy' })).toEqual(['student1', 'student2', 'ensemble:max', 'ensemble:mean']);
  });
});

describe('curves CSV', () => {
  it('one row per logged value: loss terms per step and network, metrics per evaluation, network and ensemble', () => {
    const runs = [
      run(
        'ml',
        0,
        10,
        5,
        (i) => i / 10,
        (e) => 0.5 + e / 10,
      ),
      run(
        'kd',
        1,
        10,
        5,
        (i) => i / 10,
        () => 0.5,
        true,
      ),
    ];
    const lines = curvesCsv(runs).trim().split('\n');
    expect(lines[0]).toBe('run,method,seed,network,term,step,epoch,value');
    // Steps: 2 runs x 10 steps x 2 networks x 4 terms; evaluations: 2 runs x 2 epochs x 4 members x 3 metrics
    // (accuracy, macro AUC, ECE); validation of run 2: 2 epochs x 2 members x 3 metrics.
    expect(lines.length - 1).toBe(2 * 10 * 2 * 4 + 2 * 2 * 4 * 3 + 2 * 2 * 3);
    expect(lines).toContain('ml:0,ml,0,student1,loss_ce,3,1,0.2');
    expect(lines).toContain('ml:0,ml,0,ensemble_max,test_accuracy,10,2,0.65');
    expect(lines).toContain('kd:1,kd,1,student1,val_accuracy,5,1,0.3');
    expect(lines.every((l) => l.split(',').length === 8)).toBe(true);
  });
});
