/**
 * The experiment scheduler: expands a spec into runs (method x seed), trains the teacher that KD
 * and KD+ML offline need once per seed and shares it, runs one run at a time, and records every
 * run (config, seed, per-epoch metrics, final metrics, timings, backend, parameter counts).
 * A failed run is recorded and the rest go on (or stop, as asked); a cancel keeps every finished
 * run. Runs in the worker, in Node (the command line) and in tests alike.
 */
import * as tf from '@tensorflow/tfjs';
import { stepsPerEpochFor } from '../core/config';
import { isEngineError, type ErrorCode } from '../core/errors';
import type { ExperimentEvent, PlannedRun } from '../core/events';
import type { DatasetInfo, ExperimentResult, RunRecord } from '../core/results';
import type { TrainData } from '../core/samples';
import { runConfigOf, type ExperimentSpec } from '../core/spec';
import type { CheckpointStore } from '../engine/checkpoint';
import { forgetDisposedGraphs } from '../engine/graphCache';
import type { WeightsLookup } from '../engine/interop/initialWeights';
import { disposeRun, pretrainTeacher, trainCohort, type RunResult } from '../engine/trainer';
import { aggregate } from './aggregate';
import { expandRuns, teacherTrainingsNeeded } from './runs';

export interface ExperimentOptions {
  signal?: AbortSignal;
  onEvent?: (e: ExperimentEvent) => void;
  /** After a failed run: go on with the next run (default) or stop the experiment. */
  onRunError?: 'continue' | 'stop';
  /** Called with each finished run's trained models before they are freed (for export). */
  onRunModels?: (run: PlannedRun, result: RunResult, data: TrainData) => void | Promise<void>;
  /** Keep no models: free each run's networks as soon as its metrics are recorded (default true). */
  disposeModels?: boolean;
  now?: () => Date;
  /** Where runs (and shared teachers) keep their checkpoints; a run with one resumes from it. */
  store?: CheckpointStore;
  /** Also checkpoint every this many steps (epochs always end with one). */
  checkpointEverySteps?: number;
  /** Runs finished before an interruption: kept as they were, not run again. */
  completed?: RunRecord[];
  /** Set `requested` to have the run in progress checkpoint after its next step. */
  flush?: { requested: boolean };
  /** Awaited before every step (pause); may throw to stop the run (a lost GPU). */
  gate?: () => Promise<void>;
  /** The state dicts of the weights files the spec's networks name. */
  weights?: WeightsLookup;
  /** Turns an error that is not the engine's own into a typed one (e.g. a lost GPU device). */
  classifyError?: (e: unknown) => { code: ErrorCode; message: string } | null;
  /**
   * Training images of a seed's split, to count the experiment's steps before it starts; without
   * it each seed's data is made once up front to count them.
   */
  trainCount?: (seed: number) => number;
  /** Run only these of the spec's runs (a part of a sharded experiment); default every run. */
  select?: (run: PlannedRun) => boolean;
  /**
   * Adds to each new run's record what the caller knows of its data (its split, the chance
   * baseline, group-level results); `result` is absent for a run that did not finish.
   */
  annotate?: (record: RunRecord, data: TrainData, result?: RunResult) => RunRecord;
}

/** Errors after which no later run can succeed in this session: the experiment stops. */
const FATAL = new Set<ErrorCode>(['DEVICE_LOST', 'GPU_OUT_OF_MEMORY', 'STORAGE_FULL']);

