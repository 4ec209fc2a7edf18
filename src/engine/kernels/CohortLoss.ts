/// <reference types="@webgpu/types" />
/**
 * One network's classification loss of eq. 4 (../losses.ts, `studentLossTerms`) as two custom
 * dispatches for the 'webgpu' backend, behind one tf.customGrad:
 *
 * - forward, one workgroup: every term from the network's logits s, the labels y and the target
 *   logits t_j of its teacher and peers (constants: they get no gradient, as `stopGradient` gives
 *   them none on the stock path):
 *     ce = alpha * -(1/N) sum_n sum_c y log softmax(s)
 *     kd = beta * S * (1/N) sum_n KL(softmax(t_teacher / T) || softmax(s / T))
 *     ml = gamma * S * sum_peers (1/N) sum_n KL(softmax(t_peer / T) || softmax(s / T))
 *     total = ce + kd + ml            (S = T^2 when `tSquared`, else 1)
 *   The total is the op's value; [ce, kd, ml, total] is written into four slots of the step's loss
 *   report (a buffer shared by the cohort's networks, which the NaN guard reads), so the report
 *   needs no stack of scalars;
 * - backward, one thread per row: dL/ds = dy * (alpha/N (softmax(s) sum y - y)
 *   + (beta S [teacher] + gamma S [peers]) / (N T) sum_j (softmax(s/T) sum p_j - p_j)),
 *   recomputing the row's softmaxes rather than saving them.
 *
 * The stock path spends about 15 dispatches per term forward and as many backward (logSoftmax,
 * divisions, products, means, the stop-gradient's zeros, the stack of the report). Arithmetic
 * follows tfjs's logSoftmax (x - max - log sum exp(x - max)) and divides by T, as tf.div does.
 *
 * Each target is its own binding, so a network with `nt` targets binds nt + 4 storage buffers;
 * `fusedLossSupported` says whether the device allows that (8 by default: up to 4 targets). Depends on
 * ./runtime.ts. No DOM.
 */
import * as tf from '@tensorflow/tfjs';
import { bufferOf, dispatch, newOutput, pipelineFor, uniformBuffer, type WebGPUBackendInternals } from './runtime';

const FWD_WG = 64;
const BWD_WG = 64;
const INTS = new Set([0, 1, 2, 3, 4]);

const UNIFORMS = /* wgsl */ `
struct U { n: i32, c: i32, kdTargets: i32, slot: i32, p0: i32, alpha: f32, kdw: f32, mlw: f32, temp: f32, p1: f32, p2: f32, p3: f32 };`;

function bindings(nt: number): string {
  let s = `
@group(0) @binding(0) var<storage, read> s: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;`;
  for (let j = 0; j < nt; j++) s += `\n@group(0) @binding(${2 + j}) var<storage, read> t${j}: array<f32>;`;
  return s;
}

/** WGSL computing max `m${name}` and log-sum-exp `l${name}` of row `base` of `arr / div`. */
function rowLse(name: string, arr: string, div: string): string {
  return /* wgsl */ `
    var m${name} = ${arr}[base] ${div};
    for (var c = 1; c < u.c; c++) { m${name} = max(m${name}, ${arr}[base + c] ${div}); }
    var z${name} = 0.0;
    for (var c = 0; c < u.c; c++) { z${name} = z${name} + exp(${arr}[base + c] ${div} - m${name}); }
    let l${name} = log(z${name});`;
}

