import { defineConfig } from 'vitest/config';

// The WebGPU kernel tests (src/**/*.gpu.test.ts): Node + Dawn, on SwiftShader without a GPU
// (`npm run test:gpu` sets VK_ICD_FILENAMES). One file at a time: each starts its own device.
export default defineConfig({
  test: {
    include: ['src/**/*.gpu.test.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
    env: { COHORT_GPU_TESTS: '1' },
  },
});
