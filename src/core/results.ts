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
import type { ClassMetrics } from './metrics';

/** One image of a split: its relative path and its group ('' or absent: none). */
export interface SplitEntry {
  file: string;
  group?: string;
}

/** Which images a run trained on, validated on and was tested on, so anyone can check the split. */
export interface SplitRecord {
  /** 'group': whole groups per set; 'image': images split one by one; 'folders': as the folders gave it. */
  by: 'group' | 'image' | 'folders';
  train: SplitEntry[];
  validation: SplitEntry[];
  test: SplitEntry[];
  /** Distinct groups per set. */
  groups?: { train: number; validation: number; test: number };
  /** Groups with images in training and in test (0 for a split by group). */
  groupsInBoth?: number;
  /** Share of test images whose group also has images in training. */
  leakage?: number;
}

/** What guessing scores on the run's test split: the baseline every network must beat. */
export type ChanceRecord =
  /** The majority class of the training images, predicted for every test image; AUC 0.5. */
  | { rule: 'majority-class'; className: string; accuracy: number; auc: 0.5; groupAccuracy?: number }
  /** The mean of the training boxes, predicted for every test image. */
  | { rule: 'mean-box'; box: [number, number, number, number]; meanIoU: number; hitRate: number };

/** Per group of the test images: the mean of the tile probabilities, then accuracy and ROC AUC. */
export interface GroupEvaluation {
  groups: number;
  /** Groups whose images carry more than one label (the group takes its majority label). */
  mixed: number;
  networks: Record<string, ClassMetrics>;
  ensembles: Record<string, ClassMetrics>;
}

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
  /** The images of each set. */
  split?: SplitRecord;
  /** What guessing scores on this split. */
  chance?: ChanceRecord;
  /** Classification with groups: the final evaluation per group. */
  groupFinal?: GroupEvaluation;
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
  /** The row's metric when it is not the table's (group-level ROC AUC). */
  metric?: 'accuracy' | 'meanIoU' | 'auc';
  /** 'group': per group of test images; absent: per image. */
  level?: 'group';
  /** The chance baseline, not a network. */
  chance?: boolean;
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
  /**
   * 'stopped': a run failed in a way that stops the rest (a lost GPU, a full disk) or as asked.
   * 'running': written while the experiment runs (the command line rewrites results.json after
   * every finished run); a file left so is from a process that crashed or is still going.
   */
  status: 'done' | 'cancelled' | 'stopped' | 'running';
  runs: RunRecord[];
  teacherTrainings: { seed: number; ms: number; status: 'done' | 'failed' | 'cancelled'; error?: { code: ErrorCode; message: string } }[];
  table: ResultsTable;
  /** Written by the command line: what the results are of, so parts can be checked before a merge. */
  provenance?: Provenance;
}

/** Content hashes of an experiment's inputs and, for a part of a sharded experiment, which part. */
export interface Provenance {
  /** SHA-256 of the parsed spec as canonical JSON (keys sorted). */
  specHash: string;
  /** SHA-256 of the imported images (at the input size), their labels, boxes, names and the folder-given split. */
  datasetHash: string;
  /** The part (`--shard index/count`) and its runs as `method:seed`. */
  part?: { index: number; count: number; runs: string[] };
}
