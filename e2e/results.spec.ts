import { expect, test } from '@playwright/test';
import { openStudio, tinySpec } from './helpers';

const SHOTS = 'test-results/screens';

/** Two-class metrics of `n` test images with `right` of them right. */
function metrics(right: number, n = 10) {
  const tp = Math.ceil(right / 2);
  const tn = right - tp;
  const confusion = [
    [tn, n / 2 - tn],
    [n / 2 - tp, tp],
  ];
  return { accuracy: right / n, confusion, sensitivity: [tn / 5, tp / 5], specificity: [tp / 5, tn / 5], auc: [0.7, 0.7], macroAuc: 0.7, n };
}

/** A merged results.json as `npm run experiment -- merge` writes it: KD and ML over three seeds. */
function mergedResults(): string {
  const spec = tinySpec({ name: 'Merged on the cluster', methods: ['kd', 'ml'], seeds: [0, 1, 2], backend: 'webgpu' });
  const right: Record<string, number[]> = { kd: [6, 7, 6], ml: [8, 9, 9] };
  const networks = ['teacher', 'student1', 'student2'].map((name) => ({
    name,
    role: name === 'teacher' ? 'teacher' : 'student',
    arch: 'resnet18',
    width: 0.125,
    params: name === 'teacher' ? 176842 : 44838,
  }));
  const runs = (['kd', 'ml'] as const).flatMap((method) =>
    [0, 1, 2].map((seed) => {
      const r = right[method][seed];
      const final = {
        phase: 'cohort',
        epoch: 1,
        networks: { ...(method === 'kd' ? { teacher: metrics(7) } : {}), student1: metrics(r - 1), student2: metrics(r) },
        ensembles: { max: metrics(r), mean: metrics(r) },
      };
      return {
        method,
        seed,
        status: 'done',
        config: { task: 'classify', classes: 2, classNames: ['MSS', 'MSIMUT'], students: spec.students, teacher: spec.teacher, mode: method, seed },
        networks,
        history: [final],
        final,
        backend: 'webgpu',
        sharedTeacher: method === 'kd',
      };
    }),
  );
  return JSON.stringify({
    format: 'cohort-studio-results',
    version: 1,
    spec,
    dataset: { name: 'CRC_DX', classNames: ['MSS', 'MSIMUT'] },
    backend: 'webgpu',
    startedAt: '2026-12-01T08:00:00.000Z',
    finishedAt: '2026-12-01T20:00:00.000Z',
    status: 'done',
    runs,
    teacherTrainings: [0, 1, 2].map((seed) => ({ seed, ms: 1000, status: 'done' })),
    table: {},
    provenance: { specHash: 'a'.repeat(64), datasetHash: 'b'.repeat(64) },
  });
}

test('Open results reads a merged results.json into Compare; a wrong file is refused by name', async ({ page }) => {
  const errors = await openStudio(page);
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByLabel('Open results').setInputFiles({ name: 'results.json', mimeType: 'application/json', buffer: Buffer.from(mergedResults()) });
  await expect(page.getByTestId('opened-results')).toContainText('Showing results.json: “Merged on the cluster” on CRC_DX, 6 of 6 runs');
  await expect(page.getByRole('table', { name: 'Results' })).toContainText('Ensemble (max)');
  // ML's ensemble: 0.8, 0.9, 0.9 over the three seeds.
  await expect(page.getByTestId('cell-ensemble_max-ml')).toContainText('0.867');
  await expect(page.getByTestId('cell-ensemble_max-ml')).toContainText('n = 3');
  await expect(page.getByRole('table', { name: 'Confusion matrix student1' })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/compare-opened-results.png`, fullPage: true });

  await page.getByLabel('Open results').setInputFiles({ name: 'spec.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tinySpec())) });
  await expect(page.getByTestId('open-results-error')).toContainText('spec.json');
  // What was open stays open.
  await expect(page.getByTestId('opened-results')).toContainText('Merged on the cluster');
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByTestId('opened-results')).toHaveCount(0);
  await expect(page.getByText('The table fills in as runs finish')).toBeVisible();
  expect(errors).toEqual([]);
});
