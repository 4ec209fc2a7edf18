import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { generateClassification, splitSamples } from '../data/synthetic';
import { CheckpointStore } from './checkpoint';
import { MemoryFileStore } from '../core/files';
import { defaultRunConfig } from '../core/config';
import { disposeRun, trainCohort } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const STEPS = Number(process.env.LEAK_STEPS ?? 1000);

// 1,000 steps of a teacher and 3 students (KD+ML online), with a checkpoint every 50 steps: after
// the first step (which creates the momentum buffers) tf.memory().numTensors never moves.
it(`${STEPS} steps of a teacher and 3 students leave tf.memory().numTensors flat, checkpoints included`, { timeout: 1_800_000 }, async () => {
  const tiny = { arch: 'resnet18', width: 0.0625 };
  const data = splitSamples(generateClassification({ count: 44, size: 32, seed: 1 }), 40);
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  let checkpoints = 0;
  const epochs = STEPS / 20;
  const r = await trainCohort(
    defaultRunConfig({ inputSize: 32, mode: 'kdml_online', teacher: tiny, students: [tiny, tiny, tiny], epochs, stepsPerEpoch: 20, batchSize: 2, seed: 1 }),
    data,
    {
      checkpoint: { key: 'leak', store: new CheckpointStore(new MemoryFileStore()), everySteps: 50 },
      onEvent: (e) => {
        if (e.type === 'step') counts.push(tf.memory().numTensors);
        if (e.type === 'checkpoint') checkpoints++;
      },
    },
  );
  expect(counts).toHaveLength(STEPS);
  expect(checkpoints).toBeGreaterThanOrEqual(STEPS / 50);
  const after = counts.slice(1);
  expect(Math.max(...after)).toBe(Math.min(...after));
  disposeRun(r);
  expect(tf.memory().numTensors).toBe(before);
});
