/// <reference types="@webgpu/types" />
/**
 * Records one training step at the WebGPU API level: every compute dispatch (pipeline, bind group,
 * workgroup counts), buffer copy and upload the step issues, whichever code issued it (tfjs's stock
 * programs or the engine's kernels), in the order the queue runs them. ./graph.ts turns a recording
 * into a replayable step.
 *
 * How: while recording, the backend's device, queue, command encoders, compute passes, buffer pool
 * and `uploadToGPU` are wrapped (own properties that shadow the prototype methods, removed by
 * `stop`), so nothing outside a recording pays for it. Per dispatch the contents of the pooled
 * uniform buffers it binds are taken as they are when its command buffer is submitted (a queue
 * write lands before every command not yet submitted), which is what the GPU reads. Uploads keep
 * their bytes and, when the tensor was marked dynamic (./dynamic.ts), the function that makes the
 * next step's values.
 *
 * Anything a replay could not reproduce (a read back to the CPU, texture work, timestamp queries,
 * a queue write into a storage buffer) marks the recording unusable with a reason.
 *
 * Touches tfjs-backend-webgpu 4.22 internals only through ../runtime.ts's types. No DOM.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WebGPUBackendInternals } from '../runtime';
import { setDynamicSink, type Regenerate } from './dynamic';

/** A pooled uniform buffer's bytes as one dispatch sees them. */
export interface UniformSnapshot {
  binding: number;
  bytes: Uint8Array;
}

export interface DispatchOp {
  kind: 'dispatch';
  pipeline: GPUComputePipeline;
  group: GPUBindGroup;
  x: number;
  y: number;
  z: number;
  uniforms: UniformSnapshot[];
}

export interface CopyOp {
  kind: 'copy';
  src: GPUBuffer;
  srcOffset: number;
  dst: GPUBuffer;
  dstOffset: number;
  size: number;
}

export interface UploadOp {
  kind: 'upload';
  dst: GPUBuffer;
  bytes: Uint8Array;
  int: boolean;
  regenerate: Regenerate | null;
}

export type Op = DispatchOp | CopyOp | UploadOp;

export interface BindEntry {
  binding: number;
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

export interface Recording {
  ops: Op[];
  /** Buffer entries of every bind group the step bound. */
  groups: Map<GPUBindGroup, { layout: GPUBindGroupLayout; entries: BindEntry[] }>;
  /** Buffers the step took from tfjs's pool (its transient tensors and uniforms). */
  acquired: Set<GPUBuffer>;
  /** Why this recording cannot be replayed; null when it can. */
  unsupported: string | null;
}

type AnyFn = (...args: never[]) => unknown;

interface PendingDispatch {
  op: DispatchOp;
  pending: { binding: number; buffer: GPUBuffer; offset: number; size: number }[];
}

export class Recorder {
  readonly recording: Recording = { ops: [], groups: new Map(), acquired: new Set(), unsupported: null };
  private readonly restores: (() => void)[] = [];
  private readonly shadows = new Map<GPUBuffer, Uint8Array>();
  private readonly encoderOps = new Map<GPUCommandEncoder, { ops: Op[]; dispatches: PendingDispatch[] }>();
  private readonly finished = new Map<GPUCommandBuffer, { ops: Op[]; dispatches: PendingDispatch[] }>();
  private readonly tags = new WeakMap<object, Regenerate>();
  private inUpload = false;

  constructor(private readonly b: WebGPUBackendInternals) {}

  private fail(reason: string): void {
    this.recording.unsupported ??= reason;
  }

  /** Shadow `obj[name]` with `make(original)` until `stop`. */
  private wrap<T extends object>(obj: T, name: string, make: (orig: AnyFn) => AnyFn): void {
    const o = obj as unknown as Record<string, AnyFn>;
    const own = Object.prototype.hasOwnProperty.call(obj, name);
    const orig = o[name];
    o[name] = make(orig.bind(obj) as AnyFn);
    this.restores.push(() => {
      if (own) o[name] = orig;
      else delete o[name];
    });
  }

