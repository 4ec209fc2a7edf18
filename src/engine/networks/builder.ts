/**
 * Shared building blocks for the network zoo: a small helper that creates tfjs layers with
 * deterministic, prefixed names and PyTorch-faithful padding, plus the channel-rounding rules.
 *
 * Conventions every architecture relies on:
 * - Every Conv2D / DepthwiseConv2D / Dense starts with zero kernels and biases; `initializeWeights`
 *   overwrites them afterwards from the engine's seeded generator (cheaper than tfjs's
 *   initializers, and reproducible).
 * - Padding: a PyTorch conv pads symmetrically. With stride 1 and padding (k-1)/2 that is tfjs's
 *   'same'; any other padding (all stride-2 convs and pools) is an explicit ZeroPadding2D followed
 *   by 'valid', so the output grid aligns with torchvision's.
 * - Only 'relu' or 'linear' are fused into Conv2D / Dense (tfjs cannot differentiate other fused
 *   activations); SiLU, ReLU6 and sigmoid are separate Activation layers.
 * - BatchNormalization uses PyTorch's eps 1e-5 and momentum 0.1 (0.9 in the Keras convention).
 *
 * Layer names are `${prefix}_${torchvision module path with '.' -> '_'}` where a layer has a
 * torchvision counterpart, which keeps them unique within a model and makes weight import from a
 * torchvision state dict a matter of renaming.
 *
 * No DOM: runs in a Web Worker and in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededDropout, SeededStochasticDepth } from '../customLayers';
import { fastBatchNormalization, FusedReluActivation } from '../kernels/FastBatchNorm';
import { deriveSeed } from '../../core/rng';

export type ST = tf.SymbolicTensor;
export type Act = 'relu' | 'relu6' | 'silu' | 'sigmoid';

/** torchvision's `_make_divisible`: round to the nearest multiple of `divisor`, never below
 * `divisor`, and never more than 10% below `v`. */
