import { expect, test } from '@playwright/test';

// The real path: the page trains a tiny cohort in the worker, on WebGPU (SwiftShader here).
test('trains a tiny cohort in the worker on WebGPU, losses fall, the page stays responsive', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await page.goto('/');
  // The backend must be WebGPU: a test that passes on a fallback proves nothing.
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU', { timeout: 60_000 });

  await page.getByLabel('Method').selectOption('kdml_online');
  await page.getByLabel('Epochs').fill('2');
  await page.getByLabel('Steps per epoch').fill('6');
  await page.getByLabel('Batch size').fill('8');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('status')).toContainText('training', { timeout: 120_000 });

  // While training runs in the worker, a click on another control is handled promptly.
  await expect(page.getByTestId('status')).toContainText('step 1 of', { timeout: 120_000 });
  const t0 = Date.now();
  await page.getByRole('button', { name: 'CE', exact: true }).click();
  await expect(page.getByTestId('term-clicks')).toHaveText('Showing ce (changed 1 times)', { timeout: 2_000 });
  const clickMs = Date.now() - t0;
  expect(clickMs).toBeLessThan(2_000);
  await expect(page.getByTestId('status')).toContainText('training');
  await page.getByRole('button', { name: 'Total' }).click();

  await expect(page.getByTestId('status')).toContainText('done', { timeout: 240_000 });
  await expect(page.getByTestId('error')).toHaveCount(0);

  // Losses fell: read them from the store through the page's own table of steps.
  // Cross-entropy summed over the networks, per step, from the app's store.
  const losses = await page.evaluate(() => {
    const studio = (window as unknown as { cohortStudio: { training: { getState(): { steps: { losses: Record<string, { ce: number }> }[] } } } }).cohortStudio;
    return studio.training.getState().steps.map((s) => Object.values(s.losses).reduce((a, l) => a + l.ce, 0));
  });
  expect(losses.length).toBe(12);
  const firstThree = (losses[0] + losses[1] + losses[2]) / 3;
  const lastThree = (losses[9] + losses[10] + losses[11]) / 3;
  expect(lastThree).toBeLessThan(firstThree);

  // The worker itself reports the backend its tensors live on.
  const backend = await page.evaluate(async () => {
    const studio = (window as unknown as { cohortStudio: { memory(): Promise<{ backend: string }> } }).cohortStudio;
    return (await studio.memory()).backend;
  });
  expect(backend).toBe('webgpu');
  await page.screenshot({ path: 'test-results/screens/train-demo.png', fullPage: true });
  expect(consoleErrors.filter((t) => !t.includes('favicon'))).toEqual([]);
});
