/**
 * The engine's optimiser: SGD with momentum and L2 weight decay, with PyTorch's semantics
 * (torch.optim.SGD, dampening 0, no Nesterov), for one network's trainable variables:
 *
 *   v = mu * v + (g + wd * w);   w = w - lr * v
 *
 * On WebGPU with the fast kernels on (./kernels/fastKernels.ts) the variables are updated in
 * place, two per dispatch within WebGPU's default binding limits (./kernels/SgdMomentumUpdate.ts);
 * on any other backend, or with the fast kernels off, by plain tfjs ops that compute the same
 * thing. Either way this class owns its momentum buffers (created on a variable's first update, as
 * PyTorch does) and frees them in `dispose`; a step allocates no tensor that outlives it.
 *
 * The momentum buffers can be read and restored by variable name for checkpoints (`getState` /
 * `setState`). No DOM: runs in the worker, in Node tests and in the benchmark.
 */
import * as tf from '@tensorflow/tfjs';
import { fastKernelsActive } from './kernels/state';
import { SgdMomentumKernel, type SgdItem } from './kernels/SgdMomentumUpdate';
import { ensureExclusive, webgpuBackend } from './kernels/runtime';

export interface SgdMomentumOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** A checkpointable view of the optimiser: momentum buffers by variable name. */
export interface SgdMomentumState {
  /** Number of steps taken. */
  steps: number;
  /** Momentum buffer per variable name; variables not yet updated have none (PyTorch's lazy state). */
  momentum: Record<string, tf.Tensor>;
}

export class SgdMomentum {
  lr: number;
  momentum: number;
  weightDecay: number;
  private readonly slots = new Map<string, tf.Tensor>();
  private kernel: SgdMomentumKernel | null = null;
  private kernelDevice: unknown = null;
  private steps = 0;
  private disposed = false;

  constructor(
    /** The variables this optimiser updates (one network's trainable weights). */
    readonly variables: tf.Variable[],
    opts: SgdMomentumOptions,
  ) {
    this.lr = opts.lr;
    this.momentum = opts.momentum;
    this.weightDecay = opts.weightDecay;
  }

  /**
   * One update from `grads` (keyed by variable name, as tf.variableGrads returns them). Variables
   * without a gradient are left alone. The gradients stay owned by the caller.
   */
  step(grads: tf.NamedTensorMap): void {
    if (this.disposed) throw new Error('SgdMomentum: step() after dispose()');
    const b = fastKernelsActive() ? webgpuBackend() : null;
    if (b) {
      if (!this.kernel || this.kernelDevice !== b.device) {
        this.kernel?.dispose();
        this.kernel = new SgdMomentumKernel(b);
        this.kernelDevice = b.device;
      }
      const items: SgdItem[] = [];
      for (const v of this.variables) {
        const g = grads[v.name];
        if (!g) continue;
        let slot = this.slots.get(v.name);
        if (!slot) {
          // Kept: a step usually runs inside the caller's tidy, and the buffer must outlive it.
          slot = tf.keep(tf.zerosLike(v));
          this.slots.set(v.name, slot);
        }
        // In-place writes need buffers nobody else holds; copy a shared one first (rare: only
        // after a caller cloned a weight or a momentum buffer). This also keeps any two buffers
        // one dispatch writes apart.
        ensureExclusive(b, v);
        const own = ensureExclusive(b, slot);
        if (own !== slot) {
          slot.dispose();
          slot = tf.keep(own);
          this.slots.set(v.name, slot);
        }
        items.push({ name: v.name, w: v, v: slot, g });
      }
      this.kernel.runAll(items, this.lr, this.momentum, this.weightDecay);
    } else {
      tf.tidy(() => {
        for (const v of this.variables) {
          const g = grads[v.name];
          if (!g) continue;
          const d = this.weightDecay > 0 ? tf.add(g, tf.mul(v, this.weightDecay)) : g;
          const old = this.slots.get(v.name);
          const next = tf.keep(old ? tf.add(tf.mul(old, this.momentum), d) : d === g ? tf.clone(g) : d);
          if (old) old.dispose();
          this.slots.set(v.name, next);
          v.assign(tf.sub(v, tf.mul(next, this.lr)));
        }
      });
    }
    this.steps++;
  }

  /**
   * Write the current lr, momentum and weight decay into the fused kernel's hyperparameter block,
   * where a recorded step (./stepGraph.ts) reads them when it is replayed.
   */
  refreshKernelParams(): void {
    this.kernel?.setParams(this.lr, this.momentum, this.weightDecay);
  }

  /**
   * Copies of the momentum buffers by variable name (the caller owns and disposes them) and the
   * step count.
   */
  getState(): SgdMomentumState {
    const momentum: Record<string, tf.Tensor> = {};
    for (const [name, t] of this.slots) momentum[name] = tf.clone(t);
    return { steps: this.steps, momentum };
  }

  /** Restore momentum buffers (copied; the caller keeps ownership of `state`). Unknown names throw. */
  setState(state: SgdMomentumState): void {
    const byName = new Map(this.variables.map((v) => [v.name, v]));
    for (const [name, t] of Object.entries(state.momentum)) {
      const v = byName.get(name);
      if (!v) throw new Error(`SgdMomentum.setState: no variable named ${name}`);
      if (!tf.util.arraysEqual(v.shape, t.shape)) {
        throw new Error(`SgdMomentum.setState: ${name} has shape ${v.shape}, the saved buffer ${t.shape}`);
      }
    }
    for (const t of this.slots.values()) t.dispose();
    this.slots.clear();
    for (const [name, t] of Object.entries(state.momentum)) this.slots.set(name, tf.clone(t));
    this.steps = state.steps;
  }

  /** The momentum buffers themselves (owned by this optimiser; for the step graph's checks). */
  momentumTensors(): tf.Tensor[] {
    return [...this.slots.values()];
  }

  /** Number of momentum buffers held (one per variable updated so far). */
  get numSlots(): number {
    return this.slots.size;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.slots.values()) t.dispose();
    this.slots.clear();
    this.kernel?.dispose();
    this.kernel = null;
  }
}
