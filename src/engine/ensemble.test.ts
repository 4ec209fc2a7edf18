import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensembleBoxes, ensembleBoxRows, ensembleProbabilities, ensembleRows } from './ensemble';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ensembles', () => {
  const p1 = [
    [0.9, 0.1],
    [0.4, 0.6],
  ];
  const p2 = [
    [0.6, 0.4],
    [0.2, 0.8],
  ];
  const p3 = [
    [0.3, 0.7],
    [0.55, 0.45],
  ];

  it('max takes the element-wise maximum (the paper), mean the average', () => {
    const max = ensembleProbabilities([tf.tensor2d(p1), tf.tensor2d(p2), tf.tensor2d(p3)], 'max').arraySync();
    expect(max).toEqual(
      [
        [0.9, 0.7],
        [0.55, 0.8],
      ].map((r) => r.map((v) => Math.fround(v))),
    );
    const mean = ensembleProbabilities([tf.tensor2d(p1), tf.tensor2d(p2), tf.tensor2d(p3)], 'mean').arraySync();
    expect(mean[0][0]).toBeCloseTo(0.6, 6);
    expect(mean[1][1]).toBeCloseTo((0.6 + 0.8 + 0.45) / 3, 6);
    // the array version agrees
    const rows = ensembleRows(
      [p1.flat(), p2.flat(), p3.flat()].map((r) => Float32Array.from(r)),
      'max',
    );
    expect(Array.from(rows)).toEqual([0.9, 0.7, 0.55, 0.8].map(Math.fround));
  });

  it('boxes: coordinate-wise mean and median', () => {
    const b = [[[0.1, 0.2, 0.3, 0.4]], [[0.5, 0.6, 0.7, 0.8]], [[0.2, 0.1, 0.9, 0.5]]];
    const mean = ensembleBoxes(
      b.map((x) => tf.tensor2d(x)),
      'mean',
    ).arraySync()[0];
    [0.8 / 3, 0.9 / 3, 1.9 / 3, 1.7 / 3].forEach((v, i) => expect(mean[i]).toBeCloseTo(v, 6));
    const median = ensembleBoxes(
      b.map((x) => tf.tensor2d(x)),
      'median',
    ).arraySync()[0];
    [0.2, 0.2, 0.7, 0.5].forEach((v, i) => expect(median[i]).toBeCloseTo(v, 6));
    const median2 = ensembleBoxRows(
      [b[0][0], b[1][0]].map((r) => Float32Array.from(r)),
      'median',
    );
    [0.3, 0.4, 0.5, 0.6].forEach((v, i) => expect(median2[i]).toBeCloseTo(v, 6));
  });
});
