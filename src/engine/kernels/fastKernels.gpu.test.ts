import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateClassification } from '../../data/synthetic';
import { assembleBatch } from '../batch';
import { defaultRunConfig } from '../../core/config';
import { buildCohort, makeTrainee, trainStep, type PhaseSpec } from '../trainer';
import { relativeError } from './checks';
import { disableFastKernels, enableFastKernels, fastKernelsActive } from './fastKernels';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('fast kernels switch (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('enable/disable swaps the registered kernel and restores the stock one', () => {
    const stock = tf.getKernel('Conv2DBackpropFilter', 'webgpu').kernelFunc;
    const stockGrad = tf.getGradient('Relu').gradFunc;
    enableFastKernels();
    expect(fastKernelsActive()).toBe(true);
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu').kernelFunc).not.toBe(stock);
    expect(tf.getGradient('Relu').gradFunc).not.toBe(stockGrad);
    enableFastKernels();
    disableFastKernels();
    expect(fastKernelsActive()).toBe(false);
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu').kernelFunc).toBe(stock);
    expect(tf.getGradient('Relu').gradFunc).toBe(stockGrad);
  });

  it('two KD+ML online cohort steps give the same losses and weights with stock and fast kernels', async () => {
    const c = defaultRunConfig({
      mode: 'kdml_online',
      inputSize: 32,
      batchSize: 4,
      teacher: { arch: 'resnet18', width: 0.125 },
      students: [
        { arch: 'resnet18', width: 0.125 },
        { arch: 'resnet18', width: 0.125 },
      ],
    });
    const data = generateClassification({ count: 8, size: 32, seed: 2 });
    const batches = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ].map((idx) => assembleBatch(data, idx, c.normalization, c.classes));
    const run = async (fast: boolean) => {
      if (fast) enableFastKernels();
      else disableFastKernels();
      const built = buildCohort(c, true);
      const trainees = built.map((m) => makeTrainee(m.name, m.model, c));
      const spec: PhaseSpec = { phase: 'cohort', epochs: 1, trainees, students: ['student1', 'student2'], teacherName: 'teacher', frozenTeacher: null };
      const losses = [await trainStep(c, spec, batches[0], 0, 0)];
      const weights = await Promise.all(built.flatMap((m) => m.model.weights.map((w) => w.read().data())));
      losses.push(await trainStep(c, spec, batches[1], 0, 1));
      trainees.forEach((t) => t.optimizer.dispose());
      built.forEach((m) => m.model.dispose());
      return { losses, weights };
    };
    try {
      const stock = await run(false);
      const fast = await run(true);
      // Each kernel matches its stock counterpart to 1e-4 (the other *.gpu.test.ts); composed over a
      // step, summation-order differences pass through BatchNorm over batches of 4 (down to 1x1
      // maps, i.e. 4 values per channel), which amplifies them, hence the looser bounds here. They
      // still catch any real fault (a wrong buffer, a stale read), which shows up as O(1) errors.
      for (let i = 0; i < 2; i++) {
        for (const n of Object.keys(stock.losses[i])) {
          expect(Math.abs(fast.losses[i][n].total - stock.losses[i][n].total) / Math.abs(stock.losses[i][n].total), `step ${i} ${n}`).toBeLessThan(1e-3);
        }
      }
      const worst = Math.max(...stock.weights.map((w, i) => relativeError(fast.weights[i], w)));
      expect(worst).toBeLessThanOrEqual(1e-3);
    } finally {
      disableFastKernels();
    }
  });
});
