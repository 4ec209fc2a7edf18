/**
 * The studio's worker: the engine, the import and the experiment scheduler behind a comlink API
 * typed from these functions (`StudioApi = typeof api`). It picks a backend (WebGPU, else WebGL,
 * else CPU, and says which and why), holds the dataset and the trained networks, streams events,
 * and hands back only plain data. Errors cross as plain objects with their code, because comlink
 * keeps only the message and name of an Error.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { enableFastKernels, fastKernelsActive } from '../engine/kernels/fastKernels';
import type { Samples } from '../engine/batch';
import { closeBundle, makeBundle, modelFromFiles, modelToFiles, openBundle, predictBundle, type OpenedBundle, type ModelFiles } from '../engine/bundle';
import { EngineError, isEngineError } from '../engine/errors';
import type { RunResult } from '../engine/trainer';
import { generateClassification, generateDetection } from '../data/synthetic';
import { browserDecoder } from '../data/decode-browser';
import { importDataset } from '../data/importer';
import { isDataError, type ImportOptions, type InputFile, type ImportResult, type Layout } from '../data/types';
import { describeLayout, detectLayout } from '../data/layout';
import { resizeInto } from '../data/resize';
import { loadForNetwork } from '../data/load';
import { inputFileOf, inputFilesOf } from '../data/inputFiles';
import { dataForSeed, resample } from '../experiment/datasets';
import { runExperiment as schedule, type ExperimentEvent, type ExperimentResult } from '../experiment/scheduler';
import { parseSpec, SpecError, type ExperimentSpec } from '../experiment/spec';
import type { RunRecord } from '../experiment/aggregate';
import { CheckpointStore, MemoryFiles, type CheckpointFiles } from '../engine/checkpoint';
import { OpfsFiles, opfsAvailable } from './opfsFiles';
import type { BackendName, BackendReport, DatasetSummary, Thumbnail, WorkerError } from './protocol';

function toWorkerError(e: unknown): WorkerError {
  if (e instanceof SpecError) return { name: 'SpecError', code: e.code, message: e.message, details: { issues: e.issues } };
  if (isEngineError(e)) return { name: 'EngineError', code: e.code, message: e.message, subject: e.subject, details: e.details };
  if (isDataError(e)) return { name: 'DataError', code: e.code, message: e.message, subject: e.subject };
  if (e instanceof DOMException && e.name === 'QuotaExceededError') return { name: 'Error', code: 'QUOTA_EXCEEDED', message: e.message };
  return { name: 'Error', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

let backendReport: BackendReport | null = null;
let useFastKernels = true;

// A lost device or an out-of-memory error becomes a typed error at the next step.
let deviceLost: string | null = null;
let outOfMemory: string | null = null;

function gpuDevice(): GPUDevice | null {
  return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
}

function watchDevice(): void {
  const device = gpuDevice();
  if (!device) return;
  device.lost.then((info) => {
    deviceLost = `${info.reason === 'destroyed' ? 'The GPU device was destroyed' : 'The GPU device was lost'}${info.message ? `: ${info.message}` : ''}`;
  });
  device.addEventListener('uncapturederror', (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    if (typeof GPUOutOfMemoryError !== 'undefined' && err instanceof GPUOutOfMemoryError) outOfMemory = err.message || 'out of GPU memory';
  });
}

function gpuFault(): EngineError | null {
  if (deviceLost) {
    return new EngineError('DEVICE_LOST', `${deviceLost}. Finished runs and the last checkpoint are kept: restart the GPU worker and resume, or switch backend.`);
  }
  if (outOfMemory) {
    return new EngineError('GPU_OUT_OF_MEMORY', `The GPU ran out of memory (${outOfMemory}). Lower the batch size or the input size, or choose Quick networks, then resume.`);
  }
  return null;
}

async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    if (name === 'webgpu') {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      if (!gpu) return 'navigator.gpu is not available in this browser';
      if (!(await gpu.requestAdapter())) return 'no WebGPU adapter was found';
    }
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed`;
    await tf.ready();
    if (name === 'webgpu') {
      watchDevice();
      // The engine's own WebGPU kernels (src/engine/kernels): same results within 1e-4 of stock,
      // about 5x fewer dispatches and 9-21x faster steps (README, Performance).
      if (useFastKernels) enableFastKernels();
    }
    const t = tf.add(tf.scalar(1), tf.scalar(1));
    const v = (await t.data())[0];
    t.dispose();
    return v === 2 ? null : `a test kernel on ${name} returned ${v}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Dataset held in the worker

interface Dataset {
  summary: DatasetSummary;
  samples: Samples;
  given?: { train: number[]; test: number[] };
}
let dataset: Dataset | null = null;
let lastImport: { files: (File & { relativePath?: string })[]; opts: Omit<ImportOptions, 'signal' | 'onProgress'> } | null = null;
let importController: AbortController | null = null;

const THUMB = 64;

function thumbnail(s: Samples, i: number, size = THUMB, label?: string): Thumbnail {
  const px = s.size * s.size;
  const rgba = new Uint8Array(px * 4);
  for (let p = 0; p < px; p++) {
    rgba[p * 4] = s.images[(i * px + p) * 3];
    rgba[p * 4 + 1] = s.images[(i * px + p) * 3 + 1];
    rgba[p * 4 + 2] = s.images[(i * px + p) * 3 + 2];
    rgba[p * 4 + 3] = 255;
  }
  const out = new Uint8Array(size * size * 3);
  resizeInto({ width: s.size, height: s.size, data: rgba, sourceBitDepth: 8 }, size, 'stretch', out);
  const o = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    o[p * 4] = out[p * 3];
    o[p * 4 + 1] = out[p * 3 + 1];
    o[p * 4 + 2] = out[p * 3 + 2];
    o[p * 4 + 3] = 255;
  }
  const box = s.boxes ? (Array.from(s.boxes.subarray(i * 4, i * 4 + 4)) as [number, number, number, number]) : undefined;
  return { rgba: o, size, id: s.ids?.[i] ?? `#${i}`, label, box };
}

function previews(s: Samples, classNames?: string[], perClass = 8): Thumbnail[] {
  const out: Thumbnail[] = [];
  if (s.labels && classNames) {
    classNames.forEach((name, c) => {
      let n = 0;
      for (let i = 0; i < s.count && n < perClass; i++) if (s.labels![i] === c) { out.push(thumbnail(s, i, THUMB, name)); n++; }
    });
  } else {
    for (let i = 0; i < Math.min(s.count, 16); i++) out.push(thumbnail(s, i));
  }
  return out;
}

function counts(s: Samples, classNames?: string[]): Record<string, number> {
  if (!s.labels || !classNames) return { images: s.count };
  const c: Record<string, number> = {};
  classNames.forEach((n) => (c[n] = 0));
  for (let i = 0; i < s.count; i++) c[classNames[s.labels[i]]]++;
  return c;
}

function fromImport(name: string, r: ImportResult): Dataset {
  const s = r.samples;
  const classNames = r.classNames;
  const given = r.report.settings.split === 'folders';
  // samples are ordered train, val, test: indices of each part in the one buffer.
  const nTrain = r.split.train.count + (r.split.val?.count ?? 0);
  const summary: DatasetSummary = {
    id: `import-${Date.now()}`,
    name,
    synthetic: false,
    task: r.task ?? 'classify',
    classNames,
    counts: counts(s, classNames),
    total: s.count,
    train: r.split.train.count,
    test: r.split.test.count,
    size: s.size,
    layoutDescription: r.report.layoutDescription,
    givenSplit: given,
    report: r.report,
    layouts: [],
    blocking: r.blocking.map(toWorkerError),
    previews: previews(s, classNames),
  };
  return {
    summary,
    samples: s,
    given: given ? { train: Array.from({ length: nTrain }, (_, i) => i), test: Array.from({ length: r.split.test.count }, (_, i) => nTrain + i) } : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Experiments

interface KeptRun {
  key: string;
  result: Pick<RunResult, 'config' | 'networks' | 'final' | 'predictions'>;
  files: Record<string, ModelFiles>;
  test: Samples;
}
let controller: AbortController | null = null;
const files: CheckpointFiles = opfsAvailable() ? new OpfsFiles() : new MemoryFiles();
const checkpoints = new CheckpointStore(files);
const ACTIVE = 'experiments/active.json';
const flush = { requested: false };

/** What is needed to resume an interrupted experiment after a reload. */
export interface ActiveExperiment {
  version: 1;
  spec: ExperimentSpec;
  dataset: { id: string; name: string; synthetic: boolean; task: 'classify' | 'box'; total: number; sample?: { task: 'classify' | 'box'; count: number; size: number } };
  startedAt: string;
  completed: RunRecord[];
  planned: number;
  status: 'running' | 'cancelled' | 'stopped';
  error?: WorkerError;
}

