import { describe, expect, it } from 'vitest';
import type { ExperimentResult, RunRecord } from '../core/results';
import { defaultSpec } from '../core/spec';
import { aggregate, tableCsv } from './aggregate';
import { experimentOutputs } from './outputs';
import { readResults } from './resultsFile';

const spec = defaultSpec({ name: 'NaN', methods: ['kd', 'ml'], seeds: [0] });
function run(method: 'kd' | 'ml', acc: number): RunRecord {
  // One seed: every std is NaN; an undefined precision is NaN too.
  const m = { accuracy: acc, loss: Infinity, precision: [NaN, 0.5] };
  return {
    method,
    seed: 0,
    status: 'done',
    config: { task: 'classify', students: spec.students, teacher: spec.teacher, classNames: ['NaN', 'MSS'] } as unknown as RunRecord['config'],
    networks: [{ name: 'NaN', arch: 'resnet18', params: 10 }] as RunRecord['networks'],
    history: [],
    final: { epoch: 0, phase: 'cohort', networks: { student1: m, student2: m }, ensembles: { max: m } } as unknown as RunRecord['final'],
    backend: 'cpu',
  };
}
const runs = [run('kd', 0.5), run('ml', 0.75)];
const result: ExperimentResult = {
  format: 'cohort-studio-results',
  version: 1,
  spec,
  dataset: { name: 'tiles', classNames: ['NaN', 'MSS'] },
  backend: 'cpu',
  startedAt: 'a',
  finishedAt: 'b',
  status: 'done',
  runs,
  teacherTrainings: [{ seed: 0, ms: 3, status: 'done' }],
  table: aggregate(runs, spec.methods, spec.seeds),
  provenance: { specHash: 'S', datasetHash: 'D', part: { index: 1, count: 2, runs: ['kd:0', 'ml:0'] } },
};

describe('reading results.json back', () => {
  it('gives back what was written: non-finite numbers as numbers, text as text, the same table', () => {
    const text = experimentOutputs(result)['results.json'];
    expect(text).toContain('"Infinity"');
    const back = readResults(text);
    expect(back.runs[0].final!.networks.student1).toEqual({ accuracy: 0.5, loss: Infinity, precision: [NaN, 0.5] });
    expect(back.runs[0].networks[0].name).toBe('NaN');
    expect(back.runs[0].config.classNames).toEqual(['NaN', 'MSS']);
    expect(back.spec.name).toBe('NaN');
    expect(back.provenance).toEqual(result.provenance);
    expect(tableCsv(back.table)).toBe(tableCsv(result.table));
    expect(back.table).toEqual(result.table);
  });

  it('refuses what is not a results.json, naming the field', () => {
    const ok = JSON.parse(experimentOutputs(result)['results.json']);
    const cases: [unknown, string][] = [
      ['{"runs": [', '(file)'],
      [{ ...ok, format: 'other' }, 'format'],
      [{ ...ok, version: 2 }, 'version'],
      [{ ...ok, spec: { ...ok.spec, seeds: 'x' } }, 'spec'],
      [{ ...ok, status: 'finished' }, 'status'],
      [{ ...ok, runs: {} }, 'runs'],
      [{ ...ok, runs: [{ ...ok.runs[0], method: 'distil' }] }, 'runs[0].method'],
      [{ ...ok, runs: [{ ...ok.runs[0], method: 'independent' }] }, 'runs[0].method'],
      [{ ...ok, runs: [ok.runs[0], { ...ok.runs[1], seed: 9 }] }, 'runs[1].seed'],
      [{ ...ok, runs: [{ ...ok.runs[0], final: undefined }] }, 'runs[0].final'],
      [{ ...ok, provenance: { specHash: 'S' } }, 'provenance'],
      [{ ...ok, provenance: { ...ok.provenance, part: { index: 1 } } }, 'provenance.part'],
    ];
    for (const [value, field] of cases) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      expect(() => readResults(text, 'x/results.json'), field).toThrow(
        expect.objectContaining({ code: 'INVALID_RESULTS', subject: 'x/results.json', details: { field } }),
      );
    }
  });
});
