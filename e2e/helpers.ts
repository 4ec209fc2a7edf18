import { expect, type Page } from '@playwright/test';

/** A tiny experiment spec: SwiftShader runs a small CNN at seconds per step. */
export function tinySpec(over: Record<string, unknown> = {}): Record<string, unknown> {
  const tiny = { arch: 'resnet18', width: 0.125 };
  return {
    version: 1,
    name: 'e2e',
    task: 'classify',
    inputSize: 32,
    teacher: tiny,
    students: [tiny, tiny],
    hyper: {
      epochs: 2,
      teacherEpochs: 1,
      stepsPerEpoch: 6,
      batchSize: 8,
      lr: 0.01,
      momentum: 0.9,
      weightDecay: 5e-4,
      temperature: 2,
      alpha: 0.1,
      beta: 0.45,
      gamma: 0.45,
      tSquared: false,
    },
    methods: ['kdml_online'],
    seeds: [0],
    ...over,
  };
}

/** Open the studio and insist on WebGPU: a test that passes on a fallback proves nothing. */
export async function openStudio(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('backend')).toHaveText('Backend: WebGPU', { timeout: 60_000 });
  await expect(page.getByText('fast kernels', { exact: true })).toBeVisible();
  return errors;
}

export async function loadSpec(page: Page, spec: Record<string, unknown>): Promise<void> {
  await page.getByRole('tab', { name: 'Configure' }).click();
  await page.getByLabel('Load spec').setInputFiles({ name: 'spec.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(spec)) });
}

export async function workerBackend(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const studio = (window as unknown as { cohortStudio: { memory(): Promise<{ backend: string }> } }).cohortStudio;
    return (await studio.memory()).backend;
  });
}
