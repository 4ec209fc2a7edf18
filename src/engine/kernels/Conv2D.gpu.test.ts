import { beforeAll, describe, expect, it } from 'vitest';
import { checkConv2D, checkConvSplitK } from './checks';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('Conv2D / FusedConv2D as an implicit GEMM (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('matches the stock kernels within 1e-4 (odd sizes, strides 1, 2 and 3, paddings, 1x1, bias + ReLU)', async () => {
    const results = await checkConv2D();
    expect(results.length).toBeGreaterThanOrEqual(13);
    for (const r of results) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });

  it('every direction with the reduction split in three matches the stock kernels within 1e-4', async () => {
    const results = await checkConvSplitK();
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });
});
