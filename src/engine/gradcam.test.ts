import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isEngineError } from '../core/errors';
import { Rng } from '../core/rng';
import { gradCam, gradCamLayers } from './gradcam';
import { buildNetwork } from './networks';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function images(n: number, size: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: n * size * size * 3 }, () => rng.next() * 2 - 1),
    [n, size, size, 3],
  );
}

describe('Grad-CAM', () => {
  it('on ResNet18: the last block, finite maps in [0, 1] that differ between classes, and CAM for a pool + Dense head', async () => {
    const model = buildNetwork({ arch: 'resnet18', task: 'classify', classes: 2, inputSize: 64, width: 0.125, seed: 3, name: 'student1' });
    const { feature, head } = gradCamLayers(model);
    expect(feature.name).toBe('student1_layer4_1_relu');
    expect(head.map((l) => l.getClassName())).toEqual(['GlobalAveragePooling2D', 'Dense']);
    // A head whose classes read different channels (class 0 the first half, class 1 the second),
    // so both classes have positive evidence somewhere (a fresh head may have none for either).
    const headLayer = model.getLayer('student1_head');
    const [k, c] = (headLayer.getWeights()[0].shape as number[]).slice(0, 2);
    const w = Float32Array.from({ length: k * c }, (_, i) => (Math.floor(i / c) < k / 2 === (i % c === 0) ? 0.1 + (i % 7) * 0.01 : -0.02));
    const set = [tf.tensor2d(w, [k, c]), tf.zeros([c])];
    headLayer.setWeights(set);
    tf.dispose(set);
    const x = images(3, 64, 1);
    const before = tf.memory().numTensors;
    const c0 = await gradCam(model, x, [0, 0, 0]);
    const c1 = await gradCam(model, x, [1, 1, 1]);
    expect(tf.memory().numTensors).toBe(before);
    for (const m of [...c0, ...c1]) {
      expect([m.height, m.width]).toEqual([2, 2]);
      expect(m.values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    }
    const diff = c0.map((m, i) => m.values.reduce((a, v, k) => a + Math.abs(v - c1[i].values[k]), 0) + Math.abs(m.peak - c1[i].peak));
    expect(Math.min(...diff)).toBeGreaterThan(1e-3);
    expect([...c0, ...c1].every((m) => m.peak > 0)).toBe(true);
    // Two classes: the probabilities of the two explained classes add up to 1.
    c0.forEach((m, i) => expect(m.probability + c1[i].probability).toBeCloseTo(1, 5));

    // With global average pooling then Dense, alpha_k = W[k, c] / (H W): Grad-CAM is CAM.
    const a = model.execute(x, (feature.output as tf.SymbolicTensor).name) as tf.Tensor4D;
    const kernel = model.getLayer('student1_head').getWeights()[0] as tf.Tensor2D; // [K, C]
    const cam = tf.tidy(() => tf.relu(tf.einsum('nhwk,k->nhw', a, kernel.slice([0, 1], [-1, 1]).reshape([-1]))));
    const expected = (await cam.array()) as number[][][];
    expected.forEach((img, i) => {
      const flat = img.flat();
      const peak = Math.max(...flat);
      expect(c1[i].peak).toBeCloseTo(peak / 4, 5);
      flat.forEach((v, k) => expect(c1[i].values[k]).toBeCloseTo(peak > 0 ? v / peak : 0, 5));
    });
    tf.dispose([a, cam, x]);
    model.dispose();
  });

  it("on VGG11 with torchvision's classifier: through adaptive pooling, Dense and dropout to the last conv", async () => {
    const model = buildNetwork({ arch: 'vgg11', task: 'classify', classes: 3, inputSize: 32, width: 0.0625, seed: 1 });
    const { feature, head } = gradCamLayers(model);
    expect(feature.getClassName()).toBe('Conv2D');
    expect(head[0].getClassName()).toBe('MaxPooling2D');
    const x = images(2, 32, 2);
    const maps = await gradCam(model, x, [2, 0]);
    expect([maps[0].height, maps[0].width]).toEqual([2, 2]);
    expect(maps.every((m) => m.values.every(Number.isFinite))).toBe(true);
    x.dispose();
    model.dispose();
  });

  it('refuses a box regressor and a class outside the head, with typed errors', async () => {
    const box = buildNetwork({ arch: 'resnet18', task: 'box', classes: 2, inputSize: 32, width: 0.125 });
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isEngineError(e) ? e.code : 'untyped';
      }
      return 'none';
    };
    expect(codeOf(() => gradCamLayers(box))).toBe('INVALID_CONFIG');
    box.dispose();
    const model = buildNetwork({ arch: 'resnet18', task: 'classify', classes: 2, inputSize: 32, width: 0.125 });
    const x = images(1, 32, 3);
    await expect(gradCam(model, x, [2])).rejects.toMatchObject({ code: 'LABEL_MISMATCH' });
    await expect(gradCam(model, x, [0, 1])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    x.dispose();
    model.dispose();
  });
});
