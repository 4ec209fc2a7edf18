import { beforeAll, describe, expect, it } from 'vitest';
import { checkConv2DBackpropFilter, checkConv2DBackpropInputFlag } from './checks';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('Conv2DBackpropFilter (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('matches the stock kernel within 1e-4 (odd sizes, strides 1 and 2, padding, split K)', async () => {
    const results = await checkConv2DBackpropFilter();
    expect(results.some((r) => /splits=1$/.test(r.case))).toBe(true);
    expect(results.some((r) => !/splits=1$/.test(r.case))).toBe(true);
    for (const r of results) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });

  it("the backend's matmul input gradient (flag) matches its naive one within 1e-4", async () => {
    for (const r of await checkConv2DBackpropInputFlag()) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });
});
