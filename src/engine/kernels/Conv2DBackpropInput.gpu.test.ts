import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkConv2DBackpropInput } from './checks';
import { planConvGemm } from './convGemm';
import { gpuTestsEnabled, setUpWebGPU } from './gpuTesting';

describe.skipIf(!gpuTestsEnabled)('Conv2DBackpropInput as an implicit GEMM (WebGPU)', () => {
  beforeAll(setUpWebGPU);

  it('matches the stock kernel within 1e-4 (odd sizes, stride classes without taps, asymmetric padding, split K)', async () => {
    const results = await checkConv2DBackpropInput();
    expect(results.some((r) => /classes=4 /.test(r.case))).toBe(true);
    expect(results.some((r) => /classes=9 /.test(r.case))).toBe(true);
    expect(results.some((r) => !/splits=1$/.test(r.case))).toBe(true);
    for (const r of results) expect(r.relErr, r.case).toBeLessThanOrEqual(1e-4);
  });

  it('a strided input gradient reduces over the taps of its class only (no multiply by a zero)', () => {
    // 3x3 stride 2: classes of 2x2, 2x1, 1x2 and 1x1 taps, at most 4 of the 9 per class.
    const info = tf.backend_util.computeConv2DInfo([16, 56, 56, 64], [3, 3, 64, 128], 2, 1, 1, undefined, false, 'channelsLast');
    const p = planConvGemm('input', info);
    expect(p.classes).toBe(4);
    expect(p.K).toBe(4 * 128);
    expect(p.M).toBe(16 * 28 * 28);
  });
});
