/// <reference types="@webgpu/types" />
/**
 * Conv2DBackpropFilter (the weight gradient of a 2-D convolution, NHWC) as a tiled matrix product
 * in workgroup memory, with the reduction split across workgroups when the output is small.
 *
 *   dW[kh, kw, ci, co] = sum over (b, oh, ow) of x[b, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, ci] * dy[b, oh, ow, co]
 *
 * is a GEMM with M = KH*KW*Ci rows, N = Co columns and a reduction of K = B*OH*OW. tfjs-backend-webgpu
 * 4.22 computes it with one thread per filter element looping over all of K (Conv2DDerFilterProgram),
 * which leaves the GPU idle for early layers (few filter elements, huge K) and was ~40 % of kernel
 * time in a ResNet34 step. Here each workgroup computes a 64x64
 * output tile over a slice of K through 16-deep tiles of x and dy staged in workgroup memory, and
 * when there are too few tiles to fill the GPU the K range is split over `splits` workgroups whose
 * partial tiles a second dispatch sums.
 *
 * Registered for the 'webgpu' backend by ./fastKernels.ts; NCHW falls back to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { asInternals, bufferOf, dispatch, intUniforms, newOutput, pipelineFor, scratchBuffer } from './runtime';
import { sumChunks } from './sumChunks';

const TM = 64;
const TN = 64;
const TK = 16;
/** Workgroups to aim for before splitting K further (a few per SM on current GPUs). */
const TARGET_WORKGROUPS = 512;
/** Smallest K slice worth a workgroup. */
const MIN_SLICE = 256;
const MAX_SPLITS = 64;

const UNIFORMS = ['B', 'H', 'W', 'Ci', 'OH', 'OW', 'Co', 'KW', 'sh', 'sw', 'pt', 'pl', 'dh', 'dw', 'M', 'N', 'K', 'Kc'];

function gemmShader(): string {
  return /* wgsl */ `
struct U { ${UNIFORMS.map((u) => `${u}: i32`).join(', ')} };
@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> As: array<f32, ${TK * TM}>;
var<workgroup> Bs: array<f32, ${TK * TN}>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let n0 = i32(wg.x) * ${TN};
  let m0 = i32(wg.y) * ${TM};
  let split = i32(wg.z);
  let kBegin = split * u.Kc;
  let kEnd = min(kBegin + u.Kc, u.K);
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let t = i32(li);

  // The A column this thread loads: fixed filter element (kh, kw, ci) for the whole reduction.
  let am = t % ${TM};
  let m = m0 + am;
  let ci = m % u.Ci;
  let kwkh = m / u.Ci;
  let kw = kwkh % u.KW;
  let kh = kwkh / u.KW;
  let mValid = m < u.M;
  let bn = t % ${TN};
  let n = n0 + bn;
  let nValid = n < u.N;
  let row0 = t / ${TM};

  var acc: array<vec4<f32>, 4>;
  for (var i = 0; i < 4; i++) { acc[i] = vec4<f32>(0.0); }

  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${TK}) {
    for (var r = 0; r < ${TK / 4}; r++) {
      let kk = row0 + r * 4;
      let k = k0 + kk;
      var a = 0.0;
      var bv = 0.0;
      if (k < kEnd) {
        if (mValid) {
          let ow = k % u.OW;
          let bo = k / u.OW;
          let oh = bo % u.OH;
          let b = bo / u.OH;
          let ih = oh * u.sh - u.pt + kh * u.dh;
          let iw = ow * u.sw - u.pl + kw * u.dw;
          if (ih >= 0 && ih < u.H && iw >= 0 && iw < u.W) {
            a = x[((b * u.H + ih) * u.W + iw) * u.Ci + ci];
          }
        }
        if (nValid) { bv = dy[k * u.Co + n]; }
      }
      As[kk * ${TM} + am] = a;
      Bs[kk * ${TN} + bn] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${TK}; kk++) {
      let ab = kk * ${TM} + ty * 4;
      let av = vec4<f32>(As[ab], As[ab + 1], As[ab + 2], As[ab + 3]);
      let bb = kk * ${TN} + tx * 4;
      let bvv = vec4<f32>(Bs[bb], Bs[bb + 1], Bs[bb + 2], Bs[bb + 3]);
      acc[0] = acc[0] + av.x * bvv;
      acc[1] = acc[1] + av.y * bvv;
      acc[2] = acc[2] + av.z * bvv;
      acc[3] = acc[3] + av.w * bvv;
    }
    workgroupBarrier();
  }

  let base = split * u.M * u.N;
  for (var i = 0; i < 4; i++) {
    let om = m0 + ty * 4 + i;
    if (om < u.M) {
      for (var j = 0; j < 4; j++) {
        let on = n0 + tx * 4 + j;
        if (on < u.N) { outBuf[base + om * u.N + on] = acc[i][j]; }
      }
    }
  }
}`;
}

/** How many K slices to use for an (M x N) output over a reduction of K. */
export function chooseSplits(M: number, N: number, K: number): number {
  const tiles = Math.ceil(M / TM) * Math.ceil(N / TN);
  if (tiles >= TARGET_WORKGROUPS) return 1;
  const wanted = Math.ceil(TARGET_WORKGROUPS / tiles);
  const byK = Math.max(1, Math.floor(K / MIN_SLICE));
  return Math.max(1, Math.min(wanted, byK, MAX_SPLITS));
}

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
    const b = asInternals(args.backend);
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
    const M = info.filterHeight * info.filterWidth * info.inChannels;
    const N = info.outChannels;
    const K = info.batchSize * info.outHeight * info.outWidth;
    const out = newOutput(b, info.filterShape);
    if (M * N === 0) return out;
    const splits = chooseSplits(M, N, K);
    const Kc = Math.ceil(Math.ceil(K / splits) / TK) * TK;
    const used = Math.ceil(K / Kc);
    const u = intUniforms(b, [
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.outChannels,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      info.dilationHeight,
      info.dilationWidth,
      M,
      N,
      K,
      Kc,
    ]);
    const gemm = pipelineFor(b, 'cohort_conv2d_backprop_filter', gemmShader);
    const wg: [number, number, number] = [Math.ceil(N / TN), Math.ceil(M / TM), used];
    if (used === 1) {
      dispatch(b, gemm, [bufferOf(b, out), bufferOf(b, x), bufferOf(b, dy), u], wg, [out, x, dy]);
      return out;
    }
    const part = scratchBuffer(b, used * M * N * 4);
    dispatch(b, gemm, [part, bufferOf(b, x), bufferOf(b, dy), u], wg, [x, dy], false);
    sumChunks(b, out, part, M * N, used);
    return out;
  };
}
