import { describe, expect, it } from 'vitest';
import { defaultRunConfig, type Mode } from '../core/config';
import { calibrationOf } from '../core/calibration';
import type { ClassMetrics } from '../core/metrics';
import type { Evaluation, NetworkInfo } from '../core/records';
import type { RunRecord } from '../core/results';
import { defaultSpec } from '../core/spec';
import { aggregate } from './aggregate';
import { modelCard, type ModelCardInput } from './modelCard';

const networks: NetworkInfo[] = [
  { name: 'teacher', role: 'teacher', arch: 'resnet152', width: 1, params: 58147906, trained: false },
  { name: 'student1', role: 'student', arch: 'resnet50', width: 1, params: 23512130, trained: true },
  { name: 'student2', role: 'student', arch: 'resnet34', width: 1, params: 21285698, trained: true },
];

const cal = calibrationOf([0.9, 0.1, 0.2, 0.8, 0.7, 0.3], [0, 1, 1], 2);
const m = (accuracy: number): ClassMetrics => ({
  accuracy,
  confusion: [],
  sensitivity: [],
  specificity: [],
  auc: [],
  macroAuc: 0.8,
  ece: cal.ece,
  reliability: cal.bins,
  n: 3,
});

function record(method: Mode, seed: number, acc: number): RunRecord {
  const final: Evaluation = {
    phase: 'cohort',
    epoch: 1,
    networks: { teacher: m(0.9), student1: m(acc), student2: m(acc - 0.02) },
    ensembles: { max: m(acc + 0.03), mean: m(acc + 0.02) },
  };
  return {
    method,
    seed,
    status: 'done',
    config: defaultRunConfig({ mode: method, seed }),
    networks,
    history: [final],
    final,
    backend: 'webgpu',
  };
}

function input(over: Partial<ModelCardInput> = {}): ModelCardInput {
  const spec = defaultSpec({ name: 'MSI tiles V1', methods: ['kd', 'kdml_offline'], seeds: [0, 1, 2] });
  const records = [0, 1, 2].flatMap((s) => [record('kd', s, 0.8 + s / 100), record('kdml_offline', s, 0.82 + s / 50)]);
  const r = records[3];
  return {
    run: 'kdml_offline:1',
    method: 'kdml_offline',
    seed: 1,
    config: defaultRunConfig({ mode: 'kdml_offline', seed: 1, classNames: ['MSS', 'MSIMUT'], teacherEpochs: 3 }),
    networks,
    final: r.final!,
    exported: ['student1', 'student2'],
    ensembleRule: 'max',
    resize: 'stretch',
    spec,
    dataset: { name: 'CRC_DX', classNames: ['MSS', 'MSIMUT'], counts: { MSS: 120, MSIMUT: 80 }, layout: 'class folders' },
    counts: { train: { MSS: 96, MSIMUT: 64 }, test: { MSS: 24, MSIMUT: 16 } },
    table: aggregate(records, spec.methods, spec.seeds),
    createdAt: new Date('2026-12-01T10:00:00Z'),
    ...over,
  };
}

describe('model card', () => {
  it('says what a supplement needs: task, data, networks, hyperparameters, metrics over seeds with the test, calibration, use', () => {
    const md = modelCard(input());
    expect(md).toMatch(/^# Model card: MSI tiles V1 — KD\+ML offline, seed 1/);
    expect(md).toContain('**Not for clinical use.**');
    expect(md).toContain('Classification of one image into 2 classes: `MSS`, `MSIMUT`');
    expect(md).toContain('- Dataset: CRC_DX (class folders).');
    expect(md).toContain('- Images used, per class: MSS 120, MSIMUT 80.');
    expect(md).toContain('split seed 1');
    expect(md).toContain('| MSS | 96 | 24 |');
    expect(md).toContain('| **all** | 160 | 40 |');
    expect(md).toMatch(/\| teacher \| teacher \(pre-trained, frozen\) \| resnet152 \| 1 \| 58,147,906 \| random, seeded .* \| no \|/);
    expect(md).toMatch(/\| student1 \| student \| resnet50 .* \| yes \|/);
    expect(md).toContain('| optimiser | SGD, learning rate 0.01, momentum 0.9, weight decay 0.0005 |');
    expect(md).toContain('| teacher pre-training epochs | 3 |');
    // This run's metrics, then Table 2 with mean ± std over 3 seeds and the paired test against KD.
    expect(md).toMatch(/\| ensemble \(max\) \| 0\.870 \| 0\.800 \| 0\.\d{3} \| 3 \|/);
    expect(md).toContain('## Over seeds (Table 2, 3 seeds: 0, 1, 2)');
    expect(md).toMatch(/\| Ensemble \(max\) \| 0\.840 ± 0\.010 \| 0\.870 ± 0\.020\* \(p = 0\.\d{3}\) \|/);
    expect(md).toContain('Expected calibration error (mean ± std, lower is better)');
    expect(md).toContain('| (0.73, 0.80] | 1 | 0.800 | 1.000 |');
    expect(md).toContain('| (0.67, 0.73] | 1 | 0.700 | 0.000 |');
    // The exact spec, as JSON that parses back to it.
    const json = md.slice(md.indexOf('```json') + 7, md.lastIndexOf('```'));
    expect(JSON.parse(json)).toEqual(input().spec);
  });

  it('groups and loaded initial weights when the experiment has them; no table or spec when unknown', () => {
    const md = modelCard(
      input({
        dataset: { name: 'TCGA', groups: { kind: 'patient', count: 42 } } as ModelCardInput['dataset'],
        config: defaultRunConfig({ mode: 'kdml_offline', seed: 1, teacher: { arch: 'resnet152', weights: 'resnet152-imagenet.safetensors' } as never }),
      }),
    );
    expect(md).toContain('- Groups: kind: patient, count: 42');
    expect(md).toContain('loaded from `resnet152-imagenet.safetensors`');
    const bare = modelCard(input({ spec: null, table: null, dataset: null, counts: null }));
    expect(bare).toContain('- Dataset: unknown.');
    expect(bare).not.toContain('Table 2');
    expect(bare).not.toContain('```json');
    expect(bare).toContain('Not for clinical use');
  });
});
