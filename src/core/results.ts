/**
 * What an experiment leaves behind, as plain JSON-ready data: every run's record, the paper's
 * Table 2 built from them, and the experiment's result (results.json).
 *
 * Owns: result shapes. Imports only other core modules.
 */
import type { Mode, RunConfig } from './config';
import type { ErrorCode } from './errors';
import type { ExperimentSpec } from './spec';
import type { PairedT } from './stats';
import type { Evaluation, NetworkInfo } from './records';

export interface RunTimings {
  totalMs: number;
  teacherMs: number;
  cohortMs: number;
  meanStepMs: number;
}

export interface RunRecord {
  method: Mode;
  seed: number;
  status: 'done' | 'failed' | 'cancelled';
  config: RunConfig;
  networks: NetworkInfo[];
  history: Evaluation[];
  final?: Evaluation;
  backend: string;
  timings?: RunTimings;
  /** Whether this run used a teacher pre-trained once for its seed and shared with other runs. */
  sharedTeacher?: boolean;
  error?: { code: ErrorCode; message: string };
}

export interface Cell {
  /** Per seed, in the order of `seeds`; null where the run is missing or failed. */
  values: (number | null)[];
  mean: number;
  std: number;
  n: number;
  /** Ensemble rows: paired test against the KD ensemble (absent for KD itself). */
  vsKD?: PairedT;
  star?: boolean;
}

export interface TableRow {
  key: string;
  label: string;
  cells: Partial<Record<Mode, Cell>>;
}

export interface ResultsTable {
  metric: 'accuracy' | 'meanIoU';
  methods: Mode[];
  seeds: number[];
  rows: TableRow[];
  /**
   * Classification: the expected calibration error of each row (mean ± sample std over seeds, no
   * test), from each run's final evaluation (`core/calibration.ts`). Lower is better.
   */
  calibration?: { metric: 'ece'; rows: TableRow[] };
  parameters: { teacher: number | null; students: number[]; reduction: number | null };
}

export interface DatasetInfo {
  name: string;
  classNames?: string[];
  /** Counts per part, for the record. */
  counts?: Record<string, number>;
  layout?: string;
}

export interface ExperimentResult {
  format: 'cohort-studio-results';
  version: 1;
  spec: ExperimentSpec;
  dataset: DatasetInfo;
  backend: string;
  startedAt: string;
  finishedAt: string;
  /** 'stopped': a run failed in a way that stops the rest (a lost GPU, a full disk) or as asked. */
  status: 'done' | 'cancelled' | 'stopped';
  runs: RunRecord[];
  teacherTrainings: { seed: number; ms: number; status: 'done' | 'failed' | 'cancelled'; error?: { code: ErrorCode; message: string } }[];
  table: ResultsTable;
}
