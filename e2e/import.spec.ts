import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encode as encodePngRaw } from 'fast-png';
import { draw, encodeJpeg, encodePng, maskPng } from '../src/data/testing/fixtures';
import { writeTiff } from '../src/data/testing/tiffWriter';
import { openStudio, workerBackend } from './helpers';

const SHOTS = 'test-results/screens';

function put(root: string, path: string, bytes: Uint8Array | string): void {
  const p = join(root, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
}

const tile = (r: number, g: number, b: number, seed: number) => draw(40, 40, (x, y) => [r + ((x * 7 + y * 3 + seed) % 20), g + ((x + seed) % 15), b, 255]);

/** Class folders with every kind of bad file a real download has. */
function classificationFolder(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'cohort-e2e-')), 'TCGA-COAD');
  for (let i = 0; i < 6; i++) put(root, `MSS/mss-${i}.png`, encodePng(tile(220, 140, 200, i)));
  for (let i = 0; i < 5; i++) put(root, `MSIMUT/msi-${i}.jpg`, encodeJpeg(tile(120, 90, 200, i)));
  // 16-bit PNG (reduced to 8 bits, with a warning) and a PackBits TIFF: both decode.
  const w16 = new Uint16Array(40 * 40 * 3).map((_, k) => (k % 3 === 2 ? 50000 : 30000 + (k % 97) * 100));
  put(root, 'MSIMUT/msi-16bit.png', encodePngRaw({ width: 40, height: 40, data: w16, channels: 3, depth: 16 }));
  const rgb = new Uint8Array(40 * 40 * 3).map((_, k) => (k % 3 === 0 ? 120 : k % 3 === 1 ? 90 : 200));
  put(root, 'MSIMUT/msi-tiff.tif', writeTiff({ width: 40, height: 40, channels: 3, bits: 8, data: rgb, compression: 'packbits' }));
  // Bad input: empty, not an image, truncated JPEG, a PNG named .jpg (used, with a warning).
  put(root, 'MSS/empty.png', new Uint8Array());
  put(root, 'MSS/notes.png', 'this is not a picture');
  const jpg = encodeJpeg(tile(220, 140, 200, 9));
  put(root, 'MSS/truncated.jpg', jpg.slice(0, Math.floor(jpg.length / 3)));
  put(root, 'MSS/misnamed.jpg', encodePng(tile(220, 140, 200, 11)));
  put(root, 'README.md', '# TCGA-COAD MSI vs MSS tiles');
  return root;
}

/** Kvasir-SEG: images/, masks/ and kavsir_bboxes.json, with missing and orphan masks and an empty mask. */
function kvasirFolder(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'cohort-e2e-')), 'Kvasir-SEG');
  const ellipse = (cx: number, cy: number, r: number) => (x: number, y: number) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  for (let i = 0; i < 6; i++) {
    put(root, `images/polyp${i}.jpg`, encodeJpeg(draw(64, 48, (x, y) => (ellipse(20 + i * 3, 24, 10)(x, y) ? [240, 170, 150, 255] : [170, 80, 70, 255]))));
    if (i !== 5) put(root, `masks/polyp${i}.png`, maskPng(64, 48, ellipse(20 + i * 3, 24, 10)));
  }
  put(root, 'masks/orphan.png', maskPng(64, 48, ellipse(30, 24, 8)));
  put(root, 'images/clean.jpg', encodeJpeg(draw(64, 48, () => [170, 80, 70, 255])));
  put(
    root,
    'masks/clean.png',
    maskPng(64, 48, () => false),
  );
  // Boxes from the JSON for polyp0 (two boxes: their union is the target).
  put(
    root,
    'kavsir_bboxes.json',
    JSON.stringify({
      polyp0: {
        height: 48,
        width: 64,
        bbox: [
          { label: 'polyp', xmin: 8, ymin: 12, xmax: 20, ymax: 30 },
          { label: 'polyp', xmin: 18, ymin: 20, xmax: 32, ymax: 40 },
        ],
      },
    }),
  );
  return root;
}

