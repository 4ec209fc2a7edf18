import { expect, test, type Page } from '@playwright/test';
import { loadSpec, openStudio, tinySpec, workerBackend } from './helpers';

test.setTimeout(900_000);

type Run = { key: string; status: string; evaluations: unknown[]; steps: unknown[]; checkpoint?: { generation: number } };
const runs = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { cohortStudio: { store: { getState(): { runs: Run[] } } } }).cohortStudio.store
      .getState()
      .runs.map((r) => ({ key: r.key, status: r.status, epochs: r.evaluations.length, steps: r.steps.length, checkpoints: r.checkpoint?.generation ?? 0 })),
  );

const spec = tinySpec({ methods: ['ml', 'independent'], hyper: { ...(tinySpec().hyper as object), epochs: 5, stepsPerEpoch: 3 } });

async function start(page: Page) {
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toBeVisible();
  await loadSpec(page, spec);
  await expect(page.getByTestId('estimate')).toContainText('Runs: 2');
  await page.getByRole('button', { name: 'Train' }).click();
}

async function finalAccuracies(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    type R = { result: { runs: { method: string; final: { ensembles: Record<string, { accuracy: number }> } }[] } | null };
    const st = (window as unknown as { cohortStudio: { store: { getState(): R } } }).cohortStudio.store.getState();
    return st.result!.runs.map((r) => r.final.ensembles.max.accuracy);
  });
}

test('a reload mid-run, a corrupted latest checkpoint, then Resume: finished runs kept, the same numbers as without the reload', async ({ page }) => {
  const errors = await openStudio(page);
  await start(page);
  // Wait until the first run is done and the second has written its second checkpoint (the one after
  // its second epoch: the evaluation is reported before the checkpoint is written).
  await expect.poll(async () => (await runs(page)).find((r) => r.key === 'independent:0')?.checkpoints ?? 0, { timeout: 300_000 }).toBeGreaterThanOrEqual(2);
  expect((await runs(page)).find((r) => r.key === 'ml:0')!.status).toBe('done');
  page.once('dialog', (d) => d.accept());
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU', { timeout: 60_000 });
  const banner = page.getByTestId('interrupted');
  await expect(banner).toContainText('1 of 2 runs finished');
  // Corrupt the latest checkpoint of the interrupted run: the previous generation must be used.
  const corrupted = await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await (await root.getDirectoryHandle('checkpoints')).getDirectoryHandle('independent_0');
    const names: string[] = [];
    for await (const [name] of (dir as unknown as { entries(): AsyncIterable<[string, unknown]> }).entries()) names.push(name);
    const gens = names.filter((n) => n.endsWith('.bin')).sort();
    const latest = gens[gens.length - 1];
    const fh = await dir.getFileHandle(latest);
    const bytes = new Uint8Array(await (await fh.getFile()).arrayBuffer());
    bytes[17] ^= 0xff;
    const w = await fh.createWritable();
    await w.write(bytes);
    await w.close();
    return { gens, latest };
  });
  expect(corrupted.gens.length).toBe(2);
  await banner.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 300_000 });
  const resumed = await finalAccuracies(page);
  expect(resumed).toHaveLength(2);
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('cell-ensemble_max-ml')).toContainText('n = 1');
  await expect(page.getByTestId('cell-ensemble_max-independent')).toContainText('n = 1');
  await page.screenshot({ path: 'test-results/screens/resumed.png', fullPage: true });

  // The same experiment without interruption gives the same numbers.
  await page.getByRole('tab', { name: 'Configure' }).click();
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 300_000 });
  const straight = await finalAccuracies(page);
  resumed.forEach((a, i) => expect(a).toBeCloseTo(straight[i], 6));
  expect(await workerBackend(page)).toBe('webgpu');
  expect(errors).toEqual([]);
});

test('a lost GPU device mid-epoch stops with DEVICE_LOST, keeps the finished run, and resumes on a fresh device', async ({ page }) => {
  await openStudio(page);
  await start(page);
  await expect.poll(async () => (await runs(page)).find((r) => r.key === 'independent:0')?.steps ?? 0, { timeout: 300_000 }).toBeGreaterThanOrEqual(4);
  expect(await page.evaluate(() => (window as unknown as { cohortStudio: { simulateDeviceLoss(): Promise<boolean> } }).cohortStudio.simulateDeviceLoss())).toBe(
    true,
  );
  await expect(page.getByTestId('device-lost')).toContainText('The GPU was lost', { timeout: 120_000 });
  await expect(page.getByTestId('train-error')).toContainText('DEVICE_LOST');
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('cell-ensemble_max-ml')).toContainText('n = 1');
  await page.screenshot({ path: 'test-results/screens/device-lost.png', fullPage: true });
  await page.getByRole('button', { name: 'Restart the GPU worker and resume' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 300_000 });
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('cell-ensemble_max-ml')).toContainText('n = 1');
  await expect(page.getByTestId('cell-ensemble_max-independent')).toContainText('n = 1');
  expect(await workerBackend(page)).toBe('webgpu');
});

test('Cancel stops within a step and keeps the finished run and the checkpoint', async ({ page }) => {
  await openStudio(page);
  await start(page);
  await expect.poll(async () => (await runs(page)).find((r) => r.key === 'independent:0')?.steps ?? 0, { timeout: 300_000 }).toBeGreaterThanOrEqual(4);
  await page.getByRole('tab', { name: 'Train' }).click();
  // The step in flight finishes, then the run stops: Cancel takes at most about one step.
  const stepMs = await page.evaluate(() => {
    type S = { runs: { key: string; steps: { ms: number }[] }[] };
    const st = (window as unknown as { cohortStudio: { store: { getState(): S } } }).cohortStudio.store.getState();
    return Math.max(...st.runs.find((r) => r.key === 'independent:0')!.steps.map((s) => s.ms));
  });
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: cancelled', { timeout: 60_000 });
  expect(Date.now() - t0).toBeLessThan(2 * stepMs + 2_000);
  await expect(page.getByTestId('interrupted')).toContainText('1 of 2 runs finished');
  const storage = await page.evaluate(() => (window as unknown as { cohortStudio: { storage(): Promise<{ checkpoints: string[] }> } }).cohortStudio.storage());
  expect(storage.checkpoints).toContain('independent_0');
});
