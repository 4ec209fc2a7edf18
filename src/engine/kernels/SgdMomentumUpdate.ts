/// <reference types="@webgpu/types" />
/**
 * SGD with momentum and L2 weight decay (PyTorch's torch.optim.SGD, no dampening, no Nesterov),
 * one dispatch per variable, in place:
 *
 *   v = mu * v + (g + wd * w);   w = w - lr * v
 *
 * Stock tfjs spends six dispatches per variable on the same update (g + wd*w: 2; MomentumOptimizer:
 * 4). The weight and its momentum buffer are both rewritten by the same thread, so no temporary is
 * ever allocated. Called by `SgdMomentum` (../optimizer.ts), which owns the momentum buffers and
 * checks that neither buffer is shared before writing it in place.
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

/**
 * Per-optimiser GPU state: the hyperparameter block (rewritten only when a value changes) and one
 * size block per variable (written once). Owned buffers, destroyed by `dispose`.
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
   * Update `w` and `v` in place from gradient `g`; all three float32 of the same size. Skipped on
   * the GPU while the step guard (./runtime.ts) reads 0.
   */
  run(name: string, w: tf.TensorInfo, v: tf.TensorInfo, g: tf.TensorInfo, lr: number, mu: number, wd: number): void {
    const b = this.b;
    const n = w.shape.reduce((a, d) => a * d, 1);
    if (n === 0) return;
    const vec4 = n % 4 === 0;
    const units = vec4 ? n / 4 : n;
    this.setParams(lr, mu, wd);
    const key = `${name}:${units}`;
    let size = this.sizes.get(key);
    if (!size) {
      size = b.device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      b.queue.writeBuffer(size, 0, new Uint32Array([units, 0, 0, 0]));
      this.sizes.set(key, size);
    }
    const pipeline = pipelineFor(b, `cohort_sgd_momentum_${vec4 ? 'v4' : 's'}`, () => shader(vec4));
    const groups = Math.min(MAX_WORKGROUPS, Math.ceil(units / WG));
    dispatch(b, pipeline, [bufferOf(b, w), bufferOf(b, v), bufferOf(b, g), this.params!, size, stepGuard(b)], [groups], [w, v, g]);
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
