/**
 * Correctness checks of every fast kernel against the stock tfjs-webgpu path it replaces, on fresh
 * random inputs of several shapes (odd sizes, strides 1 and 2, padding, single- and multi-pass
 * paths). Shared by the `*.gpu.test.ts` files (Vitest, Dawn) and by the benchmark's `--check`
 * (the GPU machine has no Vitest). Needs the 'webgpu' backend active.
 *
 * Error measure: max |fast - stock| / max |stock| over the tensor (normwise relative error), which
 * stays meaningful where individual entries are near zero. Tolerance 1e-4.
 */
import * as tf from '@tensorflow/tfjs';
import { chooseSplits, planConvGemm, runConvGemm, type ConvDirection } from './convGemm';
import { webgpuBackend } from './runtime';
import { bnLayout } from './BatchNormTrain';
import { disableFastKernels, enableFastKernels, fastKernelsEnabled } from './fastKernels';
import { FastBatchNormalization, FusedReluActivation, isRectifiedByBatchNorm } from './FastBatchNorm';
import { SgdMomentum } from '../optimizer';
import { studentLossTerms } from '../losses';
import { createLossReport, fusedLossTotal } from './CohortLoss';

export const TOLERANCE = 1e-4;

export interface CheckResult {
  kernel: string;
  case: string;
  relErr: number;
  ok: boolean;
}

export function relativeError(fast: ArrayLike<number>, stock: ArrayLike<number>): number {
  if (fast.length !== stock.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < stock.length; i++) {
    const d = Math.abs(fast[i] - stock[i]);
    if (!(d <= diff)) diff = Number.isNaN(d) ? Infinity : d;
    scale = Math.max(scale, Math.abs(stock[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

function result(kernel: string, name: string, errs: number[]): CheckResult {
  const relErr = Math.max(...errs);
  return { kernel, case: name, relErr, ok: relErr <= TOLERANCE };
}

/** Run `f` with the fast kernels off, then on; restores the state it found. */
async function stockAndFast<T>(f: () => Promise<T>): Promise<{ stock: T; fast: T }> {
  const was = fastKernelsEnabled();
  try {
    disableFastKernels();
    const stock = await f();
    enableFastKernels();
    const fast = await f();
    return { stock, fast };
  } finally {
    if (was) enableFastKernels();
    else disableFastKernels();
  }
}

// ------------------------------------------------------------------------------------------------
// Conv2DBackpropFilter (and Conv2DBackpropInput under the backend's matmul flag)

export interface ConvCase {
  x: [number, number, number, number];
  kernel: [number, number];
  outChannels: number;
  stride: number;
  pad: 'same' | 'valid' | number;
}

export const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 11, 3], kernel: [3, 3], outChannels: 5, stride: 1, pad: 'same' },
  { x: [1, 7, 7, 5], kernel: [1, 1], outChannels: 7, stride: 1, pad: 'valid' },
  { x: [3, 13, 13, 17], kernel: [3, 3], outChannels: 33, stride: 2, pad: 'same' },
  { x: [2, 15, 15, 6], kernel: [7, 7], outChannels: 10, stride: 2, pad: 3 },
  { x: [2, 33, 33, 8], kernel: [3, 3], outChannels: 16, stride: 1, pad: 'same' },
  { x: [4, 16, 16, 70], kernel: [3, 3], outChannels: 130, stride: 1, pad: 'valid' },
  { x: [5, 8, 8, 64], kernel: [1, 1], outChannels: 129, stride: 2, pad: 'valid' },
  { x: [4, 56, 56, 16], kernel: [3, 3], outChannels: 16, stride: 1, pad: 1 },
  { x: [3, 10, 6, 9], kernel: [3, 1], outChannels: 11, stride: 2, pad: 'valid' },
  // 1x1 stride 2 (a ResNet shortcut: its odd input pixels get no gradient), channels a multiple of 4.
  { x: [2, 14, 14, 8], kernel: [1, 1], outChannels: 12, stride: 2, pad: 'valid' },
  // Stride larger than the kernel: some stride classes have no tap at all.
  { x: [1, 10, 10, 4], kernel: [2, 2], outChannels: 4, stride: 3, pad: 'valid' },
  // A plain GEMM in every direction, all vec4.
  { x: [2, 8, 8, 16], kernel: [1, 1], outChannels: 32, stride: 1, pad: 'valid' },
  // 'same' with stride 2 on an odd size: asymmetric padding.
  { x: [3, 7, 9, 8], kernel: [3, 3], outChannels: 12, stride: 2, pad: 'same' },
];

function convName(c: ConvCase): string {
  return `x=${c.x.join('x')} k=${c.kernel.join('x')} co=${c.outChannels} s=${c.stride} pad=${c.pad}`;
}

function convInfo(c: ConvCase) {
  const filterShape: [number, number, number, number] = [c.kernel[0], c.kernel[1], c.x[3], c.outChannels];
  return tf.backend_util.computeConv2DInfo(c.x, filterShape, c.stride, 1, c.pad, undefined, false, 'channelsLast');
}

export async function checkConv2DBackpropFilter(cases = CONV_CASES): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of cases) {
    const info = convInfo(c);
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1);
    const dy = tf.randomNormal([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 0, 1, 'float32', 2);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: info.filterShape } as unknown as tf.NamedAttrMap;
    const run = async () => {
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor;
      const v = await dw.data();
      dw.dispose();
      return v;
    };
    const r = await stockAndFast(run);
    const M = info.filterHeight * info.filterWidth * info.inChannels;
    const splits = chooseSplits(M, info.outChannels, info.batchSize * info.outHeight * info.outWidth);
    out.push(result('Conv2DBackpropFilter', `${convName(c)} splits=${splits}`, [relativeError(r.fast, r.stock)]));
    tf.dispose([x, dy]);
  }
  return out;
}

