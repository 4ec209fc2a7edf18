/// <reference types="@webgpu/types" />
/**
 * The one place where the engine's custom WebGPU kernels touch tfjs-backend-webgpu's internals
 * (pinned at 4.22): buffers behind tensors, the backend's command encoder and compute pass,
 * its buffer pool, and its deferred-submit batching. Kernels here write whole WGSL modules and
 * record into the backend's own pass, so they interleave with stock kernels in queue order and are
 * counted like them. Going under `runWebGPUProgram` is what allows a kernel to write more than one
 * buffer (a weight and its momentum; y and the batch statistics) in a single dispatch, which the
 * stock program interface (one output, read-only inputs) cannot express.
 *
 * Depends on tfjs only; no DOM, no React. Imported by kernels, never by the UI.
 */
import * as tf from '@tensorflow/tfjs';

interface TensorData {
  resource: GPUBuffer | GPUTexture | null;
  values: unknown;
  refCount: number;
  shape: number[];
  dtype: tf.DataType;
}

/** The members of tfjs-backend-webgpu 4.22's WebGPUBackend that custom kernels use. */
export interface WebGPUBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: object): TensorData; has(dataId: object): boolean };
  bufferManager: {
    acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
    numBytesUsed: number;
    numBytesAllocated: number;
  };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  dispatchCountInPass: number;
  activeTimers?: { name: string; query: Promise<number> | number }[] | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  getQueryTime(): Promise<number>;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  refCount(dataId: object): number;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The active backend as a WebGPU backend, or null on any other backend. */
export function webgpuBackend(): WebGPUBackendInternals | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const b = tf.backend() as unknown as Partial<WebGPUBackendInternals>;
  return b.device && b.tensorMap && b.bufferManager ? (b as WebGPUBackendInternals) : null;
}

