/**
 * Tests for the network zoo and its custom layers: torchvision parameter counts, forward passes of
 * every architecture, PyTorch-aligned shapes, seeding, errors, adaptive pooling, seeded dropout,
 * and save/load round trips. CPU backend.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../core/errors';
import {
  AdaptiveAveragePooling2D,
  SeededDropout,
  adaptiveAvgPool2d,
  adaptivePoolMatrix,
  dropoutCalls,
  resetDropoutCounters,
  setDropoutCalls,
} from '../customLayers';
import { ARCHS, buildNetwork, headLayerName, isArch, layerPrefix, trainableParamCount, type Arch } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** torchvision's parameter counts with a 2-class final Linear: the 1000-class count minus
 * (fan_in + 1) * 998. */
const TORCHVISION_PARAMS_2_CLASSES: Record<Arch, number> = {
  resnet18: 11_177_538, // 11,689,512 - 513 * 998
  resnet34: 21_285_698,
  resnet50: 23_512_130,
  resnet101: 42_504_258, // 44,549,160 - 2049 * 998
  resnet152: 58_147_906,
  vgg11: 128_774_530, // 132,863,336 - 4097 * 998
  vgg16: 134_268_738,
  vgg19: 139_578_434,
  vgg11_nofc: 9_220_480 + 1_026, // vgg11 features + Linear(512, 2)
  vgg16_nofc: 14_714_688 + 1_026,
  vgg19_nofc: 20_024_384 + 1_026,
  densenet121: 6_955_906, // 7,978,856 - 1025 * 998
  densenet201: 18_096_770,
  efficientnet_b0: 4_010_110,
  efficientnet_b1: 6_515_746,
  mobilenet_v2: 2_226_434, // 3,504,872 - 1281 * 998
};

describe('parameter counts equal torchvision (width 1, 2 classes, 224)', () => {
  it.each(ARCHS.map((a) => [a] as const))('%s', (arch) => {
    const model = buildNetwork({ arch, task: 'classify', classes: 2, inputSize: 224 });
    try {
      expect(trainableParamCount(model)).toBe(TORCHVISION_PARAMS_2_CLASSES[arch]);
      expect(model.name).toBe(arch);
      expect(model.outputs[0].shape).toEqual([null, 2]);
    } finally {
      model.dispose();
    }
  });
});

