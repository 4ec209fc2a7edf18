/// <reference types="@webgpu/types" />
/**
 * DepthwiseConv2dNativeBackpropFilter (NHWC, depth multiplier 1): the filter gradient of a
 * depthwise convolution,
 *
 *   dW[kh, kw, c, 0] = sum over (b, oh, ow) of x[b, oh*sh - pt + kh, ow*sw - pl + kw, c] * dy[b, oh, ow, c].
 *
 * tfjs-backend-webgpu 4.22 gives each of the KH*KW*C filter elements one thread that loops over all
 * of B*OH*OW: a few thousand threads for a whole EfficientNet layer. Here a workgroup takes 64
 * channels and a chunk of output rows; each thread keeps all KH*KW taps of its channel in
 * registers while it walks its rows (each dy value is read once, each x value once per tap), the
 * row lanes are summed in workgroup memory, and a second dispatch sums the chunks.
 *
 * Registered for 'webgpu' by ./fastKernels.ts; other depth multipliers and dilations use the stock
 * kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { asInternals, bufferOf, dispatch, intUniforms, newOutput, pipelineFor, scratchBuffer } from './runtime';
import { sumChunks } from './sumChunks';

const CT = 64;
const RL = 4;
const TARGET_WORKGROUPS = 256;
const MAX_CHUNKS = 64;
const MAX_TAPS = 49;

function shader(taps: number): string {
  return /* wgsl */ `
struct U { B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, KW: i32, sh: i32, sw: i32, pt: i32, pl: i32, rowsPerChunk: i32 };
@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> red: array<f32, ${CT * RL}>;
@compute @workgroup_size(${CT}, ${RL}, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let cx = i32(lid.x);
  let ry = i32(lid.y);
  let c = i32(wg.x) * ${CT} + cx;
  let chunk = i32(wg.y);
  let rows = u.B * u.OH;
  let r0 = chunk * u.rowsPerChunk;
  let r1 = min(r0 + u.rowsPerChunk, rows);
  var acc: array<f32, ${taps}>;
  for (var t = 0; t < ${taps}; t++) { acc[t] = 0.0; }
  if (c < u.C) {
    for (var r = r0 + ry; r < r1; r = r + ${RL}) {
      let oh = r % u.OH;
      let b = r / u.OH;
      for (var ow = 0; ow < u.OW; ow++) {
        let g = dy[(r * u.OW + ow) * u.C + c];
        for (var t = 0; t < ${taps}; t++) {
          let ih = oh * u.sh - u.pt + t / u.KW;
          let iw = ow * u.sw - u.pl + t % u.KW;
          if (ih >= 0 && ih < u.H && iw >= 0 && iw < u.W) {
            acc[t] = acc[t] + x[((b * u.H + ih) * u.W + iw) * u.C + c] * g;
          }
        }
      }
    }
  }
  let size = ${taps} * u.C;
  for (var t = 0; t < ${taps}; t++) {
    red[ry * ${CT} + cx] = acc[t];
    workgroupBarrier();
    if (ry == 0 && c < u.C) {
      var s = 0.0;
      for (var k = 0; k < ${RL}; k++) { s = s + red[k * ${CT} + cx]; }
      outBuf[chunk * size + t * u.C + c] = s;
    }
    workgroupBarrier();
  }
}`;
}

export interface DepthwiseBackpropFilterAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function makeDepthwiseConv2dNativeBackpropFilter(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as DepthwiseBackpropFilterAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
      true,
    );
    const taps = info.filterHeight * info.filterWidth;
    if (x.dtype !== 'float32' || info.outChannels !== info.inChannels || info.dilationHeight !== 1 || info.dilationWidth !== 1 || taps > MAX_TAPS) {
      return stock(args);
    }
    const b = asInternals(args.backend);
    const C = info.inChannels;
    const out = newOutput(b, info.filterShape);
    const size = taps * C;
    if (size === 0) return out;
    const rows = info.batchSize * info.outHeight;
    const groupsX = Math.ceil(C / CT);
    const wanted = Math.ceil(TARGET_WORKGROUPS / groupsX);
    let chunks = Math.max(1, Math.min(wanted, Math.ceil(rows / (RL * 2)), MAX_CHUNKS));
    const rowsPerChunk = Math.ceil(rows / chunks);
    chunks = Math.ceil(rows / rowsPerChunk);
    const u = intUniforms(b, [
      info.batchSize,
      info.inHeight,
      info.inWidth,
      C,
      info.outHeight,
      info.outWidth,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      rowsPerChunk,
    ]);
    const p = pipelineFor(b, `cohort_depthwise_backprop_filter_${taps}`, () => shader(taps));
    if (chunks === 1) {
      dispatch(b, p, [bufferOf(b, out), bufferOf(b, x), bufferOf(b, dy), u], [groupsX, 1], [out, x, dy]);
      return out;
    }
    const part = scratchBuffer(b, chunks * size * 4);
    dispatch(b, p, [part, bufferOf(b, x), bufferOf(b, dy), u], [groupsX, chunks], [x, dy], false);
    sumChunks(b, out, part, size, chunks);
    return out;
  };
}
