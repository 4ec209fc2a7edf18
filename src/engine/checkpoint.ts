/**
 * Checkpoints of a run in progress: every network's weights (BatchNorm statistics included), each
 * optimiser's momentum buffers, the step and epoch counters, the data-order generator's state and
 * the epoch's order, dropout counters, and the evaluations so far; enough to continue a run and
 * reach the same numbers as if it had never stopped.
 *
 * A checkpoint is a small JSON header and one binary blob of float32 tensors. `CheckpointStore`
 * keeps two valid generations per run: the new one is written beside the previous one and becomes
 * the latest only once it is complete; a corrupt or partial latest falls back to the previous good
 * one. Pruning after a save keeps the newest valid older generation, so the leftovers of a torn
 * write (a crash mid-write leaves a newer but broken generation) never push out the good one.
 * The store works over a `FileStore` (memory, OPFS in the browser, the disk in Node).
 * No DOM.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../core/errors';
import type { SgdMomentum } from './optimizer';
import type { FileStore } from '../core/files';
import type { Evaluation, Phase } from '../core/records';
import { setDropoutCalls, dropoutCalls } from './customLayers';

export const CHECKPOINT_VERSION = 1;

interface TensorEntry {
  offset: number;
  shape: number[];
}

export interface CheckpointMeta {
  version: typeof CHECKPOINT_VERSION;
  key: string;
  phase: Phase;
  /** Epoch in progress (from 0) and steps of it already done. */
  epoch: number;
  step: number;
  globalStep: number;
  /** State of the run's data-order and augmentation generator after the last step done. */
  rng: number[];
  /** The order of the epoch in progress. */
  order: number[];
  history: Evaluation[];
  networks: {
    name: string;
    weights: TensorEntry[];
    /** Momentum buffer per trainable weight (by its index in model.trainableWeights), or null. */
    momentum: (TensorEntry | null)[] | null;
    optimizerSteps: number;
    dropout: Record<string, number>;
  }[];
  /** Bytes in the blob and their FNV-1a checksum, to catch a torn or corrupt file. */
  bytes: number;
  checksum: number;
  savedAt: string;
  /** Whatever the caller wants to keep with it (losses so far, timings). */
  extra?: Record<string, unknown>;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  blob: Uint8Array;
}

export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface CheckpointSource {
  name: string;
  model: tf.LayersModel;
  optimizer: SgdMomentum | null;
}

/** Read every tensor of a run back from the device into one checkpoint. */
export async function captureCheckpoint(
  key: string,
  state: Omit<CheckpointMeta, 'version' | 'key' | 'networks' | 'bytes' | 'checksum' | 'savedAt'>,
  sources: CheckpointSource[],
): Promise<Checkpoint> {
  const parts: Float32Array[] = [];
  let offset = 0;
  const add = async (t: tf.Tensor): Promise<TensorEntry> => {
    const data = (await t.data()) as Float32Array;
    const e = { offset, shape: t.shape.slice() };
    parts.push(data);
    offset += data.length;
    return e;
  };
  const networks: CheckpointMeta['networks'] = [];
  for (const s of sources) {
    const weights: TensorEntry[] = [];
    for (const w of s.model.weights) weights.push(await add(w.read()));
    let momentum: (TensorEntry | null)[] | null = null;
    let optimizerSteps = 0;
    if (s.optimizer) {
      const st = s.optimizer.getState();
      optimizerSteps = st.steps;
      momentum = [];
      for (const w of s.model.trainableWeights) {
        const v = (w as unknown as { val: tf.Variable }).val;
        const m = st.momentum[v.name];
        momentum.push(m ? await add(m) : null);
      }
      tf.dispose(Object.values(st.momentum));
    }
    networks.push({ name: s.name, weights, momentum, optimizerSteps, dropout: dropoutCalls(s.model) });
  }
  const blob = new Uint8Array(offset * 4);
  const f = new Float32Array(blob.buffer);
  let at = 0;
  for (const p of parts) {
    f.set(p, at);
    at += p.length;
  }
  const meta: CheckpointMeta = {
    version: CHECKPOINT_VERSION,
    key,
    networks,
    bytes: blob.length,
    checksum: fnv1a(blob),
    savedAt: new Date().toISOString(),
    ...state,
  };
  return { meta, blob };
}

/** Put a checkpoint's weights, momentum buffers and dropout counters back into the run's networks. */
export function restoreCheckpoint(cp: Checkpoint, sources: CheckpointSource[]): void {
  const f = new Float32Array(cp.blob.buffer, cp.blob.byteOffset, cp.blob.byteLength / 4);
  const read = (e: TensorEntry) => tf.tensor(f.slice(e.offset, e.offset + e.shape.reduce((a, b) => a * b, 1)), e.shape);
  for (const s of sources) {
    const n = cp.meta.networks.find((x) => x.name === s.name);
    if (!n) throw new EngineError('INVALID_CONFIG', `The checkpoint has no network named ${s.name}`, s.name);
    if (n.weights.length !== s.model.weights.length) {
      throw new EngineError('SHAPE_MISMATCH', `The checkpoint of ${s.name} holds ${n.weights.length} weights, the network ${s.model.weights.length}`, s.name);
    }
    s.model.weights.forEach((w, i) => {
      const t = read(n.weights[i]);
      if (!tf.util.arraysEqual(t.shape, w.shape as number[])) {
        t.dispose();
        throw new EngineError('SHAPE_MISMATCH', `Weight ${i} of ${s.name} has shape ${w.shape}, the checkpoint ${n.weights[i].shape}`, s.name);
      }
      w.write(t);
      t.dispose();
    });
    if (s.optimizer && n.momentum) {
      const momentum: Record<string, tf.Tensor> = {};
      s.model.trainableWeights.forEach((w, i) => {
        const e = n.momentum![i];
        if (e) momentum[(w as unknown as { val: tf.Variable }).val.name] = read(e);
      });
      s.optimizer.setState({ steps: n.optimizerSteps, momentum });
      tf.dispose(Object.values(momentum));
    }
    const calls = Object.values(n.dropout);
    if (calls.length) setDropoutCalls(s.model, calls[0]);
  }
}

