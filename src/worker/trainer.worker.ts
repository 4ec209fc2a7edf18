/**
 * The engine behind a comlink-typed worker API: pick a backend (WebGPU, else WebGL, else CPU, and
 * say which and why), start a run, stream its events, cancel it. Trained models stay here, keyed by
 * run id, for evaluation and export; only plain data crosses the boundary.
 *
 * Errors cross as plain objects with their code (comlink keeps only message and name of an Error).
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { EngineError, isEngineError } from '../engine/errors';
import { trainCohort, disposeRun, type RunResult, type TrainEvent } from '../engine/trainer';
import type { RunConfig } from '../engine/config';
import type { TrainData } from '../engine/batch';
import { generateClassification, generateDetection, splitSamples } from '../data/synthetic';

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

export interface BackendReport {
  backend: BackendName;
  /** Why each preferred backend that was tried before it failed. */
  fallbacks: { backend: BackendName; reason: string }[];
  adapter?: string;
}

export interface RunSummary {
  runId: string;
  config: RunConfig;
  networks: RunResult['networks'];
  history: RunResult['history'];
  final: RunResult['final'];
  backend: string;
  timings: RunResult['timings'];
}

export interface WorkerError {
  name: 'EngineError' | 'Error';
  code: string;
  message: string;
  subject?: string;
  details?: Record<string, unknown>;
}

let backendReport: BackendReport | null = null;
let controller: AbortController | null = null;
const runs = new Map<string, RunResult>();
let nextRun = 1;

function toWorkerError(e: unknown): WorkerError {
  if (isEngineError(e)) {
    const ee = e as EngineError;
    return { name: 'EngineError', code: ee.code, message: ee.message, subject: ee.subject, details: ee.details };
  }
  return { name: 'Error', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    if (name === 'webgpu') {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      if (!gpu) return 'navigator.gpu is not available in this browser';
      const adapter = await gpu.requestAdapter();
      if (!adapter) return 'no WebGPU adapter was found';
    }
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') failed`;
    await tf.ready();
    // A tiny op proves the backend can run kernels, not only initialise.
    const t = tf.add(tf.scalar(1), tf.scalar(1));
    const v = (await t.data())[0];
    t.dispose();
    return v === 2 ? null : `a test kernel on ${name} returned ${v}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const api = {
  /** Choose the fastest backend that works, in the order WebGPU, WebGL, CPU (or from `preferred`). */
  async init(preferred: BackendName[] = ['webgpu', 'webgl', 'cpu']): Promise<BackendReport> {
    if (backendReport && backendReport.backend === preferred[0]) return backendReport;
    const fallbacks: BackendReport['fallbacks'] = [];
    for (const name of preferred) {
      const reason = await tryBackend(name);
      if (reason === null) {
        backendReport = { backend: name, fallbacks };
        return backendReport;
      }
      fallbacks.push({ backend: name, reason });
    }
    throw toWorkerError(new EngineError('BACKEND_UNAVAILABLE', `No backend could run: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`));
  },

  /** Train one run on the given data; events stream to `onEvent`. Resolves with the run's summary. */
  async train(config: RunConfig, data: TrainData, onEvent: (e: TrainEvent) => void): Promise<RunSummary> {
    if (!backendReport) await api.init();
    controller?.abort();
    controller = new AbortController();
    try {
      const result = await trainCohort(config, data, { signal: controller.signal, onEvent });
      const runId = `run-${nextRun++}`;
      runs.set(runId, result);
      return { runId, config, networks: result.networks, history: result.history, final: result.final, backend: result.backend, timings: result.timings };
    } catch (e) {
      throw toWorkerError(e);
    } finally {
      controller = null;
    }
  },

  /** Train on generated data made here in the worker (nothing to transfer). */
  async trainSynthetic(
    config: RunConfig,
    sizes: { train: number; test: number },
    onEvent: (e: TrainEvent) => void,
  ): Promise<RunSummary> {
    const count = sizes.train + sizes.test;
    const all =
      config.task === 'classify'
        ? generateClassification({ count, size: config.inputSize, classes: config.classes, seed: config.seed + 1 })
        : generateDetection({ count, size: config.inputSize, seed: config.seed + 1 });
    return api.train(config, splitSamples(all, sizes.train), onEvent);
  },

  /** Stop the current run at the next step. */
  cancel(): void {
    controller?.abort();
  },

  /** Forget a finished run and free its models. */
  release(runId: string): void {
    const r = runs.get(runId);
    if (r) disposeRun(r);
    runs.delete(runId);
  },

  memory(): { numTensors: number; numBytes: number; backend: string } {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() };
  },
};

export type TrainerApi = typeof api;

Comlink.expose(api);
