/**
 * Plain-data types that cross the worker boundary (structured-clone safe). The worker API itself is
 * typed from the worker's functions (`StudioApi = typeof api`).
 */
import type { ImportReport, Layout } from '../data/types';
import type { NetworkDescription } from '../engine/networks/zoo';

export type BackendName = 'webgpu' | 'webgl' | 'cpu';

export interface BackendReport {
  backend: BackendName;
  /** Why each preferred backend that was tried before it failed. */
  fallbacks: { backend: BackendName; reason: string }[];
  /** Whether the engine's own WebGPU training kernels are on (`?kernels=stock` turns them off). */
  fastKernels?: boolean;
}

export interface WorkerError {
  name: 'EngineError' | 'DataError' | 'SpecError' | 'Error';
  code: string;
  message: string;
  subject?: string;
  details?: Record<string, unknown>;
}

export interface Thumbnail {
  /** RGBA, size x size. */
  rgba: Uint8ClampedArray;
  size: number;
  id: string;
  label?: string;
  box?: [number, number, number, number];
}

export interface DatasetSummary {
  id: string;
  name: string;
  synthetic: boolean;
  task: 'classify' | 'box';
  classNames?: string[];
  /** Usable images per class (classification) or in all (detection). */
  counts: Record<string, number>;
  total: number;
  train: number;
  test: number;
  /** Size the images are stored at. */
  size: number;
  layoutDescription: string;
  givenSplit: boolean;
  report: ImportReport | null;
  /** The layouts that fit the folder, the one used first; another can be chosen (re-import). */
  layouts: { description: string; layout: Layout }[];
  blocking: WorkerError[];
  previews: Thumbnail[];
}

export interface PlanSummary {
  networks: (NetworkDescription & { name: string; role: 'teacher' | 'student'; width: number })[];
  /** 1 - sum(students) / teacher (Figure 2). */
  reduction: number;
  /** Rough peak GPU memory of the largest run, bytes. */
  memoryBytes: number;
  runs: number;
  teacherTrainings: number;
  stepsPerEpoch: number;
}
