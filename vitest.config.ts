import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts'],
    // WebGPU kernel tests run through Dawn with their own config (npm run test:gpu).
    exclude: ['**/node_modules/**', 'src/**/*.gpu.test.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