/** The forward (FusedConv2D with bias and ReLU, and plain Conv2D) against the stock kernels. */
export async function checkConv2D(cases = CONV_CASES): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of cases) {
    const info = convInfo(c);
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 11);
    const filter = tf.randomNormal(info.filterShape, 0, 1, 'float32', 12);
    const bias = tf.randomNormal([c.outChannels], 0, 1, 'float32', 13);
    const run = async () => {
      const ys = tf.tidy(() => [
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: c.stride, pad: c.pad, bias, activation: 'relu' }),
        tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, c.stride, c.pad),
      ]);
      const v = await Promise.all(ys.map((y) => y.data()));
      tf.dispose(ys);
      return v;
    };
    const r = await stockAndFast(run);
    const p = planConvGemm('forward', info);
    out.push(
      result('Conv2D', `${convName(c)} splits=${p.splits} (fused bias+relu; plain)`, [
        relativeError(r.fast[0], r.stock[0]),
        relativeError(r.fast[1], r.stock[1]),
      ]),
    );
    tf.dispose([x, filter, bias]);
  }
  return out;
}

/** The input gradient against the stock (naive) kernel. */
export async function checkConv2DBackpropInput(cases = CONV_CASES): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of cases) {
    const info = convInfo(c);
    const dy = tf.randomNormal([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 0, 1, 'float32', 14);
    const filter = tf.randomNormal(info.filterShape, 0, 1, 'float32', 15);
    const attrs = { inputShape: c.x, strides: c.stride, pad: c.pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
    const run = async () => {
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor;
      const v = await dx.data();
      dx.dispose();
      return v;
    };
    const r = await stockAndFast(run);
    const p = planConvGemm('input', info);
    out.push(result('Conv2DBackpropInput', `${convName(c)} classes=${p.classes} splits=${p.splits}`, [relativeError(r.fast, r.stock)]));
    tf.dispose([dy, filter]);
  }
  return out;
}

/** Every direction with the reduction forced into 3 slices (the split-K path on small shapes). */
export async function checkConvSplitK(cases = CONV_CASES.slice(0, 6)): Promise<CheckResult[]> {
  const b = webgpuBackend();
  if (!b) return [];
  const out: CheckResult[] = [];
  for (const c of cases) {
    const info = convInfo(c);
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 16);
    const filter = tf.randomNormal(info.filterShape, 0, 1, 'float32', 17);
    const dy = tf.randomNormal([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 0, 1, 'float32', 18);
    const bias = tf.randomNormal([c.outChannels], 0, 1, 'float32', 19);
    const was = fastKernelsEnabled();
    disableFastKernels();
    try {
      const stock = await Promise.all(
        tf
          .tidy(() => [
            tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: c.stride, pad: c.pad, bias, activation: 'relu' }),
            tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
              strides: c.stride,
              pad: c.pad,
              dataFormat: 'NHWC',
              filterShape: info.filterShape,
            } as unknown as tf.NamedAttrMap) as tf.Tensor,
            tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
              inputShape: c.x,
              strides: c.stride,
              pad: c.pad,
              dataFormat: 'NHWC',
            } as unknown as tf.NamedAttrMap) as tf.Tensor,
          ])
          .map(async (t) => {
            const v = await t.data();
            t.dispose();
            return v;
          }),
      );
      const dirs: [ConvDirection, tf.Tensor, tf.Tensor, tf.Tensor | null][] = [
        ['forward', x, filter, bias],
        ['filter', x, dy, null],
        ['input', dy, filter, null],
      ];
      const errs: number[] = [];
      for (let d = 0; d < 3; d++) {
        const [dir, a, bb, bi] = dirs[d];
        const info2 = tf
          .engine()
          .makeTensorFromTensorInfo(runConvGemm(b, { dir, info, a, b: bb, bias: bi, activation: dir === 'forward' ? 'relu' : 'linear', splits: 3 }));
        errs.push(relativeError(await info2.data(), stock[d]));
        info2.dispose();
      }
      out.push(result('ConvSplitK', `${convName(c)} splits=3 (fwd, dW, dx)`, errs));
    } finally {
      if (was) enableFastKernels();
    }
    tf.dispose([x, filter, dy, bias]);
  }
  return out;
}