export function makeDivisible(v: number, divisor = 8, minValue?: number): number {
  const min = minValue ?? divisor;
  let n = Math.max(min, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** Scale a channel count by the width multiplier: exact at width 1, otherwise a multiple of 4,
 * at least 4. */
export function scaleChannels(c: number, width: number): number {
  if (width === 1) return c;
  return Math.max(4, Math.round((c * width) / 4) * 4);
}

function apply(layer: tf.layers.Layer, x: ST | ST[]): ST {
  return layer.apply(x) as ST;
}

export interface ConvOpts {
  filters: number;
  kernel: number;
  stride?: number;
  /** PyTorch padding (symmetric); default (kernel-1)/2. */
  padding?: number;
  bias?: boolean;
  activation?: 'relu' | 'linear';
}

export interface DepthwiseOpts {
  kernel: number;
  stride?: number;
  padding?: number;
}

/** Creates layers for one model. `prefix` must already be a valid tfjs name fragment. */
export class NetBuilder {
  constructor(
    readonly prefix: string,
    /** Seed from which each dropout layer's mask seed is derived. */
    readonly seed: number,
  ) {}

  name(local: string): string {
    return `${this.prefix}_${local}`;
  }

  input(size: number): ST {
    return tf.input({ shape: [size, size, 3], name: this.name('input') });
  }

  zeroPad(x: ST, pad: number, name: string): ST {
    return apply(
      tf.layers.zeroPadding2d({
        padding: [
          [pad, pad],
          [pad, pad],
        ],
        name: this.name(name),
      }),
      x,
    );
  }

  /** Resolve PyTorch padding to tfjs: returns the (possibly padded) input and the tfjs mode. */
  private pad(x: ST, kernel: number, stride: number, padding: number, name: string): [ST, 'same' | 'valid'] {
    if (padding === 0) return [x, 'valid'];
    if (stride === 1 && kernel % 2 === 1 && padding === (kernel - 1) / 2) return [x, 'same'];
    return [this.zeroPad(x, padding, `${name}_pad`), 'valid'];
  }

  conv(x: ST, name: string, o: ConvOpts): ST {
    const stride = o.stride ?? 1;
    const [xin, padding] = this.pad(x, o.kernel, stride, o.padding ?? (o.kernel - 1) >> 1, name);
    const layer = tf.layers.conv2d({
      filters: o.filters,
      kernelSize: o.kernel,
      strides: stride,
      padding,
      useBias: o.bias ?? false,
      activation: o.activation ?? 'linear',
      kernelInitializer: 'zeros',
      biasInitializer: 'zeros',
      name: this.name(name),
    });
    return apply(layer, xin);
  }

  depthwise(x: ST, name: string, o: DepthwiseOpts): ST {
    const stride = o.stride ?? 1;
    const [xin, padding] = this.pad(x, o.kernel, stride, o.padding ?? (o.kernel - 1) >> 1, name);
    const layer = tf.layers.depthwiseConv2d({
      kernelSize: o.kernel,
      strides: stride,
      padding,
      depthMultiplier: 1,
      useBias: false,
      depthwiseInitializer: 'zeros',
      biasInitializer: 'zeros',
      name: this.name(name),
    });
    return apply(layer, xin);
  }

  /** torchvision's BatchNorm2d (eps 1e-5, momentum 0.1) as tfjs-layers' BatchNormalization, fused on WebGPU in training mode when the fast kernels are on. */
  private bnLayer(name: string) {
    return fastBatchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9, name: this.name(name) });
  }

  bn(x: ST, name: string): ST {
    return apply(this.bnLayer(name), x);
  }

  /**
   * BN -> activation, the BN's output read by nothing else. A ReLU here is fused into the BN's
   * training kernels on WebGPU (../kernels/FastBatchNorm.ts); the layers stay a stock
   * BatchNormalization and Activation('relu') in the model's config.
   */
  bnAct(x: ST, bnName: string, kind: Act, actName: string): ST {
    if (kind !== 'relu') return this.act(this.bn(x, bnName), kind, actName);
    const bn = this.bnLayer(bnName);
    bn.fuseRelu = true;
    return apply(new FusedReluActivation({ name: this.name(actName) }), apply(bn, x));
  }

  act(x: ST, kind: Act, name: string): ST {
    const activation = kind === 'silu' ? 'swish' : kind;
    return apply(tf.layers.activation({ activation, name: this.name(name) }), x);
  }

  /** Conv (no bias) -> BN -> optional activation: torchvision's Conv2dNormActivation. The conv is
   * named `${name}_0`, the BN `${name}_1`, the activation `${name}_2`, as in torchvision. */
  convBnAct(x: ST, name: string, o: Omit<ConvOpts, 'bias' | 'activation'>, act: Act | null): ST {
    const y = this.conv(x, `${name}_0`, { ...o, bias: false });
    return act ? this.bnAct(y, `${name}_1`, act, `${name}_2`) : this.bn(y, `${name}_1`);
  }

  /** Depthwise conv -> BN -> activation, named like `convBnAct`. */
  dwBnAct(x: ST, name: string, o: DepthwiseOpts, act: Act): ST {
    const y = this.depthwise(x, `${name}_0`, o);
    return this.bnAct(y, `${name}_1`, act, `${name}_2`);
  }

  maxPool(x: ST, name: string, pool: number, stride: number, padding = 0): ST {
    // Zero padding equals PyTorch's -inf padding here because every max-pool in the zoo follows a
    // ReLU (inputs are >= 0).
    const xin = padding > 0 ? this.zeroPad(x, padding, `${name}_pad`) : x;
    return apply(tf.layers.maxPooling2d({ poolSize: pool, strides: stride, padding: 'valid', name: this.name(name) }), xin);
  }

  avgPool(x: ST, name: string, pool: number, stride: number): ST {
    return apply(tf.layers.averagePooling2d({ poolSize: pool, strides: stride, padding: 'valid', name: this.name(name) }), x);
  }

  globalAvgPool(x: ST, name: string): ST {
    return apply(tf.layers.globalAveragePooling2d({ name: this.name(name) }), x);
  }

  add(xs: ST[], name: string): ST {
    return apply(tf.layers.add({ name: this.name(name) }), xs);
  }

  multiply(xs: ST[], name: string): ST {
    return apply(tf.layers.multiply({ name: this.name(name) }), xs);
  }

  concat(xs: ST[], name: string): ST {
    return apply(tf.layers.concatenate({ axis: -1, name: this.name(name) }), xs);
  }

  reshape(x: ST, targetShape: number[], name: string): ST {
    return apply(tf.layers.reshape({ targetShape, name: this.name(name) }), x);
  }

  flatten(x: ST, name: string): ST {
    return apply(tf.layers.flatten({ name: this.name(name) }), x);
  }

  dense(x: ST, name: string, units: number, activation: 'relu' | 'linear' = 'linear'): ST {
    const layer = tf.layers.dense({
      units,
      activation,
      useBias: true,
      kernelInitializer: 'zeros',
      biasInitializer: 'zeros',
      name: this.name(name),
    });
    return apply(layer, x);
  }

  /** Reproducible dropout; its mask seed depends on the model seed and the layer's local name
   * only, so the same spec always drops the same units. */
  dropout(x: ST, name: string, rate: number): ST {
    return apply(new SeededDropout({ rate, seed: deriveSeed(this.seed, `dropout:${name}`), name: this.name(name) }), x);
  }

  /** torchvision's StochasticDepth(rate, "row"), seeded like `dropout`. */
  stochasticDepth(x: ST, name: string, rate: number): ST {
    return apply(new SeededStochasticDepth({ rate, seed: deriveSeed(this.seed, `dropout:${name}`), name: this.name(name) }), x);
  }
}

/** What an architecture builder hands back to the zoo: the input and the feature vector that the
 * head reads (after any dropout that precedes the head in torchvision). */
export interface Trunk {
  input: ST;
  features: ST;
}
