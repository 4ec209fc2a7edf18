/**
 * Plain-data types of the studio worker that the page needs and no other room owns: which
 * backend runs and why the preferred ones did not, and what storage holds. The worker API itself
 * is typed from the worker's functions (`StudioApi = typeof api`).
 *
 * Types only: the page imports this file, so it must not import TensorFlow.js or the engine.
 */

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

export interface BackendReport {
  backend: BackendName;
  /** Why each preferred backend that was tried before it failed. */
  fallbacks: { backend: BackendName; reason: string }[];
  /** Whether the engine's own WebGPU training kernels are on (`?kernels=stock` turns them off). */
  fastKernels?: boolean;
  /** Whether the training step is recorded once and replayed (`?replay=off` turns it off). */
  replay?: boolean;
}

/**
 * What this browser gives the studio's storage. Without `persistent` (no OPFS, or no
 * `createWritable`), checkpoints, the journal and kept runs live in memory: a reload loses them.
 * Without `locks`, two tabs cannot tell that the other trains.
 */
export interface StorageSupport {
  opfs: boolean;
  createWritable: boolean;
  locks: boolean;
  persistent: boolean;
}

/** Storage used by this origin, whether it is persistent, and the runs with checkpoints. */
export interface StorageReport {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
  checkpoints: string[];
  opfs: boolean;
  support: StorageSupport;
}
