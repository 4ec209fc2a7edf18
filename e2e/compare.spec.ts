import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { loadSpec, openStudio, tinySpec, workerBackend } from './helpers';

const SHOTS = 'test-results/screens';

// ML x 3 seeds of a tiny ResNet18 cohort at 48 px (methods side by side: tool.spec.ts's 20 runs): its last block is 2 x 2 there, so
// Grad-CAM has a map to draw (1 x 1 at 32 px), at about twice the cost of 32 px.
const spec = tinySpec({
  name: 'three seeds',
  inputSize: 48,
  methods: ['ml'],
  seeds: [0, 1, 2],
  hyper: { ...(tinySpec().hyper as object), epochs: 2, stepsPerEpoch: 1, lr: 0.05 },
});

type StoreRun = {
  key: string;
  steps: { losses: Record<string, unknown> }[];
  evaluations: { networks: Record<string, { ece?: number }>; ensembles: Record<string, unknown> }[];
};
const storeRuns = (page: Page) =>
  page.evaluate(() => (window as unknown as { cohortStudio: { store: { getState(): { runs: StoreRun[] } } } }).cohortStudio.store.getState().runs);

async function download(page: Page, button: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button, exact: true }).click()]);
  return dl.path();
}

test('a 3-seed experiment: bands with mean and spread, every logged value in the curves CSV, calibration, Grad-CAM, the model card', async ({ page }) => {
  test.setTimeout(900_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  const t0 = Date.now();
  const marks: string[] = [];
  const mark = (what: string) => marks.push(`${what} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const errors = await openStudio(page);
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText('Synthetic data');
  await loadSpec(page, spec);
  await expect(page.getByTestId('estimate')).toContainText('Runs: 3');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 480_000 });
  await expect(page.getByTestId('train-error')).toHaveCount(0);

  mark('trained');
  // The band: a mean line and a shaded spread of non-zero height.
  await page.getByRole('tab', { name: 'Compare' }).click();
  const chart = page.getByTestId('curves-chart');
  await expect(chart).toHaveAttribute('data-bands', '1');
  await expect(page.getByRole('list', { name: 'Methods' })).toContainText('ML (3 seeds)');
  for (const m of ['ml']) {
    const shape = await page.evaluate((method) => {
      const area = document.querySelector(`[data-testid="curves-chart"] .band-${method} path.area`) as SVGGraphicsElement | null;
      const mean = document.querySelector(`[data-testid="curves-chart"] .band-mean-${method} path.line`) as SVGGraphicsElement | null;
      return { spread: area?.getBBox().height ?? 0, meanPoints: (mean?.getAttribute('d') ?? '').split(/[ML]/).length - 1 };
    }, m);
    expect(shape.spread).toBeGreaterThan(1);
    // 2 epochs x 1 step, one mean point per step.
    expect(shape.meanPoints).toBe(2);
  }
  // The plots have measured their width (the screenshot waits for layout, not for resize observers).
  await expect
    .poll(() => page.evaluate(() => document.querySelector('[data-testid="curves-chart"] svg')?.getBoundingClientRect().width ?? 0))
    .toBeGreaterThan(600);
  await expect(page.getByRole('figure', { name: 'Reliability diagram' }).locator('.recharts-wrapper > svg.recharts-surface')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/compare-bands.png`, fullPage: true });
  await page.getByLabel('Quantity').selectOption('metric:accuracy');
  await page.getByLabel('Network').selectOption('ensemble:max');
  await page.getByLabel('x axis').selectOption('epoch');
  await expect(chart).toHaveAttribute('data-bands', '1');
  await page.getByRole('button', { name: 'Every run' }).click();
  await expect(chart).toHaveAttribute('data-series', '3');
  await page.getByLabel('Quantity').selectOption('loss:ce');
  await page.getByRole('button', { name: 'log' }).click();
  await page.screenshot({ path: `${SHOTS}/compare-runs-log.png`, fullPage: true });

  mark('bands');
  // "Download curves": one row per logged value, counted from the store.
  const runs = await storeRuns(page);
  const expected = runs.reduce(
    (a, r) =>
      a +
      r.steps.reduce((s, p) => s + Object.keys(p.losses).length * 4, 0) +
      r.evaluations.reduce((s, e) => s + (Object.keys(e.networks).length + Object.keys(e.ensembles).length) * 3, 0),
    0,
  );
  const csv = readFileSync(await download(page, 'Download curves'), 'utf8')
    .trim()
    .split('\n');
  expect(csv[0]).toBe('run,method,seed,network,term,step,epoch,value');
  expect(csv.length - 1).toBe(expected);
  // 3 runs x 2 steps x 2 students.
  expect(csv.filter((l) => l.includes(',loss_total,'))).toHaveLength(3 * 2 * 2);
  expect(csv.every((l, i) => i === 0 || Number.isFinite(Number(l.split(',')[7])) || l.endsWith('NaN'))).toBe(true);

  // Calibration: ECE over seeds in Compare, table.csv and results.json; the picked run's reliability diagram.
  await expect(page.getByTestId('ece-ensemble_max-ml')).toContainText(/\d\.\d{3} ± \d\.\d{3}/);
  await expect(page.getByTestId('reliability-diagram')).toBeVisible();
  const [tableCsv, resultsJson] = await Promise.all([
    page.waitForEvent('download', (d) => d.suggestedFilename() === 'table.csv').then((d) => d.path()),
    page.waitForEvent('download', (d) => d.suggestedFilename() === 'results.json').then((d) => d.path()),
    page.getByRole('button', { name: 'Download results' }).click(),
  ]);
  expect(readFileSync(tableCsv, 'utf8')).toMatch(/^Ensemble \(max\),ML,ece,/m);
  const results = JSON.parse(readFileSync(resultsJson, 'utf8'));
  expect(results.table.calibration.rows.find((r: { key: string }) => r.key === 'ensemble_max').cells.ml.n).toBe(3);
  expect(typeof results.runs[0].final.ensembles.max.ece).toBe('number');
  await page.getByRole('figure', { name: 'Reliability diagram' }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/compare-calibration.png`, fullPage: true });

  mark('calibration');
  // Grad-CAM, computed in the worker: finite maps that differ between the two classes.
  const cams = await page.evaluate(async () => {
    type Map = { values: number[]; peak: number; classIndex: number };
    const s = (window as unknown as { cohortStudio: { gradCam(k: string, i: number[], t: number): Promise<{ networks: Record<string, Map[]> }> } })
      .cohortStudio;
    const idx = [0, 1, 2, 3, 4, 5, 6, 7];
    return { c0: (await s.gradCam('ml:1', idx, 0)).networks, c1: (await s.gradCam('ml:1', idx, 1)).networks };
  });
  expect(Object.keys(cams.c0).sort()).toEqual(['student1', 'student2']);
  let differ = 0;
  for (const n of Object.keys(cams.c0)) {
    cams.c0[n].forEach((m, i) => {
      const o = cams.c1[n][i];
      expect(m.values).toHaveLength(4);
      expect([...m.values, ...o.values, m.peak, o.peak].every(Number.isFinite)).toBe(true);
      if (m.peak !== o.peak || m.values.some((v, k) => Math.abs(v - o.values[k]) > 1e-6)) differ++;
    });
  }
  expect(differ).toBeGreaterThan(0);
  console.info(`Grad-CAM: ${differ} of 16 (image, network) maps differ between the classes`);

  mark('grad-cam');
  // Inspect: overlays on the wrong images and on a picked one.
  await page.getByRole('tab', { name: 'Inspect' }).click();
  await page.getByLabel('Run to inspect').selectOption('ml:1');
  await expect(page.getByTestId('wrong-count')).toContainText('test images wrong');
  await expect(page.getByTestId('picked-saliency').getByTestId('saliency-map').first()).toHaveAttribute('data-peak', /\d/, { timeout: 60_000 });
  await page.getByRole('listbox', { name: 'Test images' }).getByRole('option').nth(5).click();
  await page.getByLabel('Grad-CAM explains').selectOption('true');
  await expect(page.getByTestId('picked-saliency').getByTestId('saliency-map').first()).toHaveAttribute('title', /Grad-CAM for/, { timeout: 60_000 });
  await page.screenshot({ path: `${SHOTS}/inspect-gradcam.png`, fullPage: true });

  mark('inspect');
  // The export carries MODEL_CARD.md and the spec.
  await page.getByRole('tab', { name: 'Export' }).click();
  await page.getByLabel('Run to export').selectOption('ml:1');
  const zip = unzipSync(new Uint8Array(readFileSync(await download(page, 'Export'))));
  const card = strFromU8(zip['MODEL_CARD.md']);
  expect(card).toContain('# Model card: three seeds — ML, seed 1');
  expect(card).toContain('**Not for clinical use.**');
  expect(card).toContain('## Over seeds (Table 2, 3 seeds: 0, 1, 2)');
  expect(card).toMatch(/\| MSS \| \d+ \| \d+ \|/);
  expect(JSON.parse(strFromU8(zip['spec.json'])).seeds).toEqual([0, 1, 2]);

  mark('export');
  // Layouts of the new screens at three widths, and Compare in the dark.
  for (const width of [1024, 1440, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    for (const tab of ['Compare', 'Inspect']) {
      await page.getByRole('tab', { name: tab }).click();
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await page.screenshot({ path: `${SHOTS}/layout-${tab.toLowerCase()}-${width}.png`, fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.screenshot({ path: `${SHOTS}/dark-compare.png`, fullPage: true });
  mark('layouts');
  console.info(`compare e2e: ${marks.join(', ')}`);
  expect(await workerBackend(page)).toBe('webgpu');
  expect(errors).toEqual([]);
});
