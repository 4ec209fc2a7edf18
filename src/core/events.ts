/**
 * The events the engine and the scheduler stream while an experiment runs. The worker
 * forwards them unchanged to the page, where the store reduces them into state.
 *
 * Owns: event and record shapes. Imports only other core modules.
 */
import type { Mode } from './config';
import type { Evaluation, LossRecord, NetworkInfo, Phase } from './records';
import type { ExperimentResult, RunRecord } from './results';

export interface StepEvent {
  type: 'step';
  phase: Phase;
  epoch: number;
  /** Step within the epoch, from 0. */
  step: number;
  /** Steps done in this phase so far, from 1. */
  globalStep: number;
  stepsPerEpoch: number;
  losses: Record<string, LossRecord>;
  imagesPerSec: number;
  ms: number;
}

export type TrainEvent =
  | { type: 'start'; mode: Mode; seed: number; networks: NetworkInfo[]; backend: string; stepsPerEpoch: number; totalSteps: number }
  /** A phase begins: teacher pre-training or the cohort; its length in steps. */
  | { type: 'phase'; phase: Phase; epochs: number; stepsPerEpoch: number; totalSteps: number }
  | StepEvent
  | { type: 'epoch'; evaluation: Evaluation }
  | { type: 'checkpoint'; key: string; phase: Phase; epoch: number; step: number; globalStep: number; generation: number }
  | { type: 'resumed'; key: string; phase: Phase; epoch: number; step: number; globalStep: number }
  | { type: 'done'; final: Evaluation; ms: number };

/** One run of an experiment: a method and a seed. */
export interface PlannedRun {
  index: number;
  method: Mode;
  seed: number;
  /** Whether this run uses the teacher pre-trained once for its seed. */
  sharedTeacher: boolean;
}

export type ExperimentEvent =
  | {
      type: 'experiment-start';
      runs: PlannedRun[];
      teacherTrainings: number;
      /** Optimisation steps of the whole experiment, teacher pre-trainings included. */
      totalSteps: number;
      /** Of those, the steps of runs finished before (an experiment that resumes). */
      doneSteps: number;
      /** The experiment's id, where the session keeps one: its journal's, its kept runs', its History record's. */
      experimentId?: string;
    }
  | { type: 'teacher-start'; seed: number }
  | { type: 'teacher-end'; seed: number; ms: number }
  | { type: 'run-start'; run: PlannedRun }
  | { type: 'train'; run: PlannedRun | null; seed: number; event: TrainEvent }
  | { type: 'run-end'; run: PlannedRun; record: RunRecord }
  | { type: 'experiment-end'; result: ExperimentResult };

/** What the studio worker streams to the page: the experiment's events and its memory in use. */
export type StudioEvent = ExperimentEvent | { type: 'memory'; numTensors: number; numBytes: number; gpuBytes: number | null };
