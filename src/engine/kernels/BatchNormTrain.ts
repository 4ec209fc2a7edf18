/// <reference types="@webgpu/types" />
/**
 * BatchNormalization in training mode (NHWC, statistics per channel over N*H*W) as two custom
 * kernels for the 'webgpu' backend:
 *
 * - 'CohortBatchNormTrain' {x, gamma, beta, movingMean, movingVariance} -> [y, stats]:
 *   batch mean and (biased) variance, y = (x - mean) * rsqrt(var + eps) * gamma + beta, and the
 *   moving statistics updated in place (m -= (m - batch) * (1 - momentum)), the variance's with the
 *   unbiased batch variance var * R / (R - 1) as PyTorch's running_var (and ./FastBatchNorm.ts's
 *   stock path), all in 1 dispatch for small tensors and 2 for large ones. `stats` is [2, C]: mean and rsqrt(var + eps), for the gradient.
 * - 'CohortBatchNormGrad' {x, dy, gamma, stats} -> [dx, dgamma, dbeta], 1 or 2 dispatches:
 *   dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * rstd * (dy - (dbeta + xhat * dgamma) / R).
 *
 * - With `relu` (attribute of the forward; the gradient takes the forward's y as a fifth input) the
 *   pair is BatchNorm + ReLU: y = max(0, bn(x)), and the gradient masks dy by y > 0 (exactly where
 *   the ReLU's input was positive) before the sums above: g = dy * step(y) replaces dy in dbeta,
 *   dgamma and dx. The same dispatches as without the ReLU, so the pair saves the Relu forward and
 *   ReluGrad dispatches. The mask is read from the saved y rather than recomputed from x and the
 *   statistics: y is alive anyway (the next convolution keeps it), and a recomputation in another
 *   shader could round bn(x) differently near 0. ./FastBatchNorm.ts decides when a pair is fused.
 *
 * Stock tfjs builds the same step from moments + batchNorm + moving-average ops and differentiates
 * through all of them: about a dozen dispatches forward and two dozen backward per layer. Sums use a
 * per-channel shift (the channel's first value) so the one-pass variance does not cancel.
 *
 * Threads of a workgroup are laid out [row lanes][channel lanes], channel fastest, so neighbours read
 * neighbouring channels of one NHWC row. When there are many rows, pass 1 writes per-chunk partial
 * sums and pass 2 (one workgroup per chunk again) folds them before normalising its chunk.
 */
import * as tf from '@tensorflow/tfjs';
import {
  asInternals,
  bufferOf,
  dispatch,
  newOutput,
  pipelineFor,
  prepareInPlace,
  scratchBuffer,
  stepGuard,
  uniformBuffer,
  type WebGPUBackendInternals,
} from './runtime';

const THREADS = 256;
/** Workgroups to aim for when splitting rows into chunks (a few per SM: these passes are memory-bound). */
const TARGET_WORKGROUPS = 512;
/** Rows each row lane should at least see in a chunk. */
const MIN_ROWS_PER_LANE = 16;
const MAX_CHUNKS = 256;

export interface BnLayout {
  R: number;
  C: number;
  /** Channel lanes per workgroup (power of two, <= 64). */
  ct: number;
  /** Row lanes per workgroup. */
  rl: number;
  /** Row chunks (workgroups along y); 1 means the single-dispatch path. */
  chunks: number;
  rowsPerChunk: number;
}

export function bnLayout(R: number, C: number): BnLayout {
  let ct = 4;
  while (ct < C && ct < 64) ct *= 2;
  const rl = THREADS / ct;
  const groupsX = Math.ceil(C / ct);
  const wanted = Math.ceil(TARGET_WORKGROUPS / groupsX);
  const byRows = Math.max(1, Math.floor(R / (rl * MIN_ROWS_PER_LANE)));
  const chunks = Math.max(1, Math.min(wanted, byRows, MAX_CHUNKS));
  const rowsPerChunk = Math.ceil(R / chunks);
  return { R, C, ct, rl, chunks: Math.ceil(R / rowsPerChunk), rowsPerChunk };
}

