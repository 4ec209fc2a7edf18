import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../core/spec';
import { estimateDisk, estimateExperiment } from './estimate';

const net = (params: number, weights = params, layers = 100) => ({ arch: 'x', params, weights, activationsPerImage: 1000, layers });

describe('the disk an experiment takes', () => {
  const teacher = net(1000, 1010);
  const students = [net(100), net(200)];
  const spec = { methods: ['kd', 'ml', 'kdml_online', 'kdml_offline'] as const, seeds: [0, 1], inputSize: 10, students: [] };

  it('keeps every run’s students, KD+ML online’s own teacher per run, the shared teacher once per seed, and test images per seed', () => {
    const d = estimateDisk({ ...spec, methods: [...spec.methods] }, teacher, students, 50, 2);
    const model = (n: { weights: number; layers: number }) => n.weights * 4 + n.layers * 400;
    const studentsBytes = model(students[0]) + model(students[1]);
    const predictions = (nets: number) => 50 * 2 * 4 * (nets + 2);
    const perSeed =
      4 * studentsBytes +
      model(teacher) + // KD+ML online trains its own
      model(teacher) + // KD and KD+ML offline share one
      predictions(3) * 3 +
      predictions(2) + // ML has no teacher
      4 * 1000 +
      50 * 10 * 10 * 3 +
      50 * 40;
    expect(d.kept).toBe(2 * perSeed);
    // The largest run (online: teacher and students, weights and momentum) three generations at once, and the shared teacher's two.
    const ck = (n: { weights: number; params: number }) => (n.weights + n.params) * 4;
    expect(d.checkpoints).toBe(3 * (ck(teacher) + ck(students[0]) + ck(students[1])) + 2 * ck(teacher));
    expect(d.total).toBe(d.kept + d.checkpoints);
  });

  it('stores no teacher for ML alone, and at most 200 test images per seed', () => {
    const d = estimateDisk({ ...spec, methods: ['ml'], seeds: [0] }, teacher, students, 1000, 2);
    expect(d.kept).toBe(100 * 4 + 40000 + 200 * 4 + 40000 + 1000 * 2 * 4 * 4 + 1000 + 200 * 300 + 1000 * 40);
    expect(d.checkpoints).toBe(3 * ((100 + 100) * 4 + (200 + 200) * 4));
  });

  it('is part of the experiment estimate', () => {
    const e = estimateExperiment(defaultSpec({ methods: ['ml'], seeds: [0, 1] }), teacher, students, 100, 25, 2);
    expect(e.diskBytes).toBe(estimateDisk(defaultSpec({ methods: ['ml'], seeds: [0, 1] }), teacher, students, 25, 2).total);
  });
});
