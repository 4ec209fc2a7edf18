/// <reference types="@webgpu/types" />
/**
 * SGD with momentum and L2 weight decay (PyTorch's torch.optim.SGD, no dampening, no Nesterov),
 * in place, several variables per dispatch:
 *
 *   v = mu * v + (g + wd * w);   w = w - lr * v
 *
 * Stock tfjs spends six dispatches per variable on the same update (g + wd*w: 2; MomentumOptimizer:
 * 4). The weight and its momentum buffer are both rewritten by the same thread, so no temporary is
 * ever allocated. One dispatch binds up to `variablesPerDispatch` variables (weight, momentum,
 * gradient each, plus the guard: 2 variables within WebGPU's default of 8 storage buffers per
 * stage, which tfjs-backend-webgpu does not raise), its threads striding over the variables'
 * elements laid end to end; every element gets the same arithmetic as with one variable per
 * dispatch, so the weights are bit-identical either way. Gathering every variable of a network
 * into one dispatch would instead need the weights and gradients copied into arenas and the
 * weights copied back (3 copies per variable and three times the bytes moved), since tfjs owns
 * each variable's buffer. Called by `SgdMomentum` (../optimizer.ts), which owns the momentum
 * buffers and checks that no buffer it writes is shared before writing it in place.
 */
import type * as tf from '@tensorflow/tfjs';
import { bufferOf, dispatch, pipelineFor, stepGuard, type WebGPUBackendInternals } from './runtime';

const WG = 256;
/** Cap on workgroups; threads then stride over the rest (memory-bound, so a big grid gains nothing). */
const MAX_WORKGROUPS = 4096;

function shader(vec4: boolean): string {
  const T = vec4 ? 'vec4<f32>' : 'f32';
  return /* wgsl */ `
struct Params { lr: f32, mu: f32, wd: f32, pad: f32 };
struct Size { n: u32, p0: u32, p1: u32, p2: u32 };
@group(0) @binding(0) var<storage, read_write> w: array<${T}>;
@group(0) @binding(1) var<storage, read_write> v: array<${T}>;
@group(0) @binding(2) var<storage, read> g: array<${T}>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> s: Size;
@group(0) @binding(5) var<storage, read> guard: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // A loss term of this step (or an earlier one) was not finite: keep the weights as they are.
  if (guard[0] == 0.0) { return; }
  let stride = nwg.x * ${WG}u;
  for (var i = gid.x; i < s.n; i = i + stride) {
    let wi = w[i];
    let vi = p.mu * v[i] + (g[i] + p.wd * wi);
    v[i] = vi;
    w[i] = wi - p.lr * vi;
  }
}`;
}

/** The update of `k` (2 to 4) variables, elements of variable j at [e_{j-1}, e_j) of the stride loop. */
function groupShader(vec4: boolean, k: number): string {
  const T = vec4 ? 'vec4<f32>' : 'f32';
  let binds = '';
  let body = '';
  for (let j = 0; j < k; j++) {
    binds += `
@group(0) @binding(${3 * j}) var<storage, read_write> w${j}: array<${T}>;
@group(0) @binding(${3 * j + 1}) var<storage, read_write> v${j}: array<${T}>;
@group(0) @binding(${3 * j + 2}) var<storage, read> g${j}: array<${T}>;`;
    const start = j === 0 ? '0u' : `s.e${j - 1}`;
    body += `${j === 0 ? '' : ' else '}if (i < s.e${j}) {
      let x = i - ${start};
      let wi = w${j}[x];
      let vi = p.mu * v${j}[x] + (g${j}[x] + p.wd * wi);
      v${j}[x] = vi;
      w${j}[x] = wi - p.lr * vi;
    }`;
  }
  return /* wgsl */ `
struct Params { lr: f32, mu: f32, wd: f32, pad: f32 };
struct Ends { e0: u32, e1: u32, e2: u32, e3: u32 };
${binds}
@group(0) @binding(${3 * k}) var<uniform> p: Params;
@group(0) @binding(${3 * k + 1}) var<uniform> s: Ends;
@group(0) @binding(${3 * k + 2}) var<storage, read> guard: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (guard[0] == 0.0) { return; }
  let stride = nwg.x * ${WG}u;
  for (var i = gid.x; i < s.e${k - 1}; i = i + stride) {
    ${body}
  }
}`;
}

/** One variable's update: weight, momentum and gradient, float32 of the same size. */
export interface SgdItem {
  name: string;
  w: tf.TensorInfo;
  v: tf.TensorInfo;
  g: tf.TensorInfo;
}

let maxPerDispatch = 4;

