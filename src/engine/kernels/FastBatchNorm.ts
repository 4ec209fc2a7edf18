/**
 * A BatchNormalization layer that is tfjs-layers' own in every respect (class name, config,
 * weights, inference, serialisation: a saved model loads as a stock BatchNormalization) except one:
 * in training mode on WebGPU with the fast kernels on, its forward and backward are the fused
 * kernels of ./BatchNormTrain.ts behind one tf.customGrad, instead of moments + batchNorm +
 * moving-average ops and their autodiff. Anywhere else it defers to the stock implementation.
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
  movingMean: { read(): tf.Variable };
  movingVariance: { read(): tf.Variable };
}

// tfjs-layers exports only the factory; its class is reached through an instance.
const StockBatchNormalization = tf.layers.batchNormalization({}).constructor as unknown as new (args?: BnArgs) => tf.layers.Layer;

export class FastBatchNormalization extends StockBatchNormalization {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BnFields;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const b = kwargs?.training === true && fastKernelsActive() ? webgpuBackend() : null;
    const axis = self.axis < 0 ? self.axis + x.rank : self.axis;
    if (!b || x.dtype !== 'float32' || axis !== x.rank - 1 || !self.center || !self.scale || x.size === 0) {
      return super.call(inputs, kwargs);
    }
    const mm = ensureExclusive(b, self.movingMean.read());
    const mv = ensureExclusive(b, self.movingVariance.read());
    const attrs = { epsilon: self.epsilon, momentum: self.momentum };
    const fused = tf.customGrad(((xi: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
      const [y, stats] = batchNormTrain4(xi, gamma, beta, mm, mv, attrs);
      save([xi, gamma, stats]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sg, sstats] = saved;
          return batchNormGrad4(sx, dy, sg, sstats);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return fused(x, self.gamma.read(), self.beta.read());
  }
}

/** Drop-in for `tf.layers.batchNormalization(args)`. */
export function fastBatchNormalization(args: BnArgs): tf.layers.Layer {
  return new FastBatchNormalization(args);
}
