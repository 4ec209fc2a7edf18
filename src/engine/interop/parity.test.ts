/**
 * Parity with real PyTorch and torchvision (Debian's python3-torch, python3-torchvision,
 * python3-onnx under /usr/bin/python3), on the CPU backend:
 *
 * 1. the zoo at 64 px and 2 classes (one network of each family by default, every one with COHORT_PARITY_ARCHS=all): torchvision with seeded random weights (random
 *    BatchNorm statistics too) -> .pth or .safetensors -> our import -> the same logits in
 *    inference mode and in BatchNorm training mode, and the same running statistics after that
 *    training-mode forward; then our export back: .safetensors into torchvision (strict), the
 *    TorchScript module of python/to_torchscript.py, onnx.checker and onnxruntime on the .onnx;
 * 2. one KD+ML online step of a small cohort on a fixed batch: the loss terms, every updated
 *    weight and every BatchNorm running statistic;
 * 3. a cohort trained here -> its export bundle -> torchvision, TorchScript and onnxruntime give
 *    the studio's predictions on the test images.
 *
 * The figures are printed (the closing note of the interop work quotes them). Without
 * python3-torch the suite is skipped with a loud message, never silently.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHS } from '../../core/archs';
import { defaultRunConfig, type RunConfig } from '../../core/config';
import { Rng } from '../../core/rng';
import { generateClassification, splitSamples } from '../../data/synthetic';
import { makeBundle } from '../bundle';
import { suspendDropout } from '../customLayers';
import { buildNetwork } from '../networks/zoo';
import { makeTrainee, trainCohort, trainStep, disposeRun, type PhaseSpec } from '../trainer';
import { assembleBatch } from '../batch';
import { modelToOnnx } from './onnx';
import { readStateDict } from './readWeights';
import { writeSafetensors } from './safetensors';
import { rawF32, toFloat32, type RawTensor } from './stateDict';
import { exportStateDict, loadTorchvisionWeights } from './torchvision';

const PYTHON = process.env.COHORT_TORCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(__dirname, 'testing', 'torch_reference.py');
const torchReady = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { stdio: 'ignore' }).status === 0;
if (!torchReady) {
  const bar = '!'.repeat(100);
  console.warn(
    `\n${bar}\n!! PARITY TESTS AGAINST PYTORCH SKIPPED: ${PYTHON} cannot import torch, torchvision and onnx.\n!! Install them (Debian: apt-get install python3-torch python3-torchvision python3-onnx) to run them.\n${bar}\n`,
  );
}

function python(dir: string, job: Record<string, unknown>): void {
  const path = join(dir, `job-${String(job.kind)}.json`);
  writeFileSync(path, JSON.stringify({ ...job, out: dir }));
  const r = spawnSync(PYTHON, [SCRIPT, path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`torch_reference.py ${String(job.kind)} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
}

function readTensors(path: string): Map<string, Float32Array> {
  const sd = readStateDict(new Uint8Array(readFileSync(path)), path);
  const out = new Map<string, Float32Array>();
  for (const [k, t] of sd.tensors) {
    out.set(k, t.dtype === 'I64' ? Float32Array.from(new BigInt64Array(t.data.slice().buffer), Number) : toFloat32(t, path, k));
  }
  return out;
}

/** max |a - b| / max |b|: the error relative to the reference's scale. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return s === 0 ? d : d / s;
}

/** The zoo parity's default set: each family and block kind once (basic and bottleneck ResNet, VGG with and without its classifier, DenseNet, EfficientNet with stochastic depth, MobileNet). */
const PARITY_ARCHS = ['resnet18', 'resnet50', 'vgg11', 'vgg16_nofc', 'densenet121', 'efficientnet_b0', 'mobilenet_v2'];

const nchwToNhwc = (v: Float32Array, shape: number[]) => tf.tidy(() => tf.transpose(tf.tensor(v, shape), [0, 2, 3, 1]));

async function onnxLogits(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const r = await session.run({ input: new ort.Tensor('float32', x, shape) });
    return r.output.data as Float32Array;
  } finally {
    await session.release();
  }
}

function table(title: string, rows: Record<string, string | number>[]): void {
  const keys = Object.keys(rows[0]);
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toExponential(2)) : v);
  console.log(
    `\n${title}\n| ${keys.join(' | ')} |\n|${keys.map(() => '---').join('|')}|\n${rows.map((r) => `| ${keys.map((k) => fmt(r[k])).join(' | ')} |`).join('\n')}\n`,
  );
}

