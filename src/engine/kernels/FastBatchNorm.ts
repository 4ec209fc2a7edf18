/**
 * A BatchNormalization layer that is tfjs-layers' own in every respect (class name, config,
 * weights, inference, serialisation: a saved model loads as a stock BatchNormalization) except two:
 *
 * - In training mode the moving variance is updated with the **unbiased** batch variance
 *   (var * R / (R - 1) over the R = N*H*W values of a channel), as PyTorch's `running_var` is;
 *   tfjs-layers feeds the biased variance into its moving average. The normalised output still uses
 *   the biased variance, as both libraries do.
 * - In training mode on WebGPU with the fast kernels on, its forward and backward are the fused
 *   kernels of ./BatchNormTrain.ts behind one tf.customGrad, instead of moments + batchNorm +
 *   moving-average ops and their autodiff.
 *
 * Inference defers to the stock implementation.
 *
 * BatchNorm + ReLU: a layer built with `fuseRelu` (a property of the instance, never in its config)
 * applies the ReLU itself on the fused path (forward y = max(0, bn(x)) and the gradient masked by
 * y > 0 inside the BatchNorm gradient kernel: 2 dispatches less per pair and step) and remembers the
 * tensor it returned; the `FusedReluActivation` that follows it (a stock Activation('relu') in class
 * name and config) then passes that exact tensor through instead of applying relu again. Only the
 * builder sets the flag, and only on a BatchNorm whose one consumer is that ReLU
 * (`NetBuilder.bnAct`). On every other path (CPU backend, fast kernels off, inference, a shape the
 * kernels do not take) the BatchNorm returns its plain output, remembers nothing, and the
 * activation runs stock relu: exactly the stock layers. A saved model loads as a stock
 * BatchNormalization followed by a stock Activation.
 *
 * The network zoo builds every BatchNormalization with `fastBatchNormalization` (../networks/builder.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormGrad4, batchNormTrain4 } from './BatchNormTrain';
import { fastKernelsActive } from './state';
import { ensureExclusive, webgpuBackend } from './runtime';

type BnArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type Kwargs = { [key: string]: unknown };

/** The fields of tfjs-layers' BatchNormalization that the fused path reads. */
interface BnFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Variable };
  beta: { read(): tf.Variable };
  movingMean: { read(): tf.Variable; write(t: tf.Tensor): void };
  movingVariance: { read(): tf.Variable; write(t: tf.Tensor): void };
}

// tfjs-layers exports only the factory; its class is reached through an instance.
const StockBatchNormalization = tf.layers.batchNormalization({}).constructor as unknown as new (args?: BnArgs) => tf.layers.Layer;

/**
 * Tensors returned by a fused BatchNorm + ReLU: already rectified. Weak, so a disposed step's
 * tensors are not held; a tensor object is never reused for another value.
 */
const rectified = new WeakSet<tf.Tensor>();

let reluFusion = true;

/** Turn the BatchNorm + ReLU fusion off (the pair then runs as two layers) or back on: to compare. */
export function setBatchNormReluFusion(on: boolean): void {
  reluFusion = on;
}

export class FastBatchNormalization extends StockBatchNormalization {
  /**
   * Apply the following ReLU on the fused path. Not part of the config (a loaded model has it off);
   * set only where a `FusedReluActivation` is this layer's one consumer.
   */
  fuseRelu = false;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BnFields;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs?.training !== true) return super.call(inputs, kwargs);
    const b = fastKernelsActive() ? webgpuBackend() : null;
    const axis = self.axis < 0 ? self.axis + x.rank : self.axis;
    if (!b || x.dtype !== 'float32' || axis !== x.rank - 1 || !self.center || !self.scale || x.size === 0) {
      return trainingCall(self, x, axis);
    }
    const mm = ensureExclusive(b, self.movingMean.read());
    const mv = ensureExclusive(b, self.movingVariance.read());
    const relu = this.fuseRelu && reluFusion;
    const attrs = { epsilon: self.epsilon, momentum: self.momentum, relu };
    const fused = tf.customGrad(((xi: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
      const [y, stats] = batchNormTrain4(xi, gamma, beta, mm, mv, attrs);
      // With the ReLU the gradient masks by y > 0. Saving y costs no memory in a network: the
      // convolution that reads it keeps it for its own filter gradient anyway. Recomputing the
      // mask from x would need the forward's exact rounding in another shader.
      save(relu ? [xi, gamma, stats, y] : [xi, gamma, stats]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sg, sstats, sy] = saved;
          return batchNormGrad4(sx, dy, sg, sstats, sy);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    const out = fused(x, self.gamma.read(), self.beta.read());
    if (relu) rectified.add(out);
    return out;
  }
}

// tfjs-layers' Activation class, reached through an instance as above.
const StockActivation = tf.layers.activation({ activation: 'relu' }).constructor as unknown as new (
  args: Parameters<typeof tf.layers.activation>[0],
) => tf.layers.Layer;

/**
 * tfjs-layers' Activation('relu') in every respect (class name, config, inference), except that in
 * training it passes through a tensor that a fused BatchNorm + ReLU already rectified (see the
 * module comment). Anything else gets stock relu.
 */
export class FusedReluActivation extends StockActivation {
  constructor(args: { name?: string }) {
    super({ ...args, activation: 'relu' });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs?.training === true && rectified.has(x)) return x;
    return super.call(inputs, kwargs);
  }
}

/** Whether `t` came out of a fused BatchNorm + ReLU (for tests). */
export function isRectifiedByBatchNorm(t: tf.Tensor): boolean {
  return rectified.has(t);
}

/**
 * tfjs-layers' training-mode call (moments over every axis but the channel axis, batchNorm with
 * the biased batch variance, moving averages m -= (m - batch) * (1 - momentum)), with the one
 * difference that the moving variance takes the unbiased variance. `tf.moments` gives the biased
 * one (tfjs-layers 4.22.0, `dist/layers/normalization.js`, `normalizeBatchInTraining`).
 */
function trainingCall(self: BnFields, x: tf.Tensor, axis: number): tf.Tensor {
  return tf.tidy(() => {
    const reduction = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== axis);
    const { mean, variance } = tf.moments(x, reduction);
    const shape = x.shape.map((d, i) => (i === axis ? d : 1));
    const fit = (t: tf.Tensor) => (axis === x.rank - 1 ? t : tf.reshape(t, shape));
    const gamma = self.scale ? fit(self.gamma.read()) : undefined;
    const beta = self.center ? fit(self.beta.read()) : undefined;
    const y = tf.batchNorm(x, fit(mean), fit(variance), beta, gamma, self.epsilon);
    const r = x.size / x.shape[axis];
    const unbiased = r > 1 ? tf.mul(variance, r / (r - 1)) : variance;
    const decay = 1 - self.momentum;
    for (const [v, batch] of [
      [self.movingMean, mean],
      [self.movingVariance, unbiased],
    ] as const) {
      const old = v.read();
      v.write(tf.sub(old, tf.mul(tf.sub(old, batch), decay)));
    }
    return y;
  });
}

/** Drop-in for `tf.layers.batchNormalization(args)`. */
export function fastBatchNormalization(args: BnArgs): FastBatchNormalization {
  return new FastBatchNormalization(args);
}
