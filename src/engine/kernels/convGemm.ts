/// <reference types="@webgpu/types" />
/**
 * The convolution trio (NHWC, float32) as implicit GEMMs on one tiled core, shared by
 * ./Conv2D.ts (forward), ./Conv2DBackpropInput.ts (input gradient) and ./Conv2DBackpropFilter.ts
 * (weight gradient):
 *
 *   forward  y[M = B*OH*OW, N = Co]    = im2col(x)[M, K = KH*KW*Ci]  x  W[K, N]          (+ bias, ReLU)
 *   dW       dW[M = KH*KW*Ci, N = Co]  = im2col(x)^T[M, K = B*OH*OW] x  dy[K, N]
 *   dx       dx[M = B*H*W, N = Ci]     = gather(dy)[M, K = taps*Co]  x  W^T[K, N], per stride class
 *
 * No matrix is materialised: each workgroup computes a 64x64 output tile, staging 16-deep slices
 * of both operands in workgroup memory (read back as vec4), each thread 4x4 outputs. Global loads
 * are vec4 wherever the contiguous dimension is a multiple of 4 (channels), scalar otherwise (the
 * stem's 3 input channels). A 1x1 stride-1 unpadded convolution is a plain GEMM in all three
 * directions (no index arithmetic). When there are too few output tiles to fill the GPU, the
 * reduction is split across workgroups (split-K) and a second dispatch sums the partial tiles
 * (adding the bias and the activation for the forward).
 *
 * The input gradient of a strided convolution multiplies no zeros: output pixels are grouped by
 * their position modulo the stride (sh x sw classes, the workgroup grid's z), and a class only
 * visits the kernel taps that land on it: kh = qh, qh + sh, ... for (ih + pt) = qh (mod sh). A
 * class with no tap (a 1x1 stride-2 shortcut's odd pixels) writes zeros.
 *
 * Depends on ./runtime.ts and tfjs. No DOM.
 */
import * as tf from '@tensorflow/tfjs';
import { bufferOf, dispatch, grid2d, intUniforms, newOutput, pipelineFor, scratchBuffer, type WebGPUBackendInternals } from './runtime';

export const TILE = 64;
const TK = 16;
/** Workgroups to aim for before splitting K further (a few per SM on current GPUs). */
const TARGET_WORKGROUPS = 512;
/** Smallest K slice worth a workgroup. */
const MIN_SLICE = 256;
const MAX_SPLITS = 64;

export type ConvDirection = 'forward' | 'filter' | 'input';
export type Activation = 'linear' | 'relu';

/** How many K slices to use for an (M x N) output over a reduction of K. */
export function chooseSplits(M: number, N: number, K: number): number {
  const tiles = Math.ceil(M / TILE) * Math.ceil(N / TILE);
  if (tiles >= TARGET_WORKGROUPS) return 1;
  const wanted = Math.ceil(TARGET_WORKGROUPS / tiles);
  const byK = Math.max(1, Math.floor(K / MIN_SLICE));
  return Math.max(1, Math.min(wanted, byK, MAX_SPLITS));
}

const UNIFORMS = ['B', 'H', 'W', 'Ci', 'OH', 'OW', 'Co', 'KH', 'KW', 'sh', 'sw', 'pt', 'pl', 'dh', 'dw', 'M', 'N', 'K', 'Kc', 'splits', 'outSize'];

interface Variant {
  dir: ConvDirection;
  /** 1x1, stride 1, no padding: the operands are plain matrices. */
  plain: boolean;
  /** vec4 global loads of the A operand (x or dy along its channels). */
  a4: boolean;
  /** vec4 global loads of the B operand (W or dy along its channels). */
  b4: boolean;
  bias: boolean;
  activation: Activation;
}

function key(v: Variant): string {
  return `cohort_conv_${v.dir}_${v.plain ? 'plain' : 'im2col'}_a${v.a4 ? 4 : 1}_b${v.b4 ? 4 : 1}${v.bias ? '_bias' : ''}_${v.activation}`;
}

