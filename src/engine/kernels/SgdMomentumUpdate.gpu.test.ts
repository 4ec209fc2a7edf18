import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SgdMomentum } from '../optimizer';
import { checkSgdMomentum } from './checks';
import { disableFastKernels, enableFastKernels } from './fastKernels';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';
import { setStepGuard, webgpuBackend } from './runtime';
import { setSgdVariablesPerDispatch, variablesPerDispatch } from './SgdMomentumUpdate';

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

  it('several variables per dispatch: bit-identical to one per dispatch (weights, momentum), skipped under a failed guard', async () => {
    enableFastKernels();
    const shapes = [[3, 3, 4, 8], [13], [8], [5], [1031], [4, 4], [7], [2, 3, 1, 6], [1]];
    const run = async (perDispatch: number, guardOk: boolean) => {
      setSgdVariablesPerDispatch(perDispatch);
      const tag = Math.random().toString(36).slice(2);
      const vars = tf.tidy(() => shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 70 + i), true, `sgd_group_${tag}_${i}`)));
      const opt = new SgdMomentum(vars, { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
      const b = webgpuBackend()!;
      let before: tf.TypedArray[] | undefined;
      const guard = b.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      for (let step = 0; step < 3; step++) {
        const grads: tf.NamedTensorMap = Object.fromEntries(vars.map((v, i) => [v.name, tf.randomNormal(v.shape, 0, 1, 'float32', 500 + 10 * step + i)]));
        // The last step runs under a guard that reads 0 when `guardOk` is false (a non-finite loss).
        if (step === 2) {
          b.queue.writeBuffer(guard, 0, new Float32Array([guardOk ? 1 : 0, 0, 0, 0]));
          setStepGuard(guard);
        }
        try {
          opt.step(grads);
        } finally {
          setStepGuard(null);
        }
        tf.dispose(Object.values(grads));
        if (step === 1 && !guardOk) before = await Promise.all(vars.map((v) => v.data()));
      }
      const state = opt.getState();
      const values = await Promise.all([...vars.map((v) => v.data()), ...vars.map((v) => state.momentum[v.name].data())]);
      tf.dispose(Object.values(state.momentum));
      opt.dispose();
      vars.forEach((v) => v.dispose());
      guard.destroy();
      return { values: values.map((v) => Array.from(v)), before: before?.map((v) => Array.from(v)) };
    };
    try {
      expect(variablesPerDispatch(webgpuBackend()!)).toBeGreaterThanOrEqual(2);
      const single = await run(1, true);
      const grouped = await run(4, true);
      expect(grouped.values).toEqual(single.values);
      const skipped = await run(4, false);
      expect(skipped.values.slice(0, shapes.length)).toEqual(skipped.before);
    } finally {
      setSgdVariablesPerDispatch(4);
      disableFastKernels();
    }
  });
});
