/**
 * The main thread's handles on the workers: the studio worker (engine, import, experiments) and the
 * planner (parameter counts on the CPU), wrapped by comlink and typed from their own APIs.
 * Type-only imports of the workers: their code (and TensorFlow.js) never enters the page's bundle.
 */
import * as Comlink from 'comlink';
import type { StudioApi } from './studio.worker';
import type { PlannerApi } from './planner.worker';

let studioRemote: Comlink.Remote<StudioApi> | null = null;
let studioWorker: Worker | null = null;
let plannerRemote: Comlink.Remote<PlannerApi> | null = null;

export function studio(): Comlink.Remote<StudioApi> {
  if (!studioRemote) {
    // `?storage=memory`: the worker keeps checkpoints and runs in memory, as where OPFS is missing (a diagnostic).
    const memoryOnly = new URLSearchParams(location.search).get('storage') === 'memory';
    studioWorker = new Worker(new URL('./studio.worker.ts', import.meta.url), { type: 'module', name: memoryOnly ? 'studio:memory' : 'studio' });
    studioRemote = Comlink.wrap<StudioApi>(studioWorker);
  }
  return studioRemote;
}

/** End the studio worker (its GPU device, datasets and models go with it) and start a fresh one. */
export function restartStudio(): Comlink.Remote<StudioApi> {
  studioRemote?.[Comlink.releaseProxy]();
  studioWorker?.terminate();
  studioRemote = null;
  studioWorker = null;
  return studio();
}

export function planner(): Comlink.Remote<PlannerApi> {
  if (!plannerRemote) {
    const worker = new Worker(new URL('./planner.worker.ts', import.meta.url), { type: 'module', name: 'planner' });
    plannerRemote = Comlink.wrap<PlannerApi>(worker);
  }
  return plannerRemote;
}
