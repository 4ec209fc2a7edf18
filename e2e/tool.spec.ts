import { expect, test, type Page } from '@playwright/test';
import { loadSpec, openStudio, tinySpec, workerBackend } from './helpers';

const SHOTS = 'test-results/screens';

/** Relative luminance (0 black .. 1 white) of a CSS rgb() colour. */
function luminance(rgb: string): number {
  const [r, g, b] = rgb
    .match(/\d+(\.\d+)?/g)!
    .slice(0, 3)
    .map(Number);
  const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

test('after one load the studio starts, imports sample data and trains on WebGPU with the network off', async ({ page, context }) => {
  test.setTimeout(300_000);
  const errors = await openStudio(page);
  // The service worker has stored every file of the build.
  await expect(page.getByTestId('offline-state')).toHaveText('works offline', { timeout: 60_000 });
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU', { timeout: 60_000 });
  await expect(page.getByTestId('offline-state')).toHaveText('offline');
  // The network is really off: a file the build does not have cannot be fetched.
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  expect(
    await page.evaluate(() =>
      fetch(`/not-in-the-build-${Date.now()}.txt`).then(
        () => 'reached',
        () => 'failed',
      ),
    ),
  ).toBe('failed');
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText('Synthetic data');
  await loadSpec(page, tinySpec({ methods: ['ml'], hyper: { ...(tinySpec().hyper as object), epochs: 1, stepsPerEpoch: 2 } }));
  await expect(page.getByTestId('params-student1')).toBeVisible();
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 240_000 });
  await expect(page.getByTestId('train-error')).toHaveCount(0);
  expect(await workerBackend(page)).toBe('webgpu');
  await page.screenshot({ path: `${SHOTS}/offline-train.png`, fullPage: true });
  // The probe above is the one request that went to the network (and failed); nothing else did.
  expect(errors).toEqual(['Failed to load resource: net::ERR_INTERNET_DISCONNECTED']);
});

