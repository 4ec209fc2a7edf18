import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { forgetDisposedGraphs } from './graphCache';
import { buildNetwork } from './networks';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe("forgetting tfjs-layers' cached graphs", () => {
  it('keeps the cache size and a live model computing the same, and leaks no tensor', () => {
    const before = tf.memory().numTensors;
    const size = tf.env().getNumber('TOPOLOGICAL_SORT_CACHE_MAX_ENTRIES');
    const model = buildNetwork({ arch: 'resnet18', task: 'classify', classes: 2, inputSize: 32, width: 0.0625, seed: 1 });
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3);
    const run = () => {
      const y = model.apply(x, { training: false }) as tf.Tensor;
      const v = Array.from(y.dataSync());
      y.dispose();
      return v;
    };
    const a = run();
    forgetDisposedGraphs();
    expect(tf.env().getNumber('TOPOLOGICAL_SORT_CACHE_MAX_ENTRIES')).toBe(size);
    expect(run()).toEqual(a);
    x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
