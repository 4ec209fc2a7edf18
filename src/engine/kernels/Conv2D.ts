/**
 * Conv2D and FusedConv2D (NHWC, float32; bias and ReLU or no activation fused) as the implicit
 * GEMM of ./convGemm.ts: y[B*OH*OW, Co] = im2col(x) x W, tiled, vec4, split-K for small outputs,
 * 1x1 stride-1 as a plain GEMM. Anything else (NCHW, other activations, PReLU weights, a bias that
 * is not one value per output channel) runs the stock kernel.
 *
 * Registered for the 'webgpu' backend by ./fastKernels.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { asInternals } from './runtime';
import { runConvGemm, type Activation } from './convGemm';

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
}

function convInfo(x: tf.TensorInfo, filter: tf.TensorInfo, attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** The forward kernel for 'Conv2D' or 'FusedConv2D'; `stock` runs the cases it does not cover. */
export function makeConv2D(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as ConvAttrs;
    const activation = (attrs.activation ?? 'linear') as Activation;
    if (
      attrs.dataFormat === 'NCHW' ||
      x!.dtype !== 'float32' ||
      filter!.dtype !== 'float32' ||
      preluActivationWeights ||
      (activation !== 'linear' && activation !== 'relu') ||
      (bias && (bias.shape.length !== 1 || bias.shape[0] !== filter!.shape[3]))
    ) {
      return stock(args);
    }
    const info = convInfo(x!, filter!, attrs);
    return runConvGemm(asInternals(args.backend), { dir: 'forward', info, a: x!, b: filter!, bias: bias ?? null, activation });
  };
}
