/**
 * The running experiment as the page shows it, and the pure reducer that builds it from the
 * worker's events: one entry per run (and per shared teacher pre-training) with its curves and
 * evaluations, the experiment's totals (from the scheduler's own events, so they are right after
 * a resume too) and the memory the worker last reported.
 *
 * Owns: `Progress`, `reduceEvent` / `appendSteps`, and `progressOfResult` (a kept experiment shown
 * again). Pure functions: no worker, no DOM.
 */
import { MODE_LABELS } from '../core/config';
import type { ErrorInfo } from '../core/errors';
import type { PlannedRun, StudioEvent } from '../core/events';
import type { Evaluation, LossRecord, NetworkInfo } from '../core/records';
import type { ExperimentResult, RunRecord } from '../core/results';
import { expandRuns } from '../experiment/runs';

export interface StepPoint {
  /** Step number within this run's phase, from 1. */
  step: number;
  phase: 'teacher' | 'cohort';
  epoch: number;
  /** Steps of an epoch of this phase (for curves by epoch). */
  stepsPerEpoch?: number;
  losses: Record<string, LossRecord>;
  imagesPerSec: number;
  ms: number;
}

export interface RunProgress {
  key: string;
  label: string;
  /** The planned run, or null for a seed's shared teacher pre-training. */
  run: PlannedRun | null;
  seed: number;
  status: 'queued' | 'training' | 'done' | 'failed' | 'cancelled';
  networks: NetworkInfo[];
  steps: StepPoint[];
  evaluations: Evaluation[];
  /** Steps of this run's phase done (a resumed run starts at its checkpoint's step). */
  stepsDone: number;
  totalSteps: number;
  /** The newest checkpoint written for this run (or teacher pre-training). */
  checkpoint?: { epoch: number; step: number; generation: number };
  error?: ErrorInfo;
  /** The run's record once it ended (its split, chance baseline and group-level results). */
  record?: RunRecord;
}

export type ExperimentStatus = 'idle' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

export interface Progress {
  status: ExperimentStatus;
  runs: RunProgress[];
  currentKey: string | null;
  /** When this session's part of the experiment started (ms since the epoch). */
  startedAt: number | null;
  /** Steps of the whole experiment (teacher pre-trainings included), done so far, and done before this session started. */
  totalSteps: number;
  stepsDone: number;
  stepsAtStart: number;
  result: ExperimentResult | null;
  error: ErrorInfo | null;
  memory: { numTensors: number; gpuBytes: number | null; numBytes: number } | null;
  /** The experiment shown: where Inspect, Compare's curves and Export read its kept runs. */
  experimentId: string | null;
}

export const idleProgress = (): Progress => ({
  status: 'idle',
  runs: [],
  currentKey: null,
  startedAt: null,
  totalSteps: 0,
  stepsDone: 0,
  stepsAtStart: 0,
  result: null,
  error: null,
  memory: null,
  experimentId: null,
});

export const runKey = (r: Pick<PlannedRun, 'method' | 'seed'>) => `${r.method}:${r.seed}`;
export const teacherKey = (seed: number) => `teacher:${seed}`;

function patchRun(p: Progress, key: string, patch: Partial<RunProgress> | ((r: RunProgress) => Partial<RunProgress>)): Progress {
  return { ...p, runs: p.runs.map((r) => (r.key === key ? { ...r, ...(typeof patch === 'function' ? patch(r) : patch) } : r)) };
}

function queued(key: string, label: string, run: PlannedRun | null, seed: number): RunProgress {
  return { key, label, run, seed, status: 'queued', networks: [], steps: [], evaluations: [], stepsDone: 0, totalSteps: 0 };
}

/** Append a batch of step points (the store buffers them to render at most a few times a second). */
export function appendSteps(p: Progress, batch: { key: string; point: StepPoint }[]): Progress {
  if (batch.length === 0) return p;
  const byKey = new Map<string, StepPoint[]>();
  for (const b of batch) byKey.set(b.key, [...(byKey.get(b.key) ?? []), b.point]);
  return {
    ...p,
    runs: p.runs.map((r) => {
      const mine = byKey.get(r.key);
      return mine ? { ...r, steps: r.steps.concat(mine), stepsDone: r.stepsDone + mine.length } : r;
    }),
    stepsDone: p.stepsDone + batch.length,
  };
}

/** The step point of a step event, with the key of the run (or teacher pre-training) it belongs to. */
export function stepOf(e: StudioEvent): { key: string; point: StepPoint } | null {
  if (e.type !== 'train' || e.event.type !== 'step') return null;
  const ev = e.event;
  return {
    key: e.run ? runKey(e.run) : teacherKey(e.seed),
    point: {
      step: ev.globalStep,
      phase: ev.phase,
      epoch: ev.epoch,
      stepsPerEpoch: ev.stepsPerEpoch,
      losses: ev.losses,
      imagesPerSec: ev.imagesPerSec,
      ms: ev.ms,
    },
  };
}

