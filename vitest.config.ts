import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two test files at a time even on two cores (vitest's default there is one): the long files
// (the 1,000-step leak check, the zoo's parity against PyTorch) are single-threaded JavaScript
// and would otherwise run one after the other while a core idles.
const workers = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts'],
    // WebGPU kernel tests run through Dawn with their own config (npm run test:gpu).
    exclude: ['**/node_modules/**', 'src/**/*.gpu.test.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: workers,
  },
});
