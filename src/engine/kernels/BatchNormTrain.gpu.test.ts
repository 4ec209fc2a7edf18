import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkBatchNorm, checkBatchNormRelu } from './checks';
import { disableFastKernels, enableFastKernels } from './fastKernels';
import { FastBatchNormalization } from './FastBatchNorm';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('BatchNormTrain (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('y, dx, dgamma, dbeta and the moving statistics match stock tfjs-layers within 1e-4', async () => {
    const results = await checkBatchNorm();
    expect(results.some((r) => r.case.includes('passes=1'))).toBe(true);
    expect(results.some((r) => r.case.includes('passes=2'))).toBe(true);
    for (const r of results) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });

  it('BatchNorm + ReLU fused: y, dx, dgamma, dbeta and the moving statistics match BatchNorm then relu within 1e-4', async () => {
    const results = await checkBatchNormRelu();
    expect(results.some((r) => r.case.includes('passes=1'))).toBe(true);
    expect(results.some((r) => r.case.includes('passes=2'))).toBe(true);
    for (const r of results) {
      expect(r.case).toContain('fused=true');
      expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
    }
  });

  it("updates the moving variance with the unbiased batch variance (PyTorch's running_var), one pass and two", async () => {
    enableFastKernels();
    try {
      for (const shape of [
        [1, 2, 2, 1],
        [16, 32, 32, 3],
      ] as [number, number, number, number][]) {
        const layer = new FastBatchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9 });
        const x = shape[0] === 1 ? tf.tensor4d([1, 2, 3, 6], shape) : tf.randomNormal(shape, 2, 3, 'float32', 9);
        layer.apply(x, { training: false });
        tf.tidy(() => {
          layer.apply(x, { training: true });
        });
        const r = x.size / shape[3];
        const { variance } = tf.moments(x, [0, 1, 2]);
        const biased = await variance.data();
        const moving = await layer.getWeights()[3].data();
        for (let c = 0; c < shape[3]; c++) expect(moving[c]).toBeCloseTo(0.9 + 0.1 * biased[c] * (r / (r - 1)), 4);
        tf.dispose([x, variance]);
        layer.dispose();
      }
    } finally {
      disableFastKernels();
    }
  });

  it('serialises as a stock BatchNormalization and leaks no tensor in training', async () => {
    enableFastKernels();
    try {
      const layer = new FastBatchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9 });
      expect(layer.getClassName()).toBe('BatchNormalization');
      const x = tf.randomNormal([4, 5, 5, 6], 0, 1, 'float32', 41);
      layer.apply(x, { training: false });
      const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
          tf.dispose(Object.values(grads));
        });
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts).size).toBe(1);
      x.dispose();
      layer.dispose();
    } finally {
      disableFastKernels();
    }
  });
});
