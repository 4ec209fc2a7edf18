/// <reference types="@webgpu/types" />
/**
 * The NaN guard of a training step, on the GPU, and the step's status read back one step late.
 *
 * The status buffer holds [ok, loss terms...]: `recordGuard` copies the step's loss terms into it
 * and clears `ok` for good once any of them is not finite (a bit test: WGSL has no isNan, and a
 * compiler may fold `x != x`). The optimiser and BatchNorm's moving statistics read `ok` through
 * the step guard (../runtime.ts) and change nothing while it is 0, so the weights stay those of the
 * last good step without the host reading the loss in the middle of the step. `StatusReader`
 * copies the status after each step into a buffer it maps asynchronously: the host learns a step's
 * losses while the GPU runs the next one.
 *
 * Depends on ../runtime.ts. No DOM.
 */
import type * as tf from '@tensorflow/tfjs';
import { bufferOf, dispatch, intUniforms, pipelineFor, type WebGPUBackendInternals } from '../runtime';

function shader(): string {
  return /* wgsl */ `
struct U { n: i32, p0: i32, p1: i32, p2: i32 };
@group(0) @binding(0) var<storage, read_write> status: array<f32>;
@group(0) @binding(1) var<storage, read> report: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(1)
fn main() {
  var ok = status[0] != 0.0;
  for (var i = 0; i < u.n; i++) {
    let v = report[i];
    status[i + 1] = v;
    if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) { ok = false; }
  }
  status[0] = select(0.0, 1.0, ok);
}`;
}

/** A status buffer for `terms` loss values, `ok` set. */
export function createStatus(b: WebGPUBackendInternals, terms: number): GPUBuffer {
  const buf = b.device.createBuffer({
    size: Math.ceil(((terms + 1) * 4) / 16) * 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
    label: 'cohort_step_status',
  });
  new Float32Array(buf.getMappedRange())[0] = 1;
  buf.unmap();
  return buf;
}

/** Record the guard: status = [ok && all finite(report), report...]. */
export function recordGuard(b: WebGPUBackendInternals, report: tf.TensorInfo, status: GPUBuffer): void {
  const n = report.shape.reduce((a, d) => a * d, 1);
  const p = pipelineFor(b, 'cohort_step_guard', shader);
  dispatch(b, p, [status, bufferOf(b, report), intUniforms(b, [n, 0, 0, 0])], [1], [report]);
}

/** Reads status buffers back without stalling: one mappable buffer per step in flight. */
export class StatusReader {
  private readonly free: GPUBuffer[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private disposed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly bytes: number,
  ) {}

  /** Add a copy of `status` to `enc`; returns the read to start once `enc` is submitted. */
  copy(enc: GPUCommandEncoder, status: GPUBuffer): () => Promise<Float32Array> {
    const buf = this.free.pop() ?? this.device.createBuffer({ size: this.bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.copyBufferToBuffer(status, 0, buf, 0, this.bytes);
    return () => {
      const p = buf.mapAsync(GPUMapMode.READ).then(() => {
        const v = new Float32Array(buf.getMappedRange().slice(0));
        buf.unmap();
        if (this.disposed) buf.destroy();
        else this.free.push(buf);
        return v;
      });
      this.inFlight.add(p);
      const settle = () => this.inFlight.delete(p);
      p.then(settle, settle);
      return p;
    };
  }

  /** Resolves once every read started has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  dispose(): void {
    this.disposed = true;
    for (const b of this.free) b.destroy();
    this.free.length = 0;
  }
}