/**
 * Cap the variables one dispatch updates (1 is one dispatch per variable; the device's storage
 * buffer limit caps it too). For comparisons: the benchmark, the tests.
 */
export function setSgdVariablesPerDispatch(n: number): void {
  maxPerDispatch = Math.max(1, Math.min(4, Math.floor(n)));
}

/** How many variables one dispatch updates on `b`. */
export function variablesPerDispatch(b: WebGPUBackendInternals): number {
  return Math.max(1, Math.min(maxPerDispatch, Math.floor((b.device.limits.maxStorageBuffersPerShaderStage - 1) / 3)));
}

function sizeOf(t: tf.TensorInfo): number {
  return t.shape.reduce((a, d) => a * d, 1);
}

/**
 * Per-optimiser GPU state: the hyperparameter block (rewritten only when a value changes) and one
 * block of element ranges per group of variables (written once). Owned buffers, destroyed by
 * `dispose`.
 */
export class SgdMomentumKernel {
  private params: GPUBuffer | null = null;
  private paramValues: [number, number, number] | null = null;
  private sizes = new Map<string, GPUBuffer>();

  constructor(private readonly b: WebGPUBackendInternals) {}

  /**
   * Write the hyperparameter block if a value changed. A recorded step (../stepGraph.ts) binds the
   * same block, so calling this before a replay is how a new learning rate reaches it.
   */
  setParams(lr: number, mu: number, wd: number): void {
    const b = this.b;
    if (!this.params) {
      this.params = b.device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    }
    const pv = this.paramValues;
    if (!pv || pv[0] !== lr || pv[1] !== mu || pv[2] !== wd) {
      // A queue write lands before every command not yet submitted, so submit the updates already
      // recorded with the old values first.
      if (pv && b.commandEncoder) {
        b.endComputePassEncoder();
        b.submitQueue();
      }
      b.queue.writeBuffer(this.params, 0, new Float32Array([lr, mu, wd, 0]));
      this.paramValues = [lr, mu, wd];
    }
  }

  /**
   * Update every item in place (skipped on the GPU while the step guard of ./runtime.ts reads 0),
   * `variablesPerDispatch` of them per dispatch (variables whose size
   * is a multiple of 4 go together, as vec4, the others together as scalars).
   */
  runAll(items: SgdItem[], lr: number, mu: number, wd: number): void {
    const b = this.b;
    this.setParams(lr, mu, wd);
    const k = variablesPerDispatch(b);
    for (const vec4 of [true, false]) {
      const group = items.filter((it) => {
        const n = sizeOf(it.w);
        return n > 0 && (n % 4 === 0) === vec4;
      });
      for (let i = 0; i < group.length; i += k) this.dispatchGroup(group.slice(i, i + k), vec4);
    }
  }

  private dispatchGroup(items: SgdItem[], vec4: boolean): void {
    const b = this.b;
    const units = items.map((it) => (vec4 ? sizeOf(it.w) / 4 : sizeOf(it.w)));
    const ends: number[] = [];
    units.forEach((u, j) => ends.push((j ? ends[j - 1] : 0) + u));
    const key = `${items.map((it) => it.name).join('|')}:${units.join(',')}`;
    let size = this.sizes.get(key);
    if (!size) {
      size = b.device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      const e = new Uint32Array(4);
      e.set(ends);
      b.queue.writeBuffer(size, 0, e);
      this.sizes.set(key, size);
    }
    const k = items.length;
    const pipeline =
      k === 1
        ? pipelineFor(b, `cohort_sgd_momentum_${vec4 ? 'v4' : 's'}`, () => shader(vec4))
        : pipelineFor(b, `cohort_sgd_momentum_${vec4 ? 'v4' : 's'}_x${k}`, () => groupShader(vec4, k));
    const groups = Math.min(MAX_WORKGROUPS, Math.ceil(ends[k - 1] / WG));
    const buffers = items.flatMap((it) => [bufferOf(b, it.w), bufferOf(b, it.v), bufferOf(b, it.g)]);
    dispatch(
      b,
      pipeline,
      [...buffers, this.params!, size, stepGuard(b)],
      [groups],
      items.flatMap((it) => [it.w, it.v, it.g]),
    );
  }

  dispose(): void {
    // Commands already recorded may still read these; destroying waits for nothing, so submit first.
    if (this.b.commandEncoder) {
      this.b.endComputePassEncoder();
      this.b.submitQueue();
    }
    this.params?.destroy();
    for (const s of this.sizes.values()) s.destroy();
    this.params = null;
    this.sizes.clear();
  }
}