  start(): void {
    const b = this.b;
    const rec = this.recording;
    this.wrap(b.device, 'createCommandEncoder', (orig) => (...args) => {
      const enc = orig(...args) as GPUCommandEncoder;
      this.wrapEncoder(enc);
      return enc;
    });
    this.wrap(b.device, 'createBindGroup', (orig) => (...args) => {
      const desc = args[0] as unknown as GPUBindGroupDescriptor;
      const group = orig(...args) as GPUBindGroup;
      const entries: BindEntry[] = [];
      for (const e of desc.entries as Iterable<GPUBindGroupEntry>) {
        const r = e.resource as GPUBufferBinding;
        if (!r || !(r.buffer instanceof GPUBuffer)) {
          this.fail('a bind group binds something other than a buffer');
          continue;
        }
        const offset = r.offset ?? 0;
        entries.push({ binding: e.binding, buffer: r.buffer, offset, size: r.size ?? r.buffer.size - offset });
      }
      rec.groups.set(group, { layout: desc.layout as GPUBindGroupLayout, entries });
      return group;
    });
    this.wrap(b.queue, 'writeBuffer', (orig) => (...args) => {
      const [buffer, bufferOffset, data, dataOffset, size] = args as unknown as [GPUBuffer, number, BufferSource, number?, number?];
      if (buffer.usage & GPUBufferUsage.UNIFORM) {
        if (rec.acquired.has(buffer)) {
          let shadow = this.shadows.get(buffer);
          if (!shadow) this.shadows.set(buffer, (shadow = new Uint8Array(buffer.size)));
          shadow.set(bytesOf(data, dataOffset, size), bufferOffset);
        }
        // A uniform block the engine's kernels own (not pooled) keeps its binding: its owner
        // rewrites it when its value changes (the optimiser's learning-rate block).
      } else {
        this.fail('the step writes a storage buffer from the CPU');
      }
      return orig(...(args as never[]));
    });
    this.wrap(b.queue, 'submit', (orig) => (...args) => {
      for (const cb of args[0] as unknown as Iterable<GPUCommandBuffer>) {
        const rec2 = this.finished.get(cb);
        if (!rec2) {
          this.fail('a command buffer from outside the step was submitted');
          continue;
        }
        for (const d of rec2.dispatches) {
          for (const p of d.pending) {
            const shadow = this.shadows.get(p.buffer);
            if (!shadow) {
              this.fail('a dispatch binds a uniform buffer whose contents were written before the step');
              continue;
            }
            d.op.uniforms.push({ binding: p.binding, bytes: shadow.slice(p.offset, p.offset + p.size) });
          }
        }
        rec.ops.push(...rec2.ops);
        this.finished.delete(cb);
      }
      return orig(...args);
    });
    this.wrap(b.bufferManager, 'acquireBuffer', (orig) => (...args) => {
      const buf = orig(...args) as GPUBuffer;
      if (!(buf.usage & (GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE))) rec.acquired.add(buf);
      return buf;
    });
    this.wrap(b, 'uploadToGPU', (orig) => (...args) => {
      const dataId = args[0] as unknown as object;
      const td = b.tensorMap.get(dataId);
      if (td.resource != null || !td.values) return orig(...args);
      const int = td.dtype === 'int32' || td.dtype === 'bool';
      const values = td.values as ArrayLike<number>;
      const typed = int ? Int32Array.from(values) : Float32Array.from(values);
      this.inUpload = true;
      try {
        orig(...args);
      } finally {
        this.inUpload = false;
      }
      const dst = b.tensorMap.get(dataId).resource as GPUBuffer;
      const op: UploadOp = { kind: 'upload', dst, bytes: new Uint8Array(typed.buffer), int, regenerate: this.tags.get(dataId) ?? null };
      this.currentOps().push(op);
    });
    this.wrap(b as unknown as object, 'getBufferData', (orig) => (...args) => {
      this.fail('the step reads a buffer back to the CPU');
      return orig(...args);
    });
    setDynamicSink((t: tf.Tensor, regenerate: Regenerate) => this.tags.set(t.dataId, regenerate));
  }

  /** Stop recording and remove every wrapper. */
  stop(): Recording {
    setDynamicSink(null);
    for (const r of this.restores.reverse()) r();
    this.restores.length = 0;
    if (this.encoderOps.size > 0 || this.finished.size > 0) {
      // Commands recorded but never submitted: the GPU never ran them, neither may a replay.
      this.encoderOps.clear();
      this.finished.clear();
    }
    return this.recording;
  }

  /** The ops list of the encoder tfjs is recording into now (uploads go there, in order). */
  private currentOps(): Op[] {
    const enc = this.b.commandEncoder;
    const e = enc ? this.encoderOps.get(enc) : undefined;
    if (!e) {
      this.fail('an upload outside a recorded command encoder');
      return [];
    }
    return e.ops;
  }