/** The A operand's per-thread set-up and its loads into As (k-major tiles of vec4 along m). */
function loadA(v: Variant): { setup: string; load: string } {
  const put1 = (kk: string, ml: string, val: string) => `As[(${kk}) * 16 + (${ml}) / 4][(${ml}) % 4] = ${val};`;
  if (v.dir === 'filter') {
    // A[m = (kh, kw, ci), k = (b, oh, ow)] = x[b, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, ci]
    const pixel = (k: string) => `
        let ow = ${k} % u.OW; let q2 = ${k} / u.OW; let oh = q2 % u.OH; let bb = q2 / u.OH;
        let ih = oh * u.sh - u.pt + kh * u.dh; let iw = ow * u.sw - u.pl + kw * u.dw;`;
    if (v.a4) {
      // Four consecutive m = four consecutive input channels of one tap: one vec4, one tile slot.
      return {
        setup: `let amq = t % 16; let akk = t / 16; let am = m0 + amq * 4; let aValid = am < u.M;
  let ci = am % u.Ci; let kwkh = am / u.Ci; let kw = kwkh % u.KW; let kh = kwkh / u.KW;`,
        load: `{
      let k = k0 + akk;
      var a = vec4<f32>(0.0);
      if (aValid && k < kEnd) {
        ${
          v.plain
            ? `a = x[(k * u.Ci + am) / 4];`
            : `${pixel('k')}
        if (ih >= 0 && ih < u.H && iw >= 0 && iw < u.W) { a = x[(((bb * u.H + ih) * u.W + iw) * u.Ci + ci) / 4]; }`
        }
      }
      As[akk * 16 + amq] = a;
    }`,
      };
    }
    return {
      setup: `let aml = t % 64; let ak0 = t / 64; let am = m0 + aml; let aValid = am < u.M;
  let ci = am % u.Ci; let kwkh = am / u.Ci; let kw = kwkh % u.KW; let kh = kwkh / u.KW;`,
      load: `for (var r = 0; r < 4; r++) {
      let kk = ak0 + r * 4; let k = k0 + kk;
      var a = 0.0;
      if (aValid && k < kEnd) {
        ${
          v.plain
            ? `a = x[k * u.Ci + am];`
            : `${pixel('k')}
        if (ih >= 0 && ih < u.H && iw >= 0 && iw < u.W) { a = x[((bb * u.H + ih) * u.W + iw) * u.Ci + ci]; }`
        }
      }
      ${put1('kk', 'aml', 'a')}
    }`,
    };
  }
  // forward: A[m = (b, oh, ow), k = (kh, kw, ci)] = x[...];  input: A[m = pixel of the class, k = (th, tw, co)] = dy[...]
  const src = v.dir === 'forward' ? 'x' : 'dy';
  const C = v.dir === 'forward' ? 'u.Ci' : 'u.Co';
  const setupRow =
    v.dir === 'forward'
      ? `let aValid = am < u.M; let aow = am % u.OW; let aq = am / u.OW; let aoh = aq % u.OH; let ab = aq / u.OH;
  let aihB = aoh * u.sh - u.pt; let aiwB = aow * u.sw - u.pl;`
      : `let aValid = am < Mc; let ajw = am % cntW; let aq = am / cntW; let ajh = aq % cntH; let ab = aq / cntH;
  let aih = ih0 + ajh * u.sh; let aiw = iw0 + ajw * u.sw;`;
  const gather = (k: string, vec: boolean) =>
    v.dir === 'forward'
      ? `let ci = ${k} % u.Ci; let q = ${k} / u.Ci; let kw = q % u.KW; let kh = q / u.KW;
        let ih = aihB + kh * u.dh; let iw = aiwB + kw * u.dw;
        if (ih >= 0 && ih < u.H && iw >= 0 && iw < u.W) { a = x[${vec ? '(' : ''}((ab * u.H + ih) * u.W + iw) * u.Ci + ci${vec ? ') / 4' : ''}]; }`
      : `let co = ${k} % u.Co; let q = ${k} / u.Co; let tw = q % tapsW; let th = q / tapsW;
        let kh = qh + th * u.sh; let kw = qw + tw * u.sw;
        let ah = aih + u.pt - kh; let aw = aiw + u.pl - kw;
        if (ah >= 0 && aw >= 0) {
          let oh = ah / u.sh; let ow = aw / u.sw;
          if (oh < u.OH && ow < u.OW) { a = dy[${vec ? '(' : ''}((ab * u.OH + oh) * u.OW + ow) * u.Co + co${vec ? ') / 4' : ''}]; }
        }`;
  if (v.a4) {
    return {
      setup: `let aml = t % 64; let akq = t / 64; let am = m0 + aml; ${v.plain ? `let aValid = am < ${v.dir === 'forward' ? 'u.M' : 'Mc'};` : setupRow}`,
      load: `{
      let k = k0 + akq * 4;
      var a = vec4<f32>(0.0);
      if (aValid && k < kEnd) {
        ${v.plain ? `a = ${src}[(am * ${C} + k) / 4];` : gather('k', true)}
      }
      for (var j = 0; j < 4; j++) { ${put1('akq * 4 + j', 'aml', 'a[j]')} }
    }`,
    };
  }
  return {
    setup: `let aml = t % 64; let ak0 = t / 64; let am = m0 + aml; ${v.plain ? `let aValid = am < ${v.dir === 'forward' ? 'u.M' : 'Mc'};` : setupRow}`,
    load: `for (var r = 0; r < 4; r++) {
      let kk = ak0 + r * 4; let k = k0 + kk;
      var a = 0.0;
      if (aValid && k < kEnd) {
        ${v.plain ? `a = ${src}[am * ${C} + k];` : gather('k', false)}
      }
      ${put1('kk', 'aml', 'a')}
    }`,
  };
}

