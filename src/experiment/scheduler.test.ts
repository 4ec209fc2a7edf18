import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateClassification, splitSamples } from '../data/synthetic';
import { defaultSpec } from '../core/spec';
import { expandRuns, teacherTrainingsNeeded } from './runs';
import { runExperiment } from './scheduler';
import { experimentOutputs } from './outputs';
import type { ExperimentEvent } from '../core/events';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = { arch: 'resnet18', width: 0.125 };
const spec = defaultSpec({
  name: 'tiny',
  inputSize: 32,
  teacher: tiny,
  students: [tiny, tiny],
  hyper: {
    epochs: 1,
    teacherEpochs: 1,
    stepsPerEpoch: 2,
    batchSize: 4,
    lr: 0.01,
    momentum: 0.9,
    weightDecay: 5e-4,
    temperature: 2,
    alpha: 0.1,
    beta: 0.45,
    gamma: 0.45,
    tSquared: false,
  },
  methods: ['kd', 'kdml_offline'],
  seeds: [0],
});
const data = splitSamples(generateClassification({ count: 16, size: 32, seed: 9 }), 10);
const dataset = { name: 'synthetic', classNames: ['MSS', 'MSIMUT'] };

describe('scheduler', () => {
  it('expands method x seed, grouped by seed', () => {
    const plan = expandRuns({ methods: ['kd', 'ml', 'kdml_offline'], seeds: [3, 4] });
    expect(plan.map((r) => `${r.method}:${r.seed}`)).toEqual(['kd:3', 'ml:3', 'kdml_offline:3', 'kd:4', 'ml:4', 'kdml_offline:4']);
    expect(plan.filter((r) => r.sharedTeacher).map((r) => r.method)).toEqual(['kd', 'kdml_offline', 'kd', 'kdml_offline']);
    expect(teacherTrainingsNeeded({ methods: ['kd', 'ml', 'kdml_offline'], seeds: [3, 4] })).toBe(2);
    expect(teacherTrainingsNeeded({ methods: ['ml', 'kdml_online'], seeds: [3, 4] })).toBe(0);
  });

  it('a KD run and a KD+ML offline run of one seed share one teacher training', async () => {
    const before = tf.memory().numTensors;
    const events: ExperimentEvent[] = [];
    const r = await runExperiment(spec, () => data, dataset, { onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'teacher-start')).toHaveLength(1);
    expect(r.teacherTrainings).toHaveLength(1);
    expect(r.runs.map((x) => x.status)).toEqual(['done', 'done']);
    // The same frozen teacher: identical test metrics in both runs.
    expect(r.runs[0].final!.networks.teacher).toEqual(r.runs[1].final!.networks.teacher);
    expect(r.runs.every((x) => x.sharedTeacher)).toBe(true);
    const out = experimentOutputs(r);
    expect(JSON.parse(out['results.json']).runs).toHaveLength(2);
    expect(out['table.md']).toContain('| Teacher (resnet18) |');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a cancel keeps the finished runs', async () => {
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const r = await runExperiment({ ...spec, methods: ['ml', 'independent'] }, () => data, dataset, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'run-start' && e.run.method === 'independent') controller.abort();
      },
    });
    expect(r.status).toBe('cancelled');
    expect(r.runs.map((x) => `${x.method}:${x.status}`)).toEqual(['ml:done', 'independent:cancelled']);
    expect(r.table.rows.find((row) => row.key === 'ensemble_max')!.cells.ml!.n).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a failed run is recorded with its cause and the next run still runs', async () => {
    const bad = { ...spec, methods: ['independent', 'ml'] as const, hyper: { ...spec.hyper, lr: 1e12, stepsPerEpoch: 3, epochs: 3 } };
    const r = await runExperiment({ ...bad, methods: [...bad.methods] }, () => data, dataset);
    expect(r.runs[0].status).toBe('failed');
    expect(r.runs[0].error!.code).toBe('NAN_LOSS');
    expect(r.runs).toHaveLength(2);
  });
});