  private wrapEncoder(enc: GPUCommandEncoder): void {
    const state = { ops: [] as Op[], dispatches: [] as PendingDispatch[] };
    this.encoderOps.set(enc, state);
    const rec = this.recording;
    const e = enc as unknown as Record<string, AnyFn>;
    // The originals, bound to this object (methods may live on the prototype or on the instance).
    const own = (o: Record<string, AnyFn>, name: string) => {
      const f = o[name];
      return f ? (f.bind(o) as AnyFn) : null;
    };
    const beginComputePass = own(e, 'beginComputePass')!;
    e.beginComputePass = ((desc?: GPUComputePassDescriptor) => {
      if (desc?.timestampWrites) this.fail('a compute pass writes timestamps (profiling)');
      const pass = beginComputePass(desc as never) as GPUComputePassEncoder;
      let pipeline: GPUComputePipeline | null = null;
      let group: GPUBindGroup | null = null;
      const p = pass as unknown as Record<string, AnyFn>;
      const setPipeline = own(p, 'setPipeline')!;
      const setBindGroup = own(p, 'setBindGroup')!;
      const dispatchWorkgroups = own(p, 'dispatchWorkgroups')!;
      const dispatchIndirect = own(p, 'dispatchWorkgroupsIndirect');
      p.setPipeline = ((pl: GPUComputePipeline) => {
        pipeline = pl;
        return setPipeline(pl as never);
      }) as AnyFn;
      p.setBindGroup = ((index: number, g: GPUBindGroup, ...rest: unknown[]) => {
        if (index !== 0 || rest.length > 0) this.fail('a bind group at an index other than 0, or with dynamic offsets');
        group = g;
        return setBindGroup(index as never, g as never, ...(rest as never[]));
      }) as AnyFn;
      p.dispatchWorkgroups = ((x: number, y = 1, z = 1) => {
        if (!pipeline || !group) this.fail('a dispatch without a pipeline or bind group');
        else {
          const op: DispatchOp = { kind: 'dispatch', pipeline, group, x, y, z, uniforms: [] };
          const pending: PendingDispatch['pending'] = [];
          const g = rec.groups.get(group);
          if (!g) this.fail('a bind group created before the step');
          else for (const en of g.entries) if (en.buffer.usage & GPUBufferUsage.UNIFORM && rec.acquired.has(en.buffer)) pending.push({ ...en });
          state.ops.push(op);
          state.dispatches.push({ op, pending });
        }
        return dispatchWorkgroups(x as never, y as never, z as never);
      }) as AnyFn;
      if (dispatchIndirect)
        p.dispatchWorkgroupsIndirect = ((...a: never[]) => {
          this.fail('an indirect dispatch');
          return dispatchIndirect(...a);
        }) as AnyFn;
      return pass;
    }) as AnyFn;
    const copyBufferToBuffer = own(e, 'copyBufferToBuffer')!;
    e.copyBufferToBuffer = ((src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number) => {
      // An upload's staging copy is covered by its upload op.
      if (!this.inUpload) state.ops.push({ kind: 'copy', src, srcOffset, dst, dstOffset, size });
      return copyBufferToBuffer(src as never, srcOffset as never, dst as never, dstOffset as never, size as never);
    }) as AnyFn;
    for (const name of ['clearBuffer', 'resolveQuerySet', 'copyBufferToTexture', 'copyTextureToBuffer', 'copyTextureToTexture', 'beginRenderPass']) {
      const orig = own(e, name);
      if (!orig) continue;
      e[name] = ((...a: never[]) => {
        this.fail(`the step calls ${name}`);
        return orig(...a);
      }) as AnyFn;
    }
    const finish = own(e, 'finish')!;
    e.finish = ((desc?: GPUCommandBufferDescriptor) => {
      const cb = finish(desc as never) as GPUCommandBuffer;
      this.encoderOps.delete(enc);
      this.finished.set(cb, state);
      return cb;
    }) as AnyFn;
  }
}

/** The bytes `queue.writeBuffer(buffer, offset, data, dataOffset, size)` writes. */
function bytesOf(data: BufferSource, dataOffset?: number, size?: number): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    const el = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    const start = (dataOffset ?? 0) * el;
    const len = size !== undefined ? size * el : data.byteLength - start;
    return new Uint8Array(data.buffer, data.byteOffset + start, len);
  }
  const start = dataOffset ?? 0;
  const len = size !== undefined ? size : (data as ArrayBuffer).byteLength - start;
  return new Uint8Array(data as ArrayBuffer, start, len);
}

/** What two recordings of the same step must share for one to stand for the other. */
export function compareRecordings(a: Recording, b: Recording): string | null {
  if (a.ops.length !== b.ops.length) return `the step issued ${b.ops.length} commands, the recorded one ${a.ops.length}`;
  for (let i = 0; i < a.ops.length; i++) {
    const x = a.ops[i];
    const y = b.ops[i];
    if (x.kind !== y.kind) return `command ${i} is a ${y.kind}, the recorded one a ${x.kind}`;
    if (x.kind === 'dispatch' && y.kind === 'dispatch') {
      if (x.pipeline !== y.pipeline || x.x !== y.x || x.y !== y.y || x.z !== y.z) return `dispatch ${i} differs (${y.pipeline.label})`;
      if (x.uniforms.length !== y.uniforms.length || x.uniforms.some((u, k) => !sameBytes(u.bytes, y.uniforms[k].bytes)))
        return `the uniforms of dispatch ${i} (${y.pipeline.label}) differ`;
    } else if (x.kind === 'copy' && y.kind === 'copy') {
      if (x.size !== y.size) return `copy ${i} differs`;
    } else if (x.kind === 'upload' && y.kind === 'upload') {
      if (x.bytes.length !== y.bytes.length || !!x.regenerate !== !!y.regenerate) return `upload ${i} differs`;
      if (!x.regenerate && !sameBytes(x.bytes, y.bytes)) return `upload ${i} carries values that change from step to step but are not marked dynamic`;
    }
  }
  return null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
