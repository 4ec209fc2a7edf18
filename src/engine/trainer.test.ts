import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateClassification, generateDetection, splitSamples } from '../data/synthetic';
import { defaultRunConfig, MODES, type RunConfig } from '../core/config';
import { EngineError } from '../core/errors';
import { buildNetwork } from './networks';
import { deriveSeed } from '../core/rng';
import { disposeRun, pretrainTeacher, trainCohort } from './trainer';
import type { TrainEvent } from '../core/events';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SIZE = 32;
const tiny = { arch: 'resnet18', width: 0.125 };

function config(over: Partial<RunConfig> = {}): RunConfig {
  return defaultRunConfig({
    task: 'classify',
    classes: 2,
    inputSize: SIZE,
    teacher: tiny,
    students: [tiny, tiny],
    seed: 3,
    epochs: 1,
    teacherEpochs: 1,
    stepsPerEpoch: 3,
    batchSize: 4,
    ...over,
  });
}

const cls = splitSamples(generateClassification({ count: 20, size: SIZE, seed: 5 }), 12);
const det = splitSamples(generateDetection({ count: 16, size: SIZE, seed: 6 }), 10);

function weightsOf(m: tf.LayersModel): Float32Array[] {
  return m.weights.map((w) => w.read().dataSync() as Float32Array).map((a) => a.slice());
}

function sameWeights(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((w, i) => w.length === b[i].length && w.every((v, j) => v === b[i][j]));
}

