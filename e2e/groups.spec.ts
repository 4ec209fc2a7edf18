import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { draw, encodePng } from '../src/data/testing/fixtures';
import { loadSpec, openStudio, tinySpec, workerBackend } from './helpers';

const SHOTS = 'test-results/screens';

/** Tiles named as TCGA tiles are: 6 patients per class, 3 tiles each, the patient in every name. */
function tcgaFolder(): { root: string; files: string[] } {
  const root = join(mkdtempSync(join(tmpdir(), 'cohort-e2e-')), 'TCGA-CRC');
  const files: string[] = [];
  ['MSS', 'MSIMUT'].forEach((cls, c) => {
    for (let p = 0; p < 6; p++) {
      for (let t = 0; t < 3; t++) {
        const path = `${cls}/blk-${'ABCDEFGHIJKL'.slice(p, p + 6)}${t}-TCGA-A${c}-${1000 + p}-01Z-00-DX1.png`;
        const tile = draw(32, 32, (x, y) => (c ? [60 + ((x + t) % 9), 60, 210] : [215, 60 + ((y + p) % 9), 60]));
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), encodePng(tile));
        files.push(path);
      }
    }
  });
  return { root, files };
}

test('patients from TCGA names: split by group with none in both sets, the leakage of a split by image, a bad groups CSV refused, then chance and per-patient rows', async ({
  page,
}) => {
  const errors = await openStudio(page);
  const { root, files } = tcgaFolder();
  await page.getByText('Import settings').click();
  await page.getByLabel('Validation share of train').fill('0.25');
  await page.getByLabel('Dataset folder').setInputFiles(root);
  await expect(page.getByTestId('group-evidence')).toContainText('36 of 36 file name(s) carry a TCGA barcode', { timeout: 60_000 });
  await expect(page.getByTestId('groups-in-both')).toContainText('Groups in both sets: 0');
  await expect(page.getByTestId('leakage')).toHaveCount(0);
  await page.getByTestId('split').screenshot({ path: `${SHOTS}/groups-split.png` });

  // Split by image, chosen: the leakage is stated.
  await page.getByLabel('Split by').selectOption('image');
  await expect(page.getByTestId('leakage')).toContainText('% of the test images share a group with training images', { timeout: 60_000 });
  await page.getByTestId('split').screenshot({ path: `${SHOTS}/groups-leakage.png` });

  // A CSV putting every image in one group: refused, naming each class.
  await page.getByLabel('Split by').selectOption('group');
  await expect(page.getByTestId('leakage')).toHaveCount(0, { timeout: 60_000 });
  await page.getByLabel('Groups', { exact: true }).selectOption('csv');
  const csv = ['file,group', ...files.map((f) => `${f},one-patient`)].join('\n');
  await page.getByLabel('Groups CSV').setInputFiles({ name: 'groups.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('blocking').first()).toContainText('TOO_FEW_GROUPS', { timeout: 60_000 });
  await expect(page.getByTestId('blocking')).toHaveCount(2);
  await page.getByLabel('Groups', { exact: true }).selectOption('auto');
  await expect(page.getByTestId('blocking')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('groups-in-both')).toContainText('Groups in both sets: 0');

  // Train a tiny cohort: validation curves beside the test curves, chance and per-group rows in Compare.
  await loadSpec(page, tinySpec({ methods: ['ml'], data: { valShare: 0.25 }, hyper: { ...(tinySpec().hyper as object), epochs: 1, stepsPerEpoch: 2 } }));
  await expect(page.getByTestId('params-student1')).toBeVisible();
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 240_000 });
  await expect(page.getByRole('figure', { name: 'Accuracy per epoch (validation)' })).toBeVisible();
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('cell-chance-ml')).toContainText(/0\.\d{3}/);
  await expect(page.getByTestId('cell-group_ensemble_max-ml')).toBeVisible();
  await expect(page.getByTestId('cell-group_auc_ensemble_max-ml')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/groups-compare.png`, fullPage: true });
  const split = await page.evaluate(() => {
    type S = { result: { runs: { split: { by: string; groupsInBoth: number; validation: unknown[] } }[] } };
    return (window as unknown as { cohortStudio: { store: { getState(): S } } }).cohortStudio.store.getState().result.runs[0].split;
  });
  expect(split).toMatchObject({ by: 'group', groupsInBoth: 0 });
  expect(split.validation.length).toBeGreaterThan(0);
  expect(await workerBackend(page)).toBe('webgpu');
  expect(errors).toEqual([]);
});