// ---------------------------------------------------------------------------------------------
// Storage: two generations per run, switched only when the new one is complete.

const enc = new TextEncoder();
const dec = new TextDecoder();

function safeKey(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]/g, '_');
}

function isQuotaError(e: unknown): boolean {
  const n = (e as { name?: string })?.name;
  return n === 'QuotaExceededError' || /quota|no space|ENOSPC/i.test(String((e as Error)?.message ?? e));
}

export class CheckpointStore {
  /** Generations known to be whole (written here, or read back and checked), by `key/gen`. */
  private readonly known = new Map<string, boolean>();

  constructor(
    readonly files: FileStore,
    readonly root = 'checkpoints',
  ) {}

  private dir(key: string): string {
    return `${this.root}/${safeKey(key)}`;
  }

  private async generations(key: string): Promise<number[]> {
    const names = await this.files.list(`${this.dir(key)}/gen-`);
    const gens = new Set<number>();
    for (const n of names) {
      const m = /gen-(\d+)\.(json|bin)$/.exec(n);
      if (m) gens.add(Number(m[1]));
    }
    return Array.from(gens).sort((a, b) => b - a);
  }

  /**
   * Write `cp` as a new generation, then point `latest` at it, then drop every other generation
   * but the newest valid one before it (torn or corrupt ones go too). A full disk gives a typed
   * STORAGE_FULL error and leaves the previous checkpoint as the latest.
   */
  async save(cp: Checkpoint): Promise<number> {
    const key = cp.meta.key;
    const dir = this.dir(key);
    const gens = await this.generations(key);
    const gen = (gens[0] ?? 0) + 1;
    let previous: number | null = null;
    for (const g of gens) {
      if (await this.isValid(key, g)) {
        previous = g;
        break;
      }
    }
    try {
      await this.files.write(`${dir}/gen-${gen}.bin`, cp.blob);
      await this.files.write(`${dir}/gen-${gen}.json`, enc.encode(JSON.stringify(cp.meta)));
      await this.files.write(`${dir}/latest.json`, enc.encode(JSON.stringify({ gen, previous })));
    } catch (e) {
      await this.files.remove(`${dir}/gen-${gen}.bin`).catch(() => {});
      await this.files.remove(`${dir}/gen-${gen}.json`).catch(() => {});
      if (isQuotaError(e)) {
        throw new EngineError(
          'STORAGE_FULL',
          `There is no room left to save the checkpoint of ${cp.meta.key}; the previous checkpoint is kept. Free space (delete old checkpoints) and resume.`,
          cp.meta.key,
        );
      }
      throw e;
    }
    this.known.set(`${key}/${gen}`, true);
    for (const old of gens) {
      if (old === previous) continue;
      await this.files.remove(`${dir}/gen-${old}.bin`).catch(() => {});
      await this.files.remove(`${dir}/gen-${old}.json`).catch(() => {});
      this.known.delete(`${key}/${old}`);
    }
    return gen;
  }

  /** Whether generation `gen` of `key` is whole; read and checked once, then remembered. */
  private async isValid(key: string, gen: number): Promise<boolean> {
    const id = `${key}/${gen}`;
    let ok = this.known.get(id);
    if (ok === undefined) {
      ok = (await this.readGen(key, gen)) !== null;
      this.known.set(id, ok);
    }
    return ok;
  }

  private async readGen(key: string, gen: number): Promise<Checkpoint | null> {
    const dir = this.dir(key);
    try {
      const metaBytes = await this.files.read(`${dir}/gen-${gen}.json`);
      const blob = await this.files.read(`${dir}/gen-${gen}.bin`);
      if (!metaBytes || !blob) return null;
      const meta = JSON.parse(dec.decode(metaBytes)) as CheckpointMeta;
      if (meta.version !== CHECKPOINT_VERSION || meta.bytes !== blob.length || fnv1a(blob) !== meta.checksum) return null;
      return { meta, blob };
    } catch {
      return null;
    }
  }

  /** The latest complete, intact checkpoint of `key`, falling back to the one before; null if none. */
  async load(key: string): Promise<(Checkpoint & { gen: number; fellBack: boolean }) | null> {
    let order = await this.generations(key);
    const latest = await this.files.read(`${this.dir(key)}/latest.json`).catch(() => null);
    if (latest) {
      try {
        const { gen } = JSON.parse(dec.decode(latest)) as { gen: number };
        order = [gen, ...order.filter((g) => g !== gen)];
      } catch {
        // A torn pointer: try the generations newest first.
      }
    }
    for (let i = 0; i < order.length; i++) {
      const cp = await this.readGen(key, order[i]);
      if (cp) return { ...cp, gen: order[i], fellBack: i > 0 };
    }
    return null;
  }

  async remove(key: string): Promise<void> {
    for (const k of this.known.keys()) if (k.startsWith(`${key}/`)) this.known.delete(k);
    for (const f of await this.files.list(`${this.dir(key)}/`)) await this.files.remove(f);
  }

  /** Keys of the runs that have checkpoints. */
  async keys(): Promise<string[]> {
    const out = new Set<string>();
    for (const f of await this.files.list(`${this.root}/`)) {
      const m = new RegExp(`^${this.root}/([^/]+)/`).exec(f);
      if (m) out.add(m[1]);
    }
    return Array.from(out);
  }
}
