import { beforeAll, describe, expect, it } from 'vitest';
import { checkSigmoidGrad } from './checks';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('SigmoidGrad (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('matches the stock Sigmoid gradient within 1e-4', async () => {
    for (const r of await checkSigmoidGrad()) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });
});
