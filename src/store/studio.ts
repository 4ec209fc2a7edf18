/**
 * The studio's state: backend, dataset, the experiment being configured, the experiment running
 * (per-run curves and evaluations), its results, and past experiments. A vanilla zustand store with
 * a React binding. Step events are buffered and appended in batches (at most ~5 renders a second),
 * and every point is kept: charts downsample for drawing.
 */
import { createStore, useStore } from 'zustand';
import type { Evaluation, NetworkInfo, TrainEvent } from '../engine/trainer';
import type { ExperimentEvent, ExperimentResult, PlannedRun } from '../experiment/scheduler';
import { defaultSpec, type ExperimentSpec } from '../experiment/spec';
import { MODE_LABELS } from '../engine/config';
import type { BackendReport, DatasetSummary, PlanSummary, WorkerError } from '../worker/protocol';
import type { ActiveExperiment } from '../worker/studio.worker';

export interface StepPoint {
  /** Step number within this run's phase, from 1. */
  step: number;
  phase: 'teacher' | 'cohort';
  epoch: number;
  losses: Record<string, { ce: number; kd: number; ml: number; total: number }>;
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
  stepsDone: number;
  totalSteps: number;
  error?: WorkerError;
}

export type ExperimentStatus = 'idle' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

export interface StudioState {
  backend: BackendReport | null;
  backendError: WorkerError | null;
  dataset: DatasetSummary | null;
  importing: { done: number; total: number; phase: string } | null;
  importError: WorkerError | null;
  spec: ExperimentSpec;
  preset: string;
  plan: PlanSummary | null;
  status: ExperimentStatus;
  runs: RunProgress[];
  currentKey: string | null;
  startedAt: number | null;
  /** Steps planned for the whole experiment (teacher pre-trainings included) and done so far. */
  totalSteps: number;
  stepsDone: number;
  result: ExperimentResult | null;
  error: WorkerError | null;
  gpuBytes: number | null;
  selected: { key: string } | null;
  /** An experiment a reload, crash or lost GPU interrupted, offered for an explicit Resume. */
  interrupted: ActiveExperiment | null;
  /** After a failed run (a NaN loss): go on with the next run, or stop and wait. */
  onRunError: 'continue' | 'stop';
  /** Checkpoint every this many steps as well as at every epoch's end (0: epochs only). */
  checkpointEverySteps: number;
  set(p: Partial<StudioState>): void;
  setSpec(update: (s: ExperimentSpec) => ExperimentSpec): void;
  startExperiment(): void;
  onExperimentEvent(e: ExperimentEvent): void;
  flush(): void;
}

const runKey = (r: PlannedRun) => `${r.method}:${r.seed}`;
const teacherKey = (seed: number) => `teacher:${seed}`;

