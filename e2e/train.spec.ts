import { expect, test } from '@playwright/test';
import { loadSpec, openStudio, tinySpec, workerBackend } from './helpers';

// The real path: the studio trains a tiny cohort in its worker, on WebGPU (SwiftShader here).
test('trains a tiny cohort in the worker on WebGPU, losses fall, the page stays responsive', async ({ page }) => {
  const errors = await openStudio(page);
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText('Synthetic data');
  await loadSpec(page, tinySpec());
  await expect(page.getByTestId('params-student1')).toBeVisible();
  await page.getByRole('button', { name: 'Train' }).click();

  await expect(page.getByTestId('experiment-status')).toHaveText('Status: running', { timeout: 30_000 });
  await expect(page.getByTestId('throughput')).toBeVisible({ timeout: 120_000 });
  // While training runs in the worker, a click on another control is handled promptly.
  const t0 = Date.now();
  await page.getByRole('button', { name: 'CE', exact: true }).click();
  await expect(page.getByTestId('term')).toContainText('the CE term', { timeout: 2_000 });
  expect(Date.now() - t0).toBeLessThan(2_000);
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: running');

  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 240_000 });
  await expect(page.getByTestId('train-error')).toHaveCount(0);

  // Cross-entropy summed over the networks per step, from the app's store: it falls.
  const ce = await page.evaluate(() => {
    type S = { runs: { key: string; steps: { losses: Record<string, { ce: number }> }[] }[] };
    const st = (window as unknown as { cohortStudio: { store: { getState(): S } } }).cohortStudio.store.getState();
    const run = st.runs.find((r) => r.key === 'kdml_online:0')!;
    return run.steps.map((s) => Object.values(s.losses).reduce((a, l) => a + l.ce, 0));
  });
  expect(ce.length).toBe(12);
  // Medians of the first and last four steps: one noisy step (batches of 8) does not decide it.
  const median = (xs: number[]) =>
    [...xs]
      .sort((a, b) => a - b)
      .slice(1, 3)
      .reduce((a, b) => a + b, 0) / 2;
  expect(median(ce.slice(8))).toBeLessThan(median(ce.slice(0, 4)));

  expect(await workerBackend(page)).toBe('webgpu');
  await page.screenshot({ path: 'test-results/screens/train.png', fullPage: true });
  expect(errors).toEqual([]);
});
