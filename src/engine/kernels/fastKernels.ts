/**
 * The switch for the engine's fast WebGPU kernels. `enableFastKernels()` registers them through
 * tfjs's kernel registry for the 'webgpu' backend (so models, export and everything else stay
 * plain tfjs) and remembers the stock configurations; `disableFastKernels()` puts the stock ones
 * back. Both can be called any number of times, in any order, at run time: the benchmark compares
 * stock and fast in one process.
 *
 * What "fast" changes:
 * - kernels that replace stock ones: the convolution trio as implicit GEMMs (./convGemm.ts via
 *   ./Conv2D.ts for Conv2D and FusedConv2D, ./Conv2DBackpropInput.ts, ./Conv2DBackpropFilter.ts),
 *   DepthwiseConv2dNativeBackpropFilter (./DepthwiseConv2dNativeBackpropFilter.ts);
 * - kernels the engine calls directly when `fastKernelsActive()`: the SGD-momentum update
 *   (../optimizer.ts) and BatchNorm in training mode (./BatchNormTrain.ts via ./FastBatchNorm.ts);
 * - the classification loss of each network, forward and backward (./CohortLoss.ts, called by
 *   ../trainer.ts when `fastKernelsActive()`; `keepStock: ['CohortLoss']` leaves the stock losses);
 * - the gradients of Relu and Sigmoid (./ReluGrad.ts, ./SigmoidGrad.ts via ./gradients.ts);
 * - backend flags (`FAST_FLAGS`), restored on disable.
 *
 * Call it after '@tensorflow/tfjs-backend-webgpu' has been imported (it registers the stock
 * kernels this module saves). Depends on tfjs only.
 */
import * as tf from '@tensorflow/tfjs';
import { makeConv2D } from './Conv2D';
import { makeConv2DBackpropFilter } from './Conv2DBackpropFilter';
import { makeConv2DBackpropInput } from './Conv2DBackpropInput';
import { makeDepthwiseConv2dNativeBackpropFilter } from './DepthwiseConv2dNativeBackpropFilter';
import { registerBatchNormKernels } from './BatchNormTrain';
import { installGradientOverrides, removeGradientOverrides } from './gradients';
import { fastKernelsEnabled, setFastKernelsEnabled } from './state';
import { setFusedLossEnabled } from './CohortLoss';

export { fastKernelsActive, fastKernelsEnabled } from './state';

const BACKEND = 'webgpu';

interface Override {
  kernelName: string;
  make: (stock: tf.KernelFunc) => tf.KernelFunc;
}

const OVERRIDES: Override[] = [
  { kernelName: 'Conv2D', make: makeConv2D },
  { kernelName: 'FusedConv2D', make: makeConv2D },
  { kernelName: 'Conv2DBackpropInput', make: makeConv2DBackpropInput },
  { kernelName: 'Conv2DBackpropFilter', make: makeConv2DBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', make: makeDepthwiseConv2dNativeBackpropFilter },
];

/**
 * Backend flags set while the fast kernels are on. Empty by default: each candidate is measured by
 * `npm run bench -- --flags ...` on the GPU before it earns a place here.
 */
export const FAST_FLAGS: Record<string, number | boolean> = {};

const savedKernels = new Map<string, tf.KernelConfig>();
const savedFlags = new Map<string, number | boolean>();

export interface FastKernelOptions {
  /** Backend flags to set while on (default `FAST_FLAGS`). */
  flags?: Record<string, number | boolean>;
  /**
   * Replacement kernels to leave stock (e.g. ['Conv2D', 'FusedConv2D'] to compare one direction;
   * 'CohortLoss' for the stock losses).
   */
  keepStock?: string[];
}

export function enableFastKernels(opts: FastKernelOptions = {}): void {
  if (fastKernelsEnabled()) disableFastKernels();
  for (const o of OVERRIDES) {
    if (opts.keepStock?.includes(o.kernelName)) continue;
    const stock = tf.getKernel(o.kernelName, BACKEND);
    if (!stock) {
      throw new Error(`enableFastKernels: no stock '${o.kernelName}' kernel for '${BACKEND}'; import @tensorflow/tfjs-backend-webgpu first`);
    }
    savedKernels.set(o.kernelName, stock);
    tf.unregisterKernel(o.kernelName, BACKEND);
    tf.registerKernel({ ...stock, kernelFunc: o.make(stock.kernelFunc) });
  }
  registerBatchNormKernels();
  installGradientOverrides();
  setFusedLossEnabled(!opts.keepStock?.includes('CohortLoss'));
  for (const [k, v] of Object.entries(opts.flags ?? FAST_FLAGS)) {
    savedFlags.set(k, tf.env().get(k) as number | boolean);
    tf.env().set(k, v);
  }
  setFastKernelsEnabled(true);
}

export function disableFastKernels(): void {
  for (const [name, stock] of savedKernels) {
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(stock);
  }
  savedKernels.clear();
  removeGradientOverrides();
  setFusedLossEnabled(true);
  for (const [k, v] of savedFlags) tf.env().set(k, v);
  savedFlags.clear();
  setFastKernelsEnabled(false);
}