async function readActive(): Promise<ActiveExperiment | null> {
  const b = await files.read(ACTIVE);
  if (!b) return null;
  try {
    const a = JSON.parse(new TextDecoder().decode(b)) as ActiveExperiment;
    return a.version === 1 ? a : null;
  } catch {
    return null;
  }
}

// Writes and the final removal of the record go through one queue, so a late write can never
// bring back the record of an experiment that has finished.
let activeQueue: Promise<unknown> = Promise.resolve();

function writeActive(a: ActiveExperiment): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(a));
  const next = activeQueue.then(() => files.write(ACTIVE, bytes));
  activeQueue = next.catch(() => {});
  return next;
}

function removeActive(): Promise<void> {
  const next = activeQueue.then(() => files.remove(ACTIVE));
  activeQueue = next.catch(() => {});
  return next;
}

let sampleParams: ActiveExperiment['dataset']['sample'] | undefined;
let paused: { promise: Promise<void>; release: () => void } | null = null;
const kept = new Map<string, KeptRun>();
let lastResult: ExperimentResult | null = null;
let opened: OpenedBundle | null = null;

const api = {
  async init(preferred: BackendName[] = ['webgpu', 'webgl', 'cpu'], options: { fastKernels?: boolean } = {}): Promise<BackendReport> {
    if (backendReport && backendReport.backend === preferred[0]) return backendReport;
    useFastKernels = options.fastKernels ?? true;
    const fallbacks: BackendReport['fallbacks'] = [];
    for (const name of preferred) {
      const reason = await tryBackend(name);
      if (reason === null) return (backendReport = { backend: name, fallbacks, fastKernels: name === 'webgpu' && fastKernelsActive() });
      fallbacks.push({ backend: name, reason });
    }
    throw toWorkerError(new EngineError('BACKEND_UNAVAILABLE', `No backend could run: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`));
  },

  /** Generated data (clearly synthetic), stored at `size` px. */
  loadSampleData(task: 'classify' | 'box', count: number, size: number): DatasetSummary {
    const s = task === 'classify' ? generateClassification({ count, size, seed: 7 }) : generateDetection({ count, size, seed: 8 });
    const classNames = task === 'classify' ? (s as ReturnType<typeof generateClassification>).classNames : undefined;
    const samples: Samples = { images: s.images, count: s.count, size: s.size, labels: s.labels, boxes: s.boxes, ids: s.ids };
    const summary: DatasetSummary = {
      id: `sample-${task}-${count}-${size}`,
      name: task === 'classify' ? 'Sample data: synthetic histology tiles (MSS / MSIMUT)' : 'Sample data: synthetic endoscopy frames with one polyp',
      synthetic: true,
      task,
      classNames,
      counts: counts(samples, classNames),
      total: samples.count,
      train: Math.round(samples.count * 0.8),
      test: samples.count - Math.round(samples.count * 0.8),
      size,
      layoutDescription: 'generated in the browser (synthetic)',
      givenSplit: false,
      report: null,
      layouts: [],
      blocking: [],
      previews: previews(samples, classNames),
    };
    dataset = { summary, samples };
    sampleParams = { task, count, size };
    return summary;
  },

  /** Import a dropped or picked folder: files are listed here, read lazily, decoded in this worker. */
  async importFiles(
    files: (File & { relativePath?: string })[],
    opts: Omit<ImportOptions, 'signal' | 'onProgress'>,
    onProgress: (p: { phase: string; done: number; total: number }) => void,
  ): Promise<DatasetSummary> {
    importController?.abort();
    importController = new AbortController();
    const inputs: InputFile[] = inputFilesOf(files);
    const top = inputs[0]?.path.split('/')[0] ?? 'folder';
    try {
      const r = await importDataset(inputs, { ...opts, signal: importController.signal, onProgress }, browserDecoder);
      dataset = fromImport(top, r);
      sampleParams = undefined;
      lastImport = { files, opts };
      const detected = detectLayout(inputs.map((f) => f.path));
      const used = r.layout;
      const all = [used, detected.layout, ...detected.alternatives].filter((l): l is Layout => !!l);
      const seen = new Set<string>();
      dataset.summary.layouts = all
        .filter((l) => !seen.has(JSON.stringify(l)) && !!seen.add(JSON.stringify(l)))
        .map((layout) => ({ layout, description: describeLayout(layout) }));
      return dataset.summary;
    } catch (e) {
      throw toWorkerError(e);
    } finally {
      importController = null;
    }
  },

  /** Import every file under a directory handle (File System Access API). */
  async importDirectory(
    handle: FileSystemDirectoryHandle,
    opts: Omit<ImportOptions, 'signal' | 'onProgress'>,
    onProgress: (p: { phase: string; done: number; total: number }) => void,
  ): Promise<DatasetSummary> {
    const files: (File & { relativePath?: string })[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, prefix: string) => {
      for await (const [name, entry] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        const path = `${prefix}/${name}`;
        if (entry.kind === 'directory') await walk(entry as FileSystemDirectoryHandle, path);
        else {
          const f = (await (entry as FileSystemFileHandle).getFile()) as File & { relativePath?: string };
          Object.defineProperty(f, 'relativePath', { value: path });
          files.push(f);
          if (files.length % 500 === 0) onProgress({ phase: 'listing', done: files.length, total: 0 });
        }
      }
    };
    await walk(handle, handle.name);
    return api.importFiles(files, opts, onProgress);
  },

  /** Import the last folder again, read as `layout` (the user's choice over the detected one). */
  async reimport(layout: Layout, onProgress: (p: { phase: string; done: number; total: number }) => void): Promise<DatasetSummary> {
    if (!lastImport) throw toWorkerError(new EngineError('INVALID_CONFIG', 'Import a folder first'));
    return api.importFiles(lastImport.files, { ...lastImport.opts, layout }, onProgress);
  },

  cancelImport(): void {
    importController?.abort();
  },

  dataset(): DatasetSummary | null {
    return dataset?.summary ?? null;
  },

  /**
   * Run every method x seed of `spec` on the loaded dataset. Finished runs are kept if a later one
   * fails; each run checkpoints to the origin's private storage, and with `resume` an interrupted
   * experiment goes on from its finished runs and checkpoints.
   */
  async runExperiment(
    specValue: unknown,
    onEvent: (e: ExperimentEvent) => void,
    options: { resume?: boolean; onRunError?: 'continue' | 'stop'; checkpointEverySteps?: number } = {},
  ): Promise<ExperimentResult> {
    const { resume = false, onRunError = 'continue', checkpointEverySteps = 0 } = options;
    let active: ActiveExperiment | null = null;
    try {
      if (!backendReport) await api.init();
      const fault = gpuFault();
      if (fault) throw fault;
      const previous = resume ? await readActive() : null;
      if (resume && !previous) throw new EngineError('INVALID_CONFIG', 'There is no interrupted experiment to resume');
      const spec: ExperimentSpec = parseSpec(previous ? previous.spec : specValue);
      if (!dataset) throw new EngineError('EMPTY_DATASET', 'Load a dataset first (drop a folder or try the sample data)');
      if (dataset.summary.blocking.length) throw new EngineError('EMPTY_DATASET', `The dataset cannot be trained on: ${dataset.summary.blocking.map((b) => b.message).join('; ')}`);
      if (spec.task !== dataset.summary.task) throw new EngineError('INVALID_CONFIG', `The spec's task is ${spec.task} but the dataset is for ${dataset.summary.task}`, 'task');
      if (previous && (previous.dataset.name !== dataset.summary.name || previous.dataset.total !== dataset.summary.total)) {
        throw new EngineError('INVALID_CONFIG', `This experiment was trained on "${previous.dataset.name}" (${previous.dataset.total} images); load that dataset again, then resume`, 'dataset');
      }
      if (!previous) {
        // A new experiment: the old one's checkpoints go.
        for (const k of await checkpoints.keys()) await checkpoints.remove(k);
      }
      const samples = resample(dataset.samples, spec.inputSize);
      const classNames = dataset.summary.classNames;
      controller?.abort();
      controller = new AbortController();
      kept.clear();
      lastResult = null;
      active = {
        version: 1,
        spec,
        dataset: { id: dataset.summary.id, name: dataset.summary.name, synthetic: dataset.summary.synthetic, task: dataset.summary.task, total: dataset.summary.total, sample: sampleParams },
        startedAt: previous?.startedAt ?? new Date().toISOString(),
        completed: previous?.completed ?? [],
        planned: spec.methods.length * spec.seeds.length,
        status: 'running',
      };
      await writeActive(active);
      const splits = new Map<number, ReturnType<typeof dataForSeed>>();
      const result = await schedule(
        spec,
        (seed) => {
          const d = dataForSeed(samples, { testShare: spec.data.testShare, splitSeed: spec.data.splitSeed, classNames, given: dataset!.given }, seed);
          splits.set(seed, d);
          return d;
        },
        { name: dataset.summary.name, classNames, counts: dataset.summary.counts, layout: dataset.summary.layoutDescription },
        {
          signal: controller.signal,
          onRunError,
          store: checkpoints,
          checkpointEverySteps: checkpointEverySteps > 0 ? checkpointEverySteps : undefined,
          completed: active.completed,
          flush,
          gate: async () => {
            const f = gpuFault();
            if (f) throw f;
            if (paused) await paused.promise;
          },
          classifyError: (e) => {
            const f = gpuFault();
            if (f) return { code: f.code, message: f.message };
            if (e instanceof Error && /device (is |was )?(lost|destroyed)|mapAsync|AbortError/i.test(`${e.name} ${e.message}`)) {
              return { code: 'DEVICE_LOST', message: `The GPU device was lost (${e.message}). Restart the GPU worker and resume.` };
            }
            return null;
          },
          onEvent: (e) => {
            if (e.type === 'run-end' && e.record.status === 'done' && active && !active.completed.some((r) => r.method === e.record.method && r.seed === e.record.seed)) {
              active.completed.push(e.record);
              void writeActive(active).catch(() => {});
            }
            onEvent(e);
          },
          onRunModels: async (run, r) => {
            const modelFiles: Record<string, ModelFiles> = {};
            for (const [name, model] of Object.entries(r.models)) modelFiles[name] = await modelToFiles(model);
            kept.set(`${run.method}:${run.seed}`, { key: `${run.method}:${run.seed}`, result: { config: r.config, networks: r.networks, final: r.final, predictions: r.predictions }, files: modelFiles, test: splits.get(run.seed)!.test });
          },
        },
      );
      lastResult = result;
      if (result.status === 'done') {
        await removeActive();
      } else {
        const failed = result.runs.find((r) => r.status === 'failed');
        active.status = result.status === 'cancelled' ? 'cancelled' : 'stopped';
        if (failed?.error) active.error = { name: 'EngineError', code: failed.error.code, message: failed.error.message };
        await writeActive(active).catch(() => {});
      }
      return result;
    } catch (e) {
      if (active) {
        active.status = 'stopped';
        active.error = toWorkerError(e);
        await writeActive(active).catch(() => {});
      }
      throw toWorkerError(e);
    } finally {
      controller = null;
      paused?.release();
      paused = null;
    }
  },

  /** The experiment a reload, a crash or a lost GPU interrupted, if any (none while one runs). */
  async interrupted(): Promise<ActiveExperiment | null> {
    if (controller) return null;
    const a = await readActive();
    return a;
  },

  /** Forget the interrupted experiment and its checkpoints. */
  async discardInterrupted(): Promise<void> {
    await removeActive();
    for (const k of await checkpoints.keys()) await checkpoints.remove(k);
  },

  /** Write a checkpoint of the run in progress after its next step (the tab is being hidden). */
  flush(): void {
    flush.requested = !!controller;
  },

  /** Storage used by this origin, whether it is persistent, and the runs with checkpoints. */
  async storage(): Promise<{ usage: number | null; quota: number | null; persisted: boolean | null; checkpoints: string[]; opfs: boolean }> {
    const est = navigator.storage?.estimate ? await navigator.storage.estimate() : null;
    const persisted = navigator.storage?.persisted ? await navigator.storage.persisted() : null;
    return { usage: est?.usage ?? null, quota: est?.quota ?? null, persisted, checkpoints: await checkpoints.keys(), opfs: opfsAvailable() };
  },

  async deleteCheckpoints(): Promise<void> {
    if (controller) throw toWorkerError(new EngineError('INVALID_CONFIG', 'Checkpoints of a running experiment cannot be deleted'));
    for (const k of await checkpoints.keys()) await checkpoints.remove(k);
  },

  /**
   * Diagnostics: every fast kernel against the stock one on fresh random inputs, here in the
   * browser's WebGPU (the same checks `npm run test:gpu` and `bench --check` run through Dawn).
   */
  async kernelChecks(): Promise<{ backend: string; results: { kernel: string; case: string; relErr: number; ok: boolean }[] }> {
    if (controller) throw toWorkerError(new EngineError('INVALID_CONFIG', 'Kernel checks wait until training ends'));
    if (tf.getBackend() !== 'webgpu') throw toWorkerError(new EngineError('BACKEND_UNAVAILABLE', `Kernel checks need WebGPU; the backend is ${tf.getBackend()}`));
    const { runAllChecks } = await import('../engine/kernels/checks');
    return { backend: tf.getBackend(), results: await runAllChecks() };
  },

  /**
   * Diagnostics: destroy the GPU device, as a driver reset would, to see that the studio recovers.
   * Reached from the console (`cohortStudio.simulateDeviceLoss()`), not from the interface.
   */
  simulateDeviceLoss(): boolean {
    const d = gpuDevice();
    d?.destroy();
    return !!d;
  },

  pause(): void {
    if (paused || !controller) return;
    let release = () => {};
    const promise = new Promise<void>((r) => (release = r));
    paused = { promise, release };
  },

  resume(): void {
    paused?.release();
    paused = null;
  },

  cancel(): void {
    controller?.abort();
    paused?.release();
    paused = null;
  },

  /** Test images of a finished run with every network's and ensemble's predictions. */
  inspect(key: string, limit = 200): {
    key: string;
    task: 'classify' | 'box';
    classNames?: string[];
    images: Thumbnail[];
    labels?: number[];
    boxes?: number[][];
    networks: Record<string, number[][]>;
    ensembles: Record<string, number[][]>;
  } | null {
    const k = kept.get(key);
    if (!k) return null;
    const n = Math.min(k.test.count, limit);
    const width = k.result.config.task === 'classify' ? k.result.config.classes : 4;
    const rows = (a: Float32Array) => Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));
    const networks: Record<string, number[][]> = {};
    for (const [name, p] of Object.entries(k.result.predictions.networks)) networks[name] = rows(p);
    const ensembles: Record<string, number[][]> = {};
    for (const [name, p] of Object.entries(k.result.predictions.ensembles)) ensembles[name] = rows(p);
    return {
      key,
      task: k.result.config.task,
      classNames: k.result.config.classNames,
      images: Array.from({ length: n }, (_, i) => thumbnail(k.test, i, 160)),
      labels: k.test.labels ? Array.from(k.test.labels.subarray(0, n)) : undefined,
      boxes: k.test.boxes ? Array.from({ length: n }, (_, i) => Array.from(k.test.boxes!.subarray(i * 4, i * 4 + 4))) : undefined,
      networks,
      ensembles,
    };
  },

  keptRuns(): string[] {
    return Array.from(kept.keys());
  },

  /** A zip of a finished run's students (and teacher), manifest, config and metrics. */
  async exportRun(key: string, includeTeacher: boolean): Promise<Uint8Array> {
    const k = kept.get(key);
    if (!k) throw toWorkerError(new EngineError('INVALID_CONFIG', `No trained networks are kept for run ${key}`, key));
    try {
      const models: Record<string, tf.LayersModel> = {};
      for (const [name, f] of Object.entries(k.files)) if (name !== 'teacher' || includeTeacher) models[name] = await modelFromFiles(f);
      const zip = await makeBundle({
        config: k.result.config,
        models,
        networks: k.result.networks,
        metrics: k.result.final,
        includeTeacher,
        resize: lastResult?.spec.data.resize ?? 'stretch',
        extra: { run: key, seeds: lastResult?.spec.seeds, dataset: lastResult?.dataset },
      });
      for (const m of Object.values(models)) m.dispose();
      return Comlink.transfer(zip, [zip.buffer]);
    } catch (e) {
      throw toWorkerError(e);
    }
  },

  async openBundle(bytes: Uint8Array) {
    try {
      if (opened) closeBundle(opened);
      opened = await openBundle(bytes);
      return opened.manifest;
    } catch (e) {
      throw toWorkerError(e);
    }
  },

  /** Run the opened bundle's ensemble on images (a folder); skipped files are reported. */
  async predictFiles(files: (File & { relativePath?: string })[]) {
    if (!opened) throw toWorkerError(new EngineError('INVALID_CONFIG', 'Open a bundle first'));
    const m = opened.manifest;
    const rows: { path: string; label?: string; probabilities?: number[]; box?: number[]; members?: number[][] }[] = [];
    const skipped: { path: string; code: string; message: string }[] = [];
    const images: Uint8Array[] = [];
    const thumbs: Thumbnail[] = [];
    for (const f of files) {
      const file = inputFileOf(f);
      // The import's own loading: format by bytes, pixel limit, EXIF orientation, the bundle's resize.
      const r = await loadForNetwork(file, browserDecoder, { inputSize: m.inputSize, resize: m.resize });
      if (!r.ok) {
        skipped.push({ path: file.path, code: r.code, message: r.message });
        continue;
      }
      images.push(r.rgb);
      rows.push({ path: file.path });
    }
    const all = new Uint8Array(images.length * m.inputSize * m.inputSize * 3);
    images.forEach((im, i) => all.set(im, i * im.length));
    const s: Samples = { images: all, count: images.length, size: m.inputSize, ids: rows.map((r) => r.path) };
    const p = await predictBundle(opened, s);
    const width = m.task === 'classify' ? m.classNames!.length : 4;
    rows.forEach((r, i) => {
      const ens = Array.from(p.ensemble.subarray(i * width, (i + 1) * width));
      r.members = p.members.map((mm) => Array.from(mm.subarray(i * width, (i + 1) * width)));
      if (m.task === 'classify') {
        r.probabilities = ens;
        r.label = m.classNames![p.labels![i]];
      } else r.box = ens;
      const t = thumbnail(s, i, 128, r.label);
      if (m.task === 'box') t.box = r.box as [number, number, number, number];
      thumbs.push(t);
    });
    return { manifest: m, rows, skipped, thumbnails: thumbs };
  },

  memory(): { numTensors: number; numBytes: number; numBytesInGPU?: number; backend: string } {
    const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    return { numTensors: m.numTensors, numBytes: m.numBytes, numBytesInGPU: m.numBytesInGPU, backend: tf.getBackend() };
  },
};

export type StudioApi = typeof api;
Comlink.expose(api);
