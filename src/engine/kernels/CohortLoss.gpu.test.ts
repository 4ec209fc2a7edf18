import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateClassification } from '../../data/synthetic';
import { assembleBatch } from '../batch';
import { defaultRunConfig, type Mode } from '../../core/config';
import { buildCohort, makeTrainee, trainStep, type PhaseSpec } from '../trainer';
import { checkCohortLoss, relativeError } from './checks';
import { fusedLossCalls } from './CohortLoss';
import { disableFastKernels, enableFastKernels } from './fastKernels';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('CohortLoss (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('terms and logits gradient match studentLossTerms within 1e-5 (classes 2, 3, 7, 10; odd batches; KD, ML, KD+ML; T^2)', async () => {
    for (const r of await checkCohortLoss()) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-5);
  });

  const cohortStep = async (mode: Mode, fusedLoss: boolean) => {
    const c = defaultRunConfig({
      mode,
      inputSize: 32,
      batchSize: 5,
      classes: 3,
      teacher: { arch: 'resnet18', width: 0.125 },
      students: [
        { arch: 'resnet18', width: 0.125 },
        { arch: 'resnet18', width: 0.125 },
      ],
    });
    const data = generateClassification({ count: 10, size: 32, classes: 3, seed: 4 });
    const batches = [
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ].map((idx) => assembleBatch(data, idx, c.normalization, c.classes));
    enableFastKernels(fusedLoss ? {} : { keepStock: ['CohortLoss'] });
    const withTeacher = mode === 'kdml_online';
    const built = buildCohort(c, withTeacher);
    const trainees = built.map((m) => makeTrainee(m.name, m.model, c));
    const students = built.filter((m) => m.role === 'student').map((m) => m.name);
    const spec: PhaseSpec = { phase: 'cohort', epochs: 1, trainees, students, teacherName: withTeacher ? 'teacher' : null, frozenTeacher: null };
    const losses = [];
    const counts: number[] = [];
    const calls = fusedLossCalls();
    for (const b of batches) {
      losses.push(await trainStep(c, spec, b, 0, losses.length));
      counts.push(tf.memory().numTensors);
    }
    const weights = await Promise.all(built.flatMap((m) => m.model.weights.map((w) => w.read().data())));
    trainees.forEach((t) => t.optimizer.dispose());
    built.forEach((m) => m.model.dispose());
    return { losses, weights, counts, calls: fusedLossCalls() - calls };
  };

  it('two KD+ML online cohort steps with the fused loss match the stock losses within 1e-4, numTensors flat', async () => {
    try {
      for (const mode of ['kdml_online'] as const) {
        const stock = await cohortStep(mode, false);
        const fused = await cohortStep(mode, true);
        expect(fused.counts[1], 'numTensors after each step').toBe(fused.counts[0]);
        // One loss per trained network per step on the fused path, none on the stock one.
        expect([stock.calls, fused.calls]).toEqual([0, 2 * 3]);
        for (let i = 0; i < 2; i++) {
          for (const n of Object.keys(stock.losses[i])) {
            for (const k of ['ce', 'kd', 'ml', 'total'] as const) {
              const s = stock.losses[i][n][k];
              const f = fused.losses[i][n][k];
              expect(s === 0 ? Math.abs(f) : Math.abs(f - s) / Math.abs(s), `${mode} step ${i} ${n} ${k}`).toBeLessThanOrEqual(1e-4);
            }
          }
        }
        const worst = Math.max(...stock.weights.map((w, i) => relativeError(fused.weights[i], w)));
        expect(worst, mode).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      disableFastKernels();
    }
  });
});
