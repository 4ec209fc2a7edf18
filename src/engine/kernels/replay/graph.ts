/// <reference types="@webgpu/types" />
/**
 * A recorded training step (./recorder.ts) made replayable, and its replay: the same pipelines
 * over the same buffers in the same order, in one command encoder and one submit, with no tfjs
 * work and no per-dispatch uniform write.
 *
 * - Uniforms: every dispatch that bound a pooled uniform buffer gets its own slot in one uniform
 *   arena, holding the bytes it read when recorded, and a bind group of its own that points there.
 * - Buffers: the step's transient buffers (taken from tfjs's pool during the recording and back in
 *   it afterwards) are pinned: taken out of the pool, so nothing that runs between two replays
 *   (an evaluation, a checkpoint) can be handed one. `unpin` gives them back for a while (the
 *   pool then serves other work from them, as it does between eager steps) and `pin` takes them
 *   out again; a buffer still held by a tensor at that point makes the graph unusable. The
 *   persistent tensors (weights, momentum, BatchNorm statistics) are checked before every replay
 *   to still own the buffers the step was recorded with (a restore or an assign replaces them),
 *   and their cached CPU copies are dropped after it.
 * - Uploads: constants are copied from one staging arena (ahead of the first pass when nothing in
 *   the step touches their buffer earlier); dynamic ones (./dynamic.ts) are regenerated per replay
 *   and written by the queue (into their buffer directly when the step touches it first, else into
 *   a staging buffer copied at the same point of the step).
 *
 * Depends on tfjs types and ../runtime.ts. No DOM.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WebGPUBackendInternals } from '../runtime';
import type { Recording } from './recorder';
import type { Regenerate } from './dynamic';

export class GraphError extends Error {}

interface PoolInternals {
  freeBuffers: Map<string, GPUBuffer[]>;
  usedBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  numBytesUsed: number;
}

const keyOf = (buf: GPUBuffer) => `${buf.size}_${buf.usage}`;

type Compiled =
  | { kind: 0; pipeline: GPUComputePipeline; group: GPUBindGroup; x: number; y: number; z: number }
  | { kind: 1; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number };

interface Dynamic {
  regenerate: Regenerate;
  /** Where the queue writes the values: the tensor's buffer, or its staging buffer. */
  target: GPUBuffer;
  bytes: number;
  int: boolean;
}

export interface GraphStats {
  dispatches: number;
  copies: number;
  uploads: number;
  dynamicUploads: number;
  pinnedBuffers: number;
  pinnedBytes: number;
  uniformSlots: number;
}

export class StepGraph {
  readonly device: GPUDevice;
  readonly stats: GraphStats;
  private readonly ops: Compiled[] = [];
  private readonly prologue: { src: GPUBuffer; srcOffset: number; dst: GPUBuffer; size: number }[] = [];
  private readonly dynamics: Dynamic[] = [];
  private readonly owned: GPUBuffer[] = [];
  private readonly pins: GPUBuffer[] = [];
  private readonly persistent: { t: tf.Tensor; buffer: GPUBuffer }[] = [];
  private pinned = false;
  private disposed = false;

