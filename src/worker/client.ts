/**
 * The main thread's handle on the training worker: one worker, wrapped by comlink and typed from
 * the worker's own API.
 */
import * as Comlink from 'comlink';
import type { TrainerApi, WorkerError } from './trainer.worker';

let remote: Comlink.Remote<TrainerApi> | null = null;

export function trainer(): Comlink.Remote<TrainerApi> {
  if (!remote) {
    const worker = new Worker(new URL('./trainer.worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
    remote = Comlink.wrap<TrainerApi>(worker);
  }
  return remote;
}

export function asWorkerError(e: unknown): WorkerError {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) return e as WorkerError;
  return { name: 'Error', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export { Comlink };
