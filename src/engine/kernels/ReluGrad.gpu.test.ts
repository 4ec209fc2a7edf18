import { beforeAll, describe, expect, it } from 'vitest';
import { checkReluGrad } from './checks';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('ReluGrad (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('matches the stock Relu gradient within 1e-4', async () => {
    for (const r of await checkReluGrad()) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });
});
