import { describe, expect, it } from 'vitest';
import type { ExperimentResult, RunRecord } from '../core/results';
import { defaultSpec } from '../core/spec';
import { aggregate } from '../experiment/aggregate';
import { experimentOutputs } from '../experiment/outputs';
import { createStudioStore, type StudioDeps } from './studio';

function store() {
  const deps: StudioDeps = {
    studio: () => ({}) as never,
    restartStudio: () => ({}) as never,
    planner: () => ({}) as never,
    proxy: (f) => f,
    folders: { save: async () => {}, load: async () => null },
    confirm: () => true,
    persistStorage: () => {},
    fastKernels: true,
  };
  return createStudioStore(deps);
}

const spec = defaultSpec({ name: 'merged on the cluster', methods: ['kd', 'ml'], seeds: [0, 1] });
const run = (method: 'kd' | 'ml', seed: number, acc: number): RunRecord => {
  const m = { accuracy: acc };
  return {
    method,
    seed,
    status: 'done',
    config: { task: 'classify', students: spec.students, teacher: spec.teacher } as RunRecord['config'],
    networks: [],
    history: [],
    final: { epoch: 0, phase: 'cohort', networks: { student1: m }, ensembles: { max: m } } as unknown as RunRecord['final'],
    backend: 'webgpu',
  };
};
const runs = [run('kd', 0, 0.5), run('ml', 0, 0.75), run('kd', 1, 0.5), run('ml', 1, 1)];
const merged: ExperimentResult = {
  format: 'cohort-studio-results',
  version: 1,
  spec,
  dataset: { name: 'CRC_DX' },
  backend: 'webgpu',
  startedAt: 'a',
  finishedAt: 'b',
  status: 'done',
  runs,
  teacherTrainings: [],
  table: aggregate(runs, spec.methods, spec.seeds),
  provenance: { specHash: 'S', datasetHash: 'D' },
};

describe('studio store: Open results', () => {
  it('reads a merged results.json into Compare, and closes it again', () => {
    const s = store();
    expect(s.getState().openResults(experimentOutputs(merged)['results.json'], 'results.json')).toBe(true);
    const opened = s.getState().openedResults!;
    expect(opened.name).toBe('results.json');
    expect(opened.result.runs).toHaveLength(4);
    expect(opened.result.table).toEqual(merged.table);
    expect(s.getState().tab).toBe('Compare');
    // The studio's own experiment is untouched.
    expect(s.getState().result).toBeNull();
    s.getState().closeResults();
    expect(s.getState().openedResults).toBeNull();
  });

  it('refuses a file that is not a results.json with a typed error, keeping what was open', () => {
    const s = store();
    s.getState().openResults(experimentOutputs(merged)['results.json'], 'results.json');
    expect(s.getState().openResults('{"format":"cohort-studio-spec"}', 'spec.json')).toBe(false);
    expect(s.getState().openResultsError).toMatchObject({ code: 'INVALID_RESULTS', subject: 'spec.json' });
    expect(s.getState().openedResults?.name).toBe('results.json');
  });
});
