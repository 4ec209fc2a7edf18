import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateClassification, generateDetection, splitSamples } from '../data/synthetic';
import { closeBundle, makeBundle, openBundle, predictBundle, modelFromFiles } from './bundle';
import { defaultRunConfig } from '../core/config';
import { disposeRun, predict, trainCohort } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = { arch: 'resnet18', width: 0.125 };

describe('export bundle', () => {
  it('a trained cohort exports to a zip whose model.json files load back and predict the same', async () => {
    const data = splitSamples(generateClassification({ count: 16, size: 32, seed: 4 }), 10);
    const config = defaultRunConfig({
      inputSize: 32,
      mode: 'ml',
      students: [tiny, { arch: 'mobilenet_v2', width: 0.25 }],
      epochs: 1,
      stepsPerEpoch: 2,
      batchSize: 4,
      classNames: ['MSS', 'MSIMUT'],
    });
    const r = await trainCohort(config, data);
    const zip = await makeBundle({ config, models: r.models, networks: r.networks, metrics: r.final });
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(
      [
        'README.txt',
        'config.json',
        'ensemble.json',
        'metrics.json',
        'student1/model.json',
        'student1/weights.bin',
        'student1/student1.safetensors',
        'student1/student1.onnx',
        'student1/config.json',
        'student2/model.json',
        'student2/weights.bin',
        'student2/student2.safetensors',
        'student2/student2.onnx',
        'student2/config.json',
      ].sort(),
    );
    const manifest = JSON.parse(strFromU8(files['ensemble.json']));
    expect(manifest).toMatchObject({ task: 'classify', rule: 'max', classNames: ['MSS', 'MSIMUT'], inputSize: 32 });
    expect(manifest.members.map((m: { name: string }) => m.name)).toEqual(['student1', 'student2']);
    // Each model.json loads back alone and predicts exactly what the trained network predicted.
    const reloaded = await modelFromFiles({ 'model.json': files['student2/model.json'], 'weights.bin': files['student2/weights.bin'] });
    const before = await predict(r.models.student2, data.test, config);
    const after = await predict(reloaded, data.test, config);
    expect(Array.from(after)).toEqual(Array.from(before));
    reloaded.dispose();
    // The bundle's ensemble reproduces the run's own max-ensemble predictions.
    const opened = await openBundle(zip);
    const p = await predictBundle(opened, data.test);
    const expected = r.predictions.ensembles.max;
    p.ensemble.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    closeBundle(opened);
    disposeRun(r);
  });

  it('detection bundles keep the box rule and boxes', async () => {
    const data = splitSamples(generateDetection({ count: 10, size: 32, seed: 4 }), 6);
    const config = defaultRunConfig({
      task: 'box',
      inputSize: 32,
      mode: 'kdml_online',
      teacher: tiny,
      students: [tiny, tiny],
      epochs: 1,
      stepsPerEpoch: 1,
      batchSize: 4,
    });
    const r = await trainCohort(config, data);
    const zip = await makeBundle({ config, models: r.models, networks: r.networks, metrics: r.final, includeTeacher: true });
    const files = unzipSync(zip);
    // torchvision's and ONNX's files for every network; WSInfer's config only for classification.
    for (const n of ['teacher', 'student1', 'student2']) {
      expect(files[`${n}/${n}.safetensors`], n).toBeDefined();
      expect(files[`${n}/${n}.onnx`], n).toBeDefined();
      expect(files[`${n}/config.json`], n).toBeUndefined();
    }
    const opened = await openBundle(zip);
    expect(opened.manifest.teacher?.name).toBe('teacher');
    expect(opened.manifest.teacher?.weights).toEqual({ kind: 'seeded' });
    expect(opened.manifest.rule).toBe('mean');
    const p = await predictBundle(opened, data.test);
    expect(p.ensemble.length).toBe(data.test.count * 4);
    p.ensemble.forEach((v, i) => expect(v).toBeCloseTo(r.predictions.ensembles.mean[i], 6));
    closeBundle(opened);
    disposeRun(r);
  });

  it('a file that is not a bundle gives a typed error', async () => {
    await expect(openBundle(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
