import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkBatchNorm, checkBatchNormRelu } from './checks';
import { disableFastKernels, enableFastKernels } from './fastKernels';
import { FastBatchNormalization, setBatchNormReluFusion } from './FastBatchNorm';
import { relativeError } from './checks';
import { buildNetwork } from '../networks/zoo';
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

  it('a narrow ResNet18 step at 32 px: fused gradients equal the unfused fast ones, match stock within 1e-4, and leak no tensor', async () => {
    const model = buildNetwork({ arch: 'resnet18', task: 'classify', classes: 3, inputSize: 32, width: 0.25, seed: 3 });
    const x = tf.randomNormal([8, 32, 32, 3], 0, 1, 'float32', 31);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3));
    const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const step = () => tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    // One step's loss and every gradient, and how many Relu kernels the step ran.
    const run = async () => {
      const profile = await tf.profile(() => {
        const { value, grads } = step();
        return [value, ...vars.map((v) => grads[v.name])];
      });
      const tensors = profile.result as tf.Tensor[];
      const read = await Promise.all(tensors.map((t) => t.data()));
      tf.dispose(tensors);
      return { read, relus: profile.kernels.filter((k) => k.name === 'Relu').length };
    };
    try {
      disableFastKernels();
      const stock = await run();
      enableFastKernels();
      setBatchNormReluFusion(false);
      const unfused = await run();
      setBatchNormReluFusion(true);
      const fused = await run();
      // 17 ReLUs: the stem's and each block's first follow a BatchNorm alone (9, fused); the 8 after a residual add are not.
      expect(stock.relus).toBe(17);
      expect(unfused.relus).toBe(17);
      expect(fused.relus).toBe(8);
      const errs = (a: ArrayLike<number>[], b: ArrayLike<number>[]) => a.map((t, i) => relativeError(t, b[i]));
      // The fused kernels compute the same values in the same order as BatchNorm, Relu and ReluGrad
      // apart (0 on Dawn/SwiftShader).
      expect(Math.max(...errs(fused.read, unfused.read))).toBeLessThanOrEqual(1e-6);
      expect(Math.max(...errs(fused.read, stock.read))).toBeLessThanOrEqual(1e-4);
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        tf.tidy(() => {
          const { value, grads } = step();
          tf.dispose([value, ...Object.values(grads)]);
        });
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts).size).toBe(1);
    } finally {
      setBatchNormReluFusion(true);
      disableFastKernels();
      tf.dispose([x, labels]);
      model.dispose();
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
