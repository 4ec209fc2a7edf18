/**
 * What the parity tests against real PyTorch share (parity.test.ts: the KD+ML step and the round
 * trip; parity.zoo.test.ts and parity.vgg.test.ts: the zoo, split in two files so that two test
 * workers share it): the call into ./torch_reference.py, the relative error, the printed tables,
 * and the zoo check itself. Test code only: imports vitest, Node and onnxruntime-web.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHS } from '../../../core/archs';
import { suspendDropout } from '../../customLayers';
import { buildNetwork } from '../../networks/zoo';
import { modelToOnnx } from '../onnx';
import { readStateDict } from '../readWeights';
import { writeSafetensors } from '../safetensors';
import { rawF32, toFloat32 } from '../stateDict';
import { exportStateDict, loadTorchvisionWeights } from '../torchvision';

export const PYTHON = process.env.COHORT_TORCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(__dirname, 'torch_reference.py');

/** Whether Debian's torch, torchvision and onnx import; without them the suites skip, loudly. */
export function torchReady(): boolean {
  const ok = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { stdio: 'ignore' }).status === 0;
  if (!ok) {
    const bar = '!'.repeat(100);
    console.warn(
      `\n${bar}\n!! PARITY TESTS AGAINST PYTORCH SKIPPED: ${PYTHON} cannot import torch, torchvision and onnx.\n!! Install them (Debian: apt-get install python3-torch python3-torchvision python3-onnx) to run them.\n${bar}\n`,
    );
  }
  return ok;
}

