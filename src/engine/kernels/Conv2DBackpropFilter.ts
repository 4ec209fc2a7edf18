/**
 * Conv2DBackpropFilter (the weight gradient of a 2-D convolution, NHWC, float32) as the implicit
 * GEMM of ./convGemm.ts:
 *
 *   dW[kh, kw, ci, co] = sum over (b, oh, ow) of x[b, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, ci] * dy[b, oh, ow, co]
 *
 * a GEMM with M = KH*KW*Ci rows, N = Co columns and a reduction of K = B*OH*OW. tfjs-backend-webgpu
 * 4.22 computes it with one thread per filter element looping over all of K (Conv2DDerFilterProgram),
 * which leaves the GPU idle for early layers (few filter elements, huge K) and was ~40 % of kernel
 * time in a ResNet34 step. Here the K range is split over workgroups when there are too few output
 * tiles to fill the GPU, and a second dispatch sums the partial tiles.
 *
 * Registered for the 'webgpu' backend by ./fastKernels.ts; NCHW falls back to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { asInternals } from './runtime';
import { runConvGemm } from './convGemm';

export { chooseSplits } from './convGemm';

export interface Conv2DBackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  dilations?: number | [number, number];
}

/** The kernel function; `stock` runs the formats this kernel does not cover. */
export function makeConv2DBackpropFilter(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32') return stock(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    return runConvGemm(asInternals(args.backend), { dir: 'filter', info, a: x, b: dy });
  };
}
