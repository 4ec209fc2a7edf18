import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FastBatchNormalization } from './FastBatchNorm';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('BatchNormalization in training mode (stock path)', () => {
  it("updates the moving variance with the unbiased batch variance, as PyTorch's running_var; the output uses the biased one", () => {
    const layer = new FastBatchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9 });
    // One channel holding [1, 2, 3, 6]: mean 3, biased variance 3.5, unbiased 14/3.
    const x = tf.tensor4d([1, 2, 3, 6], [1, 2, 2, 1]);
    const y = tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor);
    const [, , mean, variance] = layer.getWeights().map((w) => w.dataSync()[0]);
    expect(mean).toBeCloseTo(0.3, 6);
    expect(variance).toBeCloseTo(0.9 + 0.1 * (14 / 3), 6);
    const expected = [1, 2, 3, 6].map((v) => (v - 3) / Math.sqrt(3.5 + 1e-5));
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    // Inference reads the moving statistics.
    const yi = tf.tidy(() => (layer.apply(x, { training: false }) as tf.Tensor).dataSync());
    expect(yi[0]).toBeCloseTo((1 - 0.3) / Math.sqrt(variance + 1e-5), 5);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('keeps gradients flowing and leaks no tensor across training calls', () => {
    const layer = new FastBatchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9 });
    const x = tf.randomNormal([3, 4, 4, 5], 0, 1, 'float32', 2);
    layer.apply(x, { training: false });
    const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
        expect(Object.values(grads).every((g) => Number.isFinite(g.sum().dataSync()[0]))).toBe(true);
      });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    x.dispose();
    layer.dispose();
  });
});
