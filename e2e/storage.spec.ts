import { expect, test, type Page } from '@playwright/test';
import { loadSpec, openStudio, tinySpec, workerBackend } from './helpers';

test.setTimeout(900_000);

const tiny = { arch: 'resnet18', width: 0.0625 };

type St = {
  status: string;
  error: { code: string } | null;
  runs: { key: string; steps: unknown[] }[];
  train(): Promise<void>;
  discardInterrupted(): Promise<void>;
  deleteCheckpoints(): Promise<void>;
};
type Handle = { cohortStudio: { store: { getState(): St }; storage(): Promise<{ checkpoints: string[] }> } };

/** A store command, as the page's buttons call it (the worker decides). */
const command = (page: Page, name: 'train' | 'discardInterrupted' | 'deleteCheckpoints') =>
  page.evaluate((n) => (window as unknown as Handle).cohortStudio.store.getState()[n](), name);
const errorCode = (page: Page) => page.evaluate(() => (window as unknown as Handle).cohortStudio.store.getState().error?.code ?? null);
const status = (page: Page) => page.evaluate(() => (window as unknown as Handle).cohortStudio.store.getState().status);
const steps = (page: Page) =>
  page.evaluate(() => (window as unknown as Handle).cohortStudio.store.getState().runs.find((r) => r.key === 'ml:0')?.steps.length ?? 0);
const checkpoints = (page: Page) => page.evaluate(async () => (await (window as unknown as Handle).cohortStudio.storage()).checkpoints);

async function sampleData(page: Page) {
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toBeVisible();
}

test('two tabs: the second cannot start, discard or delete while the first trains, and takes over once it is gone', async ({ context }) => {
  const t0 = Date.now();
  const first = await context.newPage();
  await openStudio(first);
  await sampleData(first);
  await loadSpec(
    first,
    tinySpec({
      name: 'first tab',
      teacher: tiny,
      students: [tiny, tiny],
      methods: ['ml'],
      hyper: { ...(tinySpec().hyper as object), epochs: 40, stepsPerEpoch: 1, batchSize: 4 },
    }),
  );
  await first.getByRole('button', { name: 'Train' }).click();
  // Training, with its journal and a checkpoint written.
  await expect.poll(() => steps(first), { timeout: 300_000 }).toBeGreaterThanOrEqual(2);
  expect(await checkpoints(first)).toEqual(['ml_0']);

  const second = await context.newPage();
  const errors = await openStudio(second);
  const banner = second.getByTestId('elsewhere');
  await expect(banner).toContainText('Training in another tab');
  await expect(banner).toContainText('first tab');
  await expect(second.getByTestId('interrupted')).toHaveCount(0);
  await sampleData(second);
  await second.getByRole('tab', { name: 'Configure' }).click();
  await expect(second.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
  await second.getByRole('tab', { name: 'History' }).click();
  await expect(second.getByRole('button', { name: 'Delete checkpoints' })).toBeDisabled();
  await second.screenshot({ path: 'test-results/screens/second-tab.png', fullPage: true });

  // The commands themselves are refused by the second tab's worker, with a typed error.
  await command(second, 'train');
  expect(await errorCode(second)).toBe('TRAINING_ELSEWHERE');
  await command(second, 'discardInterrupted');
  expect(await errorCode(second)).toBe('TRAINING_ELSEWHERE');
  await command(second, 'deleteCheckpoints');
  // The first tab's experiment is untouched and still training.
  expect(await checkpoints(first)).toEqual(['ml_0']);
  expect(await status(first)).toBe('running');

  // The first tab goes (closed mid-run): the second sees an interrupted experiment it may now resume or discard.
  await first.close();
  const interrupted = second.getByTestId('interrupted');
  await expect(interrupted).toContainText('0 of 1 runs finished', { timeout: 60_000 });
  await expect(banner).toHaveCount(0);
  await interrupted.getByRole('button', { name: 'Discard' }).click();
  await expect(interrupted).toHaveCount(0);
  expect(await checkpoints(second)).toEqual([]);
  expect(await workerBackend(second)).toBe('webgpu');
  expect(errors).toEqual([]);
  console.log(`two tabs: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});

test('without OPFS (memory storage): a banner says what a reload loses, and training, Inspect and Export still work', async ({ page }) => {
  const t0 = Date.now();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?storage=memory');
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU', { timeout: 60_000 });
  await expect(page.getByTestId('storage-fallback')).toContainText('A reload or a closed tab loses them');
  await sampleData(page);
  await loadSpec(
    page,
    tinySpec({
      name: 'in memory',
      teacher: tiny,
      students: [tiny, tiny],
      methods: ['ml'],
      hyper: { ...(tinySpec().hyper as object), epochs: 1, stepsPerEpoch: 1, batchSize: 4 },
    }),
  );
  await expect(page.getByTestId('disk')).toContainText('keeps them in memory instead');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 300_000 });
  await page.getByRole('tab', { name: 'Inspect' }).click();
  await expect(page.getByTestId('wrong-count')).toContainText('test images wrong');
  await page.getByRole('tab', { name: 'Export' }).click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export', exact: true }).click()]);
  expect(dl.suggestedFilename()).toBe('cohort-ml-seed0.zip');
  await page.screenshot({ path: 'test-results/screens/memory-storage.png', fullPage: true });
  // Nothing of it was written to the origin's file system.
  const opfs = await page.evaluate(async () => {
    const names: string[] = [];
    for await (const [name] of ((await navigator.storage.getDirectory()) as unknown as { entries(): AsyncIterable<[string, unknown]> }).entries())
      names.push(name);
    return names;
  });
  expect(opfs).toEqual([]);
  await page.getByRole('tab', { name: 'History' }).click();
  await expect(page.getByTestId('history').locator('li')).toContainText('results only');
  expect(errors).toEqual([]);
  console.log(`memory storage: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});