export function python(dir: string, job: Record<string, unknown>): void {
  const path = join(dir, `job-${String(job.kind)}.json`);
  writeFileSync(path, JSON.stringify({ ...job, out: dir }));
  const r = spawnSync(PYTHON, [SCRIPT, path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`torch_reference.py ${String(job.kind)} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
}

export function readTensors(path: string): Map<string, Float32Array> {
  const sd = readStateDict(new Uint8Array(readFileSync(path)), path);
  const out = new Map<string, Float32Array>();
  for (const [k, t] of sd.tensors) {
    out.set(k, t.dtype === 'I64' ? Float32Array.from(new BigInt64Array(t.data.slice().buffer), Number) : toFloat32(t, path, k));
  }
  return out;
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return s === 0 ? d : d / s;
}

export function table(title: string, rows: Record<string, string | number>[]): void {
  const keys = Object.keys(rows[0]);
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toExponential(2)) : v);
  console.log(
    `\n${title}\n| ${keys.join(' | ')} |\n|${keys.map(() => '---').join('|')}|\n${rows.map((r) => `| ${keys.map((k) => fmt(r[k])).join(' | ')} |`).join('\n')}\n`,
  );
}

export const nchwToNhwc = (v: Float32Array, shape: number[]) => tf.tidy(() => tf.transpose(tf.tensor(v, shape), [0, 2, 3, 1]));

export async function onnxLogits(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const r = await session.run({ input: new ort.Tensor('float32', x, shape) });
    return r.output.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** COHORT_PARITY_ARCHS=families: each family and block kind once (basic and bottleneck ResNet, VGG with and without its classifier, DenseNet, EfficientNet with stochastic depth, MobileNet). */
const FAMILIES = ['resnet18', 'resnet50', 'vgg11', 'vgg16_nofc', 'densenet121', 'efficientnet_b0', 'mobilenet_v2'];

/**
 * The networks of `part` that COHORT_PARITY_ARCHS asks for: unset or "all" is every one,
 * "families" one of each family and block kind, or a comma-separated list.
 */
export function chosenArchs(part: readonly string[]): string[] {
  const chosen = process.env.COHORT_PARITY_ARCHS;
  const wanted = !chosen || chosen === 'all' ? ARCHS : chosen === 'families' ? FAMILIES : chosen.split(',');
  return part.filter((a) => wanted.includes(a as never));
}

/**
 * The zoo at 64 px and 2 classes, batch 2: torchvision with seeded random weights (random
 * BatchNorm statistics too) -> .pth or .safetensors -> our import -> the same logits in inference
 * mode and in BatchNorm training mode, and the same running statistics after that training-mode
 * forward; then our export back: .safetensors into torchvision (strict), the TorchScript module of
 * python/to_torchscript.py, onnx.checker and onnxruntime on the .onnx. Prints the table, then
 * asserts every figure.
 *
 * Bounds. Every output of inference mode, the export and the round trips: 1e-4 of PyTorch's.
 * BatchNorm training mode normalises each layer by the statistics of this batch (at ResNet's last
 * stage 8 values per channel), so float32 rounding grows with depth: PyTorch's own float32 result
 * is 7e-4 away from float64's for ResNet152 (npm test). There the exact answer (the network in float64) is the
 * reference: ours must be within 1e-4 of PyTorch's float32, or no further from float64's than
 * twice PyTorch's float32 is (and never beyond 1e-2).
 */
export async function zooParity(dir: string, archs: readonly string[]): Promise<void> {
  const size = 64;
  const formats = archs.map((_, i) => (i % 2 === 0 ? 'pth' : 'safetensors'));
  const t0 = performance.now();
  python(dir, { kind: 'zoo', size, classes: 2, batch: 2, archs, formats });
  const tPython = performance.now() - t0;
  const input = readTensors(join(dir, 'input.safetensors')).get('x')!;
  const xShape = [2, 3, size, size];
  const x = nchwToNhwc(input, xShape);
  const rows: Record<string, string | number>[] = [];
  const evalLogits = new Map<string, Float32Array>();
  for (const [i, arch] of archs.entries()) {
    const ta = performance.now();
    const file = join(dir, `${arch}.${formats[i]}`);
    const sd = readStateDict(new Uint8Array(readFileSync(file)), `${arch}.${formats[i]}`);
    const ref = readTensors(join(dir, `${arch}.ref.safetensors`));
    rmSync(join(dir, `${arch}.ref.safetensors`));
    const model = buildNetwork({ arch, task: 'classify', classes: 2, inputSize: size, seed: 0 });
    const report = loadTorchvisionWeights(model, arch, sd);
    expect(report.headReinitialised, arch).toBeNull();
    rmSync(file);
    const before = tf.memory().numTensors;
    const yEval = tf.tidy(() => (model.apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array);
    evalLogits.set(arch, yEval);
    // Export before the training-mode forward moves the running statistics.
    const st = writeSafetensors(await exportStateDict(model, arch), { arch, classes: '2', width: '1', task: 'classify', inputSize: String(size) });
    writeFileSync(join(dir, `${arch}.safetensors`), st);
    const onnx = await modelToOnnx(model, { arch });
    writeFileSync(join(dir, `${arch}.onnx`), onnx);
    const yOnnx = await onnxLogits(onnx, input, xShape);
    suspendDropout(model, true);
    const yTrain = tf.tidy(() => (model.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array);
    expect(tf.memory().numTensors, `${arch}: tensors left by the forwards`).toBe(before);
    const stats = { torch: 0, ours64: 0, torch64: 0, count: 0 };
    const after = await exportStateDict(model, arch);
    for (const [k, v] of ref) {
      if (!k.startsWith('bn.')) continue;
      const key = k.slice(3);
      const ours = toFloat32(after.get(key)!, arch, key);
      const exact = ref.get(`bn64.${key}`)!;
      stats.torch = Math.max(stats.torch, relErr(ours, v));
      stats.ours64 = Math.max(stats.ours64, relErr(ours, exact));
      stats.torch64 = Math.max(stats.torch64, relErr(v, exact));
      stats.count++;
    }
    model.dispose();
    const train64 = ref.get('train64')!;
    rows.push({
      arch,
      file: formats[i],
      tensors: report.loaded,
      'eval logits': relErr(yEval, ref.get('eval')!),
      'BN-train logits': relErr(yTrain, ref.get('train')!),
      'BN-train: ours vs fp64': relErr(yTrain, train64),
      'BN-train: PyTorch vs fp64': relErr(ref.get('train')!, train64),
      'running stats': stats.torch,
      'stats: ours vs fp64': stats.ours64,
      'stats: PyTorch vs fp64': stats.torch64,
      'onnxruntime vs ours': relErr(yOnnx, yEval),
      ms: Math.round(performance.now() - ta),
    });
  }
  x.dispose();
  // Back in PyTorch: strict load into torchvision, TorchScript, onnx.checker.
  writeFileSync(join(dir, 'images.safetensors'), writeSafetensors(new Map([['x', rawF32(input, xShape)]])));
  const t1 = performance.now();
  python(dir, { kind: 'check', networks: archs });
  const tCheck = performance.now() - t1;
  const back = readTensors(join(dir, 'check.out.safetensors'));
  for (const row of rows) {
    const arch = String(row.arch);
    row['torchvision (strict) vs ours'] = relErr(back.get(`${arch}.torchvision`)!, evalLogits.get(arch)!);
    row['TorchScript vs ours'] = relErr(back.get(`${arch}.torchscript`)!, evalLogits.get(arch)!);
    expect(back.get(`${arch}.onnx_opset`)![0]).toBeGreaterThanOrEqual(13);
    for (const f of ['safetensors', 'onnx', 'torchscript.pt']) rmSync(join(dir, `${arch}.${f}`), { force: true });
  }
  table(`Zoo parity at ${size} px, 2 classes, batch 2 (python reference ${Math.round(tPython)} ms, check ${Math.round(tCheck)} ms)`, rows);
  // Asserted after the table, so that a failure still shows every figure.
  for (const row of rows) {
    const arch = String(row.arch);
    for (const k of ['eval logits', 'onnxruntime vs ours', 'torchvision (strict) vs ours', 'TorchScript vs ours']) {
      expect(row[k], `${arch} ${k}`).toBeLessThanOrEqual(1e-4);
    }
    for (const [vsTorch, ours64, torch64] of [
      ['BN-train logits', 'BN-train: ours vs fp64', 'BN-train: PyTorch vs fp64'],
      ['running stats', 'stats: ours vs fp64', 'stats: PyTorch vs fp64'],
    ]) {
      const close = Number(row[vsTorch]) <= 1e-4 || Number(row[ours64]) <= 2 * Number(row[torch64]);
      expect(close, `${arch} ${vsTorch}: ${String(row[vsTorch])} from PyTorch, ${String(row[ours64])} from float64 (PyTorch: ${String(row[torch64])})`).toBe(
        true,
      );
      expect(row[vsTorch], `${arch} ${vsTorch}`).toBeLessThanOrEqual(1e-2);
    }
  }
}

/** One test file's part of the zoo (`part`, narrowed by COHORT_PARITY_ARCHS) as a suite: CPU backend, its own temporary folder. */
export function zooParitySuite(title: string, part: readonly string[]): void {
  const archs = chosenArchs(part);
  describe.skipIf(!torchReady() || archs.length === 0)(`zoo parity with torchvision (CPU backend): ${title}`, () => {
    let dir = '';
    beforeAll(async () => {
      await tf.setBackend('cpu');
      dir = mkdtempSync(join(tmpdir(), 'cohort-parity-zoo-'));
      ort.env.wasm.numThreads = 1;
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    it(`${archs.join(', ')}: torchvision weights in, the same logits (inference and BatchNorm training mode) and running statistics; our export back out`, async () => {
      await zooParity(dir, archs);
    });
  });
}