/** WGSL shared by all four shaders: uniforms, lane indices, a tree reduction of two sums. */
function header(ct: number, rl: number): string {
  return /* wgsl */ `
struct U { R: i32, C: i32, rowsPerChunk: i32, chunks: i32, eps: f32, decay: f32, p0: i32, p1: i32 };
var<workgroup> red1: array<f32, ${THREADS}>;
var<workgroup> red2: array<f32, ${THREADS}>;
const CT = ${ct};
const RL = ${rl};
// Sums red1/red2 over the row lanes; afterwards row lane 0 (index cx) holds each channel's totals.
fn reduceRows(cx: i32, ry: i32) {
  for (var s = RL / 2; s > 0; s = s / 2) {
    workgroupBarrier();
    if (ry < s) {
      red1[ry * CT + cx] = red1[ry * CT + cx] + red1[(ry + s) * CT + cx];
      red2[ry * CT + cx] = red2[ry * CT + cx] + red2[(ry + s) * CT + cx];
    }
  }
  workgroupBarrier();
}`;
}

/**
 * Pass 1 of either direction: per (chunk, channel) sums of two quantities.
 * forward: a = x - shift, b = (x - shift)^2; backward: a = dy, b = dy * (x - mean).
 */
function partialShader(ct: number, rl: number, backward: boolean, relu = false): string {
  // With the fused ReLU the gradient pass also reads y (for the mask) and forwards gamma to pass 2
  // behind the partial sums: pass 2 binds y instead of gamma to stay within 8 storage buffers.
  const reluBindings = relu
    ? `
@group(0) @binding(5) var<storage, read> y: array<f32>;
@group(0) @binding(6) var<storage, read> gamma: array<f32>;`
    : '';
  const bindings = backward
    ? `@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<uniform> u: U;${reluBindings}`
    : `@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@group(0) @binding(3) var<storage, read> guard: array<f32>;`;
  const center = backward ? 'stats[c]' : 'x[c]';
  const body = backward
    ? `let g = ${gradOf('r * u.C + c', relu)}; s1 = s1 + g; s2 = s2 + g * (x[r * u.C + c] - center);`
    : `let d = x[r * u.C + c] - center; s1 = s1 + d; s2 = s2 + d * d;`;
  return /* wgsl */ `${header(ct, rl)}
@group(0) @binding(0) var<storage, read_write> part: array<f32>;
${bindings}
@compute @workgroup_size(${ct}, ${rl}, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let cx = i32(lid.x);
  let ry = i32(lid.y);
  let c = i32(wg.x) * CT + cx;
  let chunk = i32(wg.y);
  let r0 = chunk * u.rowsPerChunk;
  let r1 = min(r0 + u.rowsPerChunk, u.R);
  var s1 = 0.0;
  var s2 = 0.0;
  if (c < u.C) {
    let center = ${center};
    for (var r = r0 + ry; r < r1; r = r + RL) { ${body} }
  }
  red1[ry * CT + cx] = s1;
  red2[ry * CT + cx] = s2;
  reduceRows(cx, ry);
  if (ry == 0 && c < u.C) {
    part[(chunk * 2) * u.C + c] = red1[cx];
    part[(chunk * 2 + 1) * u.C + c] = red2[cx];
    ${relu ? 'if (chunk == 0) { part[u.chunks * 2 * u.C + c] = gamma[c]; }' : ''}
  }
  ${backward ? '' : 'if (chunk == 0 && c == 0 && ry == 0) { part[u.chunks * 2 * u.C] = guard[0]; }'}
}`;
}

/**
 * Pass 2 (or the only pass): totals per channel (folded from the partials, or summed here when
 * `single`), then the element-wise output over this workgroup's rows.
 */
