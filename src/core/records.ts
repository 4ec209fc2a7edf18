/**
 * The plain records of a run that events and results carry: which networks it has, the loss terms
 * of a step, the metrics of an evaluation, the predictions kept for inspection.
 *
 * Owns: record shapes. Imports only other core modules.
 */
import type { BoxMetrics, ClassMetrics } from './metrics';
import type { WeightsSource } from './weights';

export type Role = 'teacher' | 'student';
export type Phase = 'teacher' | 'cohort';

export interface NetworkInfo {
  name: string;
  role: Role;
  arch: string;
  width: number;
  params: number;
  /** Whether this network is updated in the cohort phase (a frozen teacher is not). */
  trained: boolean;
  /** Where its initial weights came from (absent in records made before weights files existed: seeded). */
  weights?: WeightsSource;
}

export interface LossRecord {
  ce: number;
  kd: number;
  ml: number;
  total: number;
}

export type Metrics = ClassMetrics | BoxMetrics;

export interface Evaluation {
  phase: Phase;
  epoch: number;
  /** Per network (teacher, student1, ...). */
  networks: Record<string, Metrics>;
  /** Ensembles of the students: classification 'max' and 'mean'; detection 'mean' or 'median'. */
  ensembles: Record<string, Metrics>;
  /** The same metrics on the validation images (held out from training), where there are any. */
  validation?: { networks: Record<string, Metrics>; ensembles: Record<string, Metrics> };
}

/** Predictions of the final evaluation, kept for inspection (errors, boxes). */
export interface Predictions {
  /** Per network: [N, C] probabilities or [N, 4] boxes. */
  networks: Record<string, Float32Array>;
  ensembles: Record<string, Float32Array>;
}
