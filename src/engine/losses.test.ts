import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { boxDistance, boxGIoU, boxIoU, boxLoss, crossEntropy, studentLoss, temperedKL } from './losses';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// float64 references, written from the formulas of docs/METHOD.md
function softmax64(z: number[], T = 1): number[] {
  const m = Math.max(...z.map((v) => v / T));
  const e = z.map((v) => Math.exp(v / T - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
function ce64(y: number[][], z: number[][]): number {
  return y.reduce((acc, yi, i) => acc - yi.reduce((a, yc, c) => a + yc * Math.log(softmax64(z[i])[c]), 0), 0) / y.length;
}
function kl64(zt: number[][], zs: number[][], T: number): number {
  let total = 0;
  for (let i = 0; i < zt.length; i++) {
    const p = softmax64(zt[i], T);
    const s = softmax64(zs[i], T);
    total += p.reduce((a, pc, c) => a + pc * Math.log(pc / s[c]), 0);
  }
  return total / zt.length; // batchmean: sum over classes, mean over the batch
}

const labels = [
  [1, 0, 0],
  [0, 0, 1],
];
const student = [
  [2.0, -1.0, 0.5],
  [0.1, 0.2, 0.3],
];
const teacher = [
  [3.0, 0.0, -1.0],
  [-0.5, 0.5, 2.5],
];
const peerA = [
  [1.0, 1.0, -2.0],
  [0.0, -1.0, 1.0],
];
const peerB = [
  [0.3, -0.7, 0.2],
  [1.5, 0.5, -0.5],
];

describe('classification losses', () => {
  it('cross-entropy matches float64', () => {
    const v = crossEntropy(tf.tensor2d(labels), tf.tensor2d(student)).dataSync()[0];
    expect(v).toBeCloseTo(ce64(labels, student), 5);
  });

  it('tempered KL is summed over classes and averaged over the batch', () => {
    for (const T of [1, 2, 4]) {
      const v = temperedKL(tf.tensor2d(teacher), tf.tensor2d(student), T).dataSync()[0];
      expect(v).toBeCloseTo(kl64(teacher, student, T), 5);
    }
    // KL of a distribution with itself is zero
    expect(temperedKL(tf.tensor2d(student), tf.tensor2d(student), 2).dataSync()[0]).toBeCloseTo(0, 6);
  });

  it('eq. 4 with K = 3 (two peers), with and without T^2', () => {
    const a = 0.1,
      b = 0.45,
      g = 0.45,
      T = 2;
    const expected = a * ce64(labels, student) + b * kl64(teacher, student, T) + g * (kl64(peerA, student, T) + kl64(peerB, student, T));
    const args = {
      labels: tf.tensor2d(labels),
      student: tf.tensor2d(student),
      teacher: tf.tensor2d(teacher),
      peers: [tf.tensor2d(peerA), tf.tensor2d(peerB)],
      alpha: a,
      beta: b,
      gamma: g,
      temperature: T,
    };
    expect(studentLoss(args).dataSync()[0]).toBeCloseTo(expected, 5);
    const expectedT2 = a * ce64(labels, student) + T * T * (b * kl64(teacher, student, T) + g * (kl64(peerA, student, T) + kl64(peerB, student, T)));
    expect(studentLoss({ ...args, tSquared: true }).dataSync()[0]).toBeCloseTo(expectedT2, 5);
  });

  it('a missing teacher or empty peers drops that term', () => {
    const base = { labels: tf.tensor2d(labels), student: tf.tensor2d(student), alpha: 0.1, beta: 0.45, gamma: 0.45, temperature: 2 };
    expect(studentLoss({ ...base, peers: [] }).dataSync()[0]).toBeCloseTo(0.1 * ce64(labels, student), 6);
    expect(studentLoss({ ...base, teacher: tf.tensor2d(teacher), peers: [] }).dataSync()[0]).toBeCloseTo(
      0.1 * ce64(labels, student) + 0.45 * kl64(teacher, student, 2),
      5,
    );
    expect(studentLoss({ ...base, peers: [tf.tensor2d(peerA)] }).dataSync()[0]).toBeCloseTo(0.1 * ce64(labels, student) + 0.45 * kl64(peerA, student, 2), 5);
  });

  it('gradient flows into the student only: targets are stop-gradient', () => {
    const s = tf.variable(tf.tensor2d(student));
    const t = tf.variable(tf.tensor2d(teacher));
    const p = tf.variable(tf.tensor2d(peerA));
    const { grads } = tf.variableGrads(
      () => studentLoss({ labels: tf.tensor2d(labels), student: s, teacher: t, peers: [p], alpha: 0.1, beta: 0.45, gamma: 0.45, temperature: 2 }),
      [s, t, p],
    );
    expect(Math.max(...Array.from(grads[s.name].abs().dataSync()))).toBeGreaterThan(1e-4);
    expect(Array.from(grads[t.name].dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(grads[p.name].dataSync()).every((v) => v === 0)).toBe(true);
    // analytic gradient of the KL term w.r.t. student logits: (s_T - p_T) / (T * N)
    const { grads: g2 } = tf.variableGrads(() => temperedKL(t, s, 2), [s]);
    const got = g2[s.name].arraySync() as number[][];
    for (let i = 0; i < 2; i++) {
      const pT = softmax64(teacher[i], 2);
      const sT = softmax64(student[i], 2);
      for (let c = 0; c < 3; c++) expect(got[i][c]).toBeCloseTo((sT[c] - pT[c]) / (2 * 2), 5);
    }
  });
});

describe('boxes', () => {
  // (cx, cy, w, h)
  const a = [
    [0.5, 0.5, 0.4, 0.4],
    [0.25, 0.25, 0.2, 0.2],
    [0.3, 0.3, 0.2, 0.2],
  ];
  const b = [
    [0.6, 0.5, 0.4, 0.4],
    [0.75, 0.75, 0.2, 0.2],
    [0.3, 0.3, 0.2, 0.2],
  ];

  it('IoU and GIoU by hand', () => {
    const iou = boxIoU(tf.tensor2d(a), tf.tensor2d(b)).dataSync();
    // overlap 0.3 x 0.4 = 0.12; union 0.16 + 0.16 - 0.12 = 0.20
    expect(iou[0]).toBeCloseTo(0.6, 5);
    expect(iou[1]).toBeCloseTo(0, 6);
    expect(iou[2]).toBeCloseTo(1, 5);
    const giou = boxGIoU(tf.tensor2d(a), tf.tensor2d(b)).dataSync();
    // enclosing 0.5 x 0.4 = 0.20 = union -> GIoU = IoU
    expect(giou[0]).toBeCloseTo(0.6, 5);
    // disjoint: enclosing 0.7 x 0.7 = 0.49, union 0.08 -> 0 - 0.41/0.49
    expect(giou[1]).toBeCloseTo(-0.41 / 0.49, 5);
  });

  it('D = smooth-L1 (summed over the 4 numbers) + 1 - GIoU, batch mean', () => {
    const sl1 = (d: number) => (Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5);
    const rows = a.map((r, i) => r.reduce((acc, v, j) => acc + sl1(b[i][j] - v), 0));
    const giou = [0.6, -0.41 / 0.49, 1];
    const expected = rows.reduce((acc, r, i) => acc + r + 1 - giou[i], 0) / 3;
    expect(boxDistance(tf.tensor2d(a), tf.tensor2d(b)).dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it('box loss mirrors eq. 4 and sends no gradient into targets', () => {
    const s = tf.variable(tf.tensor2d(b));
    const t = tf.variable(tf.tensor2d(a));
    const gt = tf.tensor2d(a);
    const D = (x: number[][], y: number[][]) => boxDistance(tf.tensor2d(x), tf.tensor2d(y)).dataSync()[0];
    const v = boxLoss({ target: gt, student: s, teacher: t, peers: [t], alpha: 0.1, beta: 0.45, gamma: 0.45 }).dataSync()[0];
    expect(v).toBeCloseTo(0.1 * D(a, b) + 0.45 * D(a, b) + 0.45 * D(a, b), 5);
    const { grads } = tf.variableGrads(() => boxLoss({ target: gt, student: s, teacher: t, peers: [], alpha: 0.1, beta: 0.45, gamma: 0 }), [s, t]);
    expect(Array.from(grads[t.name].dataSync()).every((x) => x === 0)).toBe(true);
    expect(Math.max(...Array.from(grads[s.name].abs().dataSync()))).toBeGreaterThan(1e-4);
  });
});
