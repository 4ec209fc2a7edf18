/**
 * What an experiment will cost before it starts: each network's parameter count, the reduction of
 * Figure 2 (1 - students / teacher), a rough GPU memory estimate of the largest run, the number of
 * runs and teacher pre-trainings.
 */
import { usesTeacher } from '../engine/config';
import type { NetworkDescription } from '../engine/networks/zoo';
import type { PlanSummary } from '../worker/protocol';
import { teacherTrainingsNeeded } from './runs';
import type { ExperimentSpec } from './spec';

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

export function planSummary(spec: ExperimentSpec, teacher: NetworkDescription, students: NetworkDescription[], trainCount: number): PlanSummary {
  const withTeacher = spec.methods.some(usesTeacher);
  const online = spec.methods.includes('kdml_online');
  const memoryBytes = Math.max(
    estimateMemory(online ? [teacher, ...students] : students, withTeacher && !online ? [teacher] : [], spec.hyper.batchSize),
    withTeacher ? estimateMemory([teacher], [], spec.hyper.batchSize) : 0,
  );
  const full = Math.ceil(trainCount / spec.hyper.batchSize);
  return {
    networks: [
      { ...teacher, name: 'teacher', role: 'teacher', width: spec.teacher.width ?? 1 },
      ...students.map((s, i) => ({ ...s, name: `student${i + 1}`, role: 'student' as const, width: spec.students[i].width ?? 1 })),
    ],
    reduction: 1 - students.reduce((a, s) => a + s.params, 0) / teacher.params,
    memoryBytes,
    runs: spec.methods.length * spec.seeds.length,
    teacherTrainings: teacherTrainingsNeeded(spec),
    stepsPerEpoch: spec.hyper.stepsPerEpoch ? Math.min(spec.hyper.stepsPerEpoch, full) : full,
  };
}
