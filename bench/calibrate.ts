/**
 * GEMM calibration for `npm run bench -- --calibrate [N]`: the convolution shapes of the V1 cohort
 * (ResNet152 + ResNet50 + ResNet34) ranked by the work they carry in one training step (each
 * shape's FLOPs x how often it occurs x the three directions), and for the N costliest, the time
 * and effective TFLOP/s of the engine's implicit-GEMM kernels (../src/engine/kernels/convGemm.ts)
 * against tfjs's stock kernels, per direction (forward, input gradient, weight gradient), on the
 * same tensors in the same process.
 *
 * Time per call = wall time of `reps` back-to-back calls, submitted and waited for, divided by
 * reps (one warm-up call first compiles the pipeline).
 */
import * as tf from '@tensorflow/tfjs';
import { buildNetwork } from '../src/engine/networks';
import { disableFastKernels, enableFastKernels } from '../src/engine/kernels/fastKernels';
import { planConvGemm, type ConvDirection } from '../src/engine/kernels/convGemm';
import { gpuIdle } from './instrument';

export interface CalibrationRow {
  shape: string;
  /** Occurrences of this shape in one V1 step. */
  count: number;
  dir: ConvDirection;
  gflop: number;
  splits: number;
  fastMs: number;
  stockMs: number;
  fastTflops: number;
  stockTflops: number;
}

interface ConvShape {
  x: [number, number, number, number];
  kernel: [number, number];
  filters: number;
  stride: [number, number];
  pad: 'valid' | 'same';
  count: number;
}

function convShapes(inputSize: number, width: number, batch: number): ConvShape[] {
  const byKey = new Map<string, ConvShape>();
  for (const arch of ['resnet152', 'resnet50', 'resnet34']) {
    const m = buildNetwork({ arch, task: 'classify', classes: 2, inputSize, width, seed: 0, name: arch });
    for (const l of m.layers) {
      if (l.getClassName() !== 'Conv2D') continue;
      const cfg = l.getConfig() as { kernelSize: number[]; strides: number[]; padding: 'valid' | 'same'; filters: number };
      const s = (l.input as tf.SymbolicTensor).shape;
      const x: ConvShape['x'] = [batch, s[1]!, s[2]!, s[3]!];
      const k = `${x.join('x')}|${cfg.kernelSize.join('x')}|${cfg.filters}|${cfg.strides.join('x')}|${cfg.padding}`;
      const e = byKey.get(k);
      if (e) e.count++;
      else
        byKey.set(k, {
          x,
          kernel: [cfg.kernelSize[0], cfg.kernelSize[1]],
          filters: cfg.filters,
          stride: [cfg.strides[0], cfg.strides[1]],
          pad: cfg.padding,
          count: 1,
        });
    }
    m.dispose();
  }
  return [...byKey.values()];
}

const flopsOf = (info: tf.backend_util.Conv2DInfo) =>
  2 * info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.filterHeight * info.filterWidth * info.inChannels;

async function timeCalls(f: () => tf.Tensor, reps: number): Promise<number> {
  const warm = f();
  await warm.data();
  warm.dispose();
  await gpuIdle();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f().dispose();
  await gpuIdle();
  return (performance.now() - t0) / reps;
}

export async function calibrate(opts: {
  shapes?: number;
  inputSize?: number;
  width?: number;
  batch?: number;
  reps?: number;
  log?: (line: string) => void;
}): Promise<CalibrationRow[]> {
  const inputSize = opts.inputSize ?? 224;
  const width = opts.width ?? 1;
  const batch = opts.batch ?? 16;
  const reps = opts.reps ?? 10;
  const shapes = convShapes(inputSize, width, batch);
  const ranked = shapes
    .map((s) => {
      const info = tf.backend_util.computeConv2DInfo(s.x, [s.kernel[0], s.kernel[1], s.x[3], s.filters], s.stride, 1, s.pad, undefined, false, 'channelsLast');
      return { s, info, work: 3 * flopsOf(info) * s.count };
    })
    .sort((a, b) => b.work - a.work)
    .slice(0, opts.shapes ?? 10);
  const rows: CalibrationRow[] = [];
  for (const { s, info } of ranked) {
    const x = tf.randomNormal(s.x, 0, 1, 'float32', 1);
    const w = tf.randomNormal(info.filterShape, 0, 0.1, 'float32', 2);
    const dy = tf.randomNormal([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 0, 1, 'float32', 3);
    const attrsIn = { inputShape: s.x, strides: s.stride, pad: s.pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
    const attrsW = { strides: s.stride, pad: s.pad, dataFormat: 'NHWC', filterShape: info.filterShape } as unknown as tf.NamedAttrMap;
    const calls: Record<ConvDirection, () => tf.Tensor> = {
      forward: () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s.stride, s.pad),
      input: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, attrsIn) as tf.Tensor,
      filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrsW) as tf.Tensor,
    };
    const name = `x=${s.x.join('x')} k=${s.kernel.join('x')} co=${s.filters} s=${s.stride[0]} pad=${s.pad}`;
    for (const dir of ['forward', 'input', 'filter'] as ConvDirection[]) {
      disableFastKernels();
      const stockMs = await timeCalls(calls[dir], reps);
      enableFastKernels();
      const fastMs = await timeCalls(calls[dir], reps);
      const gflop = flopsOf(info) / 1e9;
      const row: CalibrationRow = {
        shape: name,
        count: s.count,
        dir,
        gflop,
        splits: planConvGemm(dir, info).splits,
        fastMs,
        stockMs,
        fastTflops: gflop / fastMs,
        stockTflops: gflop / stockMs,
      };
      rows.push(row);
      opts.log?.(
        `GEMM ${name} x${s.count} ${dir}: ${gflop.toFixed(2)} GFLOP, fast ${fastMs.toFixed(3)} ms (${row.fastTflops.toFixed(2)} TFLOP/s, splits ${row.splits}), stock ${stockMs.toFixed(3)} ms (${row.stockTflops.toFixed(2)} TFLOP/s)`,
      );
    }
    tf.dispose([x, w, dy]);
  }
  disableFastKernels();
  return rows;
}
