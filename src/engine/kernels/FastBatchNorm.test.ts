import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FastBatchNormalization, FusedReluActivation, isRectifiedByBatchNorm } from './FastBatchNorm';
import { buildNetwork } from '../networks/zoo';

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

describe('BatchNorm + ReLU pairs off the fused path', () => {
  it('a pair marked for fusion is exactly BatchNorm then relu on the CPU backend, values and gradients', () => {
    const x = tf.randomNormal([2, 3, 5, 4], 0.3, 1, 'float32', 4);
    const w = tf.randomNormal([2, 3, 5, 4], 0, 1, 'float32', 5);
    const grads = (fuse: boolean) => {
      const bn = new FastBatchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9 });
      bn.fuseRelu = fuse;
      const act = fuse ? new FusedReluActivation({}) : tf.layers.activation({ activation: 'relu' });
      bn.apply(x, { training: false });
      const vars = bn.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      const out = tf.tidy(() => {
        const z = bn.apply(x, { training: true }) as tf.Tensor;
        expect(isRectifiedByBatchNorm(z)).toBe(false);
        const f = (xi: tf.Tensor) => tf.sum(tf.mul(act.apply(bn.apply(xi, { training: true }), { training: true }) as tf.Tensor, w));
        const [dx] = tf.grads(f)([x]);
        const vg = tf.variableGrads(() => f(x) as tf.Scalar, vars);
        return [act.apply(z, { training: true }) as tf.Tensor, dx, vg.grads[vars[0].name], vg.grads[vars[1].name]].map((t) => Array.from(t.dataSync()));
      });
      bn.dispose();
      return out;
    };
    const fused = grads(true);
    const stock = grads(false);
    expect(fused).toEqual(stock);
    expect(Math.min(...fused[0])).toBe(0);
    tf.dispose([x, w]);
  });

  it("a ResNet's BatchNorm + ReLU layers serialise as stock ones and the model loads back with plain tfjs", async () => {
    const model = buildNetwork({ arch: 'resnet18', task: 'classify', classes: 3, inputSize: 32, width: 0.125, seed: 1 });
    const fused = model.layers.filter((l) => l instanceof FusedReluActivation);
    expect(fused.length).toBe(9);
    const json = model.toJSON(null, false) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    expect(JSON.stringify(json)).not.toContain('fuse');
    for (const l of fused) {
      const entry = json.config.layers.find((e) => e.config.name === l.name)!;
      expect(entry.class_name).toBe('Activation');
      expect(entry.config).toEqual(tf.layers.activation({ activation: 'relu', name: l.name }).getConfig());
    }
    const loaded = await tf.models.modelFromJSON(json as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
    loaded.setWeights(model.getWeights());
    expect(loaded.layers.some((l) => l instanceof FusedReluActivation || l instanceof FastBatchNormalization)).toBe(false);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
    const [a, b] = tf.tidy(() => [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor].map((t) => Array.from(t.dataSync())));
    expect(a).toEqual(b);
    tf.dispose(x);
    model.dispose();
    loaded.dispose();
  });
});