test('the Dataset folder input imports class folders with every bad case, 16-bit PNG and TIFF decoded', async ({ page }) => {
  const errors = await openStudio(page);
  const root = classificationFolder();
  await page.getByLabel('Dataset folder').setInputFiles(root);
  await expect(page.getByTestId('dataset-summary')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('layout')).toContainText('class');
  await expect(page.getByTestId('count-MSS')).toHaveText('7'); // 6 + the misnamed PNG
  await expect(page.getByTestId('count-MSIMUT')).toHaveText('7'); // 5 JPEG + 16-bit PNG + TIFF
  const skipped = page.getByRole('table', { name: 'Skipped files' });
  for (const [file, code] of [
    ['TCGA-COAD/MSS/empty.png', 'EMPTY_FILE'],
    ['TCGA-COAD/MSS/notes.png', 'NOT_AN_IMAGE'],
    ['TCGA-COAD/MSS/truncated.jpg', 'DECODE_FAILED'],
    ['TCGA-COAD/README.md', 'NOT_AN_IMAGE'],
    ['TCGA-COAD/MSIMUT/msi-16bit.png', 'REDUCED_16_TO_8'],
    ['TCGA-COAD/MSS/misnamed.jpg', 'EXTENSION_MISMATCH'],
  ]) {
    await expect(skipped.getByRole('row').filter({ hasText: file })).toContainText(code);
  }
  await page.screenshot({ path: `${SHOTS}/data-import.png`, fullPage: true });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download import report' }).click()]);
  const report = JSON.parse(readFileSync(await dl.path(), 'utf8'));
  expect(report.task).toBe('classify');
  const byPath = Object.fromEntries(report.files.map((f: { path: string }) => [f.path, f]));
  expect(byPath['TCGA-COAD/MSIMUT/msi-tiff.tif']).toMatchObject({ status: 'ok', class: 'MSIMUT' });
  expect(byPath['TCGA-COAD/MSS/truncated.jpg'].status).toBe('DECODE_FAILED');
  expect(report.files).toHaveLength(18);
  expect(await workerBackend(page)).toBe('webgpu');
  expect(errors).toEqual([]);
});

test('a Kvasir-SEG folder through the input, and NCT-style tiles through a simulated drop', async ({ page }) => {
  const errors = await openStudio(page);
  await page.getByLabel('Dataset folder').setInputFiles(kvasirFolder());
  await expect(page.getByTestId('layout')).toContainText('Kvasir', { timeout: 60_000 });
  await expect(page.getByTestId('count-images')).toHaveText('5');
  const skipped = page.getByRole('table', { name: 'Skipped files' });
  await expect(skipped.getByRole('row').filter({ hasText: 'images/polyp5.jpg' })).toContainText('MASK_MISSING');
  await expect(skipped.getByRole('row').filter({ hasText: 'masks/orphan.png' })).toContainText('MASK_WITHOUT_IMAGE');
  await expect(skipped.getByRole('row').filter({ hasText: 'images/clean.jpg' })).toContainText('EMPTY_MASK');
  await expect(page.getByTestId('dataset-summary')).toContainText('1 images had several boxes');
  await page.screenshot({ path: `${SHOTS}/data-kvasir.png`, fullPage: true });

  // A drop of loose tiles named <CLASS>-<id>.tif, as NCT-CRC-HE ships them.
  const files: { name: string; bytes: number[] }[] = [];
  for (const [cls, colour] of [
    ['TUM', 120],
    ['STR', 220],
  ] as const) {
    for (let i = 0; i < 4; i++) {
      const data = new Uint8Array(40 * 40 * 3).map((_, k) => (k % 3 === 0 ? colour : 100 + i));
      files.push({
        name: `${cls}-A${i}BCDEF.tif`,
        bytes: Array.from(writeTiff({ width: 40, height: 40, channels: 3, bits: 8, data, compression: i % 2 ? 'lzw' : 'deflate' })),
      });
    }
  }
  const dt = await page.evaluateHandle((fs) => {
    const d = new DataTransfer();
    for (const f of fs) d.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'image/tiff' }));
    return d;
  }, files);
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: dt });
  await expect(page.getByTestId('layout')).toContainText('prefix', { timeout: 60_000 });
  await expect(page.getByTestId('count-TUM')).toHaveText('4');
  await expect(page.getByTestId('count-STR')).toHaveText('4');
  expect(errors).toEqual([]);
});
