/**
 * Shared set-up of the `*.gpu.test.ts` files: they run only under `npm run test:gpu`
 * (vitest.gpu.config.ts sets COHORT_GPU_TESTS and the script points Vulkan at SwiftShader), and are
 * reported as skipped by the default `npm run test:unit`, which needs no GPU.
 */
import { startDawn } from './nodeWebGPU';

export const gpuTestsEnabled = process.env.COHORT_GPU_TESTS === '1';

/** Dawn + tfjs-backend-webgpu, once per test process. */
export async function setUpWebGPU(): Promise<void> {
  await startDawn();
}
