import { describe, expect, it } from 'vitest';
import type { ExperimentEvent, PlannedRun, StudioEvent } from '../core/events';
import type { Evaluation } from '../core/records';
import type { ExperimentResult, RunRecord } from '../core/results';
import { appendSteps, experimentEta, idleProgress, reduceEvent, stepOf, type Progress } from './progress';

const runs: PlannedRun[] = [
  { index: 0, method: 'kd', seed: 0, sharedTeacher: true },
  { index: 1, method: 'ml', seed: 0, sharedTeacher: false },
];
const evaluation = (epoch: number): Evaluation => ({ phase: 'cohort', epoch, networks: {}, ensembles: {} });
const step = (run: PlannedRun | null, globalStep: number): StudioEvent => ({
  type: 'train',
  run,
  seed: 0,
  event: {
    type: 'step',
    phase: run ? 'cohort' : 'teacher',
    epoch: 0,
    step: globalStep - 1,
    globalStep,
    stepsPerEpoch: 4,
    losses: {},
    imagesPerSec: 10,
    ms: 100,
  },
});
const record = (run: PlannedRun, status: RunRecord['status'], error?: RunRecord['error']): RunRecord =>
  ({ method: run.method, seed: run.seed, status, config: {}, networks: [], history: [evaluation(0)], backend: 'cpu', error }) as unknown as RunRecord;

function replay(events: StudioEvent[], from: Progress = idleProgress()): Progress {
  let p = from;
  for (const e of events) {
    const s = stepOf(e);
    p = s ? appendSteps(p, [s]) : reduceEvent(p, e);
  }
  return p;
}

describe('progress reducer', () => {
  const start: ExperimentEvent = { type: 'experiment-start', runs, teacherTrainings: 1, totalSteps: 24, doneSteps: 0 };

  it('lists the shared teacher before its seed first run, and takes the totals from the scheduler', () => {
    const p = reduceEvent(idleProgress(), start);
    expect(p.runs.map((r) => r.key)).toEqual(['teacher:0', 'kd:0', 'ml:0']);
    expect(p.runs.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
    expect(p.totalSteps).toBe(24);
    expect(p.stepsDone).toBe(0);
  });

  it('counts steps per run and for the experiment, with each phase length from its own event', () => {
    const p = replay([
      start,
      { type: 'teacher-start', seed: 0 },
      { type: 'train', run: null, seed: 0, event: { type: 'phase', phase: 'teacher', epochs: 2, stepsPerEpoch: 4, totalSteps: 8 } },
      step(null, 1),
      step(null, 2),
      { type: 'teacher-end', seed: 0, ms: 5 },
      { type: 'run-start', run: runs[0] },
      { type: 'train', run: runs[0], seed: 0, event: { type: 'phase', phase: 'cohort', epochs: 2, stepsPerEpoch: 4, totalSteps: 8 } },
      step(runs[0], 1),
      { type: 'train', run: runs[0], seed: 0, event: { type: 'epoch', evaluation: evaluation(0) } },
    ]);
    expect(p.runs.find((r) => r.key === 'teacher:0')).toMatchObject({ status: 'done', stepsDone: 2, totalSteps: 8 });
    expect(p.runs.find((r) => r.key === 'kd:0')).toMatchObject({ status: 'training', stepsDone: 1, totalSteps: 8 });
    expect(p.runs.find((r) => r.key === 'kd:0')!.evaluations).toHaveLength(1);
    expect(p.currentKey).toBe('kd:0');
    expect(p.stepsDone).toBe(3);
  });

  it('after a resume: finished runs count as done, a run resumed from its checkpoint counts its steps', () => {
    const p = replay([
      { ...start, doneSteps: 16 },
      { type: 'run-start', run: runs[0] },
      { type: 'run-end', run: runs[0], record: record(runs[0], 'done') },
      { type: 'run-start', run: runs[1] },
      { type: 'train', run: runs[1], seed: 0, event: { type: 'resumed', key: 'ml:0', phase: 'cohort', epoch: 1, step: 0, globalStep: 4 } },
      step(runs[1], 5),
    ]);
    // A run finished before the resume shows its recorded evaluations.
    expect(p.runs.find((r) => r.key === 'kd:0')).toMatchObject({ status: 'done' });
    expect(p.runs.find((r) => r.key === 'kd:0')!.evaluations).toHaveLength(1);
    expect(p.runs.find((r) => r.key === 'ml:0')!.stepsDone).toBe(5);
    expect(p.stepsDone).toBe(21);
    // Only this session's steps set the pace of the ETA.
    expect(p.stepsAtStart).toBe(20);
    expect(experimentEta({ ...p, startedAt: 1000 }, 2000)).toBeCloseTo(1000 * 3, 6);
  });

  it('no ETA before a step of this session, or once everything is done', () => {
    expect(experimentEta({ startedAt: 0, stepsAtStart: 10, stepsDone: 10, totalSteps: 20 }, 5000)).toBe(0);
    expect(experimentEta({ startedAt: 0, stepsAtStart: 0, stepsDone: 20, totalSteps: 20 }, 5000)).toBe(0);
  });

  it('a stopped experiment carries the failed run error; a cancelled one does not make one up', () => {
    const failed = record(runs[1], 'failed', { code: 'NAN_LOSS', message: 'student1 became NaN' });
    const end = (status: ExperimentResult['status']): ExperimentEvent => ({
      type: 'experiment-end',
      result: { status, runs: [failed], teacherTrainings: [] } as unknown as ExperimentResult,
    });
    const stopped = replay([start, end('stopped')]);
    expect(stopped.status).toBe('failed');
    expect(stopped.error).toMatchObject({ code: 'NAN_LOSS' });
    const cancelled = replay([start, end('cancelled')]);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error).toBeNull();
  });

  it('remembers the newest checkpoint of each run', () => {
    const p = replay([
      start,
      { type: 'train', run: runs[1], seed: 0, event: { type: 'checkpoint', key: 'ml:0', phase: 'cohort', epoch: 1, step: 0, globalStep: 4, generation: 1 } },
      { type: 'train', run: runs[1], seed: 0, event: { type: 'checkpoint', key: 'ml:0', phase: 'cohort', epoch: 2, step: 0, globalStep: 8, generation: 2 } },
    ]);
    expect(p.runs.find((r) => r.key === 'ml:0')!.checkpoint).toEqual({ epoch: 2, step: 0, generation: 2 });
  });

  it('memory comes with the events', () => {
    const p = reduceEvent(idleProgress(), { type: 'memory', numTensors: 12, numBytes: 100, gpuBytes: 2048 });
    expect(p.memory).toEqual({ numTensors: 12, numBytes: 100, gpuBytes: 2048 });
  });
});
