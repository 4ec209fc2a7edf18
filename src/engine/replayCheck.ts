/**
 * A check of the step graph (./stepGraph.ts) where it runs: the same small cohort (a dropout
 * network among it) trained for a few steps eagerly and through the graph, from the same seeded
 * weights on the same batches, with a learning-rate change after the first replay; the weights,
 * BatchNorm statistics and momentum buffers must be bit-identical. Returns the comparison and the
 * CPU ms each path spent issuing a step. Run by the studio worker's `kernelChecks` (the e2e test
 * in Chromium) and usable from Node.
 *
 * Needs the WebGPU backend with the fast kernels on. Engine only; no DOM.
 */
import * as tf from '@tensorflow/tfjs';
import { assembleBatch, drawAugment } from './batch';
import { defaultRunConfig } from '../core/config';
import { Rng } from '../core/rng';
import type { Samples } from '../core/samples';
import { buildCohort, cohortStepper, makeTrainee, trainStep, type PhaseSpec } from './trainer';
import { replayEnabled, setReplayEnabled } from './kernels/state';

export interface ReplayCheck {
  steps: number;
  replayedSteps: number;
  valuesCompared: number;
  /** Values whose bits differ between the eager and the replayed run (0 = bit-identical). */
  differing: number;
  reason: string | null;
  /** Median CPU ms to issue one step: eager (tfjs's work, not waiting for the loss) and replayed. */
  eagerCpuMs: number;
  replayCpuMs: number;
  dispatchesPerStep: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

export async function checkReplay(steps = 7): Promise<ReplayCheck> {
  const c = defaultRunConfig({
    mode: 'kdml_online',
    inputSize: 32,
    batchSize: 2,
    teacher: { arch: 'resnet18', width: 0.0625 },
    students: [
      { arch: 'resnet18', width: 0.0625 },
      { arch: 'mobilenet_v2', width: 0.125 },
    ],
  });
  const rng = new Rng(8);
  // Noise images, alternating labels: enough for the comparison, which is of bits, not of learning.
  const count = c.batchSize * steps;
  const data: Samples = {
    images: Uint8Array.from({ length: count * 32 * 32 * 3 }, () => rng.int(256)),
    count,
    size: 32,
    labels: Int32Array.from({ length: count }, (_, i) => i % 2),
  };
  const batches = Array.from({ length: steps }, (_, k) => {
    const idx = Array.from({ length: c.batchSize }, (_, i) => k * c.batchSize + i);
    return assembleBatch(
      data,
      idx,
      c.normalization,
      c.classes,
      idx.map(() => drawAugment(rng, c.augment)),
    );
  });
  const was = replayEnabled();
  setReplayEnabled(true);
  try {
    const run = async (graph: boolean) => {
      const built = buildCohort(c, true);
      const trainees = built.map((m) => makeTrainee(m.name, m.model, c));
      const spec: PhaseSpec = { phase: 'cohort', epochs: 1, trainees, students: ['student1', 'student2'], teacherName: 'teacher', frozenTeacher: null };
      const stepper = graph ? cohortStepper(c, spec) : null;
      const cpu: number[] = [];
      let pending: Promise<unknown> | null = null;
      for (let k = 0; k < steps; k++) {
        if (k === 4) for (const t of trainees) t.optimizer.lr = c.lr / 3;
        if (stepper) {
          const p = stepper.run(batches[k], 0, k);
          if (k >= 3) cpu.push(stepper.graph!.lastIssueMs);
          if (pending) await pending;
          pending = p;
        } else {
          const timing = { issueMs: 0 };
          await trainStep(c, spec, batches[k], 0, k, timing);
          if (k >= 3) cpu.push(timing.issueMs);
        }
      }
      if (pending) await pending;
      const stats = stepper?.graph ? { ...stepper.graph.stats } : null;
      await stepper?.dispose();
      const momentum = trainees.map((t) => t.optimizer.getState().momentum);
      const values = await Promise.all([
        ...built.flatMap((m) => m.model.weights.map((w) => w.read().data() as Promise<Float32Array>)),
        ...momentum.flatMap((m) =>
          Object.keys(m)
            .sort()
            .map((k) => m[k].data() as Promise<Float32Array>),
        ),
      ]);
      momentum.forEach((m) => tf.dispose(Object.values(m)));
      trainees.forEach((t) => t.optimizer.dispose());
      built.forEach((m) => m.model.dispose());
      return { values, cpu, stats };
    };
    const eager = await run(false);
    const replay = await run(true);
    let compared = 0;
    let differing = 0;
    eager.values.forEach((a, i) => {
      const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
      const y = new Uint32Array(replay.values[i].buffer, replay.values[i].byteOffset, replay.values[i].length);
      for (let j = 0; j < x.length; j++, compared++) if (x[j] !== y[j]) differing++;
    });
    return {
      steps,
      replayedSteps: replay.stats?.replayedSteps ?? 0,
      valuesCompared: compared,
      differing,
      reason: replay.stats ? (replay.stats.reason ?? null) : 'no step graph (WebGPU with the fast kernels is needed)',
      eagerCpuMs: median(eager.cpu),
      replayCpuMs: median(replay.cpu),
      dispatchesPerStep: replay.stats?.dispatches ?? 0,
    };
  } finally {
    setReplayEnabled(was);
  }
}