describe.skipIf(!torchReady)('parity with PyTorch / torchvision (CPU backend)', () => {
  let dir = '';
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'cohort-parity-'));
    ort.env.wasm.numThreads = 1;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every zoo network: torchvision weights in, the same logits (inference and BatchNorm training mode) and running statistics; our export back out', async () => {
    const size = 64;
    // One network of each family and block kind by default (the whole zoo takes over ten minutes on
    // two CPU cores); COHORT_PARITY_ARCHS=all runs every one, COHORT_PARITY_ARCHS=resnet18,vgg11 a few.
    const chosen = process.env.COHORT_PARITY_ARCHS;
    const archs = chosen === 'all' ? [...ARCHS] : chosen ? chosen.split(',') : PARITY_ARCHS;
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
      let bnErr = 0;
      let bnCount = 0;
      const after = await exportStateDict(model, arch);
      for (const [k, v] of ref) {
        if (!k.startsWith('bn.')) continue;
        const key = k.slice(3);
        bnErr = Math.max(bnErr, relErr(toFloat32(after.get(key)!, arch, key), v));
        bnCount++;
      }
      model.dispose();
      const row = {
        arch,
        file: formats[i],
        tensors: report.loaded,
        'eval logits': relErr(yEval, ref.get('eval')!),
        'BN-train logits': relErr(yTrain, ref.get('train')!),
        'running stats': bnCount ? bnErr : 0,
        'onnxruntime vs ours': relErr(yOnnx, yEval),
        ms: Math.round(performance.now() - ta),
      };
      rows.push(row);
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
    }
    table(`Zoo parity at ${size} px, 2 classes, batch 2 (python reference ${Math.round(tPython)} ms, check ${Math.round(tCheck)} ms)`, rows);
    // Every figure within 1e-4 of PyTorch's, asserted after the table so a failure still shows them
    // all. BatchNorm-training logits are normalised by statistics of a batch of 2 at every layer, so
    // float32 summation order compounds with depth (resnet101: 2.8e-4; PyTorch's CPU BatchNorm sums
    // in float64): 1e-3 for them.
    for (const row of rows) {
      for (const k of ['eval logits', 'BN-train logits', 'running stats', 'onnxruntime vs ours', 'torchvision (strict) vs ours', 'TorchScript vs ours']) {
        expect(row[k], `${String(row.arch)} ${k}`).toBeLessThanOrEqual(k === 'BN-train logits' ? 1e-3 : 1e-4);
      }
    }
  });

  it('one KD+ML online step: the same loss terms (1e-5), updated weights and BatchNorm running statistics (1e-4) as PyTorch', async () => {
    const size = 32;
    const nets = [
      { name: 'teacher', role: 'teacher', arch: 'resnet18', width: 0.5 },
      { name: 'student1', role: 'student', arch: 'resnet18', width: 0.25 },
      { name: 'student2', role: 'student', arch: 'resnet18', width: 0.25 },
    ] as const;
    const c: RunConfig = defaultRunConfig({
      mode: 'kdml_online',
      classes: 2,
      inputSize: size,
      teacher: { arch: nets[0].arch, width: nets[0].width },
      students: nets.slice(1).map((n) => ({ arch: n.arch, width: n.width })),
      lr: 0.05,
    });
    const models = nets.map((n, i) =>
      buildNetwork({ arch: n.arch, width: n.width, task: 'classify', classes: 2, inputSize: size, seed: 40 + i, name: n.name }),
    );
    for (const m of models) suspendDropout(m, true);
    for (const [i, n] of nets.entries()) {
      writeFileSync(join(dir, `${n.name}.before.safetensors`), writeSafetensors(await exportStateDict(models[i], n.arch)));
    }
    // A fixed batch: random pixels through the engine's own batcher (normalisation, one-hot labels).
    const n = 6;
    const rng = new Rng(11);
    const images = Uint8Array.from({ length: n * size * size * 3 }, () => rng.int(256));
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const batch = assembleBatch(
      { images, count: n, size, labels },
      Array.from({ length: n }, (_, i) => i),
      c.normalization,
      2,
    );
    const xNchw = tf.tidy(() => tf.transpose(tf.tensor(batch.x, [n, size, size, 3]), [0, 3, 1, 2]).dataSync() as Float32Array);
    writeFileSync(
      join(dir, 'batch.safetensors'),
      writeSafetensors(
        new Map<string, RawTensor>([
          ['x', rawF32(xNchw, [n, 3, size, size])],
          ['y', rawF32(batch.y!, [n, 2])],
        ]),
      ),
    );
    const spec: PhaseSpec = {
      phase: 'cohort',
      epochs: 1,
      trainees: nets.map((net, i) => makeTrainee(net.name, models[i], c)),
      students: ['student1', 'student2'],
      teacherName: 'teacher',
      frozenTeacher: null,
    };
    const beforeWeights = new Map<string, Map<string, RawTensor>>();
    for (const [i, net] of nets.entries()) beforeWeights.set(net.name, await exportStateDict(models[i], net.arch));
    const tStep = performance.now();
    const losses = await trainStep(c, spec, batch, 0, 0);
    const stepMs = performance.now() - tStep;
    const after = new Map<string, Map<string, RawTensor>>();
    for (const [i, net] of nets.entries()) after.set(net.name, await exportStateDict(models[i], net.arch));
    // A second step leaves the tensor count where the first left it (momentum buffers exist now).
    const count = tf.memory().numTensors;
    await trainStep(c, spec, batch, 0, 1);
    expect(tf.memory().numTensors).toBe(count);
    for (const t of spec.trainees) t.optimizer.dispose();
    for (const m of models) m.dispose();

    python(dir, {
      kind: 'step',
      classes: 2,
      networks: nets,
      hyper: { alpha: c.alpha, beta: c.beta, gamma: c.gamma, temperature: c.temperature, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay },
    });
    const ref = readTensors(join(dir, 'step.after.safetensors'));
    const rows: Record<string, string | number>[] = [];
    for (const net of nets) {
      const ours = losses[net.name];
      let lossErr = 0;
      for (const term of ['ce', 'kd', 'ml', 'total'] as const) {
        const r = ref.get(`loss.${net.name}.${term}`)![0];
        const e = r === 0 ? Math.abs(ours[term]) : Math.abs(ours[term] - r) / Math.abs(r);
        lossErr = Math.max(lossErr, e);
        expect(e, `${net.name} ${term}: ours ${ours[term]}, torch ${r}`).toBeLessThanOrEqual(1e-5);
      }
      let wErr = 0;
      let bnErr = 0;
      let worst = '';
      // The update itself (w1 - w0) over the whole network, normwise: a wrong gradient changes it most.
      let dd = 0;
      let dn = 0;
      const tensors = [...after.get(net.name)!].filter(([key]) => !key.endsWith('num_batches_tracked'));
      // A tensor's error is taken relative to its own scale, floored at 1 % of the network's largest
      // value: a BatchNorm shift followed by another training-mode BatchNorm has a zero gradient, and
      // its update is float32 noise in both libraries (1e-9 against 1e-9).
      let floor = 0;
      for (const [key] of tensors) for (const v of ref.get(`${net.name}.${key}`)!) floor = Math.max(floor, 0.01 * Math.abs(v));
      for (const [key, t] of tensors) {
        const a = toFloat32(t, net.name, key);
        const r = ref.get(`${net.name}.${key}`)!;
        let d = 0;
        let scale = floor;
        for (let j = 0; j < a.length; j++) {
          d = Math.max(d, Math.abs(a[j] - r[j]));
          scale = Math.max(scale, Math.abs(r[j]));
        }
        const e = d / scale;
        if (key.endsWith('running_mean') || key.endsWith('running_var')) bnErr = Math.max(bnErr, e);
        else {
          if (e > wErr) worst = key;
          wErr = Math.max(wErr, e);
          const b = toFloat32(beforeWeights.get(net.name)!.get(key)!, net.name, key);
          for (let j = 0; j < a.length; j++) {
            dd += (a[j] - r[j]) ** 2;
            dn += (r[j] - b[j]) ** 2;
          }
        }
      }
      const dErr = Math.sqrt(dd / dn);
      rows.push({
        network: `${net.name} (${net.arch} x${net.width})`,
        'loss terms (rel)': lossErr,
        'weights after (rel)': wErr,
        'update w1 - w0 (rel)': dErr,
        'running stats (rel)': bnErr,
        total: ours.total.toFixed(6),
      });
      expect(wErr, `${net.name} weights (worst ${worst})`).toBeLessThanOrEqual(1e-4);
      expect(bnErr, `${net.name} running statistics`).toBeLessThanOrEqual(1e-4);
      expect(dErr, `${net.name} update`).toBeLessThanOrEqual(1e-3);
    }
    table(
      `One KD+ML online step, ${size} px, batch ${n}, lr ${c.lr}, momentum ${c.momentum}, weight decay ${c.weightDecay} (our step ${Math.round(stepMs)} ms)`,
      rows,
    );
  });

  it('a cohort trained here round-trips: bundle -> torchvision (strict) / TorchScript / onnxruntime give the studio predictions', async () => {
    const size = 32;
    const data = splitSamples(generateClassification({ count: 18, size, seed: 9 }), 12);
    const config = defaultRunConfig({
      mode: 'kdml_online',
      inputSize: size,
      teacher: { arch: 'resnet18', width: 0.25 },
      students: [
        { arch: 'mobilenet_v2', width: 0.5 },
        { arch: 'vgg11_nofc', width: 0.25 },
      ],
      epochs: 1,
      stepsPerEpoch: 3,
      batchSize: 4,
      classNames: ['MSS', 'MSIMUT'],
    });
    const t0 = performance.now();
    const r = await trainCohort(config, data);
    const tTrain = performance.now() - t0;
    const zip = await makeBundle({ config, models: r.models, networks: r.networks, metrics: r.final, includeTeacher: true });
    const tBundle = performance.now() - t0 - tTrain;
    const files = unzipSync(zip);
    const manifest = JSON.parse(strFromU8(files['ensemble.json']));
    expect(manifest.interop).toMatchObject({ layout: 'NCHW', onnx: { opset: 13, input: 'input' } });
    const names = ['teacher', 'student1', 'student2'];
    for (const nm of names) {
      writeFileSync(join(dir, `${nm}.safetensors`), files[`${nm}/${nm}.safetensors`]);
      writeFileSync(join(dir, `${nm}.onnx`), files[`${nm}/${nm}.onnx`]);
      const ws = JSON.parse(strFromU8(files[`${nm}/config.json`]));
      expect(ws).toMatchObject({ spec_version: '1.0', num_classes: 2, class_names: ['MSS', 'MSIMUT'], patch_size_pixels: size });
    }
    const test = data.test;
    const batch = assembleBatch(
      test,
      Array.from({ length: test.count }, (_, i) => i),
      config.normalization,
      2,
    );
    const xNchw = tf.tidy(() => tf.transpose(tf.tensor(batch.x, [test.count, size, size, 3]), [0, 3, 1, 2]).dataSync() as Float32Array);
    const shape = [test.count, 3, size, size];
    writeFileSync(join(dir, 'images.safetensors'), writeSafetensors(new Map([['x', rawF32(xNchw, shape)]])));
    const t1 = performance.now();
    python(dir, { kind: 'check', networks: names });
    const tCheck = performance.now() - t1;
    const back = readTensors(join(dir, 'check.out.safetensors'));
    const softmax = (z: Float32Array) => tf.tidy(() => tf.softmax(tf.tensor2d(z, [test.count, 2])).dataSync() as Float32Array);
    const rows: Record<string, string | number>[] = [];
    const xNhwc = tf.tensor4d(batch.x, [test.count, size, size, 3]);
    for (const nm of names) {
      const studio = r.predictions.networks[nm];
      const studioLogits = tf.tidy(() => (r.models[nm].apply(xNhwc, { training: false }) as tf.Tensor).dataSync() as Float32Array);
      const onnxZ = await onnxLogits(files[`${nm}/${nm}.onnx`], xNchw, shape);
      const viaOnnx = softmax(onnxZ);
      const row = {
        network: `${nm} (${r.networks.find((x) => x.name === nm)!.arch})`,
        'logits: torchvision vs studio': relErr(back.get(`${nm}.torchvision`)!, studioLogits),
        'logits: TorchScript': relErr(back.get(`${nm}.torchscript`)!, studioLogits),
        'logits: onnxruntime': relErr(onnxZ, studioLogits),
        'torchvision vs studio': relErr(softmax(back.get(`${nm}.torchvision`)!), studio),
        'TorchScript vs studio': relErr(softmax(back.get(`${nm}.torchscript`)!), studio),
        'onnxruntime vs studio': relErr(viaOnnx, studio),
      };
      rows.push(row);
      for (const k of Object.keys(row).filter((k) => k !== 'network') as (keyof typeof row)[]) expect(row[k], `${nm} ${k}`).toBeLessThanOrEqual(1e-4);
    }
    xNhwc.dispose();
    table(
      `Round trip of a cohort trained here (${size} px, ${test.count} test images, softmax probabilities; training ${Math.round(tTrain)} ms, bundle ${Math.round(tBundle)} ms, python ${Math.round(tCheck)} ms)`,
      rows,
    );
    disposeRun(r);
  });
});
