import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../core/config';
import { disposeRun, trainCohort } from '../engine/trainer';
import type { BoxMetrics, ClassMetrics } from '../core/metrics';
import { nodeDecoder } from './decode-node';
import { importDataset } from './importer';
import { classFolderFiles, polypPair } from './testing/datasets';
import { memFile, shuffled } from './testing/fixtures';
import type { InputFile } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = { arch: 'resnet18', width: 0.125 };
const run = (task: 'classify' | 'box', classes: number) =>
  defaultRunConfig({
    task,
    classes,
    inputSize: 32,
    mode: 'kdml_online',
    teacher: tiny,
    students: [tiny, tiny],
    epochs: 1,
    stepsPerEpoch: 2,
    batchSize: 4,
    seed: 1,
  });

describe('an imported dataset trains end to end', () => {
  it('classification from class folders', async () => {
    const files = classFolderFiles('TCGA', { MSS: 10, MSIMUT: 10 }, 40);
    const r = await importDataset(shuffled(files), { inputSize: 32, seed: 2 }, nodeDecoder);
    expect(r.blocking).toEqual([]);
    const result = await trainCohort({ ...run('classify', r.classNames!.length), classNames: r.classNames }, { train: r.split.train, test: r.split.test });
    try {
      for (const m of Object.values(result.final.networks)) expect(Number.isFinite((m as ClassMetrics).accuracy)).toBe(true);
      expect(Number.isFinite((result.final.ensembles.max as ClassMetrics).accuracy)).toBe(true);
    } finally {
      disposeRun(result);
    }
  });

  it('detection from image/mask pairs', async () => {
    const files: InputFile[] = [];
    for (let i = 0; i < 12; i++) {
      const p = polypPair(48, 40, [{ x0: 4 + i, y0: 6, x1: 24 + i, y1: 30 }], 'png', i + 1);
      files.push(memFile(`Kvasir-SEG/images/p${i}.jpg`, p.image), memFile(`Kvasir-SEG/masks/p${i}.png`, p.mask));
    }
    const r = await importDataset(shuffled(files), { inputSize: 32, resize: 'pad' }, nodeDecoder);
    expect([r.task, r.blocking]).toEqual(['box', []]);
    const result = await trainCohort(run('box', 2), { train: r.split.train, test: r.split.test });
    try {
      for (const m of Object.values(result.final.networks)) expect(Number.isFinite((m as BoxMetrics).meanIoU)).toBe(true);
    } finally {
      disposeRun(result);
    }
  });
});