function applyShader(ct: number, rl: number, backward: boolean, single: boolean, relu = false): string {
  // The fused ReLU's gradient reads y for its mask; in two passes gamma comes from pass 1 (see
  // partialShader) so that the pass stays within 8 storage buffers.
  const gradInputs = relu ? (single ? ['x', 'dy', 'gamma', 'stats', 'y'] : ['x', 'dy', 'stats', 'y']) : ['x', 'dy', 'gamma', 'stats'];
  const inputs = backward ? gradInputs : ['x', 'gamma', 'beta'];
  const gammaOf = backward && relu && !single ? 'part[u.chunks * 2 * u.C + c]' : 'gamma[c]';
  // Outputs: forward y, stats, movingMean, movingVariance; backward dx, dgamma, dbeta.
  const outputs = backward ? ['dx', 'dgamma', 'dbeta'] : ['y', 'statsOut', 'movingMean', 'movingVar'];
  let binding = 0;
  const decl: string[] = [];
  for (const o of outputs) decl.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${o}: array<f32>;`);
  for (const i of inputs) decl.push(`@group(0) @binding(${binding++}) var<storage, read> ${i}: array<f32>;`);
  if (!single) decl.push(`@group(0) @binding(${binding++}) var<storage, read> part: array<f32>;`);
  decl.push(`@group(0) @binding(${binding++}) var<uniform> u: U;`);
  // The step guard (./runtime.ts): moving statistics stay put once a loss term was not finite.
  // The two-pass forward is at the limit of 8 storage buffers, so there pass 1 forwards the
  // guard's flag at the end of the partial sums.
  if (!backward && single) decl.push(`@group(0) @binding(${binding}) var<storage, read> guard: array<f32>;`);
  const okFlag = single ? 'guard[0]' : 'part[u.chunks * 2 * u.C]';
  const center = backward ? 'stats[c]' : 'x[c]';
  const accumulate = single
    ? backward
      ? `for (var r = ry; r < u.R; r = r + RL) { let g = ${gradOf('r * u.C + c', relu)}; s1 = s1 + g; s2 = s2 + g * (x[r * u.C + c] - center); }`
      : `for (var r = ry; r < u.R; r = r + RL) { let d = x[r * u.C + c] - center; s1 = s1 + d; s2 = s2 + d * d; }`
    : `for (var k = ry; k < u.chunks; k = k + RL) { s1 = s1 + part[(k * 2) * u.C + c]; s2 = s2 + part[(k * 2 + 1) * u.C + c]; }`;
  const finish = backward
    ? /* wgsl */ `
    let rstd = stats[u.C + c];
    let dbetaC = red1[cx];
    let dgammaC = red2[cx] * rstd;
    let mean = stats[c];
    let scale = ${gammaOf} * rstd;
    let invR = 1.0 / f32(u.R);
    if (chunk == 0 && ry == 0) { dgamma[c] = dgammaC; dbeta[c] = dbetaC; }
    for (var r = r0 + ry; r < r1; r = r + RL) {
      let i = r * u.C + c;
      let xhat = (x[i] - mean) * rstd;
      dx[i] = scale * (${gradOf('i', relu)} - (dbetaC + xhat * dgammaC) * invR);
    }`
    : /* wgsl */ `
    let n = f32(u.R);
    let m1 = red1[cx] / n;
    let mean = center + m1;
    let variance = max(red2[cx] / n - m1 * m1, 0.0);
    let rstd = inverseSqrt(variance + u.eps);
    if (chunk == 0 && ry == 0) {
      statsOut[c] = mean;
      statsOut[u.C + c] = rstd;
      if (${okFlag} != 0.0) {
        let mm = movingMean[c];
        movingMean[c] = mm - (mm - mean) * u.decay;
        let mv = movingVar[c];
        // PyTorch's running_var takes the unbiased variance; with one value per channel it keeps the biased one.
        let unbiased = select(variance, variance * n / (n - 1.0), u.R > 1);
        movingVar[c] = mv - (mv - unbiased) * u.decay;
      }
    }
    let scale = gamma[c] * rstd;
    let shift = beta[c] - mean * scale;
    for (var r = r0 + ry; r < r1; r = r + RL) {
      let i = r * u.C + c;
      ${relu ? 'let v = x[i] * scale + shift; y[i] = select(v, 0.0, v < 0.0);' : 'y[i] = x[i] * scale + shift;'}
    }`;
  return /* wgsl */ `${header(ct, rl)}
${decl.join('\n')}
@compute @workgroup_size(${ct}, ${rl}, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let cx = i32(lid.x);
  let ry = i32(lid.y);
  let c = i32(wg.x) * CT + cx;
  let chunk = i32(wg.y);
  let r0 = chunk * u.rowsPerChunk;
  let r1 = min(r0 + u.rowsPerChunk, u.R);
  var s1 = 0.0;
  var s2 = 0.0;
  if (c < u.C) {
    let center = ${center};
    ${accumulate}
  }
  red1[ry * CT + cx] = s1;
  red2[ry * CT + cx] = s2;
  reduceRows(cx, ry);
  if (c < u.C) {
    let center = ${center};
    ${finish}
  }
}`;
}

/**
 * The gradient reaching the normalised output at element `i`: dy, or with the fused ReLU dy masked
 * by y > 0 (y is the ReLU's output, positive exactly where its input is), written as ./ReluGrad.ts
 * and tfjs's step(x) write it, so a NaN in dy propagates.
 */
function gradOf(i: string, relu: boolean): string {
  return relu ? `(dy[${i}] * select(0.0, 1.0, y[${i}] > 0.0))` : `dy[${i}]`;
}

function uniformsFor(b: WebGPUBackendInternals, l: BnLayout, eps = 0, decay = 0): GPUBuffer {
  return uniformBuffer(b, [l.R, l.C, l.rowsPerChunk, l.chunks, eps, decay, 0, 0], new Set([0, 1, 2, 3, 6, 7]));
}

function pipelines(b: WebGPUBackendInternals, l: BnLayout, backward: boolean, relu: boolean) {
  const dir = (backward ? 'grad' : 'fwd') + (relu ? '_relu' : '');
  const single = l.chunks === 1;
  // The forward's partial sums do not depend on the ReLU.
  const partialKey = backward ? dir : 'fwd';
  return {
    partial: single ? null : pipelineFor(b, `cohort_bn_${partialKey}_partial_${l.ct}`, () => partialShader(l.ct, l.rl, backward, backward && relu)),
    apply: pipelineFor(b, `cohort_bn_${dir}_apply_${l.ct}_${single ? 1 : 2}`, () => applyShader(l.ct, l.rl, backward, single, relu)),
  };
}

function channelsOf(x: tf.TensorInfo): { R: number; C: number } {
  const C = x.shape[x.shape.length - 1];
  const R = x.shape.reduce((a, d) => a * d, 1) / C;
  return { R, C };
}

export interface BatchNormTrainAttrs {
  epsilon: number;
  /** Keras convention: moving = moving * momentum + batch * (1 - momentum). */
  momentum: number;
  /** y = max(0, bn(x)): a ReLU fused into the output (the gradient then needs y, see batchNormGrad4). */
  relu?: boolean;
}

const batchNormTrain: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = asInternals(backend);
  const { x, gamma, beta, movingMean, movingVariance } = inputs as Record<string, tf.TensorInfo>;
  const { epsilon, momentum, relu } = attrs as unknown as BatchNormTrainAttrs;
  const { R, C } = channelsOf(x);
  if (!prepareInPlace(b, movingMean) || !prepareInPlace(b, movingVariance)) {
    throw new Error('CohortBatchNormTrain: the moving statistics are shared with another tensor; pass exclusive buffers');
  }
  const l = bnLayout(R, C);
  const y = newOutput(b, x.shape);
  const stats = newOutput(b, [2, C]);
  const u = uniformsFor(b, l, epsilon, 1 - momentum);
  const p = pipelines(b, l, false, relu === true);
  const groups: [number, number] = [Math.ceil(C / l.ct), l.chunks];
  const outs = [bufferOf(b, y), bufferOf(b, stats), bufferOf(b, movingMean), bufferOf(b, movingVariance)];
  const ins = [bufferOf(b, x), bufferOf(b, gamma), bufferOf(b, beta)];
  const touched = [x, gamma, beta, movingMean, movingVariance, y, stats];
  if (p.partial) {
    // One float more than the partial sums: the step guard's flag (see applyShader).
    const part = scratchBuffer(b, (l.chunks * 2 * C + 1) * 4);
    dispatch(b, p.partial, [part, bufferOf(b, x), u, stepGuard(b)], groups, [x], false);
    dispatch(b, p.apply, [...outs, ...ins, part, u], groups, touched);
  } else {
    dispatch(b, p.apply, [...outs, ...ins, u, stepGuard(b)], groups, touched);
  }
  return [y, stats];
};

const batchNormGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const b = asInternals(backend);
  const { x, dy, gamma, stats, y } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo; gamma: tf.TensorInfo; stats: tf.TensorInfo; y?: tf.TensorInfo };
  const relu = y !== undefined;
  const { R, C } = channelsOf(x);
  const l = bnLayout(R, C);
  const dx = newOutput(b, x.shape);
  const dgamma = newOutput(b, [C]);
  const dbeta = newOutput(b, [C]);
  const u = uniformsFor(b, l);
  const p = pipelines(b, l, true, relu);
  const groups: [number, number] = [Math.ceil(C / l.ct), l.chunks];
  const outs = [bufferOf(b, dx), bufferOf(b, dgamma), bufferOf(b, dbeta)];
  const touched = [x, dy, gamma, stats, dx, dgamma, dbeta, ...(y ? [y] : [])];
  if (p.partial) {
    // With the ReLU, C floats more: gamma, forwarded by pass 1 (see partialShader).
    const part = scratchBuffer(b, (l.chunks * 2 * C + (y ? C : 0)) * 4);
    const common = [part, bufferOf(b, x), bufferOf(b, dy), bufferOf(b, stats), u];
    if (y) {
      dispatch(b, p.partial, [...common, bufferOf(b, y), bufferOf(b, gamma)], groups, [x, dy, stats, y, gamma], false);
      dispatch(b, p.apply, [...outs, bufferOf(b, x), bufferOf(b, dy), bufferOf(b, stats), bufferOf(b, y), part, u], groups, touched);
    } else {
      dispatch(b, p.partial, common, groups, [x, dy, stats], false);
      dispatch(b, p.apply, [...outs, bufferOf(b, x), bufferOf(b, dy), bufferOf(b, gamma), bufferOf(b, stats), part, u], groups, touched);
    }
  } else {
    const ins = [bufferOf(b, x), bufferOf(b, dy), bufferOf(b, gamma), bufferOf(b, stats), ...(y ? [bufferOf(b, y)] : [])];
    dispatch(b, p.apply, [...outs, ...ins, u], groups, touched);
  }
  return [dx, dgamma, dbeta];
};

export const BN_TRAIN = 'CohortBatchNormTrain';
export const BN_GRAD = 'CohortBatchNormGrad';

/** Register both kernels for 'webgpu' (idempotent; they have no stock counterpart to restore). */
export function registerBatchNormKernels(): void {
  if (!tf.getKernel(BN_TRAIN, 'webgpu')) tf.registerKernel({ kernelName: BN_TRAIN, backendName: 'webgpu', kernelFunc: batchNormTrain });
  if (!tf.getKernel(BN_GRAD, 'webgpu')) tf.registerKernel({ kernelName: BN_GRAD, backendName: 'webgpu', kernelFunc: batchNormGrad });
}

/** Forward in training mode; see the module comment. Inputs must be float32 with channels last. */
export function batchNormTrain4(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  movingMean: tf.Tensor,
  movingVariance: tf.Tensor,
  attrs: BatchNormTrainAttrs,
): [tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BN_TRAIN, { x, gamma, beta, movingMean, movingVariance }, attrs as unknown as tf.NamedAttrMap) as unknown as [
    tf.Tensor,
    tf.Tensor,
  ];
}

/**
 * Gradient of `batchNormTrain4`'s y with respect to x, gamma and beta. Pass the forward's y when it
 * ran with `relu`: the gradient is then masked by y > 0 before the BatchNorm sums.
 */
export function batchNormGrad4(x: tf.Tensor, dy: tf.Tensor, gamma: tf.Tensor, stats: tf.Tensor, reluOutput?: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const inputs: tf.NamedTensorMap = reluOutput ? { x, dy, gamma, stats, y: reluOutput } : { x, dy, gamma, stats };
  return tf.engine().runKernel(BN_GRAD, inputs, {}) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