function errorOf(e: unknown): { code: ErrorCode; message: string } {
  if (isEngineError(e)) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Steps of the whole experiment (every run's cohort phase and every shared teacher's
 * pre-training) and, of those, the steps of runs already finished, so progress and its ETA are
 * right for an experiment that resumes.
 */
function countSteps(
  spec: ExperimentSpec,
  planned: PlannedRun[],
  completed: Map<string, RunRecord>,
  trainCount: (seed: number) => number,
): { totalSteps: number; doneSteps: number } {
  let totalSteps = 0;
  let doneSteps = 0;
  const teacherEpochs = spec.hyper.teacherEpochs ?? spec.hyper.epochs;
  for (const seed of spec.seeds) {
    const runs = planned.filter((r) => r.seed === seed);
    if (runs.length === 0) continue;
    const perEpoch = stepsPerEpochFor(spec.hyper, trainCount(seed));
    for (const r of runs) {
      totalSteps += spec.hyper.epochs * perEpoch;
      if (completed.has(`${r.method}:${seed}`)) doneSteps += spec.hyper.epochs * perEpoch;
    }
    const shared = runs.filter((r) => r.sharedTeacher);
    if (shared.length) {
      totalSteps += teacherEpochs * perEpoch;
      // A seed whose shared runs are all finished does not train its teacher again.
      if (shared.every((r) => completed.has(`${r.method}:${seed}`))) doneSteps += teacherEpochs * perEpoch;
    }
  }
  return { totalSteps, doneSteps };
}

/**
 * Run every (method, seed) of `spec`. `dataForSeed(seed)` gives that seed's train/test split
 * (the same seed gives the same split for every method, so results pair across methods).
 */
export async function runExperiment(
  spec: ExperimentSpec,
  dataForSeed: (seed: number) => TrainData,
  dataset: DatasetInfo,
  opts: ExperimentOptions = {},
): Promise<ExperimentResult> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const planned = expandRuns(spec).filter((r) => !opts.select || opts.select(r));
  const classes = spec.task === 'classify' ? (dataset.classNames?.length ?? 2) : 2;
  const runs: RunRecord[] = [];
  const completed = new Map((opts.completed ?? []).filter((r) => r.status === 'done').map((r) => [`${r.method}:${r.seed}`, r]));
  const checkpointFor = async (key: string) =>
    opts.store ? { key, store: opts.store, everySteps: opts.checkpointEverySteps, resume: await opts.store.load(key), flush: opts.flush } : undefined;
  const typed = (e: unknown) => opts.classifyError?.(e) ?? errorOf(e);
  const teacherTrainings: ExperimentResult['teacherTrainings'] = [];
  const emit = (e: ExperimentEvent) => opts.onEvent?.(e);
  emit({
    type: 'experiment-start',
    runs: planned,
    teacherTrainings: opts.select ? new Set(planned.filter((r) => r.sharedTeacher).map((r) => r.seed)).size : teacherTrainingsNeeded(spec),
    ...countSteps(spec, planned, completed, opts.trainCount ?? ((seed) => dataForSeed(seed).train.count)),
  });
  let status: ExperimentResult['status'] = 'done';

  outer: for (const seed of spec.seeds) {
    if (!planned.some((r) => r.seed === seed)) continue;
    const data = dataForSeed(seed);
    let teacher: tf.LayersModel | null = null;
    let teacherFailed: { code: ErrorCode; message: string } | null = null;
    try {
      for (const run of planned.filter((r) => r.seed === seed)) {
        if (opts.signal?.aborted) {
          status = 'cancelled';
          break outer;
        }
        const config = runConfigOf(spec, run.method, seed, classes, dataset.classNames);
        const done = completed.get(`${run.method}:${seed}`);
        if (done) {
          runs.push(done);
          emit({ type: 'run-start', run });
          emit({ type: 'run-end', run, record: done });
          continue;
        }
        if (run.sharedTeacher && !teacher && !teacherFailed) {
          emit({ type: 'teacher-start', seed });
          const t0 = performance.now();
          try {
            teacher = await pretrainTeacher(config, data, {
              signal: opts.signal,
              gate: opts.gate,
              weights: opts.weights,
              checkpoint: await checkpointFor(`teacher:${seed}`),
              onEvent: (event) => emit({ type: 'train', run: null, seed, event }),
            });
            const ms = performance.now() - t0;
            teacherTrainings.push({ seed, ms, status: 'done' });
            emit({ type: 'teacher-end', seed, ms });
          } catch (e) {
            const err = typed(e);
            const cancelled = err.code === 'CANCELLED';
            teacherTrainings.push({ seed, ms: performance.now() - t0, status: cancelled ? 'cancelled' : 'failed', error: err });
            if (cancelled) {
              status = 'cancelled';
              break outer;
            }
            teacherFailed = err;
            if (FATAL.has(err.code)) {
              status = 'stopped';
              break outer;
            }
          }
        }
        emit({ type: 'run-start', run });
        let record: RunRecord;
        let trained: RunResult | undefined;
        if (run.sharedTeacher && teacherFailed) {
          record = {
            method: run.method,
            seed,
            status: 'failed',
            config,
            networks: [],
            history: [],
            backend: tf.getBackend(),
            sharedTeacher: true,
            error: { code: teacherFailed.code, message: `The shared teacher of seed ${seed} failed: ${teacherFailed.message}` },
          };
        } else {
          const history: RunRecord['history'] = [];
          let networks: RunRecord['networks'] = [];
          try {
            const result = await trainCohort(config, data, {
              signal: opts.signal,
              gate: opts.gate,
              weights: opts.weights,
              checkpoint: await checkpointFor(`${run.method}:${seed}`),
              pretrainedTeacher: run.sharedTeacher ? teacher! : undefined,
              onEvent: (event) => {
                if (event.type === 'start') networks = event.networks;
                if (event.type === 'epoch') history.push(event.evaluation);
                emit({ type: 'train', run, seed, event });
              },
            });
            record = {
              method: run.method,
              seed,
              status: 'done',
              config,
              networks: result.networks,
              history: result.history,
              final: result.final,
              backend: result.backend,
              timings: result.timings,
              sharedTeacher: run.sharedTeacher,
            };
            trained = result;
            try {
              await opts.onRunModels?.(run, result, data);
            } finally {
              if (opts.disposeModels !== false) disposeRun(result, teacher ?? undefined);
            }
            // The run is recorded: its checkpoint is no longer needed.
            await opts.store?.remove(`${run.method}:${seed}`);
          } catch (e) {
            const err = typed(e);
            record = {
              method: run.method,
              seed,
              status: err.code === 'CANCELLED' ? 'cancelled' : 'failed',
              config,
              networks,
              history,
              backend: tf.getBackend(),
              sharedTeacher: run.sharedTeacher,
              error: err,
            };
          }
        }
        if (opts.annotate) record = opts.annotate(record, data, trained);
        runs.push(record);
        emit({ type: 'run-end', run, record });
        if (record.status === 'cancelled') {
          status = 'cancelled';
          break outer;
        }
        if (record.status === 'failed' && (opts.onRunError === 'stop' || (record.error !== undefined && FATAL.has(record.error.code)))) {
          status = 'stopped';
          break outer;
        }
      }
    } finally {
      teacher?.dispose();
      forgetDisposedGraphs();
    }
    // Every run of this seed is recorded (or the experiment stopped): free the shared teacher's checkpoint.
    if (status === 'done' && opts.store) await opts.store.remove(`teacher:${seed}`);
  }

  const result: ExperimentResult = {
    format: 'cohort-studio-results',
    version: 1,
    spec,
    dataset,
    backend: tf.getBackend(),
    startedAt,
    finishedAt: now().toISOString(),
    status,
    runs,
    teacherTrainings,
    table: aggregate(runs, spec.methods, spec.seeds),
  };
  emit({ type: 'experiment-end', result });
  return result;
}
