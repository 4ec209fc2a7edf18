import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../core/config';
import { MemoryFileStore } from '../core/files';
import { defaultSpec } from '../core/spec';
import { generateClassification, splitSamples } from '../data/synthetic';
import { disposeRun, trainCohort } from '../engine/trainer';
import { RunArchive } from './archive';
import { exportRun } from './bundles';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('exports carry a model card', () => {
  it('MODEL_CARD.md and spec.json beside the networks; the card has this run and its split', async () => {
    const data = splitSamples(generateClassification({ count: 20, size: 32, seed: 4 }), 12);
    const config = defaultRunConfig({
      inputSize: 32,
      mode: 'ml',
      students: [
        { arch: 'resnet18', width: 0.125 },
        { arch: 'resnet18', width: 0.125 },
      ],
      epochs: 1,
      stepsPerEpoch: 1,
      batchSize: 4,
      classNames: ['MSS', 'MSIMUT'],
    });
    const r = await trainCohort(config, data);
    const archive = new RunArchive(new MemoryFileStore());
    await archive.keep('e1', { index: 0, method: 'ml', seed: 0, sharedTeacher: false }, r, data.test, data.train);
    disposeRun(r);
    const spec = defaultSpec({ name: 'card test', methods: ['ml'], seeds: [0], inputSize: 32 });
    const files = unzipSync(
      await exportRun((await archive.get('e1', 'ml:0'))!, false, {
        resize: 'stretch',
        spec,
        dataset: { name: 'sample', classNames: config.classNames },
        records: [],
      }),
    );
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['MODEL_CARD.md', 'spec.json', 'student1/model.json', 'ensemble.json']));
    const card = strFromU8(files['MODEL_CARD.md']);
    expect(card).toContain('# Model card: card test — ML, seed 0');
    expect(card).toContain('Not for clinical use');
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(total((await archive.get('e1', 'ml:0'))!.counts!.train)).toBe(12);
    expect(card).toContain(`| **all** | 12 | 8 |`);
    expect(JSON.parse(strFromU8(files['spec.json']))).toEqual(spec);
  });
});