test('dark mode from the system and the toggle; arrow keys move between tabs; the spec as a link; layouts at 1024, 1440, 1920 px', async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  await page.emulateMedia({ colorScheme: 'dark' });
  const errors = await openStudio(page);
  expect(luminance(await background(page))).toBeLessThan(0.05);
  await page.screenshot({ path: `${SHOTS}/dark-data.png`, fullPage: true });
  await page.getByLabel('Theme').selectOption('light');
  expect(luminance(await background(page))).toBeGreaterThan(0.8);
  await page.getByLabel('Theme').selectOption('dark');
  await page.emulateMedia({ colorScheme: 'light' });
  expect(luminance(await background(page))).toBeLessThan(0.05);
  await page.reload();
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU', { timeout: 60_000 });
  // The choice is kept in this browser.
  expect(luminance(await background(page))).toBeLessThan(0.05);
  await page.getByLabel('Theme').selectOption('system');
  expect(luminance(await background(page))).toBeGreaterThan(0.8);

  // Tabs: one tab stop, arrows move and select (wrapping), Home and End; the panel names its tab.
  const data = page.getByRole('tab', { name: 'Data' });
  await expect(page.getByRole('tablist')).toHaveCount(1);
  await data.focus();
  await page.keyboard.press('ArrowRight');
  const configure = page.getByRole('tab', { name: 'Configure' });
  await expect(configure).toBeFocused();
  await expect(configure).toHaveAttribute('aria-selected', 'true');
  await expect(data).toHaveAttribute('tabindex', '-1');
  await expect(page.getByRole('tabpanel', { name: 'Configure' })).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.getByRole('tab', { name: 'History' })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(data).toBeFocused();
  await expect(data).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByRole('tab', { name: 'History' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Home');
  await expect(data).toHaveAttribute('aria-selected', 'true');

  // The spec as a link: the address carries it, and a fresh page opened on it reads it back.
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText('Synthetic data');
  const before = page.url();
  await loadSpec(page, tinySpec({ name: 'shared by link', seeds: [4, 5, 6] }));
  await expect(page.getByLabel('Seeds')).toHaveValue('4, 5, 6');
  await expect.poll(() => page.url()).not.toBe(before);
  expect(page.url()).toMatch(/#spec=[A-Za-z0-9_-]+$/);
  const link = page.url();
  const other = await browser.newPage();
  await other.goto(link);
  await expect(other.getByRole('tab', { name: 'Configure' })).toHaveAttribute('aria-selected', 'true');
  await expect(other.getByLabel('Seeds')).toHaveValue('4, 5, 6');
  await other.goto(link.replace(/#spec=.*/, '#spec=damaged'));
  await other.reload();
  await expect(other.getByTestId('link-error')).toContainText('INVALID_SPEC');
  await other.close();

  // Layouts: no horizontal scrolling, screenshots to look at.
  for (const width of [1024, 1440, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    for (const tab of ['Data', 'Configure']) {
      await page.getByRole('tab', { name: tab }).click();
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await page.screenshot({ path: `${SHOTS}/layout-${tab.toLowerCase()}-${width}.png`, fullPage: true });
    }
  }
  expect(errors).toEqual([]);
});

test('the curves chart stays bounded and quick with 20 runs x 10,000 steps', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  const errors = await openStudio(page);
  // 20 finished runs of 10,000 steps (2 students each) put straight into the store, as a long experiment leaves them.
  const ms = await page.evaluate(async () => {
    type Store = { getState(): Record<string, unknown> & { setTab(t: string): void }; setState(p: object): void };
    const store = (window as unknown as { cohortStudio: { store: Store } }).cohortStudio.store;
    const runs = Array.from({ length: 20 }, (_, k) => {
      const method = ['ml', 'kd', 'kdml_online', 'kdml_offline'][k % 4];
      const seed = Math.floor(k / 4);
      const steps = Array.from({ length: 10_000 }, (_, i) => {
        const l = 2 / (1 + i / 800) + ((i * (k + 3)) % 17) / 60;
        return {
          step: i + 1,
          phase: 'cohort',
          epoch: Math.floor(i / 500),
          stepsPerEpoch: 500,
          losses: { student1: { ce: l, kd: l / 3, ml: l / 4, total: l * 1.2 }, student2: { ce: l + 0.1, kd: l / 3, ml: l / 4, total: l * 1.3 } },
          imagesPerSec: 100,
          ms: 20,
        };
      });
      return {
        key: `${method}:${seed}`,
        label: `${method}, seed ${seed}`,
        run: { index: k, method, seed, sharedTeacher: false },
        seed,
        status: 'done',
        networks: [
          { name: 'student1', role: 'student', arch: 'resnet18', width: 1, params: 1, trained: true },
          { name: 'student2', role: 'student', arch: 'resnet18', width: 1, params: 1, trained: true },
        ],
        steps,
        evaluations: [],
        stepsDone: 10_000,
        totalSteps: 10_000,
      };
    });
    store.setState({ runs, spec: { ...(store.getState().spec as object), methods: ['ml', 'kd', 'kdml_online', 'kdml_offline'], seeds: [0, 1, 2, 3, 4] } });
    store.getState().setTab('Compare');
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    // Rendered: React has committed (zustand's updates render synchronously); frame: painted.
    const timed = async (f: () => void) => {
      const t0 = performance.now();
      f();
      await new Promise((r) => setTimeout(r, 0));
      const rendered = performance.now() - t0;
      await frame();
      return { rendered: Math.round(rendered), frame: Math.round(performance.now() - t0) };
    };
    await frame();
    const setView = (p: object) => (store.getState().setCurveView as (p: object) => void)(p);
    return {
      bands: await timed(() => setView({ mode: 'band', smoothing: 0.9 })),
      runs: await timed(() => setView({ mode: 'runs' })),
      smoothing: await timed(() => setView({ smoothing: 0.5 })),
      // A live run grows by 50 steps while the others stay: the step flush the store does.
      live: await timed(() => {
        const st = store.getState() as unknown as { runs: { steps: unknown[] }[] };
        const [first, ...rest] = st.runs;
        store.setState({ runs: [{ ...first, steps: first.steps.concat(first.steps.slice(0, 50)) }, ...rest] });
      }),
    };
  });
  const chart = page.getByTestId('curves-chart');
  await expect(chart).toHaveAttribute('data-series', '20');
  // Every drawn line has at most 500 points, whatever the 10,000 logged.
  const points = await page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="curves-chart"] path.line')).map((p) => (p.getAttribute('d') ?? '').split(/[ML]/).length - 1),
  );
  expect(points.length).toBe(40);
  expect(Math.max(...points)).toBeLessThanOrEqual(500);
  console.info(`curves, 20 runs x 10,000 steps, ms to the next frame: ${JSON.stringify(ms)}`);
  await page.screenshot({ path: `${SHOTS}/curves-20-runs.png`, fullPage: true });
  expect(errors).toEqual([]);
});
