import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { generateClassification, splitSamples } from '../data/synthetic';
import { CheckpointStore } from './checkpoint';
import { MemoryFileStore } from '../core/files';
import { defaultRunConfig } from '../core/config';
import { disposeRun, trainCohort } from './trainer';
import type { TrainEvent } from '../core/events';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = { arch: 'resnet18', width: 0.0625 };
const config = defaultRunConfig({
  inputSize: 32,
  mode: 'kdml_online',
  teacher: tiny,
  students: [tiny, { arch: 'mobilenet_v2', width: 0.125 }],
  seed: 5,
  epochs: 3,
  stepsPerEpoch: 3,
  batchSize: 4,
});
const data = splitSamples(generateClassification({ count: 20, size: 32, seed: 2 }), 12);

function collector() {
  const losses = new Map<number, number[]>();
  const checkpoints: number[] = [];
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'step')
      losses.set(
        e.globalStep,
        Object.values(e.losses).map((l) => l.total),
      );
    if (e.type === 'checkpoint') checkpoints.push(e.globalStep);
  };
  return { losses, checkpoints, onEvent };
}

it('a run stopped mid-epoch and resumed from its checkpoint reaches the same losses and metrics', async () => {
  const before = tf.memory().numTensors;
  // Uninterrupted.
  const a = collector();
  const ra = await trainCohort(config, data, {
    onEvent: a.onEvent,
    checkpoint: { key: 'kdml_online:5', store: new CheckpointStore(new MemoryFileStore()), everySteps: 2 },
  });
  expect(a.checkpoints).toEqual([2, 3, 4, 6, 8, 9]);

  // Stopped after step 5 (the tab was closed): the latest checkpoint is the one after step 4.
  const store = new CheckpointStore(new MemoryFileStore());
  const controller = new AbortController();
  const b = collector();
  await expect(
    trainCohort(config, data, {
      signal: controller.signal,
      checkpoint: { key: 'kdml_online:5', store, everySteps: 2 },
      onEvent: (e) => {
        b.onEvent(e);
        if (e.type === 'step' && e.globalStep === 5) controller.abort();
      },
    }),
  ).rejects.toMatchObject({ code: 'CANCELLED' });
  const cp = await store.load('kdml_online:5');
  expect(cp!.meta.globalStep).toBe(4);
  expect(cp!.meta.epoch).toBe(1);
  expect(cp!.meta.step).toBe(1);

  // Resumed: the steps after the checkpoint repeat the uninterrupted run's, and so do the metrics.
  const c = collector();
  const rc = await trainCohort(config, data, { onEvent: c.onEvent, checkpoint: { key: 'kdml_online:5', store, everySteps: 2, resume: cp } });
  expect(Array.from(c.losses.keys())).toEqual([5, 6, 7, 8, 9]);
  for (const [step, l] of c.losses) l.forEach((v, i) => expect(v).toBeCloseTo(a.losses.get(step)![i], 5));
  expect(rc.history).toHaveLength(3);
  for (const name of ['teacher', 'student1', 'student2']) {
    expect((rc.final.networks[name] as { accuracy: number }).accuracy).toBe((ra.final.networks[name] as { accuracy: number }).accuracy);
  }
  Object.keys(ra.predictions.networks).forEach((n) => ra.predictions.networks[n].forEach((v, i) => expect(rc.predictions.networks[n][i]).toBeCloseTo(v, 5)));
  disposeRun(ra);
  disposeRun(rc);
  expect(tf.memory().numTensors).toBe(before);
});

it('a NaN at a late step (huge learning rate) names the network, epoch and step, and the last good checkpoint stays loadable', async () => {
  const before = tf.memory().numTensors;
  const store = new CheckpointStore(new MemoryFileStore());
  const c = defaultRunConfig({
    inputSize: 32,
    mode: 'independent',
    students: [{ arch: 'resnet18', width: 0.0625 }],
    epochs: 4,
    stepsPerEpoch: 3,
    batchSize: 4,
    lr: 60,
    seed: 0,
  });
  const nanData = splitSamples(generateClassification({ count: 20, size: 32, seed: 5 }), 12);
  const err = await trainCohort(c, nanData, { checkpoint: { key: 'independent:0', store } }).catch((e) => e);
  expect(err).toMatchObject({ code: 'NAN_LOSS', subject: 'student1', details: { epoch: 3, step: 0 } });
  expect(err.message).toContain('epoch 4, step 1');
  const cp = await store.load('independent:0');
  expect(cp!.meta.epoch).toBe(3);
  expect(cp!.meta.globalStep).toBe(9);
  // The kept checkpoint resumes: the same NaN comes back at the same step, nothing earlier.
  const again = await trainCohort(c, nanData, { checkpoint: { key: 'independent:0', store, resume: cp } }).catch((e) => e);
  expect(again).toMatchObject({ code: 'NAN_LOSS', details: { epoch: 3, step: 0 } });
  expect(tf.memory().numTensors).toBe(before);
});