let pending: { key: string; point: StepPoint }[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

export const studioStore = createStore<StudioState>()((set, get) => ({
  backend: null,
  backendError: null,
  dataset: null,
  importing: null,
  importError: null,
  spec: defaultSpec(),
  preset: 'v1',
  plan: null,
  status: 'idle',
  runs: [],
  currentKey: null,
  startedAt: null,
  totalSteps: 0,
  stepsDone: 0,
  result: null,
  error: null,
  gpuBytes: null,
  selected: null,
  interrupted: null,
  onRunError: 'continue',
  checkpointEverySteps: 200,
  set: (p) => set(p),
  setSpec: (update) => set({ spec: update(get().spec), preset: 'custom' }),
  startExperiment: () => {
    pending = [];
    set({ status: 'running', runs: [], currentKey: null, startedAt: Date.now(), totalSteps: 0, stepsDone: 0, result: null, error: null, selected: null });
  },
  flush: () => {
    flushTimer = null;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const runs = get().runs.map((r) => {
      const mine = batch.filter((b) => b.key === r.key).map((b) => b.point);
      return mine.length ? { ...r, steps: r.steps.concat(mine), stepsDone: r.stepsDone + mine.length } : r;
    });
    set({ runs, stepsDone: get().stepsDone + batch.length });
  },
  onExperimentEvent: (e) => {
    const s = get();
    const patchRun = (key: string, patch: Partial<RunProgress>) => set({ runs: get().runs.map((r) => (r.key === key ? { ...r, ...patch } : r)) });
    switch (e.type) {
      case 'experiment-start': {
        const runs: RunProgress[] = [];
        const seedsWithTeacher = new Set(e.runs.filter((r) => r.sharedTeacher).map((r) => r.seed));
        for (const r of e.runs) {
          if (r.sharedTeacher && seedsWithTeacher.has(r.seed)) {
            seedsWithTeacher.delete(r.seed);
            runs.push({ key: teacherKey(r.seed), label: `Teacher pre-training, seed ${r.seed}`, run: null, seed: r.seed, status: 'queued', networks: [], steps: [], evaluations: [], stepsDone: 0, totalSteps: 0 });
          }
          runs.push({ key: runKey(r), label: `${MODE_LABELS[r.method]}, seed ${r.seed}`, run: r, seed: r.seed, status: 'queued', networks: [], steps: [], evaluations: [], stepsDone: 0, totalSteps: 0 });
        }
        const spe = s.plan?.stepsPerEpoch ?? 0;
        const teacherEpochs = s.spec.hyper.teacherEpochs ?? s.spec.hyper.epochs;
        const total = e.runs.length * s.spec.hyper.epochs * spe + e.teacherTrainings * teacherEpochs * spe;
        set({ runs, totalSteps: total });
        break;
      }
      case 'teacher-start':
        patchRun(teacherKey(e.seed), { status: 'training' });
        set({ currentKey: teacherKey(e.seed) });
        break;
      case 'teacher-end':
        get().flush();
        patchRun(teacherKey(e.seed), { status: 'done' });
        break;
      case 'run-start':
        get().flush();
        patchRun(runKey(e.run), { status: 'training' });
        set({ currentKey: runKey(e.run) });
        break;
      case 'run-end':
        get().flush();
        patchRun(runKey(e.run), {
          ...(get().runs.find((r) => r.key === runKey(e.run))?.evaluations.length ? {} : { evaluations: e.record.history, networks: e.record.networks }),
          status: e.record.status,
          error: e.record.error ? { name: 'EngineError', code: e.record.error.code, message: e.record.error.message } : undefined,
        });
        break;
      case 'train': {
        const key = e.run ? runKey(e.run) : teacherKey(e.seed);
        const ev: TrainEvent = e.event;
        if (ev.type === 'step') {
          pending.push({
            key,
            point: { step: ev.globalStep, phase: ev.phase, epoch: ev.epoch, losses: ev.losses, imagesPerSec: ev.imagesPerSec, ms: ev.ms },
          });
          if (!flushTimer) flushTimer = setTimeout(() => get().flush(), 200);
        } else if (ev.type === 'start') {
          patchRun(key, { networks: ev.networks, totalSteps: ev.totalSteps });
        } else if (ev.type === 'phase' && ev.phase === 'teacher') {
          const spe = s.plan?.stepsPerEpoch ?? 0;
          patchRun(key, { totalSteps: ev.epochs * spe });
        } else if (ev.type === 'epoch') {
          get().flush();
          const r = get().runs.find((x) => x.key === key);
          if (r) patchRun(key, { evaluations: [...r.evaluations, ev.evaluation] });
        }
        break;
      }
      case 'experiment-end':
        get().flush();
        set({
          result: e.result,
          status: e.result.status === 'cancelled' ? 'cancelled' : e.result.status === 'stopped' ? 'failed' : 'done',
          currentKey: null,
          error: e.result.status === 'stopped' ? (() => {
            const f = e.result.runs.find((r) => r.status === 'failed')?.error ?? e.result.teacherTrainings.find((t) => t.error)?.error;
            return f ? { name: 'EngineError' as const, code: f.code, message: f.message } : get().error;
          })() : get().error,
        });
        break;
    }
  },
}));

export function useStudio<T>(selector: (s: StudioState) => T): T {
  return useStore(studioStore, selector);
}
