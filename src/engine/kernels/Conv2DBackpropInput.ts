/**
 * Conv2DBackpropInput (the input gradient of a 2-D convolution, NHWC, float32) as the implicit
 * GEMM of ./convGemm.ts: dx[B*H*W, Ci] = gather(dy)[., taps*Co] x W^T, per stride class, so a
 * strided convolution's gradient multiplies no zeros and a 1x1 stride-1 one is a plain GEMM.
 *
 * tfjs-backend-webgpu 4.22 computes it with one thread per input element looping over every tap
 * (Conv2DDerInputProgram, the default while WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE is true), testing
 * each tap against the stride; its matmul variant gathers the same zeros.
 *
 * Registered for the 'webgpu' backend by ./fastKernels.ts; NCHW falls back to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { asInternals } from './runtime';
import { runConvGemm } from './convGemm';

interface Attrs {
  inputShape: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function makeConv2DBackpropInput(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as Attrs;
    if (attrs.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32') return stock(args);
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    return runConvGemm(asInternals(args.backend), { dir: 'input', info, a: dy, b: filter });
  };
}
