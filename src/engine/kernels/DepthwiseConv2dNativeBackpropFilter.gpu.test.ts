import { beforeAll, describe, expect, it } from 'vitest';
import { checkDepthwiseBackpropFilter } from './checks';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('DepthwiseConv2dNativeBackpropFilter (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('matches the stock kernel within 1e-4 (odd channels, 3x3 and 5x5, strides 1 and 2, padding)', async () => {
    for (const r of await checkDepthwiseBackpropFilter()) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });
});