  /**
   * `persistent`: every tensor that lives across steps and that the step may read or write
   * (weights, momentum buffers, BatchNorm statistics, a frozen teacher's weights). Throws a
   * GraphError when the recording cannot be replayed safely.
   */
  constructor(
    private readonly b: WebGPUBackendInternals,
    rec: Recording,
    persistent: tf.Tensor[],
  ) {
    if (rec.unsupported) throw new GraphError(rec.unsupported);
    this.device = b.device;
    const pool = b.bufferManager as unknown as PoolInternals;
    const owner = new Map<GPUBuffer, tf.Tensor>();
    for (const t of persistent) {
      const r = b.tensorMap.has(t.dataId) ? b.tensorMap.get(t.dataId).resource : null;
      if (r instanceof GPUBuffer) owner.set(r, t);
    }
    const free = new Set<GPUBuffer>();
    for (const list of pool.freeBuffers.values()) for (const buf of list) free.add(buf);
    const used = new Set<GPUBuffer>();
    for (const list of pool.usedBuffers.values()) for (const buf of list) used.add(buf);

    // Which buffers the replay binds, copies or uploads into, and where each comes from.
    const referenced = new Set<GPUBuffer>();
    for (const op of rec.ops) {
      if (op.kind === 'dispatch') {
        const g = rec.groups.get(op.group)!;
        const slottedBindings = new Set(op.uniforms.map((u) => u.binding));
        for (const e of g.entries) if (!slottedBindings.has(e.binding)) referenced.add(e.buffer);
      } else if (op.kind === 'copy') {
        referenced.add(op.src);
        referenced.add(op.dst);
      } else referenced.add(op.dst);
    }
    const seenPersistent = new Set<tf.Tensor>();
    for (const buf of referenced) {
      const t = owner.get(buf);
      if (t) {
        if (!seenPersistent.has(t)) this.persistent.push({ t, buffer: buf });
        seenPersistent.add(t);
      } else if (rec.acquired.has(buf)) {
        if (!free.has(buf)) throw new GraphError('a buffer the step wrote is still held by a tensor after the step');
        this.pins.push(buf);
      } else if (used.has(buf)) {
        throw new GraphError('the step reads a tensor that lives across steps but is not among the weights and optimiser state');
      } else if (free.has(buf)) {
        throw new GraphError('the step binds a free pool buffer it did not take');
      }
      // Otherwise a buffer the engine's kernels or the stepper own (not pooled): kept as bound.
    }

    // Uniform arena: one aligned slot per (dispatch, pooled uniform binding).
    const align = Math.max(256, b.device.limits.minUniformBufferOffsetAlignment ?? 256);
    let arenaBytes = 0;
    let slots = 0;
    for (const op of rec.ops)
      if (op.kind === 'dispatch')
        for (const u of op.uniforms) {
          arenaBytes += Math.ceil(u.bytes.length / align) * align;
          slots++;
        }
    let arena: GPUBuffer | null = null;
    let arenaView: Uint8Array | null = null;
    if (arenaBytes > 0) {
      arena = this.own(b.device.createBuffer({ size: arenaBytes, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true, label: 'cohort_replay_uniforms' }));
      arenaView = new Uint8Array(arena.getMappedRange());
    }

    // Constant uploads share one staging arena.
    const touched = new Set<GPUBuffer>();
    let constBytes = 0;
    for (const op of rec.ops) if (op.kind === 'upload' && !op.regenerate) constBytes += Math.ceil(op.bytes.length / 4) * 4;
    let constants: GPUBuffer | null = null;
    let constView: Uint8Array | null = null;
    if (constBytes > 0) {
      constants = this.own(
        b.device.createBuffer({ size: constBytes, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true, label: 'cohort_replay_constants' }),
      );
      constView = new Uint8Array(constants.getMappedRange());
    }

    let arenaAt = 0;
    let constAt = 0;
    let copies = 0;
    let dispatches = 0;
    let uploads = 0;
    for (const op of rec.ops) {
      if (op.kind === 'dispatch') {
        dispatches++;
        const g = rec.groups.get(op.group)!;
        let group = op.group;
        if (op.uniforms.length > 0) {
          const bySlot = new Map<number, { offset: number; size: number }>();
          for (const u of op.uniforms) {
            arenaView!.set(u.bytes, arenaAt);
            bySlot.set(u.binding, { offset: arenaAt, size: u.bytes.length });
            arenaAt += Math.ceil(u.bytes.length / align) * align;
          }
          group = b.device.createBindGroup({
            layout: g.layout,
            entries: g.entries.map((e) => {
              const s = bySlot.get(e.binding);
              return s
                ? { binding: e.binding, resource: { buffer: arena!, offset: s.offset, size: s.size } }
                : { binding: e.binding, resource: { buffer: e.buffer, offset: e.offset, size: e.size } };
            }),
          });
        }
        for (const e of g.entries) touched.add(e.buffer);
        this.ops.push({ kind: 0, pipeline: op.pipeline, group, x: op.x, y: op.y, z: op.z });
      } else if (op.kind === 'copy') {
        copies++;
        touched.add(op.src);
        touched.add(op.dst);
        this.ops.push({ kind: 1, src: op.src, srcOffset: op.srcOffset, dst: op.dst, dstOffset: op.dstOffset, size: op.size });
      } else {
        uploads++;
        const first = !touched.has(op.dst);
        touched.add(op.dst);
        const size = op.bytes.length;
        if (!op.regenerate) {
          constView!.set(op.bytes, constAt);
          if (first) this.prologue.push({ src: constants!, srcOffset: constAt, dst: op.dst, size });
          else this.ops.push({ kind: 1, src: constants!, srcOffset: constAt, dst: op.dst, dstOffset: 0, size });
          constAt += Math.ceil(size / 4) * 4;
        } else if (first) {
          this.dynamics.push({ regenerate: op.regenerate, target: op.dst, bytes: size, int: op.int });
        } else {
          const staging = this.own(b.device.createBuffer({ size: Math.ceil(size / 4) * 4, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }));
          this.dynamics.push({ regenerate: op.regenerate, target: staging, bytes: size, int: op.int });
          this.ops.push({ kind: 1, src: staging, srcOffset: 0, dst: op.dst, dstOffset: 0, size });
        }
      }
    }
    arena?.unmap();
    constants?.unmap();
    this.stats = {
      dispatches,
      copies,
      uploads,
      dynamicUploads: this.dynamics.length,
      pinnedBuffers: this.pins.length,
      pinnedBytes: this.pins.reduce((a, p) => a + p.size, 0),
      uniformSlots: slots,
    };
    this.pin();
  }