function forwardShader(nt: number): string {
  let targets = '';
  for (let j = 0; j < nt; j++) {
    targets += rowLse(`t${j}`, `t${j}`, '/ u.temp');
    targets += /* wgsl */ `
    var kl${j} = 0.0;
    for (var c = 0; c < u.c; c++) {
      let lp = (t${j}[base + c] / u.temp - mt${j}) - lt${j};
      let ls = (s[base + c] / u.temp - mT) - lT;
      kl${j} = kl${j} + exp(lp) * (lp - ls);
    }
    if (${j} < u.kdTargets) { kd = kd + kl${j}; } else { ml = ml + kl${j}; }`;
  }
  return /* wgsl */ `${UNIFORMS}
${bindings(nt)}
@group(0) @binding(${nt + 2}) var<storage, read_write> report: array<f32>;
@group(0) @binding(${nt + 3}) var<storage, read_write> total: array<f32>;
@group(0) @binding(${nt + 4}) var<uniform> u: U;
var<workgroup> r0: array<f32, ${FWD_WG}>;
var<workgroup> r1: array<f32, ${FWD_WG}>;
var<workgroup> r2: array<f32, ${FWD_WG}>;
@compute @workgroup_size(${FWD_WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var ce = 0.0;
  var kd = 0.0;
  var ml = 0.0;
  for (var r = i32(lid); r < u.n; r = r + ${FWD_WG}) {
    let base = r * u.c;
    ${rowLse('1', 's', '')}
    var rowCe = 0.0;
    for (var c = 0; c < u.c; c++) { rowCe = rowCe + y[base + c] * ((s[base + c] - m1) - l1); }
    ce = ce + rowCe;
    ${nt > 0 ? rowLse('T', 's', '/ u.temp') : ''}
    ${targets}
  }
  r0[lid] = ce;
  r1[lid] = kd;
  r2[lid] = ml;
  for (var k = ${FWD_WG / 2}u; k > 0u; k = k / 2u) {
    workgroupBarrier();
    if (lid < k) {
      r0[lid] = r0[lid] + r0[lid + k];
      r1[lid] = r1[lid] + r1[lid + k];
      r2[lid] = r2[lid] + r2[lid + k];
    }
  }
  if (lid == 0u) {
    let n = f32(u.n);
    let ceT = u.alpha * -(r0[0] / n);
    let kdT = u.kdw * (r1[0] / n);
    let mlT = u.mlw * (r2[0] / n);
    let sum = ceT + kdT + mlT;
    let o = u.slot * 4;
    report[o] = ceT;
    report[o + 1] = kdT;
    report[o + 2] = mlT;
    report[o + 3] = sum;
    total[0] = sum;
  }
}`;
}

function backwardShader(nt: number): string {
  let stats = '';
  let perClass = '';
  for (let j = 0; j < nt; j++) {
    stats += rowLse(`t${j}`, `t${j}`, '/ u.temp');
    stats += /* wgsl */ `
    var sp${j} = 0.0;
    for (var c = 0; c < u.c; c++) { sp${j} = sp${j} + exp((t${j}[base + c] / u.temp - mt${j}) - lt${j}); }`;
    perClass += /* wgsl */ `
      {
        let d = q * sp${j} - exp((t${j}[base + c] / u.temp - mt${j}) - lt${j});
        if (${j} < u.kdTargets) { gk = gk + d; } else { gm = gm + d; }
      }`;
  }
  return /* wgsl */ `${UNIFORMS}
${bindings(nt)}
@group(0) @binding(${nt + 2}) var<storage, read> dy: array<f32>;
@group(0) @binding(${nt + 3}) var<storage, read_write> dx: array<f32>;
@group(0) @binding(${nt + 4}) var<uniform> u: U;
@compute @workgroup_size(${BWD_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = i32(gid.x);
  if (r >= u.n) { return; }
  let base = r * u.c;
  let n = f32(u.n);
  let g0 = dy[0];
  ${rowLse('1', 's', '')}
  var sy = 0.0;
  for (var c = 0; c < u.c; c++) { sy = sy + y[base + c]; }
  ${nt > 0 ? rowLse('T', 's', '/ u.temp') : ''}
  ${stats}
  for (var c = 0; c < u.c; c++) {
    var g = u.alpha * (exp((s[base + c] - m1) - l1) * sy - y[base + c]) / n;
    ${
      nt > 0
        ? /* wgsl */ `let q = exp((s[base + c] / u.temp - mT) - lT);
    var gk = 0.0;
    var gm = 0.0;
    ${perClass}
    g = g + (u.kdw * gk + u.mlw * gm) / (n * u.temp);`
        : ''
    }
    dx[base + c] = g0 * g;
  }
}`;
}