/** The backend's matmul-based input gradient (flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false) vs its naive one. */
export async function checkConv2DBackpropInputFlag(cases = CONV_CASES): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const flag = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';
  const was = tf.env().getBool(flag);
  const fastWas = fastKernelsEnabled();
  // A comparison of two stock programs: the fast kernel must not stand in for either.
  disableFastKernels();
  try {
    for (const c of cases) {
      const info = convInfo(c);
      const dy = tf.randomNormal([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 0, 1, 'float32', 3);
      const filter = tf.randomNormal(info.filterShape, 0, 1, 'float32', 4);
      const attrs = { inputShape: c.x, strides: c.stride, pad: c.pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
      const run = async (naive: boolean) => {
        tf.env().set(flag, naive);
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor;
        const v = await dx.data();
        dx.dispose();
        return v;
      };
      const stock = await run(true);
      const mm = await run(false);
      out.push(result('Conv2DBackpropInput(mm flag)', convName(c), [relativeError(mm, stock)]));
      tf.dispose([dy, filter]);
    }
  } finally {
    tf.env().set(flag, was);
    if (fastWas) enableFastKernels();
  }
  return out;
}

export const DEPTHWISE_CASES: ConvCase[] = [
  { x: [2, 9, 11, 5], kernel: [3, 3], outChannels: 5, stride: 1, pad: 'same' },
  { x: [3, 13, 13, 70], kernel: [5, 5], outChannels: 70, stride: 2, pad: 'same' },
  { x: [2, 15, 15, 16], kernel: [3, 3], outChannels: 16, stride: 2, pad: 1 },
  { x: [1, 4, 4, 130], kernel: [3, 3], outChannels: 130, stride: 1, pad: 'valid' },
  { x: [4, 40, 40, 8], kernel: [5, 5], outChannels: 8, stride: 1, pad: 2 },
];

export async function checkDepthwiseBackpropFilter(cases = DEPTHWISE_CASES): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of cases) {
    const filterShape: [number, number, number, number] = [c.kernel[0], c.kernel[1], c.x[3], 1];
    const info = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.stride, 1, c.pad, undefined, true);
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 51);
    const dy = tf.randomNormal([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 0, 1, 'float32', 52);
    const attrs = { strides: c.stride, dilations: 1, pad: c.pad, filterShape } as unknown as tf.NamedAttrMap;
    const run = async () => {
      const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs) as tf.Tensor;
      const v = await dw.data();
      dw.dispose();
      return v;
    };
    const r = await stockAndFast(run);
    out.push(result('DepthwiseConv2dNativeBackpropFilter', convName(c), [relativeError(r.fast, r.stock)]));
    tf.dispose([x, dy]);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// BatchNorm in training mode

export const BN_CASES: { shape: [number, number, number, number]; mean: number; std: number }[] = [
  { shape: [2, 5, 7, 3], mean: 0, std: 1 },
  { shape: [4, 9, 9, 70], mean: 5, std: 3 },
  { shape: [16, 16, 16, 16], mean: -2, std: 0.5 },
  { shape: [3, 1, 1, 130], mean: 0, std: 2 },
  { shape: [8, 32, 32, 8], mean: 10, std: 1 },
  { shape: [2, 31, 29, 65], mean: 1, std: 1 },
];

