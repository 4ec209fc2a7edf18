/**
 * What this browser gives the studio's storage, and the file store that follows from it: the
 * origin's private file system (OPFS) with `createWritable`, whose writes replace a file whole or
 * not at all, for checkpoints, the journal and the kept runs; or, where either is missing (Safari
 * before 26 has no `createWritable`; some private modes have no OPFS), memory, so training still
 * works but nothing of a run survives a reload. Also the disk left to this origin
 * (`navigator.storage.estimate()`), checked before an experiment starts.
 *
 * Owns: feature detection and the space check. Runs in the studio worker.
 */
import { EngineError } from '../core/errors';
import { MemoryFileStore, type FileStore } from '../core/files';
import { OpfsFileStore } from './opfsFileStore';
import type { StorageSupport } from './protocol';

interface Env {
  navigator?: { storage?: { getDirectory?: unknown; estimate?: () => Promise<{ usage?: number; quota?: number }> }; locks?: unknown };
  FileSystemFileHandle?: { prototype: object };
}

/** What the browser has; `memoryOnly` (the worker's name asks for it) pretends it has no OPFS. */
export function storageSupport(memoryOnly = false, env: Env = globalThis as Env): StorageSupport {
  const opfs = !memoryOnly && typeof env.navigator?.storage?.getDirectory === 'function';
  const createWritable = opfs && !!env.FileSystemFileHandle && 'createWritable' in env.FileSystemFileHandle.prototype;
  const locks = !!env.navigator?.locks;
  return { opfs, createWritable, locks, persistent: opfs && createWritable };
}

export function fileStoreFor(support: StorageSupport): FileStore {
  return support.persistent ? new OpfsFileStore() : new MemoryFileStore();
}

function fmtBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.round(n / 1e6)} MB`;
}

/**
 * Throws STORAGE_FULL when `needBytes` more will not fit in what this origin may still use.
 * Where the browser does not say (no estimate), or storage is memory, nothing is checked.
 */
export async function checkSpace(support: StorageSupport, needBytes: number | undefined, env: Env = globalThis as Env): Promise<void> {
  const estimate = env.navigator?.storage?.estimate;
  if (!support.persistent || !needBytes || needBytes <= 0 || typeof estimate !== 'function') return;
  const e = await estimate.call(env.navigator!.storage);
  if (typeof e.quota !== 'number' || typeof e.usage !== 'number') return;
  const free = Math.max(0, e.quota - e.usage);
  if (needBytes > free) {
    throw new EngineError(
      'STORAGE_FULL',
      `This experiment needs about ${fmtBytes(needBytes)} of disk for its trained networks and checkpoints, but the browser lets the studio use only ${fmtBytes(free)} more. Delete past experiments in History, or train fewer runs or smaller networks.`,
      'storage',
      { needBytes, freeBytes: free },
    );
  }
}
