import { expect, test } from '@playwright/test';
import { openStudio } from './helpers';

// Every fast kernel against the stock tfjs-webgpu kernel, in Chromium's WebGPU (SwiftShader here).
test('the fast WebGPU kernels match the stock ones within 1e-4 in Chromium, and a replayed training step matches eager ones bit for bit', async ({ page }) => {
  // About 70 kernel checks and two short training runs on SwiftShader.
  test.setTimeout(900_000);
  await openStudio(page);
  const r = await page.evaluate(() =>
    (
      window as unknown as {
        cohortStudio: {
          kernelChecks(): Promise<{
            backend: string;
            results: { kernel: string; case: string; relErr: number; ok: boolean }[];
            replay: {
              replayedSteps: number;
              valuesCompared: number;
              differing: number;
              reason: string | null;
              eagerCpuMs: number;
              replayCpuMs: number;
              dispatchesPerStep: number;
            };
          }>;
        };
      }
    ).cohortStudio.kernelChecks(),
  );
  expect(r.backend).toBe('webgpu');
  expect(r.results.length).toBeGreaterThanOrEqual(30);
  const kernels = new Set(r.results.map((x) => x.kernel.split('(')[0]));
  for (const k of [
    'Conv2D',
    'Conv2DBackpropInput',
    'Conv2DBackpropFilter',
    'ConvSplitK',
    'DepthwiseConv2dNativeBackpropFilter',
    'BatchNormTrain',
    'SgdMomentumUpdate',
    'ReluGrad',
    'SigmoidGrad',
  ]) {
    expect(
      [...kernels].some((n) => n.includes(k)),
      `${k} checked`,
    ).toBe(true);
  }
  const failed = r.results.filter((x) => !x.ok || !(x.relErr <= 1e-4));
  expect(failed).toEqual([]);
  // The training step recorded and replayed in Chromium's WebGPU: bit-identical to eager steps.
  console.log(
    `replay in Chromium: ${r.replay.replayedSteps} replayed steps, ${r.replay.dispatchesPerStep} dispatches/step, CPU ms/step eager ${r.replay.eagerCpuMs.toFixed(1)} vs replayed ${r.replay.replayCpuMs.toFixed(1)}`,
  );
  expect(r.replay.reason).toBeNull();
  expect(r.replay.replayedSteps).toBeGreaterThanOrEqual(4);
  expect(r.replay.valuesCompared).toBeGreaterThan(10_000);
  expect(r.replay.differing).toBe(0);
});