export async function checkBatchNorm(cases = BN_CASES): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of cases) {
    const C = c.shape[3];
    const layer = new FastBatchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9 });
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(c.shape, 0, 1, 'float32', 5), c.std), c.mean));
    const w = tf.randomNormal(c.shape, 0, 1, 'float32', 6);
    layer.apply(x, { training: false });
    const gamma = tf.randomUniform([C], 0.5, 1.5, 'float32', 7);
    const beta = tf.randomNormal([C], 0, 1, 'float32', 8);
    const run = async () => {
      tf.tidy(() => layer.setWeights([gamma, beta, tf.zeros([C]), tf.ones([C])]));
      const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      const { value, grads } = tf.tidy(() => {
        const g = tf.grads((xi: tf.Tensor) => {
          const y = layer.apply(xi, { training: true }) as tf.Tensor;
          return tf.sum(tf.mul(y, w));
        });
        const [dx] = g([x]);
        const y = tf.keep(layer.apply(x, { training: false }) as tf.Tensor);
        const vg = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar, vars);
        const yTrain = layer.apply(x, { training: true }) as tf.Tensor;
        return { value: [yTrain, dx, y], grads: vg.grads };
      });
      const [yTrain, dx, yInfer] = value;
      const ws = layer.getWeights();
      const read = await Promise.all([yTrain, dx, yInfer, grads[vars[0].name], grads[vars[1].name], ws[2], ws[3]].map((t) => t.data()));
      tf.dispose([yTrain, dx, yInfer, ...Object.values(grads)]);
      return read;
    };
    const r = await stockAndFast(run);
    const parts = ['y', 'dx', 'y(inference, moving stats)', 'dgamma', 'dbeta', 'movingMean', 'movingVariance'];
    const errs = parts.map((_, i) => relativeError(r.fast[i], r.stock[i]));
    const worst = errs.indexOf(Math.max(...errs));
    const l = bnLayout(c.shape[0] * c.shape[1] * c.shape[2], C);
    out.push(result('BatchNormTrain', `x=${c.shape.join('x')} mean=${c.mean} std=${c.std} passes=${l.chunks === 1 ? 1 : 2} worst=${parts[worst]}`, errs));
    tf.dispose([x, w, gamma, beta]);
    layer.dispose();
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// BatchNorm + ReLU in training mode (the fused pair against BatchNorm then relu through autodiff)

export const BN_RELU_CASES: { shape: [number, number, number, number]; mean: number; std: number }[] = [
  { shape: [2, 5, 7, 3], mean: 0, std: 1 },
  { shape: [4, 33, 17, 3], mean: 3, std: 2 },
  { shape: [3, 7, 9, 5], mean: -1, std: 1 },
  { shape: [8, 16, 16, 5], mean: 0, std: 0.5 },
  { shape: [2, 3, 5, 67], mean: 2, std: 1 },
  { shape: [4, 16, 16, 67], mean: 0, std: 3 },
];

