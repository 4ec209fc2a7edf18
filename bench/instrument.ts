/// <reference types="@webgpu/types" />
/**
 * Counts GPU dispatches by wrapping GPUComputePassEncoder's setPipeline and dispatchWorkgroups
 * (which every tfjs program and every custom kernel goes through), optionally by pipeline label
 * (tfjs labels pipelines with the program's class name, the engine's kernels with their key), and
 * tracks the peak of the WebGPU backend's buffer-pool bytes, sampled at every dispatch.
 */
import * as tf from '@tensorflow/tfjs';

interface PoolStats {
  numBytesUsed: number;
  numBytesAllocated: number;
}

export class Instrument {
  dispatches = 0;
  byLabel = new Map<string, number>();
  recordLabels = false;
  peakUsed = 0;
  peakAllocated = 0;
  private pool: PoolStats | null = null;

  install(): void {
    // The patched prototype methods run with the encoder as `this`; they count into this instrument.
    const instrument = this as Instrument;
    const proto = (globalThis as unknown as { GPUComputePassEncoder: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder.prototype;
    const dispatch = proto.dispatchWorkgroups;
    const setPipeline = proto.setPipeline;
    const labels = new WeakMap<GPUComputePassEncoder, string>();
    proto.setPipeline = function (this: GPUComputePassEncoder, p: GPUComputePipeline) {
      if (instrument.recordLabels) labels.set(this, p.label || '(unlabelled)');
      return setPipeline.call(this, p);
    };
    proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y?: number, z?: number) {
      instrument.dispatches++;
      if (instrument.recordLabels) {
        const l = labels.get(this) ?? '(unknown)';
        instrument.byLabel.set(l, (instrument.byLabel.get(l) ?? 0) + 1);
      }
      const pool = instrument.pool;
      if (pool) {
        if (pool.numBytesUsed > instrument.peakUsed) instrument.peakUsed = pool.numBytesUsed;
        if (pool.numBytesAllocated > instrument.peakAllocated) instrument.peakAllocated = pool.numBytesAllocated;
      }
      return dispatch.call(this, x, y, z);
    };
    this.pool = (tf.backend() as unknown as { bufferManager?: PoolStats }).bufferManager ?? null;
  }

  resetPeak(): void {
    this.peakUsed = this.pool?.numBytesUsed ?? 0;
    this.peakAllocated = this.pool?.numBytesAllocated ?? 0;
  }

  /** Dispatches issued by `f` (awaited). */
  async count(f: () => Promise<unknown>): Promise<number> {
    const before = this.dispatches;
    await f();
    return this.dispatches - before;
  }

  async breakdown(f: () => Promise<unknown>): Promise<Record<string, number>> {
    this.byLabel.clear();
    this.recordLabels = true;
    try {
      await f();
    } finally {
      this.recordLabels = false;
    }
    return Object.fromEntries([...this.byLabel.entries()].sort((a, b) => b[1] - a[1]));
  }
}

/** Submit whatever the backend has recorded and wait until the GPU has finished it. */
export async function gpuIdle(): Promise<void> {
  const b = tf.backend() as unknown as {
    device?: GPUDevice;
    commandEncoder: GPUCommandEncoder | null;
    endComputePassEncoder(): void;
    submitQueue(): void;
  };
  if (!b.device) return;
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await b.device.queue.onSubmittedWorkDone();
}