/** The state after one event. Step events go through `appendSteps` instead (in batches). */
export function reduceEvent(p: Progress, e: StudioEvent): Progress {
  switch (e.type) {
    case 'memory':
      return { ...p, memory: { numTensors: e.numTensors, gpuBytes: e.gpuBytes, numBytes: e.numBytes } };
    case 'experiment-start': {
      const runs: RunProgress[] = [];
      const seedsWithTeacher = new Set(e.runs.filter((r) => r.sharedTeacher).map((r) => r.seed));
      for (const r of e.runs) {
        if (r.sharedTeacher && seedsWithTeacher.has(r.seed)) {
          seedsWithTeacher.delete(r.seed);
          runs.push(queued(teacherKey(r.seed), `Teacher pre-training, seed ${r.seed}`, null, r.seed));
        }
        runs.push(queued(runKey(r), `${MODE_LABELS[r.method]}, seed ${r.seed}`, r, r.seed));
      }
      return { ...p, runs, totalSteps: e.totalSteps, stepsDone: e.doneSteps, stepsAtStart: e.doneSteps, experimentId: e.experimentId ?? p.experimentId };
    }
    case 'teacher-start':
      return { ...patchRun(p, teacherKey(e.seed), { status: 'training' }), currentKey: teacherKey(e.seed) };
    case 'teacher-end':
      return patchRun(p, teacherKey(e.seed), { status: 'done' });
    case 'run-start':
      return { ...patchRun(p, runKey(e.run), { status: 'training' }), currentKey: runKey(e.run) };
    case 'run-end': {
      const record = e.record;
      return patchRun(p, runKey(e.run), (r) => ({
        // A run finished before a resume has no live evaluations: show its recorded ones.
        ...(r.evaluations.length ? {} : { evaluations: record.history, networks: record.networks }),
        status: record.status,
        record,
        error: record.error ? { name: 'EngineError', code: record.error.code, message: record.error.message } : undefined,
      }));
    }
    case 'train': {
      const key = e.run ? runKey(e.run) : teacherKey(e.seed);
      const ev = e.event;
      switch (ev.type) {
        case 'start':
          return patchRun(p, key, { networks: ev.networks });
        case 'phase':
          // A frozen-teacher run's cohort phase and a teacher pre-training are each one entry.
          return patchRun(p, key, { totalSteps: ev.totalSteps });
        case 'resumed': {
          // Steps the checkpoint already holds count as done, for this run and for the experiment.
          const before = p.runs.find((r) => r.key === key)?.stepsDone ?? 0;
          const gained = Math.max(0, ev.globalStep - before);
          return { ...patchRun(p, key, { stepsDone: ev.globalStep }), stepsDone: p.stepsDone + gained, stepsAtStart: p.stepsAtStart + gained };
        }
        case 'epoch':
          return patchRun(p, key, (r) => ({ evaluations: [...r.evaluations, ev.evaluation] }));
        case 'checkpoint':
          return patchRun(p, key, { checkpoint: { epoch: ev.epoch, step: ev.step, generation: ev.generation } });
        default:
          return p;
      }
    }
    case 'experiment-end': {
      const r = e.result;
      const failed = r.runs.find((x) => x.status === 'failed')?.error ?? r.teacherTrainings.find((t) => t.error)?.error;
      return {
        ...p,
        result: r,
        status: r.status === 'cancelled' ? 'cancelled' : r.status === 'stopped' ? 'failed' : 'done',
        currentKey: null,
        error: r.status === 'stopped' && failed ? { name: 'EngineError', code: failed.code, message: failed.message } : p.error,
      };
    }
  }
}

/** Estimated time left for the experiment, from this session's pace. */
export function experimentEta(p: Pick<Progress, 'startedAt' | 'stepsAtStart' | 'stepsDone' | 'totalSteps'>, now: number): number {
  const doneHere = p.stepsDone - p.stepsAtStart;
  if (!p.startedAt || doneHere <= 0 || p.totalSteps <= p.stepsDone) return 0;
  return ((now - p.startedAt) / doneHere) * (p.totalSteps - p.stepsDone);
}

/**
 * A kept experiment (from History, or the finished runs of an interrupted one) as the screens show
 * a finished one: its runs with their recorded curves and metrics, its table, and its id so
 * Inspect and Export read its kept runs.
 */
export function progressOfResult(result: ExperimentResult, experimentId: string): Progress {
  const planned = expandRuns(result.spec);
  let p = reduceEvent(idleProgress(), {
    type: 'experiment-start',
    runs: planned,
    teacherTrainings: result.teacherTrainings.length,
    totalSteps: 0,
    doneSteps: 0,
    experimentId,
  });
  for (const t of result.teacherTrainings) if (t.status === 'done') p = reduceEvent(p, { type: 'teacher-end', seed: t.seed, ms: t.ms });
  for (const record of result.runs) {
    const run = planned.find((r) => r.method === record.method && r.seed === record.seed);
    if (run) p = reduceEvent(p, { type: 'run-end', run, record });
  }
  return reduceEvent(p, { type: 'experiment-end', result });
}
