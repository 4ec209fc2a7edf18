import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/**
 * The dev-server smoke test (`e2e/*.dev.ts`): the same Chromium and WebGPU flags as the other e2e
 * tests, against `vite` itself, started with `--force` so its dependency pre-bundling runs from
 * nothing, as after a fresh `npm install && npm run dev`. Its port is DEV_PORT, or E2E_PORT + 1000
 * (5173 by default), so two checkouts can run it side by side.
 */
const port = Number(process.env.DEV_PORT ?? Number(process.env.E2E_PORT ?? 4173) + 1000);

export default defineConfig({
  ...base,
  testMatch: '**/*.dev.ts',
  outputDir: 'test-results/dev',
  use: { ...base.use, baseURL: `http://localhost:${port}` },
  webServer: {
    command: `npx vite --port ${port} --strictPort --force`,
    url: `http://localhost:${port}`,
    timeout: 120_000,
    reuseExistingServer: !process.env.CI,
  },
});