/** The B operand's loads into Bs (k-major tiles of vec4 along n). */
function loadB(v: Variant): { setup: string; load: string } {
  if (v.dir !== 'input') {
    // B[k, n] contiguous along n: W[K, Co] (forward) or dy[B*OH*OW, Co] (filter).
    const src = v.dir === 'forward' ? 'w' : 'dy';
    if (v.b4) {
      return {
        setup: `let bnq = t % 16; let bkk = t / 16; let bn = n0 + bnq * 4; let bValid = bn < u.N;`,
        load: `{
      let k = k0 + bkk;
      var bv = vec4<f32>(0.0);
      if (bValid && k < kEnd) { bv = ${src}[(k * u.N + bn) / 4]; }
      Bs[bkk * 16 + bnq] = bv;
    }`,
      };
    }
    return {
      setup: `let bnl = t % 64; let bk0 = t / 64; let bn = n0 + bnl; let bValid = bn < u.N;`,
      load: `for (var r = 0; r < 4; r++) {
      let kk = bk0 + r * 4; let k = k0 + kk;
      var bv = 0.0;
      if (bValid && k < kEnd) { bv = ${src}[k * u.N + bn]; }
      Bs[kk * 16 + bnl / 4][bnl % 4] = bv;
    }`,
    };
  }
  // input: B[k = (th, tw, co), n = ci] = W[kh, kw, ci, co], contiguous along k (co).
  const tap = (k: string) =>
    v.plain
      ? `let co = ${k}; let wBase = 0;`
      : `let co = ${k} % u.Co; let q = ${k} / u.Co; let tw = q % tapsW; let th = q / tapsW;
        let wBase = ((qh + th * u.sh) * u.KW + (qw + tw * u.sw)) * u.Ci;`;
  if (v.b4) {
    return {
      setup: `let bnl = t % 64; let bkq = t / 64; let bn = n0 + bnl; let bValid = bn < u.N;`,
      load: `{
      let k = k0 + bkq * 4;
      var bv = vec4<f32>(0.0);
      if (bValid && k < kEnd) {
        ${tap('k')}
        bv = w[((wBase + bn) * u.Co + co) / 4];
      }
      for (var j = 0; j < 4; j++) { Bs[(bkq * 4 + j) * 16 + bnl / 4][bnl % 4] = bv[j]; }
    }`,
    };
  }
  return {
    setup: `let bkl = t % 16; let bn0 = t / 16;`,
    load: `{
      let k = k0 + bkl;
      let kValid = k < kEnd;
      ${tap('k')}
      for (var r = 0; r < 4; r++) {
        let nl = bn0 + r * 16; let n = n0 + nl;
        var bv = 0.0;
        if (kValid && n < u.N) { bv = w[(wBase + n) * u.Co + co]; }
        Bs[bkl * 16 + nl / 4][nl % 4] = bv;
      }
    }`,
  };
}

