import { expect, test } from '@playwright/test';
import { workerBackend } from './helpers';

// `npm run dev` gets what the built app gets: WebGPU and the fast kernels, from a cold dependency
// cache (playwright.dev.config.ts starts vite with --force), without the optimizer reloading the page.
test('the dev server serves the studio on WebGPU with the fast kernels, in one page load', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const loads: string[] = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) loads.push(f.url());
  });
  await page.goto('/');
  // A cold start pre-bundles TensorFlow.js first: allow it the time a loaded 2-core machine takes.
  await expect(page.getByTestId('backend')).not.toHaveText('Backend: starting…', { timeout: 180_000 });
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU');
  await expect(page.getByText('fast kernels', { exact: true })).toBeVisible();
  await expect(page.getByText('Not on WebGPU')).toHaveCount(0);
  expect(await workerBackend(page)).toBe('webgpu');
  // The fast kernels run in the engine the worker trains with (one tfjs-core): the first case of
  // each against the stock kernel (e2e/kernels.spec.ts runs every case against the built app).
  const r = await page.evaluate(() =>
    (
      window as unknown as {
        cohortStudio: { kernelChecks(o: { quick: boolean }): Promise<{ backend: string; results: { kernel: string; relErr: number; ok: boolean }[] }> };
      }
    ).cohortStudio.kernelChecks({ quick: true }),
  );
  expect(r.backend).toBe('webgpu');
  const kernels = r.results.map((x) => x.kernel).join(' ');
  for (const k of ['SgdMomentumUpdate', 'ReluGrad', 'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'BatchNormTrain'])
    expect(kernels).toContain(k);
  expect(r.results.filter((x) => !x.ok || !(x.relErr <= 1e-4))).toEqual([]);
  expect(loads, 'the optimizer found every dependency at start-up: no reload').toHaveLength(1);
  expect(errors).toEqual([]);
});
