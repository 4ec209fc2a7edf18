import { describe, expect, it } from 'vitest';
import { linearTicks, logTicks } from './CurvePlot';

describe('curve plot ticks', () => {
  it('round linear ticks inside the range', () => {
    expect(linearTicks(0, 10_000, 5)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(linearTicks(0.42, 0.87, 4)).toEqual([0.5, 0.6, 0.7, 0.8].map((v) => expect.closeTo(v, 12)));
    expect(linearTicks(3, 3)).toEqual([3]);
    // Steps and epochs: three steps get ticks 1, 2, 3 and nothing between them.
    expect(linearTicks(1, 3, 10)).toEqual([1, 1.2, 1.4, 1.6, 1.8, 2, 2.2, 2.4, 2.6, 2.8, 3].map((v) => expect.closeTo(v, 12)));
    expect(linearTicks(1, 3, 10, true)).toEqual([1, 2, 3]);
    expect(linearTicks(0, 400, 4, true)).toEqual([0, 100, 200, 300, 400]);
  });
  it('log ticks at 1, 2, 5 x 10^k, only powers over many decades', () => {
    expect(logTicks(0.03, 0.9)).toEqual([0.05, 0.1, 0.2, 0.5].map((v) => expect.closeTo(v, 12)));
    expect(logTicks(0.056, 0.083)).toEqual([0.06, 0.065, 0.07, 0.075, 0.08].map((v) => expect.closeTo(v, 12)));
    expect(logTicks(1e-4, 10)).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1, 10].map((v) => expect.closeTo(v, 12)));
  });
});