function shader(v: Variant): string {
  const A = loadA(v);
  const Bl = loadB(v);
  const aType = v.a4 ? 'vec4<f32>' : 'f32';
  const bType = v.b4 ? 'vec4<f32>' : 'f32';
  const bindings =
    v.dir === 'forward'
      ? `@group(0) @binding(1) var<storage, read> x: array<${aType}>;
@group(0) @binding(2) var<storage, read> w: array<${bType}>;
${v.bias ? '@group(0) @binding(4) var<storage, read> bias: array<f32>;' : ''}`
      : v.dir === 'filter'
        ? `@group(0) @binding(1) var<storage, read> x: array<${aType}>;
@group(0) @binding(2) var<storage, read> dy: array<${bType}>;`
        : `@group(0) @binding(1) var<storage, read> dy: array<${aType}>;
@group(0) @binding(2) var<storage, read> w: array<${bType}>;`;
  // Per stride class of the input gradient: which pixels (ih0 + j*sh) and which taps (qh + t*sh).
  const classSetup =
    v.dir === 'input'
      ? `let cls = z / u.splits;
  let qh = cls / u.sw; let qw = cls % u.sw;
  let ih0 = ((qh - u.pt) % u.sh + u.sh) % u.sh; let iw0 = ((qw - u.pl) % u.sw + u.sw) % u.sw;
  let cntH = max(0, (u.H - ih0 + u.sh - 1) / u.sh); let cntW = max(0, (u.W - iw0 + u.sw - 1) / u.sw);
  let tapsH = max(0, (u.KH - qh + u.sh - 1) / u.sh); let tapsW = max(0, (u.KW - qw + u.sw - 1) / u.sw);
  let Mc = u.B * cntH * cntW;
  let Kt = tapsH * tapsW * u.Co;`
      : `let Mc = u.M; let Kt = u.K;`;
  const outIndex =
    v.dir === 'input'
      ? `let ojw = om % cntW; let oq = om / cntW; let ojh = oq % cntH; let ob = oq / cntH;
        let oIdx = ((ob * u.H + ih0 + ojh * u.sh) * u.W + iw0 + ojw * u.sw) * u.N + on;`
      : `let oIdx = om * u.N + on;`;
  const epilogue = `${v.bias ? 'val = val + bias[on];' : ''}${v.activation === 'relu' ? ' val = max(val, 0.0);' : ''}`;
  return /* wgsl */ `
struct U { ${UNIFORMS.map((n) => `${n}: i32`).join(', ')} };
@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;
${bindings}
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> As: array<vec4<f32>, ${(TK * TILE) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TK * TILE) / 4}>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let n0 = i32(wg.x) * ${TILE};
  let m0 = i32(wg.y) * ${TILE};
  let z = i32(wg.z);
  let split = z % u.splits;
  ${classSetup}
  let kBegin = split * u.Kc;
  let kEnd = min(kBegin + u.Kc, Kt);
  let tx = i32(lid.x);
  let ty = i32(lid.y);
  let t = i32(li);
  ${A.setup}
  ${Bl.setup}
  var acc: array<vec4<f32>, 4>;
  for (var i = 0; i < 4; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + ${TK}) {
    ${A.load}
    ${Bl.load}
    workgroupBarrier();
    for (var kk = 0; kk < ${TK}; kk++) {
      let av = As[kk * 16 + ty];
      let bv = Bs[kk * 16 + tx];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i++) {
    let om = m0 + ty * 4 + i;
    if (om < Mc) {
      for (var j = 0; j < 4; j++) {
        let on = n0 + tx * 4 + j;
        if (on < u.N) {
          ${outIndex}
          var val = acc[i][j];
          if (u.splits == 1) {
            ${epilogue}
            outBuf[oIdx] = val;
          } else {
            outBuf[split * u.outSize + oIdx] = val;
          }
        }
      }
    }
  }
}`;
}

/** Second pass of a split reduction: out[i] = sum_s part[s * size + i] (+ bias[i % N], activation). */
function reduceShader(bias: boolean, activation: Activation): string {
  return /* wgsl */ `
struct R { size: i32, chunks: i32, N: i32, p0: i32 };
@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<uniform> r: R;
${bias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : ''}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * 256u);
  if (i >= r.size) { return; }
  var s = 0.0;
  for (var k = 0; k < r.chunks; k++) { s = s + part[k * r.size + i]; }
  ${bias ? 's = s + bias[i % r.N];' : ''}
  ${activation === 'relu' ? 's = max(s, 0.0);' : ''}
  outBuf[i] = s;
}`;
}

export interface ConvGemmArgs {
  dir: ConvDirection;
  info: tf.backend_util.Conv2DInfo;
  /** forward: x, filter[, bias]; filter: x, dy; input: dy, filter. */
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  bias?: tf.TensorInfo | null;
  activation?: Activation;
  /** Force the number of K slices (tests); default by `chooseSplits`. */
  splits?: number;
}

export interface ConvGemmPlan {
  M: number;
  N: number;
  K: number;
  splits: number;
  classes: number;
  dispatches: number;
}