export function asInternals(backend: unknown): WebGPUBackendInternals {
  return backend as WebGPUBackendInternals;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** A compute pipeline for `code` (entry point `main`), compiled once per device and key. */
export function pipelineFor(b: WebGPUBackendInternals, key: string, code: () => string): GPUComputePipeline {
  let cache = pipelines.get(b.device);
  if (!cache) {
    cache = new Map();
    pipelines.set(b.device, cache);
  }
  let p = cache.get(key);
  if (!p) {
    const module = b.device.createShaderModule({ code: code(), label: key });
    p = b.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    cache.set(key, p);
  }
  return p;
}

/** The GPU buffer behind a tensor (uploaded first if its values are still on the CPU). */
export function bufferOf(b: WebGPUBackendInternals, t: tf.TensorInfo): GPUBuffer {
  b.uploadToGPU(t.dataId);
  const r = b.tensorMap.get(t.dataId).resource;
  if (!(r instanceof GPUBuffer)) throw new Error('custom WebGPU kernel: tensor is not backed by a GPU buffer');
  return r;
}

/** A new float32 output tensor of `shape` with its GPU buffer allocated. */
export function newOutput(b: WebGPUBackendInternals, shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
  const info = b.makeTensorInfo(shape, dtype);
  b.uploadToGPU(info.dataId);
  return info;
}

/**
 * A scratch storage buffer from the backend's pool, handed back to the pool at the next queue
 * submit (after the commands that use it are recorded, which is all queue order needs).
 */
export function scratchBuffer(b: WebGPUBackendInternals, bytes: number): GPUBuffer {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const buf = b.bufferManager.acquireBuffer(size, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  b.uniformPendingDisposal.push(buf);
  return buf;
}

/**
 * Uniforms as one std140-friendly block: each value one 4-byte slot, in order, padded to 16
 * bytes. Floats and ints are told apart by the `ints` set of indices.
 */
export function uniformBuffer(b: WebGPUBackendInternals, values: number[], ints: ReadonlySet<number> = new Set()): GPUBuffer {
  const n = Math.max(4, Math.ceil(values.length / 4) * 4);
  const data = new ArrayBuffer(n * 4);
  const f = new Float32Array(data);
  const i32 = new Int32Array(data);
  values.forEach((v, k) => {
    if (ints.has(k)) i32[k] = v;
    else f[k] = v;
  });
  const buf = b.bufferManager.acquireBuffer(n * 4, GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM);
  b.queue.writeBuffer(buf, 0, data, 0, n * 4);
  b.uniformPendingDisposal.push(buf);
  return buf;
}

/** Shorthand: uniforms that are all 32-bit integers. */
export function intUniforms(b: WebGPUBackendInternals, values: number[]): GPUBuffer {
  return uniformBuffer(b, values, new Set(values.map((_, i) => i)));
}

/**
 * Record one dispatch into the backend's current compute pass, exactly as the backend records its
 * own programs: the tensors it touches stay alive until the submit, and the pass is submitted
 * every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches.
 *
 * A kernel of several dispatches passes `maySubmit: false` for all but its last one. A submit
 * hands the pooled uniform and scratch buffers back to the pool; a later program can then take one
 * and `queue.writeBuffer` into it, and that write lands before the commands still waiting in the
 * encoder, so a following dispatch of the same kernel would read the other program's values.
 */
export function dispatch(
  b: WebGPUBackendInternals,
  pipeline: GPUComputePipeline,
  buffers: GPUBuffer[],
  workgroups: [number, number?, number?],
  tensors: tf.TensorInfo[] = [],
  maySubmit = true,
): void {
  const bindGroup = b.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  for (const t of tensors) b.commandQueueOwnedIds.add(t.dataId);
  b.ensureCommandEncoderReady();
  // Under tf.profile / tf.time the backend times each program with timestamp queries in a pass of
  // its own; custom dispatches do the same, so profiles count them.
  const timed = b.activeTimers != null;
  if (timed && b.supportTimestampQuery) {
    b.endComputePassEncoder();
    b.querySet ??= b.device.createQuerySet({ type: 'timestamp', count: b.querySetCount });
    b.computePassEncoder = b.commandEncoder!.beginComputePass({
      timestampWrites: { querySet: b.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
  } else if (!b.computePassEncoder) {
    b.computePassEncoder = b.commandEncoder!.beginComputePass({});
  }
  const pass = b.computePassEncoder!;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
  b.dispatchCountInPass++;
  if (timed) {
    b.endComputePassEncoder();
    b.activeTimers!.push({ name: pipeline.label, query: b.getQueryTime() });
  } else if (maySubmit && tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= b.dispatchCountInPass) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}

/**
 * Make a tensor's buffer safe to overwrite in place: drop the backend's CPU copy of its values (a
 * read caches them, and a later read would return the stale copy). Returns false when another
 * tensor shares the buffer (tf.clone and reshape share data in tfjs), in which case the caller must
 * not write it in place.
 */
export function prepareInPlace(b: WebGPUBackendInternals, t: tf.TensorInfo): boolean {
  if (b.refCount(t.dataId) !== 1) return false;
  b.uploadToGPU(t.dataId);
  b.tensorMap.get(t.dataId).values = null;
  return true;
}

// ------------------------------------------------------------------------------------------------
// The step guard: a storage buffer whose first float is 1 while every loss term so far was finite.
// The optimiser and BatchNorm's moving-statistics update read it and do nothing when it is 0, so a
// step whose loss is not finite changes no weight without the host reading the loss first
// (../stepGraph.ts sets it around a guarded step; ./replay/guard.ts writes it). Outside a guarded
// step the kernels bind a buffer that always reads 1, so their arithmetic is the same either way.

const alwaysOk = new WeakMap<GPUDevice, GPUBuffer>();
let activeGuard: GPUBuffer | null = null;

/** Make `buffer` the guard the kernels read (null: the always-1 buffer). */
export function setStepGuard(buffer: GPUBuffer | null): void {
  activeGuard = buffer;
}

/** The guard buffer kernels bind now. */
export function stepGuard(b: WebGPUBackendInternals): GPUBuffer {
  if (activeGuard) return activeGuard;
  let ok = alwaysOk.get(b.device);
  if (!ok) {
    ok = b.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, mappedAtCreation: true });
    new Float32Array(ok.getMappedRange()).set([1, 0, 0, 0]);
    ok.unmap();
    alwaysOk.set(b.device, ok);
  }
  return ok;
}

/** Workgroup counts for `total` workgroups in at most two dimensions (65,535 per dimension). */
export function grid2d(total: number): [number, number] {
  const max = 65535;
  if (total <= max) return [Math.max(1, total), 1];
  const y = Math.ceil(total / max);
  return [Math.ceil(total / y), y];
}

/**
 * `t` itself when its buffer can be written in place, otherwise a copy with a buffer of its own.
 * A tf.Variable is re-pointed at the copy (and returned); for a plain tensor the caller swaps in
 * the returned copy and disposes the original.
 */
export function ensureExclusive<T extends tf.Tensor>(b: WebGPUBackendInternals, t: T): T {
  if (prepareInPlace(b, t)) return t;
  const src = bufferOf(b, t);
  const info = newOutput(b, t.shape, t.dtype);
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.commandEncoder!.copyBufferToBuffer(src, 0, bufferOf(b, info), 0, src.size);
  b.commandQueueOwnedIds.add(t.dataId);
  const copy = tf.engine().makeTensorFromTensorInfo(info) as T;
  if (t instanceof tf.Variable) {
    t.assign(copy);
    copy.dispose();
    return t;
  }
  return copy;
}
