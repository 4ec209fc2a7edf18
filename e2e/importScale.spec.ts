import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/core/rng';
import { draw, encodeJpeg } from '../src/data/testing/fixtures';
import { openStudio } from './helpers';
import { workerHeap, type HeapUsage } from './workerMemory';

const TILES = 5000;
const SIZE = 224;
const MB = 1024 * 1024;

/** `jpeg` with a comment segment after SOI: other bytes, the same pixels. */
function withComment(jpeg: Uint8Array, text: string): Uint8Array {
  const t = new TextEncoder().encode(text);
  const out = new Uint8Array(jpeg.length + 4 + t.length);
  out.set(jpeg.subarray(0, 2));
  out.set([0xff, 0xfe, (t.length + 2) >> 8, (t.length + 2) & 0xff], 2);
  out.set(t, 6);
  out.set(jpeg.subarray(2), 6 + t.length);
  return out;
}

/**
 * 5,000 224 px JPEG tiles in two class folders, as a histology download has them: 40 textures per
 * class, each file made distinct by a comment segment (encoding 5,000 JPEGs in jpeg-js would take
 * minutes of the run; the decoder reads every file in full either way).
 */
function tileFolder(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'cohort-scale-')), 'tiles-5000');
  const classes = { MSS: [220, 120, 190], MSIMUT: [120, 80, 200] } as const;
  for (const [name, colour] of Object.entries(classes)) {
    mkdirSync(join(root, name), { recursive: true });
    const bases = Array.from({ length: 40 }, (_, b) => {
      const rng = new Rng(b + 1);
      return encodeJpeg(
        draw(SIZE, SIZE, (x, y) => colour.map((c, k) => Math.max(0, Math.min(255, c + ((x * (k + 3) + y * (b + 1)) % 40) - 20 + rng.int(16))))),
        85,
      );
    });
    for (let i = 0; i < TILES / 2; i++)
      writeFileSync(join(root, name, `${name}-${String(i).padStart(4, '0')}.jpg`), withComment(bases[i % bases.length], `tile ${name} ${i}`));
  }
  return root;
}

test('5,000 224 px JPEG tiles through the Dataset folder input: import time, worker memory, a page that answers clicks', async ({ page, browser }) => {
  test.setTimeout(600_000);
  const root = tileFolder();
  const errors = await openStudio(page);
  const heap = await workerHeap(browser, 'studio');
  const before = await heap.read();
  // Long tasks on the page's main thread, and when the input's change event came (before it, the
  // browser itself turns the chosen folder into a FileList; no page code runs).
  const p0 = await page.evaluate(() => {
    const w = window as unknown as { tasks: number[][]; clicks: number[]; changeAt: number };
    w.tasks = [];
    w.clicks = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.tasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: false });
    // Event Timing: from the click's input event to the next frame painted after its handlers.
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) if (e.name === 'click') w.clicks.push(e.duration);
    }).observe({ type: 'event', durationThreshold: 16, buffered: false } as PerformanceObserverInit);
    document.querySelector('input[aria-label="Dataset folder"]')!.addEventListener('change', () => (w.changeAt = performance.now()), { capture: true });
    return performance.now();
  });
  const importing = () =>
    page.evaluate(
      () => (window as unknown as { cohortStudio: { store: { getState(): { importing: unknown } } } }).cohortStudio.store.getState().importing !== null,
    );

  const t0 = Date.now();
  await page.getByLabel('Dataset folder').setInputFiles(root);

  // While the files go to the worker and it decodes them, sample its heap and click between two tabs.
  let peak: HeapUsage = before;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const h = await heap.read();
      if (h.usedSize + h.backingStorageSize > peak.usedSize + peak.backingStorageSize) peak = h;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const clicks: number[] = [];
  while (await importing()) {
    for (const name of ['Configure', 'Data']) {
      const tab = page.getByRole('tab', { name, exact: true });
      const t = Date.now();
      await tab.click();
      await expect(tab).toHaveAttribute('aria-selected', 'true', { timeout: 10_000 });
      clicks.push(Date.now() - t);
    }
    await page.waitForTimeout(2000);
  }
  await expect(page.getByTestId('dataset-summary')).toBeVisible({ timeout: 60_000 });
  const importMs = Date.now() - t0;
  sampling = false;
  await sampler;
  const after = await heap.read();
  await heap.close();
  const page0 = await page.evaluate((p0) => {
    const w = window as unknown as { tasks: number[][]; clicks: number[]; changeAt: number };
    const ours = w.tasks.filter(([start]) => start >= w.changeAt);
    return {
      fileListMs: Math.round(w.changeAt - p0),
      longestTaskMs: Math.round(Math.max(0, ...ours.map(([, d]) => d))),
      slowestClickMs: Math.round(Math.max(0, ...w.clicks)),
    };
  }, p0);

  await expect(page.getByTestId('count-MSS')).toHaveText((TILES / 2).toLocaleString('en-US'));
  await expect(page.getByTestId('count-MSIMUT')).toHaveText((TILES / 2).toLocaleString('en-US'));
  await page.screenshot({ path: 'test-results/screens/import-5000.png', fullPage: true });

  const mb = (h: HeapUsage) => ({ heapMB: +(h.usedSize / MB).toFixed(1), arrayBuffersMB: +(h.backingStorageSize / MB).toFixed(1) });
  const result = {
    tiles: TILES,
    inputSize: SIZE,
    importMs,
    imagesPerSecond: +((TILES * 1000) / importMs).toFixed(1),
    browserFileListMs: page0.fileListMs,
    workerBefore: mb(before),
    workerPeak: mb(peak),
    workerAfter: mb(after),
    storedMB: +((TILES * SIZE * SIZE * 3) / MB).toFixed(1),
    clicks: clicks.length,
    slowestClickPaintMs: page0.slowestClickMs,
    slowestClickRoundTripMs: Math.max(...clicks),
    longestPageTaskAfterChangeMs: page0.longestTaskMs,
  };
  console.log(`import scale: ${JSON.stringify(result)}`);
  test.info().annotations.push({ type: 'import-scale', description: JSON.stringify(result) });

  // The page answered every click within 1 s while the worker imported (the browser's own measure:
  // input event to the next paint), and was clicked often enough to tell. The round trip through
  // Playwright (actionability checks, CDP) is reported, and bounded loosely: it adds the test
  // runner's own scheduling on a busy machine.
  expect(clicks.length).toBeGreaterThanOrEqual(6);
  expect(page0.slowestClickMs).toBeLessThan(1000);
  expect(Math.max(...clicks)).toBeLessThan(5000);
  // The worker holds the stored tiles, and at its peak not much more.
  const stored = TILES * SIZE * SIZE * 3;
  expect(after.backingStorageSize).toBeGreaterThanOrEqual(stored);
  expect(peak.usedSize + peak.backingStorageSize).toBeLessThan(1.5 * stored);
  expect(errors).toEqual([]);
});