let enabled = true;
let calls = 0;

/** How many losses the kernel has computed in this process (lets tests see which path ran). */
export function fusedLossCalls(): number {
  return calls;
}

/**
 * Whether the trainer uses this kernel when the fast kernels are active (on by default; off
 * compares it with the stock losses under otherwise identical kernels: tests, `npm run bench`).
 */
export function setFusedLossEnabled(on: boolean): void {
  enabled = on;
}

export function fusedLossEnabled(): boolean {
  return enabled;
}

/**
 * Whether the kernel can compute this loss: its teacher/peer logits fit the device's storage-buffer
 * limit, and every tensor is float32 in its buffer too (an int32 tensor cast to float32 shares the
 * int32 buffer in tfjs-backend-webgpu, whose own shaders convert on read).
 */
export function fusedLossSupported(b: WebGPUBackendInternals, a: FusedLossArgs): boolean {
  const tensors = [a.labels, a.student, ...(a.teacher ? [a.teacher] : []), ...a.peers];
  if (tensors.length + 2 > b.device.limits.maxStorageBuffersPerShaderStage) return false;
  return tensors.every((t) => t.rank === 2 && tf.util.arraysEqual(t.shape, a.student.shape) && b.tensorMap.get(t.dataId).dtype === 'float32');
}

/** A report of `networks` x [ce, kd, ml, total], filled by `fusedLossTotal` (one slot per network). */
export function createLossReport(b: WebGPUBackendInternals, networks: number): tf.Tensor1D {
  return tf.engine().makeTensorFromTensorInfo(newOutput(b, [networks * 4])) as tf.Tensor1D;
}

export interface FusedLossArgs {
  labels: tf.Tensor2D;
  student: tf.Tensor2D;
  /** Targets that form the KD term (the teacher's logits), or none. */
  teacher: tf.Tensor2D | null;
  /** Targets that form the ML term (the peers' logits). */
  peers: tf.Tensor2D[];
  /** Weight of the CE term. */
  alpha: number;
  /** Weight of the KD term, T^2 included where asked. */
  kdWeight: number;
  /** Weight of the ML term, T^2 included where asked. */
  mlWeight: number;
  temperature: number;
}

/**
 * The network's total loss (a scalar, differentiable w.r.t. `student` only); its terms go to slot
 * `slot` of `report`. All tensors float32 on the WebGPU backend `b`.
 */
export function fusedLossTotal(b: WebGPUBackendInternals, a: FusedLossArgs, report: tf.Tensor1D, slot: number): tf.Scalar {
  const [n, c] = a.student.shape;
  const targets = [...(a.teacher ? [a.teacher] : []), ...a.peers];
  const nt = targets.length;
  const uniforms = () => uniformBuffer(b, [n, c, a.teacher ? 1 : 0, slot, 0, a.alpha, a.kdWeight, a.mlWeight, a.temperature, 0, 0, 0], INTS);
  const inputs = [a.student, a.labels, ...targets];
  calls++;
  const f = tf.customGrad(((s: tf.Tensor) => {
    const total = newOutput(b, []);
    const p = pipelineFor(b, `cohort_loss_fwd_${nt}`, () => forwardShader(nt));
    dispatch(b, p, [...inputs.map((t) => bufferOf(b, t)), bufferOf(b, report), bufferOf(b, total), uniforms()], [1], [...inputs, report, total]);
    return {
      value: tf.engine().makeTensorFromTensorInfo(total),
      gradFunc: (dy: tf.Tensor) => {
        const dx = newOutput(b, [n, c]);
        const q = pipelineFor(b, `cohort_loss_bwd_${nt}`, () => backwardShader(nt));
        dispatch(
          b,
          q,
          [bufferOf(b, s), ...inputs.slice(1).map((t) => bufferOf(b, t)), bufferOf(b, dy), bufferOf(b, dx), uniforms()],
          [Math.ceil(n / BWD_WG)],
          [s, ...inputs.slice(1), dy, dx],
        );
        return [tf.engine().makeTensorFromTensorInfo(dx)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(a.student) as tf.Scalar;
}
