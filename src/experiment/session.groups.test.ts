import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultSpec, type ExperimentSpec } from '../core/spec';
import type { Samples } from '../core/samples';
import { nodeDecoder } from '../data/decode-node';
import { importDataset } from '../data/importer';
import { classFolderFiles } from '../data/testing/datasets';
import { groupedTiles } from '../data/testing/groupedTiles';
import * as batch from '../engine/batch';
import { RunArchive } from '../worker/archive';
import { MemoryFileStore } from '../core/files';
import { exportRun } from '../worker/bundles';
import { runSession, studyFromImport } from './session';

// Every batch the trainer assembles, seen by its image ids; training batches are the augmented ones.
vi.mock('../engine/batch', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../engine/batch')>();
  return { ...mod, assembleBatch: vi.fn(mod.assembleBatch) };
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = { arch: 'resnet18', width: 0.0625 };
const spec = (over: Partial<ExperimentSpec['data']> = {}): ExperimentSpec =>
  defaultSpec({
    name: 'grouped session',
    inputSize: 32,
    teacher: tiny,
    students: [tiny, tiny],
    hyper: { ...defaultSpec().hyper, epochs: 1, stepsPerEpoch: 3, batchSize: 4 },
    methods: ['ml'],
    seeds: [0, 1],
    data: { ...defaultSpec().data, valShare: 0.25, ...over },
  });

/** Ids of every image drawn into a training batch since the last call. */
function trainedIds(): Set<string> {
  const spy = vi.mocked(batch.assembleBatch);
  const ids = new Set<string>();
  for (const [s, idx, , , augments] of spy.mock.calls) if (augments) for (const i of idx) ids.add((s as Samples).ids![i]);
  spy.mockClear();
  return ids;
}

describe('experiment session with groups and validation', () => {
  it('per seed: whole patients per set, validation held out of every training batch and evaluated per epoch, the split, chance and group rows recorded; the bundle keeps the import resize', async () => {
    const { files } = groupedTiles('TCGA-CRC', ['MSIMUT', 'MSS'], { patients: 6, min: 2, max: 5, named: true, size: 40 });
    const imported = await importDataset(files, { inputSize: 32, resize: 'pad', valShare: 0.25 }, nodeDecoder);
    expect(imported.blocking).toEqual([]);
    const archive = new RunArchive(new MemoryFileStore());
    const before = tf.memory().numTensors;
    trainedIds();
    const trained = new Map<number, Set<string>>();
    // As the worker does: the archive records what an export needs from the spec as run.
    const study = studyFromImport('TCGA-CRC', imported, 'tcga');
    const result = await runSession(spec(), study, {
      id: 'e1',
      beforeStart: (parsed) => archive.begin('e1', { resize: parsed.data.resize, seeds: parsed.seeds, dataset: study.info }),
      onEvent: (e) => {
        if (e.type === 'run-end') trained.set(e.run.seed, trainedIds());
      },
      onRunModels: (run, r, data) => archive.keep('e1', run, r, data.test),
    });
    expect(result.status).toBe('done');
    expect(tf.memory().numTensors).toBe(before);
    // The spec as run says how the import prepared the images.
    expect(result.spec.data).toMatchObject({ resize: 'pad', groups: 'auto', splitBy: 'group', valShare: 0.25 });

    for (const run of result.runs) {
      const split = run.split!;
      expect(split.by).toBe('group');
      expect(split.groupsInBoth).toBe(0);
      expect(split.leakage).toBe(0);
      expect(split.validation.length).toBeGreaterThan(0);
      expect([...split.train, ...split.validation, ...split.test].every((e) => e.group?.startsWith('TCGA-'))).toBe(true);
      const patientsOf = (es: { group?: string }[]) => new Set(es.map((e) => e.group));
      const train = patientsOf(split.train);
      for (const e of [...split.validation, ...split.test]) expect(train.has(e.group)).toBe(false);
      // Validation and test images never reach a training batch; every trained image is a training image.
      const seen = trained.get(run.seed)!;
      expect(seen.size).toBeGreaterThan(0);
      const trainFiles = new Set(split.train.map((e) => e.file));
      for (const id of seen) expect(trainFiles.has(id), id).toBe(true);
      for (const e of [...split.validation, ...split.test]) expect(seen.has(e.file), e.file).toBe(false);
      // Validation metrics per epoch, beside the test metrics.
      expect(run.history.every((h) => h.validation && h.validation.ensembles.max)).toBe(true);
      // Chance on the same split: the training majority class's share of the test images.
      const c = run.chance!;
      expect(c.rule).toBe('majority-class');
      if (c.rule === 'majority-class') {
        const share = split.test.filter((e) => e.file.includes(`/${c.className}/`)).length / split.test.length;
        expect(c.accuracy).toBeCloseTo(share, 12);
        expect(c.auc).toBe(0.5);
      }
      expect(run.groupFinal!.groups).toBe(patientsOf(split.test).size);
    }
    // Each seed draws its own grouped split.
    expect(result.runs[0].split!.test).not.toEqual(result.runs[1].split!.test);
    const keys = result.table.rows.map((r) => r.key);
    expect(keys).toEqual(expect.arrayContaining(['chance', 'group_ensemble_max', 'group_auc_ensemble_max', 'group_chance']));
    expect(result.table.rows.find((r) => r.key === 'group_auc_ensemble_max')!.metric).toBe('auc');

    // The exported bundle records the resize the import used.
    const context = (await archive.context('e1'))!;
    expect(context.resize).toBe('pad');
    const zip = await exportRun((await archive.get('e1', 'ml:0'))!, false, context);
    const manifest = JSON.parse(strFromU8(unzipSync(zip)['ensemble.json'])) as { resize: string };
    expect(manifest.resize).toBe('pad');
  });

  it('a folder-given val/ stays validation: never trained on, evaluated per epoch', async () => {
    const files = [
      ...classFolderFiles('crc/train', { MSS: 6, MSIMUT: 6 }, 32),
      ...classFolderFiles('crc/val', { MSS: 3, MSIMUT: 3 }, 32),
      ...classFolderFiles('crc/test', { MSS: 3, MSIMUT: 3 }, 32),
    ];
    const imported = await importDataset(files, { inputSize: 32 }, nodeDecoder);
    expect(imported.report.settings.split).toBe('folders');
    trainedIds();
    const result = await runSession({ ...spec(), seeds: [0] }, studyFromImport('crc', imported, 'crc'));
    const split = result.runs[0].split!;
    expect(split.by).toBe('folders');
    expect(split.validation.map((e) => e.file).every((f) => f.startsWith('crc/val/'))).toBe(true);
    expect(split.validation).toHaveLength(6);
    expect(split.train).toHaveLength(12);
    const seen = trainedIds();
    for (const e of split.validation) expect(seen.has(e.file)).toBe(false);
    expect(result.runs[0].history[0].validation).toBeDefined();
  });
});
