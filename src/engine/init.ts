/**
 * Seeded weight initialisation, following torchvision's scheme for each architecture family, drawn
 * from the engine's own generator so that one seed always gives the same initial weights
 * (TensorFlow.js initializers ignore some seeds and use Math.random for others).
 *
 * | family | Conv2D / DepthwiseConv2D kernel | conv bias | Linear weight | Linear bias |
 * |---|---|---|---|---|
 * | ResNet | Kaiming normal, fan_out | (none) | U(+-1/sqrt(fan_in)) | U(+-1/sqrt(fan_in)) |
 * | VGG (both variants) | Kaiming normal, fan_out | 0 | N(0, 0.01) | 0 |
 * | DenseNet | Kaiming normal, **fan_in** | (none) | U(+-1/sqrt(fan_in)) | 0 |
 * | MobileNetV2 | Kaiming normal, fan_out | (none) | N(0, 0.01) | 0 |
 * | EfficientNet | Kaiming normal, fan_out | 0 (SE convs) | U(+-1/sqrt(fan_out)) | 0 |
 *
 * Kaiming normal has std = sqrt(2 / fan) (torch's default gain for a = 0 and for 'relu' alike);
 * fan_out = kh * kw * out (a depthwise kernel's out is its channel count, as torch counts a
 * [C, 1, kh, kw] weight), fan_in = kh * kw * in. BatchNorm: gamma 1, beta 0, moving statistics
 * 0 / 1 (the layers' own defaults). The heads follow their family's Linear rule, the box head too.
 * The random stream is the engine's, not torch's: the weights follow the same distributions but
 * never match torchvision number for number.
 *
 * Networks are built with zero initializers (cheap) and then passed through `initializeWeights`.
 * Must not import the networks (they import this).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng';

export type InitFamily = 'resnet' | 'vgg' | 'densenet' | 'mobilenet' | 'efficientnet';

/** The initialisation family of an architecture name. */
export function initFamily(arch: string): InitFamily {
  if (arch.startsWith('resnet')) return 'resnet';
  if (arch.startsWith('vgg')) return 'vgg';
  if (arch.startsWith('densenet')) return 'densenet';
  if (arch.startsWith('mobilenet')) return 'mobilenet';
  if (arch.startsWith('efficientnet')) return 'efficientnet';
  throw new Error(`initFamily: unknown architecture ${arch}`);
}

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

/**
 * The initial values of one layer's weight, or null to keep the layer's own (BatchNorm's).
 * `kernelShape` is the shape of the layer's kernel (a bias's fan depends on it).
 */
function initialValues(rng: Rng, family: InitFamily, cls: string, kind: string, shape: number[], kernelShape: number[] | null): Float32Array | null {
  const n = shape.reduce((a, b) => a * b, 1);
  if (cls === 'Conv2D' && kind === 'kernel') {
    const [kh, kw, cin, cout] = shape;
    const fan = family === 'densenet' ? kh * kw * cin : kh * kw * cout;
    return fillNormal(rng, n, Math.sqrt(2 / fan));
  }
  if (cls === 'DepthwiseConv2D' && kind === 'depthwise_kernel') {
    // torch's depthwise weight is [C, 1, kh, kw]: fan_out = C * kh * kw, fan_in = kh * kw.
    const [kh, kw, c, m] = shape;
    const fan = family === 'densenet' ? kh * kw : kh * kw * c * m;
    return fillNormal(rng, n, Math.sqrt(2 / fan));
  }
  if (cls === 'Dense' && kind === 'kernel') {
    const [fanIn, fanOut] = shape;
    if (family === 'vgg' || family === 'mobilenet') return fillNormal(rng, n, 0.01);
    if (family === 'efficientnet') return fillUniform(rng, n, 1 / Math.sqrt(fanOut));
    return fillUniform(rng, n, 1 / Math.sqrt(fanIn));
  }
  if (cls === 'Dense' && kind === 'bias') {
    if (family === 'resnet' && kernelShape) return fillUniform(rng, n, 1 / Math.sqrt(kernelShape[0]));
    return new Float32Array(n);
  }
  if (kind === 'bias') return new Float32Array(n);
  return null;
}

/**
 * Overwrite every trainable kernel and bias of `model` from a generator seeded with `seed`, with
 * the scheme of `arch`'s family (see the table above).
 */
export function initializeWeights(model: tf.LayersModel, seed: number, arch: string): void {
  const family = initFamily(arch);
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    const cls = layer.getClassName();
    const kernel = weights.find((w) => weightKind(w.originalName ?? w.name) === 'kernel');
    const values: tf.Tensor[] = [];
    let changed = false;
    for (const w of weights) {
      const kind = weightKind(w.originalName ?? w.name);
      const shape = w.shape as number[];
      const data = w.trainable ? initialValues(rng, family, cls, kind, shape, (kernel?.shape as number[] | undefined) ?? null) : null;
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
