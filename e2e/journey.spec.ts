import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../src/data/testing/fixtures';
import * as tf from '@tensorflow/tfjs';
import { unzipSync, strFromU8 } from 'fflate';
import { openStudio, workerBackend } from './helpers';
import { generateClassification, generateDetection } from '../src/data/synthetic';
import { dataForSeed, resample } from '../src/experiment/datasets';
import { modelFromFiles } from '../src/engine/bundle';
import { predict } from '../src/engine/trainer';
import { defaultRunConfig } from '../src/core/config';

const SHOTS = 'test-results/screens';

test.setTimeout(900_000);

async function configureQuick(page: Page) {
  await page.getByRole('tab', { name: 'Configure' }).click();
  await page.getByLabel('Preset').selectOption('v1-quick');
  await expect(page.getByTestId('params-teacher')).toBeVisible();
  // Smaller still for SwiftShader: 32 px, narrow networks, few steps.
  await page.getByLabel('Input size (px)').fill('32');
  await page.getByLabel('Teacher', { exact: true }).selectOption('resnet18');
  await page.getByLabel('Teacher width').fill('0.125');
  for (const i of [1, 2]) {
    await page.getByLabel(`Student ${i}`, { exact: true }).selectOption('resnet18');
    await page.getByLabel(`Student ${i} width`).fill('0.0625');
  }
  for (const m of ['ML', 'KD+ML online', 'KD+ML offline']) {
    const box = page.getByRole('checkbox', { name: m, exact: true });
    if ((m === 'ML') !== (await box.isChecked())) await box.click();
  }
  await page.getByLabel('Seeds').fill('0, 1');
  await page.getByLabel('Seeds').blur();
  await page.getByLabel('Epochs', { exact: true }).fill('2');
  await page.getByLabel('Teacher epochs').fill('1');
  await page.getByLabel('Steps per epoch (cap)').fill('2');
  await page.getByText('Loss and optimiser').click();
  await page.getByLabel('Batch size').fill('8');
  await expect(page.getByTestId('estimate')).toContainText('Runs: 4');
  await page.screenshot({ path: `${SHOTS}/configure.png`, fullPage: true });
}

async function trainAndWatch(page: Page) {
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: running');
  // Curves appear and grow while training.
  await expect(page.getByTestId('term')).toContainText(/[1-9]\d* steps/, { timeout: 120_000 });
  const n1 = Number((await page.getByTestId('term').textContent())!.match(/(\d+) steps/)![1]);
  await expect.poll(async () => Number((await page.getByTestId('term').textContent())!.match(/(\d+) steps/)![1]), { timeout: 120_000 }).toBeGreaterThan(n1);
  await page.screenshot({ path: `${SHOTS}/train-${test.info().title.split(' ')[0]}.png`, fullPage: true });
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 600_000 });
  await expect(page.getByTestId('train-error')).toHaveCount(0);
}

async function compare(page: Page, metricRow: string) {
  await page.getByRole('tab', { name: 'Compare' }).click();
  const results = page.getByRole('table', { name: 'Results' });
  await expect(results).toBeVisible();
  for (const m of ['kd', 'ml']) {
    await expect(page.getByTestId(`cell-${metricRow}-${m}`)).toContainText(/\d\.\d{3} ± \d\.\d{3}/);
    await expect(page.getByTestId(`cell-${metricRow}-${m}`)).toContainText('n = 2');
  }
  await expect(page.getByTestId(`cell-${metricRow}-ml`)).toContainText('p =');
  await page.screenshot({ path: `${SHOTS}/compare-${test.info().title.split(' ')[0]}.png`, fullPage: true });
  // 1280 px wide: no horizontal scrolling.
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
}

