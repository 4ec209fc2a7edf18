import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { draw, encodeJpeg } from '../src/data/testing/fixtures';
import { openStudio } from './helpers';

function put(root: string, path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), bytes);
}

// A download as LC25000's colon subset comes: dataset/<class>/ for training, forTEST/<class>_test/.
test('set folders as downloaded: inner folders read as classes, the evidence shown, another reading chosen', async ({ page }) => {
  const root = join(mkdtempSync(join(tmpdir(), 'cohort-e2e-')), 'colon');
  const tile = (r: number, i: number) => encodeJpeg(draw(32, 32, (x, y) => [r, 90 + ((x + y + i) % 30), 160, 255]));
  for (let i = 0; i < 8; i++) put(root, `dataset/colon_aca/aca${i}.jpeg`, tile(200, i));
  for (let i = 0; i < 8; i++) put(root, `dataset/colon_n/n${i}.jpeg`, tile(90, i));
  for (let i = 0; i < 2; i++) put(root, `forTEST/colon_aca_test/aca${i}.jpeg`, tile(210, i));
  for (let i = 0; i < 2; i++) put(root, `forTEST/colon_n_test/n${i}.jpeg`, tile(80, i));
  const errors = await openStudio(page);
  await page.getByLabel('Dataset folder').setInputFiles(root);
  await expect(page.getByTestId('dataset-summary')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('layout')).toHaveText(
    'Classification: set folders "dataset" (train) and "forTEST" (test) under "colon", one folder per class inside each',
  );
  await expect(page.getByTestId('count-colon_aca')).toHaveText('10');
  await expect(page.getByTestId('count-colon_n')).toHaveText('10');
  await expect(page.getByText('split given by the folders: 16 train, 4 test')).toBeVisible();
  await expect(page.getByTestId('layout-evidence')).toContainText('"forTEST/colon_aca_test" is colon_aca');
  await page.screenshot({ path: 'test-results/screens/layout-sets.png', fullPage: true });

  // The outer folders as the classes, as the studio read this folder before.
  await page.getByLabel('Read this folder as').selectOption({ label: 'Classification: one folder per class under "colon"' });
  await expect(page.getByTestId('count-dataset')).toHaveText('16');
  await expect(page.getByTestId('count-forTEST')).toHaveText('4');
  expect(errors).toEqual([]);
});
