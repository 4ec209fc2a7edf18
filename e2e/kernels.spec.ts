import { expect, test } from '@playwright/test';
import { openStudio } from './helpers';

// Every fast kernel against the stock tfjs-webgpu kernel, in Chromium's WebGPU (SwiftShader here).
test('the fast WebGPU kernels match the stock ones within 1e-4 in Chromium', async ({ page }) => {
  await openStudio(page);
  const r = await page.evaluate(() =>
    (
      window as unknown as {
        cohortStudio: { kernelChecks(): Promise<{ backend: string; results: { kernel: string; case: string; relErr: number; ok: boolean }[] }> };
      }
    ).cohortStudio.kernelChecks(),
  );
  expect(r.backend).toBe('webgpu');
  expect(r.results.length).toBeGreaterThanOrEqual(30);
  const kernels = new Set(r.results.map((x) => x.kernel.split('(')[0]));
  for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'BatchNormTrain', 'SgdMomentumUpdate', 'ReluGrad', 'SigmoidGrad']) {
    expect(
      [...kernels].some((n) => n.includes(k)),
      `${k} checked`,
    ).toBe(true);
  }
  const failed = r.results.filter((x) => !x.ok || !(x.relErr <= 1e-4));
  expect(failed).toEqual([]);
});