describe('forward pass of every architecture at 32x32, width 0.25', () => {
  it.each(ARCHS.map((a) => [a] as const))('%s', (arch) => {
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 7);
    const cls = buildNetwork({ arch, task: 'classify', classes: 5, inputSize: 32, width: 0.25, seed: 3 });
    const box = buildNetwork({ arch, task: 'box', classes: 0, inputSize: 32, width: 0.25, seed: 3, name: `${arch}_box` });
    try {
      const logits = tf.tidy(() => cls.predict(x) as tf.Tensor);
      expect(logits.shape).toEqual([2, 5]);
      const l = logits.dataSync();
      expect(Array.from(l).every(Number.isFinite)).toBe(true);
      expect(Array.from(l).some((v) => v !== 0)).toBe(true);
      logits.dispose();

      // In inference mode at initialisation BatchNorm is the identity (running mean 0, var 1),
      // so deep residual nets produce huge activations and the sigmoid may saturate to exactly
      // 0 or 1 in float32, as in PyTorch's eval mode; with batch statistics it stays inside.
      const boxes = tf.tidy(() => box.predict(x) as tf.Tensor);
      expect(boxes.shape).toEqual([2, 4]);
      expect(Array.from(boxes.dataSync()).every((v) => v >= 0 && v <= 1)).toBe(true);
      boxes.dispose();
      const boxesTrain = tf.tidy(() => box.apply(x, { training: true }) as tf.Tensor);
      expect(boxesTrain.shape).toEqual([2, 4]);
      expect(Array.from(boxesTrain.dataSync()).every((v) => v > 0 && v < 1)).toBe(true);
      boxesTrain.dispose();

      // Training mode (batch statistics, dropout) runs too.
      const train = tf.tidy(() => cls.apply(x, { training: true }) as tf.Tensor);
      expect(train.shape).toEqual([2, 5]);
      expect(Array.from(train.dataSync()).every(Number.isFinite)).toBe(true);
      train.dispose();
    } finally {
      cls.dispose();
      box.dispose();
      x.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('gradients reach every trainable weight', () => {
  it.each((['vgg11', 'efficientnet_b0', 'mobilenet_v2', 'densenet121', 'resnet50'] as const).map((a) => [a] as const))('%s', (arch) => {
    const before = tf.memory().numTensors;
    const model = buildNetwork({ arch, task: 'classify', classes: 3, inputSize: 32, width: arch === 'vgg11' ? 0.125 : 0.25, seed: 1 });
    try {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
        const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
        const { grads } = tf.variableGrads(
          () => {
            const logits = model.apply(x, { training: true }) as tf.Tensor;
            return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
          },
          model.trainableWeights.map((w) => w.read() as tf.Variable),
        );
        for (const w of model.trainableWeights) {
          const g = grads[w.name];
          expect(g, w.name).toBeDefined();
          expect(Array.from(g.dataSync()).every(Number.isFinite), w.name).toBe(true);
        }
        // The first conv, furthest from the loss, receives a non-zero gradient.
        const first = model.trainableWeights[0];
        expect(tf.abs(grads[first.name]).sum().dataSync()[0]).toBeGreaterThan(0);
      });
    } finally {
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** PyTorch's output size for a conv / pool: floor((n + 2p - k) / s) + 1. */
const out = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;

describe('shapes align with torchvision', () => {
  it('224 input gives 7x7 final feature maps (width 0.25)', () => {
    const N = null as unknown as number;
    const cases: [Arch, string, number[]][] = [
      ['resnet18', 'maxpool', [N, 56, 56, 16]],
      ['resnet50', 'layer4_2_relu', [N, 7, 7, 512]],
      ['vgg16', 'features_30', [N, 7, 7, 128]],
      ['vgg16', 'avgpool', [N, 7, 7, 128]],
      ['vgg16', 'flatten', [N, 7 * 7 * 128]],
      ['densenet121', 'features_relu5', [N, 7, 7, 256]],
      ['efficientnet_b0', 'features_8_2', [N, 7, 7, 320]],
      ['mobilenet_v2', 'features_18_2', [N, 7, 7, 1280]],
    ];
    for (const [arch, layer, shape] of cases) {
      const model = buildNetwork({ arch, task: 'classify', classes: 10, inputSize: 224, width: 0.25 });
      try {
        expect((model.getLayer(`${arch}_${layer}`).output as tf.SymbolicTensor).shape, `${arch} ${layer}`).toEqual(shape);
        expect(model.outputs[0].shape).toEqual([null, 10]);
      } finally {
        model.dispose();
      }
    }
  });

  it('224 forward pass gives [N, C] logits', () => {
    for (const arch of ['resnet18', 'efficientnet_b0'] as const) {
      const model = buildNetwork({ arch, task: 'classify', classes: 7, inputSize: 224, width: 0.25 });
      try {
        tf.tidy(() => {
          const y = model.predict(tf.ones([1, 224, 224, 3])) as tf.Tensor;
          expect(y.shape).toEqual([1, 7]);
          expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        });
      } finally {
        model.dispose();
      }
    }
  });

  it('odd input sizes follow PyTorch arithmetic (symmetric padding)', () => {
    const n = 97;
    const model = buildNetwork({ arch: 'resnet18', task: 'classify', classes: 2, inputSize: n, width: 0.125 });
    try {
      const conv1 = out(n, 7, 2, 3);
      const pool = out(conv1, 3, 2, 1);
      const l2 = out(pool, 3, 2, 1);
      const l3 = out(l2, 3, 2, 1);
      const l4 = out(l3, 3, 2, 1);
      const shape = (name: string) => (model.getLayer(`resnet18_${name}`).output as tf.SymbolicTensor).shape.slice(1, 3);
      expect(shape('conv1')).toEqual([conv1, conv1]);
      expect(shape('maxpool')).toEqual([pool, pool]);
      expect(shape('layer2_0_relu')).toEqual([l2, l2]);
      expect(shape('layer2_0_downsample_0')).toEqual([out(pool, 1, 2, 0), out(pool, 1, 2, 0)]);
      expect(shape('layer3_0_relu')).toEqual([l3, l3]);
      expect(shape('layer4_0_relu')).toEqual([l4, l4]);
    } finally {
      model.dispose();
    }
    const eff = buildNetwork({ arch: 'efficientnet_b0', task: 'classify', classes: 2, inputSize: n, width: 0.25 });
    try {
      let s = out(n, 3, 2, 1);
      expect((eff.getLayer('efficientnet_b0_features_0_2').output as tf.SymbolicTensor).shape.slice(1, 3)).toEqual([s, s]);
      s = out(s, 3, 2, 1); // stage 2, k3 s2
      s = out(s, 5, 2, 2); // stage 3, k5 s2
      expect((eff.getLayer('efficientnet_b0_features_3_0_block_1_2').output as tf.SymbolicTensor).shape.slice(1, 3)).toEqual([s, s]);
    } finally {
      eff.dispose();
    }
  });

  it('names layers with the sanitised prefix and the model with the raw name', () => {
    const spec = { arch: 'mobilenet_v2', task: 'classify' as const, classes: 3, inputSize: 32, width: 0.25, name: 'Student 1 (fast)' };
    const a = buildNetwork(spec);
    const b = buildNetwork(spec); // same names in one process: teacher and student may share them
    try {
      expect(layerPrefix(spec)).toBe('Student_1__fast_');
      expect(a.name).toBe('Student 1 (fast)');
      expect(a.getLayer(headLayerName(spec)).getClassName()).toBe('Dense');
      expect(a.layers.every((l) => l.name.startsWith('Student_1__fast__'))).toBe(true);
      expect(a.layers.map((l) => l.name)).toEqual(b.layers.map((l) => l.name));
      const x = tf.ones([1, 32, 32, 3]);
      const ya = a.predict(x) as tf.Tensor;
      const yb = b.predict(x) as tf.Tensor;
      expect(Array.from(ya.dataSync())).toEqual(Array.from(yb.dataSync()));
      tf.dispose([x, ya, yb]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('seeding', () => {
  const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

  it('the same seed gives identical weights, another seed different ones', () => {
    const spec = { arch: 'resnet18', task: 'classify' as const, classes: 4, inputSize: 32, width: 0.25 };
    const a = buildNetwork({ ...spec, seed: 11 });
    const b = buildNetwork({ ...spec, seed: 11 });
    const c = buildNetwork({ ...spec, seed: 12 });
    try {
      const wa = weightsOf(a);
      expect(weightsOf(b)).toEqual(wa);
      const wc = weightsOf(c);
      expect(wc).not.toEqual(wa);
      // Kernels differ, not only some of them.
      const kernels = a
        .getWeights()
        .map((w, i) => [w, i] as const)
        .filter(([w]) => w.shape.length === 4);
      for (const [, i] of kernels) expect(wc[i]).not.toEqual(wa[i]);
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });

  it('initial kernels follow the torchvision scales (conv fan_out, linear fan_in)', () => {
    const m = buildNetwork({ arch: 'vgg11_nofc', task: 'classify', classes: 2, inputSize: 32, seed: 1 });
    try {
      const conv = m.getLayer('vgg11_nofc_features_11').getWeights()[0]; // 3x3, 256 -> 512
      const std = Math.sqrt(tf.moments(conv).variance.dataSync()[0]);
      expect(std).toBeCloseTo(Math.sqrt(2 / (9 * 512)), 3);
      const head = m.getLayer('vgg11_nofc_head').getWeights()[0];
      expect(tf.max(tf.abs(head)).dataSync()[0]).toBeLessThanOrEqual(1 / Math.sqrt(512));
    } finally {
      m.dispose();
    }
  });
});

describe('errors', () => {
  const catchErr = (f: () => unknown): EngineError => {
    try {
      f();
    } catch (e) {
      return e as EngineError;
    }
    throw new Error('expected a throw');
  };

  it('unknown arch -> UNKNOWN_ARCH', () => {
    const e = catchErr(() => buildNetwork({ arch: 'resnet17', task: 'classify', classes: 2, inputSize: 32 }));
    expect(e).toBeInstanceOf(EngineError);
    expect(e.code).toBe('UNKNOWN_ARCH');
    expect(e.subject).toBe('resnet17');
    expect(e.message).toContain('"resnet17"');
    expect(e.message).toContain('efficientnet_b0');
    expect(isArch('resnet17')).toBe(false);
    expect(isArch('vgg16_nofc')).toBe(true);
  });

  it('invalid configuration -> INVALID_CONFIG', () => {
    const base = { arch: 'resnet18', task: 'classify' as const, classes: 2, inputSize: 32 };
    for (const bad of [{ classes: 1 }, { classes: 2.5 }, { inputSize: 16 }, { width: 0 }, { width: Number.NaN }]) {
      const e = catchErr(() => buildNetwork({ ...base, ...bad }));
      expect(e.code, JSON.stringify(bad)).toBe('INVALID_CONFIG');
    }
    // A box head ignores classes.
    const m = buildNetwork({ ...base, task: 'box', classes: 0, width: 0.125 });
    expect(m.outputs[0].shape).toEqual([null, 4]);
    m.dispose();
  });
});

/** Direct loop implementation of PyTorch's adaptive average pooling, as a reference. */
function referencePool(x: number[][][][], oh: number, ow: number): number[][][][] {
  const h = x[0].length;
  const w = x[0][0].length;
  const c = x[0][0][0].length;
  return x.map((img) =>
    Array.from({ length: oh }, (_, i) =>
      Array.from({ length: ow }, (_, j) => {
        const h0 = Math.floor((i * h) / oh);
        const h1 = Math.ceil(((i + 1) * h) / oh);
        const w0 = Math.floor((j * w) / ow);
        const w1 = Math.ceil(((j + 1) * w) / ow);
        return Array.from({ length: c }, (_, k) => {
          let s = 0;
          for (let a = h0; a < h1; a++) for (let b = w0; b < w1; b++) s += img[a][b][k];
          return s / ((h1 - h0) * (w1 - w0));
        });
      }),
    ),
  );
}

function expectClose(actual: tf.Tensor, expected: number[] | Float32Array, tol = 1e-5): void {
  const a = actual.dataSync();
  expect(a.length).toBe(expected.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - expected[i])).toBeLessThanOrEqual(tol);
}

describe('AdaptiveAveragePooling2D', () => {
  it('2x2 -> 7x7 by hand', () => {
    // Along each axis, bins of 2 -> 7 are [0],[0],[0],[0,1],[1],[1],[1].
    const rows = (a: number, b: number) => [a, a, a, (a + b) / 2, b, b, b];
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = adaptiveAvgPool2d(x, 7, 7);
    expect(y.shape).toEqual([1, 7, 7, 1]);
    const top = rows(1, 2);
    const bottom = rows(3, 4);
    const expected = rows(0, 1).flatMap((t) => top.map((v, j) => v * (1 - t) + bottom[j] * t));
    expectClose(y, expected);
    tf.dispose([x, y]);
  });

  it('3x3 -> 7x7 by hand', () => {
    // Bins of 3 -> 7: [0],[0],[0,1],[1],[1,2],[2],[2].
    const line = (a: number, b: number, c: number) => [a, a, (a + b) / 2, b, (b + c) / 2, c, c];
    const x = tf.tensor4d([0, 1, 2, 10, 11, 12, 20, 21, 22], [1, 3, 3, 1]);
    const y = adaptiveAvgPool2d(x, 7, 7);
    const cols = [line(0, 1, 2), line(10, 11, 12), line(20, 21, 22)];
    const expected: number[] = [];
    for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) expected.push(line(cols[0][j], cols[1][j], cols[2][j])[i]);
    expectClose(y, expected);
    tf.dispose([x, y]);
  });

  it('14x14 -> 7x7 is a 2x2 average pool; 7x7 is the identity; 1x1 replicates', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 14, 14, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      expectClose(adaptiveAvgPool2d(x, 7, 7), tf.avgPool(x, 2, 2, 'valid').dataSync() as Float32Array);
      const s = tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      expectClose(adaptiveAvgPool2d(s, 7, 7), s.dataSync() as Float32Array, 0);
      const one = tf.tensor4d([5, -1], [1, 1, 1, 2]);
      const rep = adaptiveAvgPool2d(one, 7, 7);
      expectClose(rep, Array.from({ length: 49 }, () => [5, -1]).flat(), 0);
    });
  });

  it('matches a loop reference on overlapping, non-square cases', () => {
    for (const [h, w, oh, ow] of [
      [10, 10, 7, 7],
      [5, 3, 7, 7],
      [9, 13, 4, 6],
      [13, 5, 7, 2],
    ]) {
      tf.tidy(() => {
        const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', h * 100 + w) as tf.Tensor4D;
        const ref = referencePool(x.arraySync(), oh, ow).flat(3);
        expectClose(adaptiveAvgPool2d(x, oh, ow), ref);
      });
    }
    // Each row of a pooling matrix averages its bin: rows sum to 1.
    const m = adaptivePoolMatrix(5, 7);
    for (let i = 0; i < 7; i++) expect(m.slice(i * 5, i * 5 + 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('is differentiable: gradient of sum(pool(x)) counts bin memberships', () => {
    tf.tidy(() => {
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const g = tf.grad((t: tf.Tensor) => adaptiveAvgPool2d(t as tf.Tensor4D, 7, 7).sum())(x);
      // Per axis, each input feeds three full bins and half of the shared one: 3.5; squared in 2-D.
      expectClose(g, [12.25, 12.25, 12.25, 12.25]);
      const x2 = tf.randomNormal([1, 10, 6, 2], 0, 1, 'float32', 3);
      const g2 = tf.grad((t: tf.Tensor) =>
        adaptiveAvgPool2d(t as tf.Tensor4D, 7, 4)
          .square()
          .sum(),
      )(x2);
      expect(g2.shape).toEqual([1, 10, 6, 2]);
      expect(Array.from(g2.dataSync()).every(Number.isFinite)).toBe(true);
    });
  });

  it('is a layer with correct output shape and config', () => {
    const layer = new AdaptiveAveragePooling2D({ outputSize: [7, 5], name: 'pool_test' });
    expect(layer.computeOutputShape([null, 3, 9, 8])).toEqual([null, 7, 5, 8]);
    expect(layer.getConfig().outputSize).toEqual([7, 5]);
    const input = tf.input({ shape: [3, 9, 8] });
    expect((layer.apply(input) as tf.SymbolicTensor).shape).toEqual([null, 7, 5, 8]);
    expect(AdaptiveAveragePooling2D.className).toBe('AdaptiveAveragePooling2D');
  });
});

describe('SeededDropout', () => {
  const masks = (layer: SeededDropout, n: number): number[][] =>
    Array.from({ length: n }, () => tf.tidy(() => Array.from((layer.apply(tf.ones([4, 64]), { training: true }) as tf.Tensor).dataSync())));

  it('is the identity outside training', () => {
    const layer = new SeededDropout({ rate: 0.5, seed: 1 });
    tf.tidy(() => {
      const x = tf.randomNormal([3, 10], 0, 1, 'float32', 1);
      expectClose(layer.apply(x) as tf.Tensor, x.dataSync() as Float32Array, 0);
      expectClose(layer.apply(x, { training: false }) as tf.Tensor, x.dataSync() as Float32Array, 0);
    });
    expect(layer.calls).toBe(0);
  });

  it('same seed -> same mask sequence; consecutive calls differ; scaled by 1/(1-rate)', () => {
    const a = masks(new SeededDropout({ rate: 0.5, seed: 42 }), 3);
    const b = masks(new SeededDropout({ rate: 0.5, seed: 42 }), 3);
    const c = masks(new SeededDropout({ rate: 0.5, seed: 43 }), 3);
    expect(b).toEqual(a);
    expect(a[1]).not.toEqual(a[0]);
    expect(a[2]).not.toEqual(a[1]);
    expect(c[0]).not.toEqual(a[0]);
    const flat = a.flat();
    expect(flat.every((v) => v === 0 || Math.abs(v - 2) < 1e-6)).toBe(true);
    const dropped = flat.filter((v) => v === 0).length / flat.length;
    expect(dropped).toBeGreaterThan(0.4);
    expect(dropped).toBeLessThan(0.6);
  });

  it('model-level counters can be read, reset and restored', () => {
    const m = buildNetwork({ arch: 'vgg11', task: 'classify', classes: 2, inputSize: 32, width: 0.125, seed: 9 });
    try {
      const x = tf.ones([2, 32, 32, 3]);
      const run = () => tf.tidy(() => Array.from((m.apply(x, { training: true }) as tf.Tensor).dataSync()));
      const first = run();
      const second = run();
      expect(second).not.toEqual(first);
      expect(Object.values(dropoutCalls(m))).toEqual([2, 2]);
      resetDropoutCounters(m);
      expect(run()).toEqual(first);
      setDropoutCalls(m, 1);
      expect(run()).toEqual(second);
      // Inference neither uses nor advances the counters.
      tf.tidy(() => m.predict(x));
      expect(Object.values(dropoutCalls(m))).toEqual([2, 2]);
      x.dispose();
    } finally {
      m.dispose();
    }
  });
});

describe('save and load', () => {
  async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (!saved) throw new Error('nothing saved');
    return tf.loadLayersModel(tf.io.fromMemory(saved));
  }

  it.each([['vgg16'], ['efficientnet_b0'], ['densenet121']] as const)('%s predicts identically after a round trip', async (arch) => {
    const model = buildNetwork({ arch, task: 'classify', classes: 3, inputSize: 32, width: 0.125, seed: 4 });
    const loaded = await roundTrip(model);
    try {
      expect(loaded.name).toBe(model.name);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
      if (arch === 'vgg16') {
        const classes = loaded.layers.map((l) => l.getClassName());
        expect(classes).toContain('AdaptiveAveragePooling2D');
        expect(classes).toContain('SeededDropout');
        const d = loaded.getLayer('vgg16_classifier_2') as SeededDropout;
        const o = model.getLayer('vgg16_classifier_2') as SeededDropout;
        expect([d.rate, d.seed]).toEqual([o.rate, o.seed]);
      }
      tf.tidy(() => {
        const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 8);
        expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
      });
    } finally {
      model.dispose();
      loaded.dispose();
    }
  });
});

describe('tfjs building blocks the zoo relies on', () => {
  it("'swish' is SiLU, x * sigmoid(x), and 'relu6' clips at 6", () => {
    tf.tidy(() => {
      const x = tf.tensor1d([-8, -2, -0.5, 0, 0.5, 2, 8]);
      const silu = tf.layers.activation({ activation: 'swish' }).apply(x) as tf.Tensor;
      expectClose(silu, tf.mul(x, tf.sigmoid(x)).dataSync() as Float32Array, 1e-7);
      const r6 = tf.layers.activation({ activation: 'relu6' }).apply(x) as tf.Tensor;
      expectClose(r6, [0, 0, 0, 0, 0.5, 2, 6], 0);
    });
  });

  it('Multiply broadcasts an [N,1,1,C] gate over [N,H,W,C] and sums its gradient back', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 1);
      const g = tf.randomNormal([2, 1, 1, 5], 0, 1, 'float32', 2);
      const mul = tf.layers.multiply();
      expectClose(mul.apply([x, g]) as tf.Tensor, tf.mul(x, g).dataSync() as Float32Array, 0);
      const [, dg] = tf.grads((a: tf.Tensor, b: tf.Tensor) => (mul.apply([a, b]) as tf.Tensor).sum())([x, g]);
      expect(dg.shape).toEqual([2, 1, 1, 5]);
      expectClose(dg, x.sum([1, 2], true).dataSync() as Float32Array, 1e-5);
    });
  });
});