  private own(buf: GPUBuffer): GPUBuffer {
    this.owned.push(buf);
    return buf;
  }

  /** Why this graph cannot be replayed now, or null. */
  staleReason(): string | null {
    if (this.disposed) return 'disposed';
    if (this.b.device !== this.device) return 'the GPU device changed';
    for (const p of this.persistent) {
      const tm = this.b.tensorMap;
      if (!tm.has(p.t.dataId) || tm.get(p.t.dataId).resource !== p.buffer) return 'a weight or optimiser buffer was replaced';
    }
    return null;
  }

  get isPinned(): boolean {
    return this.pinned;
  }

  /** Take the transient buffers out of tfjs's pool. False when one of them is held by a tensor now. */
  pin(): boolean {
    if (this.pinned) return true;
    const pool = this.b.bufferManager as unknown as PoolInternals;
    const taken: GPUBuffer[] = [];
    for (const buf of this.pins) {
      const list = pool.freeBuffers.get(keyOf(buf));
      const i = list ? list.indexOf(buf) : -1;
      if (i < 0) {
        // Put back what was taken so far: the pool stays as it was.
        for (const t of taken) pool.freeBuffers.get(keyOf(t))!.push(t);
        pool.numFreeBuffers += taken.length;
        return false;
      }
      list![i] = list![list!.length - 1];
      list!.pop();
      taken.push(buf);
    }
    pool.numFreeBuffers -= taken.length;
    // Counted as in use, so tf.memory() and the benchmark's peak include them.
    pool.numBytesUsed += this.stats.pinnedBytes;
    this.pinned = true;
    return true;
  }

  /** Give the transient buffers back to tfjs's pool (until `pin`). */
  unpin(): void {
    if (!this.pinned) return;
    const pool = this.b.bufferManager as unknown as PoolInternals;
    for (const buf of this.pins) {
      const k = keyOf(buf);
      if (!pool.freeBuffers.has(k)) pool.freeBuffers.set(k, []);
      pool.freeBuffers.get(k)!.push(buf);
    }
    pool.numFreeBuffers += this.pins.length;
    pool.numBytesUsed -= this.stats.pinnedBytes;
    this.pinned = false;
  }

  /**
   * Replay the step: regenerate the dynamic inputs, record every command into one encoder, let
   * `epilogue` add its own (a read-back copy), submit once. Throws a GraphError when the graph is
   * stale or its buffers cannot be pinned; nothing was submitted then.
   */
  replay(epilogue?: (enc: GPUCommandEncoder) => void): void {
    const stale = this.staleReason();
    if (stale) throw new GraphError(stale);
    const b = this.b;
    // Commands tfjs recorded but has not submitted yet run first, as they would have; the submit
    // also returns the buffers of tensors disposed since to the pool, where `pin` looks for them.
    if (b.commandEncoder) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
    if (!this.pin()) throw new GraphError('a buffer of the step is held by a tensor');
    const q = this.device.queue;
    for (const d of this.dynamics) {
      const v = d.regenerate();
      if (v.byteLength !== d.bytes) throw new GraphError(`a dynamic input has ${v.byteLength} bytes, recorded ${d.bytes}`);
      const typed = d.int ? (v instanceof Int32Array ? v : Int32Array.from(v)) : v instanceof Float32Array ? v : Float32Array.from(v);
      q.writeBuffer(d.target, 0, typed.buffer, typed.byteOffset, typed.byteLength);
    }
    const enc = this.device.createCommandEncoder();
    for (const p of this.prologue) enc.copyBufferToBuffer(p.src, p.srcOffset, p.dst, 0, p.size);
    let pass: GPUComputePassEncoder | null = null;
    let last: GPUComputePipeline | null = null;
    for (const op of this.ops) {
      if (op.kind === 0) {
        if (!pass) {
          pass = enc.beginComputePass();
          last = null;
        }
        if (op.pipeline !== last) {
          pass.setPipeline(op.pipeline);
          last = op.pipeline;
        }
        pass.setBindGroup(0, op.group);
        pass.dispatchWorkgroups(op.x, op.y, op.z);
      } else {
        if (pass) {
          pass.end();
          pass = null;
        }
        enc.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.size);
      }
    }
    pass?.end();
    epilogue?.(enc);
    q.submit([enc.finish()]);
    // The step rewrote weights and statistics behind tfjs's back: a value cached on the CPU by an
    // earlier read (a checkpoint) is stale now.
    for (const p of this.persistent) {
      const td = b.tensorMap.get(p.t.dataId);
      if (td.values != null) td.values = null;
    }
  }

  /** Give the pinned buffers back to the pool and free the graph's own buffers. */
  dispose(): void {
    if (this.disposed) return;
    if (this.b.device === this.device) this.unpin();
    this.disposed = true;
    for (const buf of this.owned) buf.destroy();
    this.owned.length = 0;
  }
}
