import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { writeSafetensors } from '../src/engine/interop/safetensors';
import { exportStateDict } from '../src/engine/interop/torchvision';
import { buildNetwork } from '../src/engine/networks/zoo';
import { loadSpec, openStudio, tinySpec } from './helpers';

const SHOTS = 'test-results/screens';
test.setTimeout(900_000);

/** An "ImageNet" (1000-class) torchvision state dict of the e2e's tiny ResNet18. */
async function imagenetWeights(): Promise<Buffer> {
  await tf.setBackend('cpu');
  const m = buildNetwork({ arch: 'resnet18', width: 0.125, task: 'classify', classes: 1000, inputSize: 32, seed: 5 });
  const bytes = writeSafetensors(await exportStateDict(m, 'resnet18'));
  m.dispose();
  return Buffer.from(bytes);
}

test('initial weights: a file picked in Configure is checked, kept in storage, trained from, and said so everywhere', async ({ page }) => {
  const errors = await openStudio(page);
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText('MSIMUT');
  await loadSpec(page, tinySpec({ methods: ['ml'], hyper: { ...(tinySpec().hyper as object), epochs: 1, stepsPerEpoch: 2 } }));
  await expect(page.getByTestId('params-student1')).toBeVisible();

  // A file that is not a state dict: the typed error shows, the spec keeps random weights.
  await page
    .getByLabel('Student 2 weights file')
    .setInputFiles({ name: 'notes.pth', mimeType: 'application/octet-stream', buffer: Buffer.from('not a pickle') });
  await expect(page.getByTestId('weights-error-students[1]')).toContainText('WEIGHTS_NOT_STATE_DICT');
  await expect(page.getByLabel('Student 2 initial weights')).toHaveValue('seeded');

  // An ImageNet-style file for student 1: backbone loaded, head from the seed.
  await page
    .getByLabel('Student 1 weights file')
    .setInputFiles({ name: 'imagenet-r18.safetensors', mimeType: 'application/octet-stream', buffer: await imagenetWeights() });
  await expect(page.getByTestId('weights-status-students[0]')).toContainText('from imagenet-r18.safetensors', { timeout: 60_000 });
  await expect(page.getByTestId('weights-status-students[0]')).toContainText('1000 outputs');
  await expect(page.getByLabel('Student 1 initial weights')).toHaveValue('file');
  await expect(page.getByTestId('init-student1')).toContainText('from imagenet-r18.safetensors');
  await expect(page.getByTestId('init-student2')).toHaveText('random (seeded)');
  await page.screenshot({ path: `${SHOTS}/configure-weights.png`, fullPage: true });

  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 600_000 });
  await expect(page.getByTestId('train-error')).toHaveCount(0);

  // The export says where each network's weights came from and carries torchvision's and ONNX's files.
  await page.getByRole('tab', { name: 'Export' }).click();
  await page.getByLabel('Run to export').selectOption('ml:0');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export', exact: true }).click()]);
  const zip = unzipSync(new Uint8Array(readFileSync(await dl.path())));
  const manifest = JSON.parse(strFromU8(zip['ensemble.json']));
  expect(manifest.members[0].weights).toMatchObject({ kind: 'file', file: 'imagenet-r18.safetensors' });
  expect(manifest.members[1].weights).toEqual({ kind: 'seeded' });
  for (const f of ['student1/student1.safetensors', 'student1/student1.onnx', 'student1/config.json', 'student2/student2.onnx'])
    expect(zip[f], f).toBeDefined();
  await page.screenshot({ path: `${SHOTS}/export-weights.png`, fullPage: true });

  // The file stays in the origin's storage across a reload (what Resume reads).
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU', { timeout: 60_000 });
  const stored = await page.evaluate(() => (window as unknown as { cohortStudio: { weightsFiles(): Promise<string[]> } }).cohortStudio.weightsFiles());
  expect(stored).toContain('imagenet-r18.safetensors');
  expect(errors).toEqual([]);
});
