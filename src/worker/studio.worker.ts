/**
 * The studio's worker: the rooms that hold the backend (`gpu`), the dataset (`imports`), the
 * running experiment (`experiments`), its finished runs (`archive`) and opened bundles
 * (`bundles`), wired to comlink. The API is typed from these functions (`StudioApi = typeof api`);
 * every error leaves as a typed `ErrorInfo`, and large buffers are transferred, not copied.
 *
 * Only wiring lives here; each room owns its own state.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { EngineError, toErrorInfo } from '../core/errors';
import type { StudioEvent } from '../core/events';
import { MemoryFileStore } from '../core/files';
import type { FileWithPath } from '../data/inputFiles';
import type { ImportProgress, Layout } from '../data/types';
import { SessionStorage } from '../experiment/session';
import { RunArchive } from './archive';
import { exportRun, OpenedBundles } from './bundles';
import { ExperimentRunner, type RunOptions } from './experiments';
import { Gpu } from './gpu';
import { DatasetHolder, type ImportSettings } from './imports';
import { SaliencyRoom, type SaliencyTarget } from './saliency';
import { OpfsFileStore, opfsAvailable } from './opfsFileStore';
import type { BackendName, StorageReport } from './protocol';

const gpu = new Gpu();
const data = new DatasetHolder();
const archive = new RunArchive();
const storage = new SessionStorage(opfsAvailable() ? new OpfsFileStore() : new MemoryFileStore());
const experiments = new ExperimentRunner(storage, gpu, archive);
const bundles = new OpenedBundles();
const saliency = new SaliencyRoom(archive);

const api = {
  init: (preferred?: BackendName[], options?: { fastKernels?: boolean }) => gpu.init(preferred, options),

  /** Generated data (clearly synthetic), stored at `size` px. */
  loadSampleData: (task: 'classify' | 'box', count: number, size: number) => data.loadSample(task, count, size),
  importFiles: (files: FileWithPath[], opts: ImportSettings, onProgress: (p: ImportProgress) => void) => data.importFiles(files, opts, onProgress),
  importDirectory: (handle: FileSystemDirectoryHandle, opts: ImportSettings, onProgress: (p: ImportProgress) => void) =>
    data.importDirectory(handle, opts, onProgress),
  reimport: (layout: Layout, onProgress: (p: ImportProgress) => void) => data.reimport(layout, onProgress),
  cancelImport: () => data.cancelImport(),

  /** Run every method x seed of `spec` on the held dataset (or resume the interrupted experiment). */
  async runExperiment(spec: unknown, onEvent: (e: StudioEvent) => void, options: RunOptions = {}) {
    if (!gpu.ready) await gpu.init();
    saliency.release();
    return experiments.run(spec, data.study, onEvent, options);
  },
  pause: () => experiments.pause(),
  unpause: () => experiments.unpause(),
  cancel: () => experiments.cancel(),
  flush: () => experiments.flush(),
  interrupted: () => experiments.interrupted(),
  discardInterrupted: () => experiments.discardInterrupted(),
  deleteCheckpoints: () => experiments.deleteCheckpoints(),

  async storage(): Promise<StorageReport> {
    const est = navigator.storage?.estimate ? await navigator.storage.estimate() : null;
    const persisted = navigator.storage?.persisted ? await navigator.storage.persisted() : null;
    return { usage: est?.usage ?? null, quota: est?.quota ?? null, persisted, checkpoints: await storage.checkpoints.keys(), opfs: opfsAvailable() };
  },

  /** Test images of a finished run with every network's and ensemble's predictions. */
  inspect: (key: string, limit?: number) => archive.inspect(key, limit),
  /** Every test prediction of a finished run (for ROC curves), without the images. */
  predictions: (key: string) => archive.predictions(key),
  /** Grad-CAM maps of a finished run's networks on some of its test images (classification). */
  gradCam: (key: string, indices: number[], target?: SaliencyTarget) => saliency.gradCam(key, indices, target),

  async exportRun(key: string, includeTeacher: boolean): Promise<Uint8Array> {
    const run = archive.get(key);
    if (!run) throw new EngineError('INVALID_CONFIG', `No trained networks are kept for run ${key}`, key);
    const last = experiments.last;
    const current = experiments.current;
    const spec = last?.spec ?? current?.spec ?? null;
    const zip = await exportRun(run, includeTeacher, {
      resize: spec?.data.resize ?? 'stretch',
      seeds: spec?.seeds,
      dataset: last?.dataset ?? current?.dataset ?? undefined,
      spec,
      records: current?.records,
      table: last?.table,
    });
    return Comlink.transfer(zip, [zip.buffer]);
  },
  openBundle: (bytes: Uint8Array) => bundles.open(bytes),
  predictFiles: (files: FileWithPath[]) => bundles.predict(files),

  memory: () => gpu.memory(),

  /**
   * Diagnostics: every fast kernel against the stock one on fresh random inputs, here in the
   * browser's WebGPU (the same checks `npm run test:gpu` and `bench --check` run through Dawn).
   */
  async kernelChecks() {
    if (experiments.running) throw new EngineError('INVALID_CONFIG', 'Kernel checks wait until training ends');
    if (tf.getBackend() !== 'webgpu') throw new EngineError('BACKEND_UNAVAILABLE', `Kernel checks need WebGPU; the backend is ${tf.getBackend()}`);
    const { runAllChecks } = await import('../engine/kernels/checks');
    return { backend: tf.getBackend(), results: await runAllChecks() };
  },

  /** Diagnostics: destroy the GPU device, as a driver reset would (`cohortStudio.simulateDeviceLoss()`). */
  simulateDeviceLoss: () => gpu.simulateDeviceLoss(),
};

/** Every call's error leaves as a typed `ErrorInfo` (comlink would keep only an Error's message). */
function withTypedErrors<T extends Record<string, (...args: never[]) => unknown>>(o: T): T {
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(o)) {
    out[name] = (...args: never[]) => {
      try {
        const r = fn(...args);
        return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(toErrorInfo(e))) : r;
      } catch (e) {
        throw toErrorInfo(e);
      }
    };
  }
  return out as T;
}

export type StudioApi = typeof api;
Comlink.expose(withTypedErrors(api));
