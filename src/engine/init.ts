/**
 * Seeded weight initialisation, following torchvision's schemes, drawn from the engine's own
 * generator so that one seed always gives the same initial weights (TensorFlow.js initializers
 * ignore some seeds and use Math.random for others).
 *
 * - Conv2D / DepthwiseConv2D kernels: Kaiming normal, fan_out, ReLU gain (torchvision's ResNet, VGG,
 *   MobileNetV2, EfficientNet): std = sqrt(2 / fan_out), fan_out = kh * kw * output channels.
 * - Dense kernels: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's Linear default).
 * - Biases zero; BatchNorm gamma 1, beta 0, moving statistics 0 / 1 (the layers' own defaults).
 *
 * Networks are built with zero initializers (cheap) and then passed through `initializeWeights`.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng';

function fillNormal(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

function fillUniform(rng: Rng, n: number, bound: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * bound;
  return out;
}

function weightKind(name: string): string {
  const slash = name.lastIndexOf('/');
  const base = slash >= 0 ? name.slice(slash + 1) : name;
  return base.replace(/_\d+$/, '');
}

/** Overwrite every trainable kernel and bias of `model` from a generator seeded with `seed`. */
export function initializeWeights(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    const cls = layer.getClassName();
    const values: tf.Tensor[] = [];
    let changed = false;
    for (const w of weights) {
      const kind = weightKind(w.originalName ?? w.name);
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      let data: Float32Array | null = null;
      if (kind === 'kernel' && cls === 'Conv2D') {
        const fanOut = shape[0] * shape[1] * shape[3];
        data = fillNormal(rng, n, Math.sqrt(2 / fanOut));
      } else if (kind === 'depthwise_kernel') {
        const fanOut = shape[0] * shape[1] * shape[2] * shape[3];
        data = fillNormal(rng, n, Math.sqrt(2 / fanOut));
      } else if (kind === 'kernel' && cls === 'Dense') {
        data = fillUniform(rng, n, 1 / Math.sqrt(shape[0]));
      } else if (kind === 'bias' && w.trainable) {
        data = new Float32Array(n);
      }
      if (data) {
        values.push(tf.tensor(data, shape));
        changed = true;
      } else {
        values.push(w.read().clone());
      }
    }
    if (changed) layer.setWeights(values);
    tf.dispose(values);
  }
}
