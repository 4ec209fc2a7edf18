import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SgdMomentum } from './optimizer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** PyTorch's torch.optim.SGD(momentum=mu, weight_decay=wd) step, in float64. */
function referenceSteps(w0: number[], grads: number[][], lr: number, mu: number, wd: number): { w: number[]; v: number[] } {
  const w = [...w0];
  const v = w0.map(() => 0);
  grads.forEach((g, step) => {
    for (let i = 0; i < w.length; i++) {
      const d = g[i] + wd * w[i];
      v[i] = step === 0 ? d : mu * v[i] + d;
      w[i] -= lr * v[i];
    }
  });
  return { w, v };
}

let n = 0;
const variable = (values: number[], shape: number[]) => tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `opt_test_${n++}`));

describe('SgdMomentum (tfjs fallback, cpu)', () => {
  it("matches PyTorch's SGD with momentum and weight decay over several steps", () => {
    const w0 = [0.5, -1.25, 2, 0.1, -0.3, 0.7];
    const grads = [
      [0.1, -0.2, 0.3, 0.05, 0, -1],
      [0.4, 0.1, -0.3, 0.2, 0.5, 0.25],
      [-0.6, 0.3, 0.1, -0.2, 0.05, 0.9],
    ];
    const v = variable(w0, [2, 3]);
    const opt = new SgdMomentum([v], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    for (const g of grads) {
      const gt = tf.tensor(g, [2, 3]);
      tf.tidy(() => opt.step({ [v.name]: gt }));
      gt.dispose();
    }
    const ref = referenceSteps(w0, grads, 0.1, 0.9, 0.01);
    const got = Array.from(v.dataSync());
    got.forEach((x, i) => expect(x).toBeCloseTo(ref.w[i], 5));
    const state = opt.getState();
    expect(state.steps).toBe(3);
    Array.from(state.momentum[v.name].dataSync()).forEach((x, i) => expect(x).toBeCloseTo(ref.v[i], 5));
    tf.dispose(Object.values(state.momentum));
    opt.dispose();
    v.dispose();
  });

  it('skips variables without a gradient, keeps numTensors flat, and frees its buffers on dispose', () => {
    const a = variable([1, 2, 3], [3]);
    const b = variable([4, 5], [2]);
    const before = tf.memory().numTensors;
    const opt = new SgdMomentum([a, b], { lr: 0.5, momentum: 0.9, weightDecay: 0 });
    const g = tf.tensor([1, 1, 1], [3]);
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      tf.tidy(() => opt.step({ [a.name]: g }));
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    expect(opt.numSlots).toBe(1);
    expect(Array.from(b.dataSync())).toEqual([4, 5]);
    g.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    b.dispose();
  });

  it('restores momentum buffers by variable name (a resumed run continues exactly)', () => {
    const w0 = [0.3, -0.7];
    const gs = [
      [0.2, 0.1],
      [-0.4, 0.3],
      [0.1, 0.1],
    ];
    const run = (resumeAt: number | null) => {
      const v = variable(w0, [2]);
      let opt = new SgdMomentum([v], { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
      gs.forEach((g, i) => {
        if (i === resumeAt) {
          const s = opt.getState();
          opt.dispose();
          opt = new SgdMomentum([v], { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
          opt.setState(s);
          tf.dispose(Object.values(s.momentum));
        }
        const gt = tf.tensor(g, [2]);
        opt.step({ [v.name]: gt });
        gt.dispose();
      });
      const out = Array.from(v.dataSync());
      opt.dispose();
      v.dispose();
      return out;
    };
    expect(run(2)).toEqual(run(null));
  });

  it('rejects a state for a variable it does not own', () => {
    const v = variable([1], [1]);
    const opt = new SgdMomentum([v], { lr: 0.1, momentum: 0.9, weightDecay: 0 });
    const t = tf.zeros([1]);
    expect(() => opt.setState({ steps: 1, momentum: { nope: t } })).toThrow(/no variable named nope/);
    t.dispose();
    opt.dispose();
    v.dispose();
  });
});