describe('cohort trainer', () => {
  for (const mode of MODES) {
    it(`${mode}: runs, emits every network's loss terms, and keeps tf.memory().numTensors flat across steps`, async () => {
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const events: TrainEvent[] = [];
      const c = config({ mode, stepsPerEpoch: 4, batchSize: 3 });
      const r = await trainCohort(c, cls, {
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'step' && e.phase === 'cohort') counts.push(tf.memory().numTensors);
        },
      });
      // Steps after the first (which creates the optimiser's momentum slots) leave the count flat.
      expect(counts.length).toBe(4);
      expect(new Set(counts.slice(1)).size).toBe(1);
      const steps = events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step' && e.phase === 'cohort');
      const names = Object.keys(steps[0].losses).sort();
      const expected = [...(mode === 'kdml_online' ? ['teacher'] : []), 'student1', 'student2'];
      expect(names).toEqual(expected.sort());
      const s1 = steps[0].losses.student1;
      expect(s1.total).toBeCloseTo(s1.ce + s1.kd + s1.ml, 5);
      if (mode === 'kd') expect(s1.ml).toBe(0);
      if (mode === 'ml' || mode === 'independent') expect(s1.kd).toBe(0);
      if (mode === 'kdml_online' || mode === 'kdml_offline') {
        expect(s1.kd).toBeGreaterThan(0);
        expect(s1.ml).toBeGreaterThan(0);
      }
      if (mode === 'independent') expect(s1.ml).toBe(0);
      // An evaluation per epoch, with both ensembles.
      const ev = r.final;
      expect(Object.keys(ev.ensembles).sort()).toEqual(['max', 'mean']);
      expect(ev.networks.student1).toBeDefined();
      disposeRun(r);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('detection: the box losses train every mode shape and report IoU', async () => {
    const before = tf.memory().numTensors;
    const r = await trainCohort(config({ task: 'box', mode: 'kdml_online', stepsPerEpoch: 2 }), det);
    const m = r.final.ensembles.mean as { meanIoU: number; hitRate: number };
    expect(m.meanIoU).toBeGreaterThanOrEqual(0);
    expect(m.meanIoU).toBeLessThanOrEqual(1);
    expect(r.predictions.networks.student1.length).toBe(det.test.count * 4);
    disposeRun(r);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an offline teacher is frozen: weights and BatchNorm statistics identical before and after', async () => {
    const c = config({ mode: 'kdml_offline' });
    const teacher = await pretrainTeacher(c, cls);
    const before = weightsOf(teacher);
    const r = await trainCohort(c, cls, { pretrainedTeacher: teacher });
    expect(r.models.teacher).toBe(teacher);
    expect(sameWeights(before, weightsOf(teacher))).toBe(true);
    disposeRun(r, teacher);
    expect(teacher.weights.length).toBeGreaterThan(0);
    teacher.dispose();
  });

  it('an online teacher learns in the same steps: its weights change', async () => {
    const c = config({ mode: 'kdml_online' });
    const init = buildNetwork({ ...tiny, task: 'classify', classes: 2, inputSize: SIZE, seed: deriveSeed(c.seed, 'teacher'), name: 'teacher' });
    const before = weightsOf(init);
    init.dispose();
    const r = await trainCohort(c, cls);
    expect(sameWeights(before, weightsOf(r.models.teacher))).toBe(false);
    disposeRun(r);
  });

  it('one seed gives identical losses and metrics twice; another seed differs', async () => {
    const run = async (seed: number) => {
      const losses: number[] = [];
      const r = await trainCohort(config({ seed, mode: 'kdml_online' }), cls, {
        onEvent: (e) => {
          if (e.type === 'step') losses.push(...Object.values(e.losses).map((l) => l.total));
        },
      });
      const acc = (r.final.ensembles.max as { accuracy: number }).accuracy;
      disposeRun(r);
      return { losses, acc };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(a.losses).toEqual(b.losses);
    expect(a.acc).toBe(b.acc);
    expect(a.losses).not.toEqual(c.losses);
  });

  it('cancelling stops the run with CANCELLED and frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const p = trainCohort(config({ mode: 'ml', stepsPerEpoch: 3 }), cls, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'step' && e.globalStep === 1) controller.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a NaN loss stops the run naming the network, epoch and step', async () => {
    const before = tf.memory().numTensors;
    const p = trainCohort(config({ mode: 'independent', lr: 1e12, stepsPerEpoch: 3, epochs: 3 }), cls);
    await expect(p).rejects.toMatchObject({ code: 'NAN_LOSS' });
    const err = (await p.catch((e) => e)) as EngineError;
    expect(err.subject).toMatch(/^student\d$/);
    expect(err.message).toMatch(/epoch \d+, step \d+/);
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('bad input gives a typed error before any GPU work', () => {
    const cases: [string, Partial<RunConfig>, string][] = [
      ['unknown architecture', { students: [{ arch: 'resnet9000' }, tiny] }, 'UNKNOWN_ARCH'],
      ['unknown teacher architecture', { mode: 'kd', teacher: { arch: 'alexnet' } }, 'UNKNOWN_ARCH'],
      ['K < 2 for ML', { mode: 'ml', students: [tiny] }, 'TOO_FEW_STUDENTS'],
      ['K < 2 for KD+ML online', { mode: 'kdml_online', students: [tiny] }, 'TOO_FEW_STUDENTS'],
      ['K < 2 for KD+ML offline', { mode: 'kdml_offline', students: [tiny] }, 'TOO_FEW_STUDENTS'],
      ['class names that do not match the class count', { classNames: ['a', 'b', 'c'] }, 'LABEL_MISMATCH'],
      ['labels outside the classes', { classes: 2 }, 'LABEL_MISMATCH'],
      ['images of another size', { inputSize: 64 }, 'SHAPE_MISMATCH'],
      ['a negative learning rate', { lr: -1 }, 'INVALID_CONFIG'],
    ];
    for (const [what, over, code] of cases) {
      it(what, async () => {
        const before = tf.memory().numTensors;
        const data =
          what === 'labels outside the classes'
            ? { train: { ...cls.train, labels: Int32Array.from(cls.train.labels!, (l, i) => (i === 3 ? 2 : l)) }, test: cls.test }
            : cls;
        const p = trainCohort(config({ mode: 'kdml_online', ...over }), data);
        await expect(p).rejects.toBeInstanceOf(EngineError);
        await expect(p).rejects.toMatchObject({ code });
        expect(tf.memory().numTensors).toBe(before);
      });
    }
    it('KD and independent accept a single student', async () => {
      const r = await trainCohort(config({ mode: 'independent', students: [tiny], stepsPerEpoch: 1 }), cls);
      expect(Object.keys(r.models)).toEqual(['student1']);
      disposeRun(r);
    });
  });
});
