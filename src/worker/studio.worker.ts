/**
 * The studio's worker: the rooms that hold the backend (`gpu`), the dataset (`imports`), the
 * running experiment (`experiments`) under the trainer lock (`trainerLock`), the kept runs in
 * storage (`archive`), the kept experiments (`library`: History) and opened bundles (`bundles`),
 * wired to comlink. The API is typed from these functions (`StudioApi = typeof api`);
 * every error leaves as a typed `ErrorInfo`, and large buffers are transferred, not copied.
 *
 * Only wiring lives here; each room owns its own state.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { EngineError, toErrorInfo } from '../core/errors';
import type { StudioEvent } from '../core/events';
import type { FileWithPath } from '../data/inputFiles';
import type { ImportProgress, Layout } from '../data/types';
import { SessionStorage } from '../experiment/session';
import { RunArchive } from './archive';
import { exportRun, OpenedBundles } from './bundles';
import { ExperimentRunner, type RunOptions } from './experiments';
import { Gpu } from './gpu';
import { idbHistory } from './historyDb';
import { DatasetHolder, type ImportSettings } from './imports';
import { Library } from './library';
import { SaliencyRoom, type SaliencyTarget } from './saliency';
import type { BackendName, StorageReport } from './protocol';
import { fileStoreFor, storageSupport } from './storageSupport';
import { TrainerLock } from './trainerLock';
import { WeightsFiles } from './weights';

const gpu = new Gpu();
const data = new DatasetHolder();
// `?storage=memory` on the page names the worker so (a diagnostic: the fallback of browsers without OPFS).
const support = storageSupport(self.name === 'studio:memory');
const files = fileStoreFor(support);
const archive = new RunArchive(files);
const storage = new SessionStorage(files);
const lock = new TrainerLock();
const library = new Library(idbHistory(), archive, storage, lock, (): string | null => experiments.current, support.persistent);
const weights = new WeightsFiles(files);
const experiments = new ExperimentRunner(storage, gpu, archive, lock, library, support, (file) => weights.read(file));
const bundles = new OpenedBundles();
const saliency = new SaliencyRoom(archive);

const api = {
  init: (preferred?: BackendName[], options?: { fastKernels?: boolean; replay?: boolean }) => gpu.init(preferred, options),

  /** Generated data (clearly synthetic), stored at `size` px. */
  loadSampleData: (task: 'classify' | 'box', count: number, size: number) => data.loadSample(task, count, size),
  importFiles: (files: FileWithPath[], opts: ImportSettings, onProgress: (p: ImportProgress) => void) => data.importFiles(files, opts, onProgress),
  importDirectory: (handle: FileSystemDirectoryHandle, opts: ImportSettings, onProgress: (p: ImportProgress) => void) =>
    data.importDirectory(handle, opts, onProgress),
  reimport: (layout: Layout, onProgress: (p: ImportProgress) => void) => data.reimport(layout, onProgress),
  /** A large folder's files in chunks, then one import of them all (the page stays responsive meanwhile). */
  stageFiles: (files: FileWithPath[], first: boolean) => data.stage(files, first),
  importStaged: (opts: ImportSettings, onProgress: (p: ImportProgress) => void) => data.importStaged(opts, onProgress),
  reimportWith: (settings: Partial<ImportSettings>, onProgress: (p: ImportProgress) => void) => data.reimportWith(settings, onProgress),
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
  /** What another tab trains (its journal), or null; `whenFree` resolves once no other tab trains. */
  trainingElsewhere: () => experiments.elsewhere(),
  whenFree: () => experiments.whenFree(),
  discardInterrupted: () => experiments.discardInterrupted(),
  deleteCheckpoints: () => experiments.deleteCheckpoints(),

  /** Kept experiments, newest first (History), the interrupted one included; deleting one frees its storage. */
  history: () => library.list(),
  experiment: (id: string) => library.get(id),
  deleteExperiment: (id: string) => library.remove(id),

  storageSupport: () => support,
  async storage(): Promise<StorageReport> {
    const est = navigator.storage?.estimate ? await navigator.storage.estimate() : null;
    const persisted = navigator.storage?.persisted ? await navigator.storage.persisted() : null;
    return { usage: est?.usage ?? null, quota: est?.quota ?? null, persisted, checkpoints: await storage.checkpoints.keys(), opfs: support.opfs, support };
  },

  /** Test images of a finished run of experiment `id` with every network's and ensemble's predictions. */
  inspect: (id: string, key: string, limit?: number) => archive.inspect(id, key, limit),
  /** Every test prediction of a finished run (for ROC curves), without the images. */
  predictions: (id: string, key: string) => archive.predictions(id, key),
  /** Grad-CAM maps of a finished run's networks on some of its test images (classification). */
  gradCam: (id: string, key: string, indices: number[], target?: SaliencyTarget) => saliency.gradCam(id, key, indices, target),

  async exportRun(id: string, key: string, includeTeacher: boolean): Promise<Uint8Array> {
    const run = await archive.get(id, key);
    if (!run) throw new EngineError('INVALID_CONFIG', `No trained networks are kept for run ${key}`, key);
    const context = await archive.context(id);
    // The model card's spec and Table 2: the kept record's, or the running experiment's so far.
    const kept = (await library.get(id))?.result ?? null;
    const live = experiments.current === id ? experiments.live : null;
    const spec = kept?.spec ?? live?.spec ?? null;
    // While an experiment trains, these wait for the step in flight (see ExperimentRunner.between).
    const zip = await experiments.between(() =>
      exportRun(run, includeTeacher, {
        resize: context?.resize ?? 'stretch',
        seeds: context?.seeds,
        dataset: context?.dataset ?? kept?.dataset ?? live?.dataset ?? undefined,
        spec,
        records: kept?.runs ?? live?.records,
        table: kept?.status === 'done' ? kept.table : undefined,
      }),
    );
    return Comlink.transfer(zip, [zip.buffer]);
  },
  openBundle: (file: Blob) => experiments.between(() => bundles.open(file)),
  predictFiles: (files: FileWithPath[]) => experiments.between(() => bundles.predict(files)),

  memory: () => gpu.memory(),

  /** Keep a weights file picked in Configure in the origin's storage; returns the name the spec uses. */
  saveWeights: (name: string, bytes: Uint8Array) => weights.save(name, bytes),
  listWeights: () => weights.list(),

  /**
   * Diagnostics: every fast kernel against the stock one on fresh random inputs, here in the
   * browser's WebGPU (the same checks `npm run test:gpu` and `bench --check` run through Dawn), and
   * a few training steps eager against replayed (engine/replayCheck.ts).
   */
  async kernelChecks(options: { quick?: boolean } = {}) {
    if (experiments.running) throw new EngineError('INVALID_CONFIG', 'Kernel checks wait until training ends');
    if (tf.getBackend() !== 'webgpu') throw new EngineError('BACKEND_UNAVAILABLE', `Kernel checks need WebGPU; the backend is ${tf.getBackend()}`);
    const checks = await import('../engine/kernels/checks');
    // quick: the first case of each fast kernel (seconds, where every case takes minutes on SwiftShader).
    const results = options.quick
      ? [
          ...(await checks.checkSgdMomentum()),
          ...(await checks.checkReluGrad()),
          ...(await checks.checkConv2DBackpropFilter(checks.CONV_CASES.slice(0, 1))),
          ...(await checks.checkDepthwiseBackpropFilter(checks.DEPTHWISE_CASES.slice(0, 1))),
          ...(await checks.checkBatchNorm(checks.BN_CASES.slice(0, 1))),
        ]
      : await checks.runAllChecks();
    const { checkReplay } = await import('../engine/replayCheck');
    return { backend: tf.getBackend(), results, replay: await checkReplay() };
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
