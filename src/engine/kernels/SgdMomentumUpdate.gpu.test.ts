import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SgdMomentum } from '../optimizer';
import { checkSgdMomentum } from './checks';
import { disableFastKernels, enableFastKernels } from './fastKernels';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('SgdMomentumUpdate (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('matches the tfjs update within 1e-4 on several shapes', async () => {
    for (const r of await checkSgdMomentum()) expect(r.relErr, `${r.case}`).toBeLessThanOrEqual(1e-4);
  });

  it('fused from the first step inside a tidy: one dispatch per variable, numTensors flat, all freed on dispose', async () => {
    enableFastKernels();
    try {
      const tag = Math.random().toString(36).slice(2);
      const vars = tf.tidy(() => [[3, 3, 4, 8], [8], [5]].map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 31 + i), true, `sgd_gpu_${tag}_${i}`)));
      const before = tf.memory().numTensors;
      const opt = new SgdMomentum(vars, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
      const grads: tf.NamedTensorMap = Object.fromEntries(vars.map((v) => [v.name, tf.onesLike(v)]));
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        tf.tidy(() => opt.step(grads));
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts).size).toBe(1);
      // A clone shares the weight's buffer in tfjs; the in-place update must not change it.
      const snapshot = tf.clone(vars[1]);
      const frozen = Array.from(await snapshot.data());
      tf.tidy(() => opt.step(grads));
      expect(Array.from(await snapshot.data())).toEqual(frozen);
      expect(Array.from(await vars[1].data())).not.toEqual(frozen);
      snapshot.dispose();
      tf.dispose(Object.values(grads));
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
      vars.forEach((v) => v.dispose());
    } finally {
      disableFastKernels();
    }
  });
});