/** The GEMM a convolution direction becomes, and how it is split (no GPU work). */
export function planConvGemm(dir: ConvDirection, info: tf.backend_util.Conv2DInfo, forceSplits?: number): ConvGemmPlan {
  const i = info;
  let M: number;
  let N: number;
  let K: number;
  let classes = 1;
  if (dir === 'forward') {
    M = i.batchSize * i.outHeight * i.outWidth;
    N = i.outChannels;
    K = i.filterHeight * i.filterWidth * i.inChannels;
  } else if (dir === 'filter') {
    M = i.filterHeight * i.filterWidth * i.inChannels;
    N = i.outChannels;
    K = i.batchSize * i.outHeight * i.outWidth;
  } else {
    classes = i.strideHeight * i.strideWidth;
    M = i.batchSize * Math.ceil(i.inHeight / i.strideHeight) * Math.ceil(i.inWidth / i.strideWidth);
    N = i.inChannels;
    K = Math.ceil(i.filterHeight / i.strideHeight) * Math.ceil(i.filterWidth / i.strideWidth) * i.outChannels;
  }
  const splits = forceSplits ?? chooseSplits(M * classes, N, K);
  return { M, N, K, splits, classes, dispatches: splits > 1 ? 2 : 1 };
}

/** Record the convolution direction `args.dir` and return its output. */
export function runConvGemm(bk: WebGPUBackendInternals, args: ConvGemmArgs): tf.TensorInfo {
  const { dir, info: i } = args;
  const activation = args.activation ?? 'linear';
  const plan = planConvGemm(dir, i, args.splits);
  const outShape =
    dir === 'forward'
      ? [i.batchSize, i.outHeight, i.outWidth, i.outChannels]
      : dir === 'filter'
        ? [i.filterHeight, i.filterWidth, i.inChannels, i.outChannels]
        : [i.batchSize, i.inHeight, i.inWidth, i.inChannels];
  const out = newOutput(bk, outShape);
  const outSize = outShape.reduce((a, d) => a * d, 1);
  if (outSize === 0) return out;
  const plain =
    i.filterHeight === 1 &&
    i.filterWidth === 1 &&
    i.strideHeight === 1 &&
    i.strideWidth === 1 &&
    i.padInfo.top === 0 &&
    i.padInfo.left === 0 &&
    i.dilationHeight === 1 &&
    i.dilationWidth === 1 &&
    i.inHeight === i.outHeight &&
    i.inWidth === i.outWidth;
  const aC = dir === 'input' ? i.outChannels : i.inChannels;
  const bC = dir === 'forward' ? i.outChannels : dir === 'filter' ? i.outChannels : i.outChannels;
  const variant: Variant = {
    dir,
    plain,
    a4: aC % 4 === 0,
    b4: bC % 4 === 0,
    bias: dir === 'forward' && !!args.bias,
    activation: dir === 'forward' ? activation : 'linear',
  };
  const { M, N, K, splits, classes } = plan;
  const Kc = Math.ceil(Math.ceil(K / splits) / TK) * TK;
  const used = Math.max(1, Math.ceil(K / Kc));
  const u = intUniforms(bk, [
    i.batchSize,
    i.inHeight,
    i.inWidth,
    i.inChannels,
    i.outHeight,
    i.outWidth,
    i.outChannels,
    i.filterHeight,
    i.filterWidth,
    i.strideHeight,
    i.strideWidth,
    i.padInfo.top,
    i.padInfo.left,
    i.dilationHeight,
    i.dilationWidth,
    M,
    N,
    K,
    Kc,
    used,
    outSize,
  ]);
  const pipeline = pipelineFor(bk, key(variant), () => shader(variant));
  const wg: [number, number, number] = [Math.ceil(N / TILE), Math.ceil(M / TILE), classes * used];
  const inputs = [args.a, args.b];
  const bias = variant.bias ? args.bias! : null;
  const buffers = (target: GPUBuffer) => {
    const list = [target, bufferOf(bk, args.a), bufferOf(bk, args.b), u];
    if (bias) list.push(bufferOf(bk, bias));
    return list;
  };
  const touched = [...inputs, ...(bias ? [bias] : [])];
  if (used === 1) {
    dispatch(bk, pipeline, buffers(bufferOf(bk, out)), wg, [out, ...touched]);
    return out;
  }
  const part = scratchBuffer(bk, used * outSize * 4);
  dispatch(bk, pipeline, buffers(part), wg, touched, false);
  const reduce = pipelineFor(bk, `cohort_conv_reduce${variant.bias ? '_bias' : ''}_${variant.activation}`, () =>
    reduceShader(variant.bias, variant.activation),
  );
  const rb = [bufferOf(bk, out), part, intUniforms(bk, [outSize, used, N, 0])];
  if (bias) rb.push(bufferOf(bk, bias));
  dispatch(bk, reduce, rb, grid2d(Math.ceil(outSize / 256)), [out, ...(bias ? [bias] : [])]);
  return out;
}
