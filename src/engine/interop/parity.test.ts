/**
 * Parity with real PyTorch and torchvision (Debian's python3-torch, python3-torchvision,
 * python3-onnx under /usr/bin/python3), on the CPU backend (the zoo's own parity is in
 * parity.zoo.test.ts and parity.vgg.test.ts):
 *
 * 1. one KD+ML online step of a small cohort on a fixed batch: the loss terms, every updated
 *    weight and every BatchNorm running statistic;
 * 2. a cohort trained here -> its export bundle -> torchvision, TorchScript and onnxruntime give
 *    the studio's predictions on the test images.
 *
 * The figures are printed (the closing note of the interop work quotes them). Without
 * python3-torch the suite is skipped with a loud message, never silently.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig, type RunConfig } from '../../core/config';
import { Rng } from '../../core/rng';
import { generateClassification, splitSamples } from '../../data/synthetic';
import { makeBundle } from '../bundle';
import { suspendDropout } from '../customLayers';
import { buildNetwork } from '../networks/zoo';
import { makeTrainee, trainCohort, trainStep, disposeRun, type PhaseSpec } from '../trainer';
import { assembleBatch } from '../batch';
import { writeSafetensors } from './safetensors';
import { rawF32, toFloat32, type RawTensor } from './stateDict';
import { exportStateDict } from './torchvision';
import { onnxLogits, python, readTensors, relErr, table, torchReady } from './testing/parity';

const torchOk = torchReady();

describe.skipIf(!torchOk)('parity with PyTorch / torchvision (CPU backend)', () => {
  let dir = '';
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'cohort-parity-'));
    ort.env.wasm.numThreads = 1;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
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
