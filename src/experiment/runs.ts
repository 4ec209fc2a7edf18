/**
 * An experiment's runs: method x seed, grouped by seed, and which of them share a pre-trained
 * teacher. No TensorFlow.js: the configuration screen counts runs with it.
 */
import { usesFrozenTeacher } from '../core/config';
import type { ExperimentSpec } from '../core/spec';
import type { PlannedRun } from '../core/events';

/** Method x seed, grouped by seed so a seed's shared teacher is trained once and freed after. */
export function expandRuns(spec: Pick<ExperimentSpec, 'methods' | 'seeds'>): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (const seed of spec.seeds) {
    for (const method of spec.methods) out.push({ index: out.length, method, seed, sharedTeacher: usesFrozenTeacher(method) });
  }
  return out;
}

/** How many teacher pre-trainings an experiment needs: one per seed that has KD or KD+ML offline. */
export function teacherTrainingsNeeded(spec: Pick<ExperimentSpec, 'methods' | 'seeds'>): number {
  return spec.methods.some(usesFrozenTeacher) ? spec.seeds.length : 0;
}
