import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { generateClassification, splitSamples } from '../data/synthetic';
import { defaultRunConfig } from './config';
import { disposeRun, trainCohort } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A learning check, not a speed test: KD+ML online with tiny ResNet-style networks separates a
// generated two-class set within a bounded number of steps on the CPU backend.
it('KD+ML online reaches >= 90 % ensemble test accuracy on separable generated data', async () => {
  const data = splitSamples(generateClassification({ count: 160, size: 32, seed: 21 }), 112);
  const tiny = { arch: 'resnet18', width: 0.125 };
  const before = tf.memory().numTensors;
  const r = await trainCohort(
    defaultRunConfig({
      task: 'classify',
      classes: 2,
      inputSize: 32,
      mode: 'kdml_online',
      teacher: tiny,
      students: [tiny, tiny],
      seed: 1,
      epochs: 4,
      batchSize: 16,
    }),
    data,
  );
  const max = r.final.ensembles.max as { accuracy: number };
  const mean = r.final.ensembles.mean as { accuracy: number };
  const steps = r.history.length * Math.ceil(112 / 16);
  expect(steps).toBe(28);
  expect(max.accuracy).toBeGreaterThanOrEqual(0.9);
  expect(mean.accuracy).toBeGreaterThanOrEqual(0.9);
  disposeRun(r);
  expect(tf.memory().numTensors).toBe(before);
});