async function exportAndCheck(page: Page, task: 'classify' | 'box') {
  await page.getByRole('tab', { name: 'Export' }).click();
  await page.getByLabel('Run to export').selectOption('ml:1');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export', exact: true }).click()]);
  const zip = unzipSync(new Uint8Array(readFileSync(await dl.path())));
  await expect(page.getByTestId('exported')).toContainText('Downloaded cohort-ml-seed1.zip (2 networks, ');
  const manifest = JSON.parse(strFromU8(zip['ensemble.json']));
  expect(manifest.members.map((m: { name: string }) => m.name)).toEqual(['student1', 'student2']);
  // Each model.json loads back with tfjs and predicts what the trained network predicted before export.
  await tf.setBackend('cpu');
  const raw = task === 'classify' ? generateClassification({ count: 160, size: 64, seed: 7 }) : generateDetection({ count: 120, size: 64, seed: 8 });
  const samples = resample({ images: raw.images, count: raw.count, size: raw.size, labels: raw.labels, boxes: raw.boxes, ids: raw.ids }, 32);
  const classNames = task === 'classify' ? ['MSS', 'MSIMUT'] : undefined;
  const { test: testSet } = dataForSeed(samples, { testShare: 0.2, splitSeed: 'per-seed', classNames }, 1);
  const inspected = await page.evaluate(async () => {
    const s = (window as unknown as { cohortStudio: { inspect(k: string, l: number): Promise<{ networks: Record<string, number[][]> }> } }).cohortStudio;
    return (await s.inspect('ml:1', 100000)).networks;
  });
  for (const name of ['student1', 'student2']) {
    const model = await modelFromFiles({ 'model.json': zip[`${name}/model.json`], 'weights.bin': zip[`${name}/weights.bin`] });
    const out = await predict(model, testSet, defaultRunConfig({ task, inputSize: 32, classes: 2 }));
    const width = task === 'classify' ? 2 : 4;
    expect(inspected[name].length).toBe(testSet.count);
    inspected[name].forEach((row, i) => row.forEach((v, j) => expect(Math.abs(out[i * width + j] - v)).toBeLessThan(2e-3)));
    model.dispose();
  }
  // "Open bundle" loads the export back in the studio and runs its ensemble on a new folder.
  const folder = join(mkdtempSync(join(tmpdir(), 'cohort-predict-')), 'new-images');
  mkdirSync(folder);
  for (let i = 0; i < 3; i++) {
    const rgba = new Uint8Array(48 * 48 * 4).map((_, k) => (k % 4 === 3 ? 255 : (k * (i + 3)) % 256));
    writeFileSync(join(folder, `img${i}.png`), encodePng({ width: 48, height: 48, data: rgba }));
  }
  writeFileSync(join(folder, 'notes.txt'), 'not an image');
  await page.getByLabel('Open bundle').setInputFiles(await dl.path());
  await expect(page.getByTestId('bundle-manifest')).toContainText('2 students');
  await page.getByLabel('Images to predict').setInputFiles(folder);
  await expect(page.getByTestId('prediction-count')).toHaveText('3 images predicted, 1 skipped.');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download predictions' }).click()]);
  expect(
    readFileSync(await csv.path(), 'utf8')
      .trim()
      .split('\n'),
  ).toHaveLength(4);
  await page.screenshot({ path: `${SHOTS}/export-${task}.png`, fullPage: true });
}

test('classification journey: sample data, Quick, KD and ML x 2 seeds, table, inspect, export', async ({ page }) => {
  const errors = await openStudio(page);
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText('MSIMUT');
  await page.screenshot({ path: `${SHOTS}/data-classification.png`, fullPage: true });
  await configureQuick(page);
  await trainAndWatch(page);
  await compare(page, 'ensemble_max');
  await page.getByRole('tab', { name: 'Inspect' }).click();
  await expect(page.getByTestId('wrong-count')).toContainText('test images wrong');
  await page.screenshot({ path: `${SHOTS}/inspect-classification.png`, fullPage: true });
  await exportAndCheck(page, 'classify');
  await page.getByRole('tab', { name: 'History' }).click();
  await expect(page.getByTestId('history').locator('li')).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU', { timeout: 60_000 });
  await page.getByRole('tab', { name: 'History' }).click();
  await expect(page.getByTestId('history').locator('li')).toHaveCount(1);
  expect(await workerBackend(page)).toBe('webgpu');
  expect(errors).toEqual([]);
});

test('detection journey: sample frames, boxes drawn next to the truth, export', async ({ page }) => {
  const errors = await openStudio(page);
  await page.getByRole('button', { name: 'Try sample data (detection)' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText('detection');
  await configureQuick(page);
  await trainAndWatch(page);
  await compare(page, 'ensemble_mean');
  await page.getByRole('tab', { name: 'Inspect' }).click();
  await expect(page.getByTestId('box-figure').first()).toBeVisible();
  await expect(page.getByTestId('box-figure').first()).toContainText('ensemble IoU');
  await page.screenshot({ path: `${SHOTS}/inspect-detection.png`, fullPage: true });
  await exportAndCheck(page, 'box');
  expect(await workerBackend(page)).toBe('webgpu');
  expect(errors).toEqual([]);
});