export async function checkBatchNormRelu(cases = BN_RELU_CASES): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of cases) {
    const C = c.shape[3];
    const bn = new FastBatchNormalization({ axis: -1, epsilon: 1e-5, momentum: 0.9 });
    bn.fuseRelu = true;
    const act = new FusedReluActivation({});
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(c.shape, 0, 1, 'float32', 15), c.std), c.mean));
    const w = tf.randomNormal(c.shape, 0, 1, 'float32', 16);
    bn.apply(x, { training: false });
    const gamma = tf.randomUniform([C], 0.5, 1.5, 'float32', 17);
    // Betas around zero so that every channel has outputs on both sides of the ReLU.
    const beta = tf.randomNormal([C], 0, 0.5, 'float32', 18);
    let fusedPath = false;
    const forward = (xi: tf.Tensor) => {
      const z = bn.apply(xi, { training: true }) as tf.Tensor;
      fusedPath = isRectifiedByBatchNorm(z);
      return act.apply(z, { training: true }) as tf.Tensor;
    };
    const run = async () => {
      tf.tidy(() => bn.setWeights([gamma, beta, tf.zeros([C]), tf.ones([C])]));
      const vars = bn.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      const { value, grads } = tf.tidy(() => {
        const [dx] = tf.grads((xi: tf.Tensor) => tf.sum(tf.mul(forward(xi), w)))([x]);
        const vg = tf.variableGrads(() => tf.sum(tf.mul(forward(x), w)) as tf.Scalar, vars);
        return { value: [forward(x), dx], grads: vg.grads };
      });
      const fused = fusedPath;
      const ws = bn.getWeights();
      const read = await Promise.all([...value, grads[vars[0].name], grads[vars[1].name], ws[2], ws[3]].map((t) => t.data()));
      tf.dispose([...value, ...Object.values(grads)]);
      return { read, fused };
    };
    const r = await stockAndFast(run);
    const parts = ['y', 'dx', 'dgamma', 'dbeta', 'movingMean', 'movingVariance'];
    const errs = parts.map((_, i) => relativeError(r.fast.read[i], r.stock.read[i]));
    // The fast run must have taken the fused path and the stock run must not.
    if (!r.fast.fused || r.stock.fused) errs.push(Infinity);
    const worst = errs.indexOf(Math.max(...errs));
    const l = bnLayout(c.shape[0] * c.shape[1] * c.shape[2], C);
    const name = `x=${c.shape.join('x')} mean=${c.mean} std=${c.std} passes=${l.chunks === 1 ? 1 : 2} fused=${r.fast.fused} worst=${parts[worst] ?? 'path'}`;
    out.push(result('BatchNormRelu', name, errs));
    tf.dispose([x, w, gamma, beta]);
    bn.dispose();
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// SGD with momentum and weight decay

export async function checkSgdMomentum(): Promise<CheckResult[]> {
  const shapes = [[3, 3, 5, 7], [13], [4], [1, 1, 3, 1], [257, 1031]];
  const run = async () => {
    const tag = Math.random().toString(36).slice(2);
    const vars = tf.tidy(() => shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 10 + i), true, `sgd_check_${i}_${tag}`)));
    const opt = new SgdMomentum(vars, { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
    for (let step = 0; step < 3; step++) {
      const grads: tf.NamedTensorMap = {};
      vars.forEach((v, i) => {
        grads[v.name] = tf.randomNormal(v.shape, 0, 1, 'float32', 1000 + 100 * step + i);
      });
      opt.step(grads);
      tf.dispose(Object.values(grads));
    }
    const state = opt.getState();
    const values = await Promise.all([...vars.map((v) => v.data()), ...vars.map((v) => state.momentum[v.name].data())]);
    tf.dispose(Object.values(state.momentum));
    opt.dispose();
    vars.forEach((v) => v.dispose());
    return values;
  };
  const r = await stockAndFast(run);
  return shapes.map((s, i) =>
    result('SgdMomentumUpdate', `shape=${s.join('x')} (3 steps; weights, momentum)`, [
      relativeError(r.fast[i], r.stock[i]),
      relativeError(r.fast[i + shapes.length], r.stock[i + shapes.length]),
    ]),
  );
}

// ------------------------------------------------------------------------------------------------
// The fused classification loss (every CE / KL term of one network, and its logits' gradient)

export interface LossCase {
  n: number;
  classes: number;
  teacher: boolean;
  peers: number;
  temperature: number;
  tSquared: boolean;
}

export const LOSS_CASES: LossCase[] = [
  { n: 5, classes: 2, teacher: false, peers: 0, temperature: 4, tSquared: false },
  { n: 7, classes: 3, teacher: true, peers: 0, temperature: 4, tSquared: false },
  { n: 16, classes: 10, teacher: false, peers: 1, temperature: 3, tSquared: false },
  { n: 1, classes: 3, teacher: false, peers: 2, temperature: 2, tSquared: true },
  { n: 9, classes: 10, teacher: true, peers: 2, temperature: 4, tSquared: true },
  { n: 3, classes: 2, teacher: true, peers: 1, temperature: 1, tSquared: false },
  { n: 67, classes: 7, teacher: true, peers: 3, temperature: 6, tSquared: false },
];

/**
 * The fused loss against `studentLossTerms` (stock ops on the same backend): each of
 * [ce, kd, ml, total] as a relative error (absolute where the stock term is 0), and the gradient
 * w.r.t. the network's logits normwise.
 */
