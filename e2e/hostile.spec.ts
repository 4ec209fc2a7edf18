import { expect, test, type CDPSession, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../src/core/csp';
import { draw, encodePng } from '../src/data/testing/fixtures';
import { HOSTILE_CASES, type HostileCase } from '../src/data/testing/hostile';
import { loadSpec, openStudio, tinySpec, workerBackend } from './helpers';

/**
 * One page through a whole session, with every request watched: the hostile-file corpus through
 * the studio's own import (the Dataset folder input) and its bundle opening (the worker API the
 * Open bundle input calls; a 2.2 GB file through the input itself), each answered with its code
 * while the worker's memory is sampled over CDP; then, on the same page, the sample data trains,
 * exports, and its bundle opens and predicts. Any request to another origin fails the test, and
 * the page and the worker must both carry the Content-Security-Policy and enforce it.
 */

test.setTimeout(600_000);

const MiB = 2 ** 20;
/** A bounded decoder costs its declared size; every bomb here would inflate to 64 MiB. */
const PEAK_LIMIT = 32 * MiB;
const PROBE = 'https://example.invalid/probe';

function put(root: string, path: string, bytes: Uint8Array | string): void {
  const p = join(root, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
}

const good = (seed: number) => encodePng(draw(24, 24, (x, y) => [(x * 9 + seed * 40) % 256, (y * 7) % 256, 128]));

/** The studio worker's heap (JS and array buffers), read over CDP even while it runs a long decode. */
class WorkerMemory {
  private id = 0;
  private readonly pending = new Map<number, (r: { result?: Record<string, number> }) => void>();

  private constructor(
    private readonly cdp: CDPSession,
    private readonly sessionId: string,
  ) {
    cdp.on('Target.receivedMessageFromTarget', (ev: { message: string }) => {
      const m = JSON.parse(ev.message) as { id?: number; result?: Record<string, number> };
      if (m.id !== undefined) this.pending.get(m.id)?.(m);
      this.pending.delete(m.id!);
    });
  }

  static async attach(page: Page): Promise<WorkerMemory> {
    const cdp = await page.context().browser()!.newBrowserCDPSession();
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
    const worker = targetInfos.find((t) => t.type === 'worker' && t.url.includes('studio.worker'));
    if (!worker) throw new Error(`no studio worker among ${targetInfos.map((t) => t.url).join(', ')}`);
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false })) as { sessionId: string };
    return new WorkerMemory(cdp, sessionId);
  }

  private send(method: string): Promise<{ result?: Record<string, number> }> {
    const id = ++this.id;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      void this.cdp.send('Target.sendMessageToTarget', { sessionId: this.sessionId, message: JSON.stringify({ id, method, params: {} }) });
    });
  }

  async used(): Promise<number> {
    const r = (await this.send('Runtime.getHeapUsage')).result!;
    return r.usedSize + (r.backingStorageSize ?? 0);
  }

  /** Run `job` and return the most the worker held above its level before it (after a GC). */
  async peakDuring<T>(job: () => Promise<T>): Promise<{ value: T; peak: number }> {
    await this.send('HeapProfiler.collectGarbage');
    const base = await this.used();
    let peak = base;
    let running = true;
    const sampler = (async () => {
      while (running) {
        peak = Math.max(peak, await this.used());
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    try {
      const value = await job();
      return { value, peak: Math.max(peak, await this.used()) - base };
    } finally {
      running = false;
      await sampler;
    }
  }
}

async function importCase(page: Page, root: string, c: HostileCase): Promise<string> {
  const name = `h-${c.id}`;
  const dir = join(root, name);
  put(dir, 'A/a0.png', good(0));
  put(dir, 'A/a1.png', good(1));
  put(dir, `A/${c.name}`, c.bytes());
  put(dir, 'B/b0.png', good(2));
  put(dir, 'B/b1.png', good(3));
  const path = `${name}/A/${c.name}`;
  await page.getByLabel('Dataset folder').setInputFiles(dir);
  return page.evaluate(async (p) => {
    type S = { importError: { code: string } | null; dataset: { report: { files: { path: string; status: string }[] } | null } | null };
    const store = (window as unknown as { cohortStudio: { store: { getState(): S } } }).cohortStudio.store;
    for (const t0 = Date.now(); Date.now() - t0 < 60_000;) {
      const s = store.getState();
      const f = s.dataset?.report?.files.find((x) => x.path === p);
      if (f) return f.status;
      if (s.importError) return `import failed: ${s.importError.code}`;
      await new Promise((r) => setTimeout(r, 20));
    }
    return 'no report within 60 s';
  }, path);
}

async function bundleCase(page: Page, c: HostileCase): Promise<{ code: string; named: string[]; message?: string }> {
  return page.evaluate(
    async ({ b64, name }) => {
      const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
      type E = { code: string; message: string; subject?: string; details?: { issues?: { field: string }[] } };
      const store = (window as unknown as { cohortStudio: { store: { getState(): { openBundle(f: Blob): Promise<unknown> } } } }).cohortStudio.store;
      try {
        await store.getState().openBundle(new File([bytes], name, { type: 'application/zip' }));
        return { code: 'ok', named: [] };
      } catch (e) {
        const x = e as E;
        return { code: x.code, message: x.message, named: [x.subject ?? '', ...(x.details?.issues ?? []).map((i) => i.field)] };
      }
    },
    { b64: Buffer.from(c.bytes()).toString('base64'), name: c.name },
  );
}

test('hostile files get their codes without the worker growing, then the same page trains, exports and opens its bundle; no request leaves the origin', async ({
  page,
  baseURL,
}) => {
  const origin = new URL(baseURL!).origin;
  const requests: string[] = [];
  page.context().on('request', (r) => requests.push(r.url()));
  const policies = new Map<string, string | undefined>();
  page.on('response', (r) => {
    const u = r.url();
    if (u === `${origin}/` || /\/assets\/(studio|planner)\.worker-[^/]+\.js$/.test(u))
      policies.set(u.replace(/-[\w-]+\.js$/, '.js'), r.headers()['content-security-policy']);
  });
  const t0 = Date.now();
  const phase = (name: string) => console.log(`${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const errors = await openStudio(page);
  const memory = await WorkerMemory.attach(page);
  const root = mkdtempSync(join(tmpdir(), 'cohort-hostile-'));
  const rows: { id: string; what: string; expect: string; got: string; peakMiB: number }[] = [];

  for (const c of HOSTILE_CASES) {
    const { value, peak } = await memory.peakDuring(async () => {
      if (c.kind === 'image') return { code: await importCase(page, root, c), named: [] as string[] };
      return bundleCase(page, c);
    });
    rows.push({ id: c.id, what: c.what, expect: c.expect, got: value.code, peakMiB: Math.round((peak / MiB) * 10) / 10 });
    expect(value.code, `${c.id}: ${'message' in value ? value.message : ''}`).toBe(c.expect);
    for (const n of c.names?.split(',') ?? []) expect(value.named, c.id).toContain(n);
    expect(peak, `${c.id} held ${(peak / MiB).toFixed(1)} MiB in the worker`).toBeLessThan(PEAK_LIMIT);
  }

  // A bundle file far over the cap, through the Open bundle input: refused from its size, unread.
  await page.getByRole('tab', { name: 'Export' }).click();
  const huge = join(root, 'huge.zip');
  // A sparse 2.2 GB file: no disk, no memory, only a size.
  writeFileSync(huge, '');
  truncateSync(huge, 2.2e9);
  const { peak: hugePeak } = await memory.peakDuring(async () => {
    await page.getByLabel('Open bundle').setInputFiles(huge);
    await expect(page.getByText(/^BUNDLE_TOO_LARGE:/)).toBeVisible();
  });
  rows.push({
    id: 'bundle-file-too-large',
    what: 'a 2.2 GB file through the Open bundle input',
    expect: 'BUNDLE_TOO_LARGE',
    got: 'BUNDLE_TOO_LARGE',
    peakMiB: Math.round((hugePeak / MiB) * 10) / 10,
  });
  expect(hugePeak).toBeLessThan(PEAK_LIMIT);

  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/hostile-memory.json', JSON.stringify(rows, null, 2));
  console.log(rows.map((r) => `${r.id.padEnd(30)} ${r.got.padEnd(18)} ${String(r.peakMiB).padStart(6)} MiB  ${r.what}`).join('\n'));

  phase('corpus done');
  // The same page still trains the sample data, exports the run and opens its bundle.
  await page.getByRole('tab', { name: 'Data' }).click();
  await page.getByRole('button', { name: 'Try sample data (classification)' }).click();
  await expect(page.getByTestId('dataset-summary')).toContainText('Synthetic data');
  // As small as a cohort gets: SwiftShader runs it at seconds per step.
  const hyper = { ...(tinySpec().hyper as Record<string, unknown>), epochs: 1, stepsPerEpoch: 2, batchSize: 4 };
  const narrow = { arch: 'resnet18', width: 0.0625 };
  await loadSpec(page, tinySpec({ hyper, students: [narrow, narrow], methods: ['ml'], seeds: [0] }));
  await expect(page.getByTestId('params-student1')).toBeVisible();
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(page.getByTestId('experiment-status')).toHaveText('Status: done', { timeout: 300_000 });
  await expect(page.getByTestId('train-error')).toHaveCount(0);
  phase('trained');
  // Every screen draws under the policy (a violation would be a console error).
  for (const tab of ['Compare', 'Inspect', 'History']) {
    await page.getByRole('tab', { name: tab }).click();
    await page.waitForTimeout(300);
  }
  await page.getByRole('tab', { name: 'Export' }).click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export', exact: true }).click()]);
  await page.getByLabel('Open bundle').setInputFiles(await dl.path());
  await expect(page.getByTestId('bundle-manifest')).toContainText('2 students');
  // Predictions for a folder whose name a spreadsheet would run as a formula: the CSV defuses it.
  const folder = join(root, '=HYPERLINK(1)');
  put(folder, 'img0.png', good(5));
  put(folder, 'img1.png', good(6));
  await page.getByLabel('Images to predict').setInputFiles(folder);
  await expect(page.getByTestId('prediction-count')).toHaveText('2 images predicted.');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download predictions' }).click()]);
  const lines = readFileSync(await csv.path(), 'utf8')
    .trim()
    .split('\n');
  expect(lines.slice(1).map((l) => l.slice(0, 2))).toEqual(["'=", "'="]);
  await page.screenshot({ path: 'test-results/screens/hostile-after.png', fullPage: true });
  phase('exported, opened, predicted');

  // The policy is sent on the page and on both workers' scripts, and enforced in each.
  expect(Object.fromEntries(policies)).toEqual({
    [`${origin}/`]: CONTENT_SECURITY_POLICY,
    [`${origin}/assets/studio.worker.js`]: CONTENT_SECURITY_POLICY,
    [`${origin}/assets/planner.worker.js`]: CONTENT_SECURITY_POLICY,
  });
  const probe = (url: string) =>
    fetch(url).then(
      () => 'fetched',
      (e: Error) => e.name,
    );
  expect(await page.evaluate(probe, PROBE)).toBe('TypeError');
  const worker = page.workers().find((w) => w.url().includes('studio.worker'))!;
  expect(await worker.evaluate(probe, PROBE)).toBe('TypeError');

  const elsewhere = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith(`blob:${origin}/`) && !u.startsWith('data:'));
  expect(elsewhere).toEqual([]);
  expect(requests.some((u) => u.includes('studio.worker'))).toBe(true);
  expect(await workerBackend(page)).toBe('webgpu');
  // The probes' refusals are the only console errors.
  expect(errors.filter((e) => !e.includes('example.invalid'))).toEqual([]);
});
