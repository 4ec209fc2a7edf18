/**
 * What an experiment will cost before it starts: each network's parameter count, the reduction of
 * Figure 2 (1 - students / teacher), a rough GPU memory estimate of the largest run, the disk its
 * kept runs and checkpoints take, the number of runs and teacher pre-trainings.
 */
import { stepsPerEpochFor, usesFrozenTeacher, usesTeacher, type Mode } from '../core/config';
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

/** Bytes of a saved network: its stored scalars as float32, and its topology (about 400 bytes a layer). */
function modelBytes(n: NetworkDescription): number {
  return (n.weights ?? n.params) * 4 + n.layers * 400;
}

/** Bytes of a checkpoint of trained networks: weights and momentum buffers. */
function checkpointBytes(trained: NetworkDescription[]): number {
  return trained.reduce((a, n) => a + ((n.weights ?? n.params) + n.params) * 4, 0);
}

export interface DiskEstimate {
  /** Everything at once at the experiment's end, with the largest set of checkpoints alive during it. */
  total: number;
  /** The kept runs: every run's networks and predictions, each seed's shared teacher and test images. */
  kept: number;
  /** The most the checkpoints take at once (the run in progress, and a seed's shared teacher). */
  checkpoints: number;
}

/**
 * The disk an experiment takes (what `worker/archive.ts` keeps and the checkpoints), from the
 * networks' descriptions: per run its students (and its own teacher in KD+ML online) and its test
 * predictions; per seed the shared teacher of KD and KD+ML offline (kept once) and up to
 * `inspectImages` test images at the input size.
 */
export function estimateDisk(
  spec: Pick<ExperimentSpec, 'methods' | 'seeds' | 'inputSize' | 'students'>,
  teacher: NetworkDescription,
  students: NetworkDescription[],
  testCount: number,
  classes: number,
  inspectImages = 200,
): DiskEstimate {
  const studentsBytes = students.reduce((a, s) => a + modelBytes(s), 0);
  const width = Math.max(2, classes);
  let kept = 0;
  for (const m of spec.methods as Mode[]) {
    const ownTeacher = usesTeacher(m) && !usesFrozenTeacher(m);
    const networks = students.length + (usesTeacher(m) ? 1 : 0);
    const predictions = testCount * width * 4 * (networks + 2);
    kept += spec.seeds.length * (studentsBytes + (ownTeacher ? modelBytes(teacher) : 0) + predictions + 1000);
  }
  const shared = spec.methods.some(usesFrozenTeacher);
  kept += spec.seeds.length * ((shared ? modelBytes(teacher) : 0) + Math.min(testCount, inspectImages) * spec.inputSize * spec.inputSize * 3 + testCount * 40);
  const online = spec.methods.includes('kdml_online');
  const largestRun = checkpointBytes(online ? [teacher, ...students] : students);
  // A run keeps two generations and writes a third beside them; a seed's shared teacher keeps two until the seed ends.
  const checkpoints = 3 * largestRun + (shared ? 2 * checkpointBytes([teacher]) : 0);
  return { total: kept + checkpoints, kept, checkpoints };
}

export interface ExperimentEstimate {
  networks: (NetworkDescription & { name: string; role: 'teacher' | 'student'; width: number })[];
  /** 1 - sum(students) / teacher (Figure 2). */
  reduction: number;
  /** Rough peak GPU memory of the largest run, bytes. */
  memoryBytes: number;
  /** Disk the experiment takes at most: its kept runs and checkpoints (checked against the browser's quota before it starts). */
  diskBytes: number;
  disk: DiskEstimate;
  runs: number;
  teacherTrainings: number;
  stepsPerEpoch: number;
}

/** The estimate of `spec` from its networks' descriptions (the planner worker builds them). */
export function estimateExperiment(
  spec: ExperimentSpec,
  teacher: NetworkDescription,
  students: NetworkDescription[],
  trainCount: number,
  testCount = 0,
  classes = 2,
): ExperimentEstimate {
  const withTeacher = spec.methods.some(usesTeacher);
  const online = spec.methods.includes('kdml_online');
  const memoryBytes = Math.max(
    estimateMemory(online ? [teacher, ...students] : students, withTeacher && !online ? [teacher] : [], spec.hyper.batchSize),
    withTeacher ? estimateMemory([teacher], [], spec.hyper.batchSize) : 0,
  );
  const disk = estimateDisk(spec, teacher, students, testCount, classes);
  return {
    diskBytes: disk.total,
    disk,
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