export async function checkCohortLoss(cases = LOSS_CASES): Promise<CheckResult[]> {
  const b = webgpuBackend();
  if (!b) throw new Error('checkCohortLoss needs the webgpu backend');
  const out: CheckResult[] = [];
  let seed = 50;
  for (const c of cases) {
    const logits = () => tf.mul(tf.randomNormal([c.n, c.classes], 0, 1, 'float32', seed++), 3) as tf.Tensor2D;
    const student = logits();
    const teacher = c.teacher ? logits() : null;
    const peers = Array.from({ length: c.peers }, logits);
    const labels = tf.tensor2d(
      Array.from({ length: c.n * c.classes }, (_, i) => (i % c.classes === (Math.floor(i / c.classes) * 7 + seed) % c.classes ? 1 : 0)),
      [c.n, c.classes],
    );
    const w = { alpha: 0.7, beta: 0.9, gamma: 1.3, temperature: c.temperature };
    const scale = c.tSquared ? c.temperature * c.temperature : 1;
    const stockReport = tf.tidy(() => {
      const t = studentLossTerms({ labels, student, teacher, peers, ...w, tSquared: c.tSquared });
      return tf.stack([t.ce, t.kd, t.ml, t.total]);
    });
    const stockGrad = tf.grad((s: tf.Tensor) => studentLossTerms({ labels, student: s as tf.Tensor2D, teacher, peers, ...w, tSquared: c.tSquared }).total)(
      student,
    );
    const args = { labels, student, teacher, peers, alpha: w.alpha, kdWeight: w.beta * scale, mlWeight: w.gamma * scale, temperature: c.temperature };
    const report = createLossReport(b, 1);
    tf.dispose(fusedLossTotal(b, args, report, 0));
    const fusedGrad = tf.grad((s: tf.Tensor) => {
      const r = createLossReport(b, 1);
      const total = fusedLossTotal(b, { ...args, student: s as tf.Tensor2D }, r, 0);
      r.dispose();
      return total;
    })(student);
    const [sr, fr, sg, fg] = await Promise.all([stockReport.data(), report.data(), stockGrad.data(), fusedGrad.data()]);
    const terms = Array.from(sr, (v, i) => (v === 0 ? Math.abs(fr[i]) : Math.abs(fr[i] - v) / Math.abs(v)));
    const name = `n=${c.n} classes=${c.classes} teacher=${c.teacher} peers=${c.peers} T=${c.temperature}${c.tSquared ? ' T^2' : ''}`;
    out.push(result('CohortLoss', `${name} terms`, terms));
    out.push(result('CohortLoss', `${name} grad`, [relativeError(fg, sg)]));
    tf.dispose([student, teacher, ...peers, labels, stockReport, stockGrad, report, fusedGrad].filter((t): t is tf.Tensor => t !== null));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Relu and Sigmoid gradients

export async function checkReluGrad(): Promise<CheckResult[]> {
  return checkActivationGrad('ReluGrad', tf.relu);
}

export async function checkSigmoidGrad(): Promise<CheckResult[]> {
  return checkActivationGrad('SigmoidGrad', tf.sigmoid);
}

async function checkActivationGrad(kernel: string, f: (x: tf.Tensor) => tf.Tensor): Promise<CheckResult[]> {
  const shapes: number[][] = [[2, 7, 9, 5], [3, 8, 8, 16], [1031], [4]];
  const out: CheckResult[] = [];
  for (const s of shapes) {
    const x = tf.randomNormal(s, 0, 1, 'float32', 21);
    const w = tf.randomNormal(s, 0, 1, 'float32', 22);
    const run = async () => {
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), w)))(x);
      const v = await dx.data();
      dx.dispose();
      return v;
    };
    const r = await stockAndFast(run);
    out.push(result(kernel, `shape=${s.join('x')}`, [relativeError(r.fast, r.stock)]));
    tf.dispose([x, w]);
  }
  return out;
}

export async function runAllChecks(opts: { includeFlags?: boolean } = {}): Promise<CheckResult[]> {
  const all = [
    ...(await checkSgdMomentum()),
    ...(await checkCohortLoss()),
    ...(await checkReluGrad()),
    ...(await checkSigmoidGrad()),
    ...(await checkConv2D()),
    ...(await checkConv2DBackpropInput()),
    ...(await checkConv2DBackpropFilter()),
    ...(await checkConvSplitK()),
    ...(await checkDepthwiseBackpropFilter()),
    ...(await checkBatchNorm()),
    ...(await checkBatchNormRelu()),
  ];
  if (opts.includeFlags !== false) all.push(...(await checkConv2DBackpropInputFlag()));
  return all;
}
