/**
 * What an experiment will cost before it starts: each network's parameter count, the reduction of
 * Figure 2 (1 - students / teacher), a rough GPU memory estimate of the largest run, the number of
 * runs and teacher pre-trainings.
 */
import { stepsPerEpochFor, usesTeacher } from '../core/config';
import type { NetworkDescription } from '../engine/networks/zoo';
import { teacherTrainingsNeeded } from './runs';
import type { ExperimentSpec } from '../core/spec';

/**
 * Bytes of a training step, roughly: weights, gradients and momentum (3 x params x 4 bytes) for each
 * trained network, plus activations kept for the backward pass and their gradients
 * (2 x activations x batch x 4 bytes). A frozen teacher holds weights and one forward's activations.
 */
export function estimateMemory(trained: NetworkDescription[], frozen: NetworkDescription[], batch: number): number {
  let bytes = 0;
  for (const n of trained) bytes += 3 * n.params * 4 + 2 * n.activationsPerImage * batch * 4;
  for (const n of frozen) bytes += n.params * 4 + n.activationsPerImage * batch * 4;
  return bytes;
}

export interface ExperimentEstimate {
  networks: (NetworkDescription & { name: string; role: 'teacher' | 'student'; width: number })[];
  /** 1 - sum(students) / teacher (Figure 2). */
  reduction: number;
  /** Rough peak GPU memory of the largest run, bytes. */
  memoryBytes: number;
  runs: number;
  teacherTrainings: number;
  stepsPerEpoch: number;
}

/** The estimate of `spec` from its networks' descriptions (the planner worker builds them). */
export function estimateExperiment(spec: ExperimentSpec, teacher: NetworkDescription, students: NetworkDescription[], trainCount: number): ExperimentEstimate {
  const withTeacher = spec.methods.some(usesTeacher);
  const online = spec.methods.includes('kdml_online');
  const memoryBytes = Math.max(
    estimateMemory(online ? [teacher, ...students] : students, withTeacher && !online ? [teacher] : [], spec.hyper.batchSize),
    withTeacher ? estimateMemory([teacher], [], spec.hyper.batchSize) : 0,
  );
  return {
    networks: [
      { ...teacher, name: 'teacher', role: 'teacher', width: spec.teacher.width ?? 1 },
      ...students.map((s, i) => ({ ...s, name: `student${i + 1}`, role: 'student' as const, width: spec.students[i].width ?? 1 })),
    ],
    reduction: 1 - students.reduce((a, s) => a + s.params, 0) / teacher.params,
    memoryBytes,
    runs: spec.methods.length * spec.seeds.length,
    teacherTrainings: teacherTrainingsNeeded(spec),
    stepsPerEpoch: stepsPerEpochFor(spec.hyper, trainCount),
  };
}
