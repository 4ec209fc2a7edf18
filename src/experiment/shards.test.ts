import { describe, expect, it } from 'vitest';
import { MODES, usesFrozenTeacher, type Mode } from '../core/config';
import type { ExperimentResult, RunRecord } from '../core/results';
import { defaultSpec, type ExperimentSpec } from '../core/spec';
import { aggregate, tableCsv } from './aggregate';
import { expandRuns } from './runs';
import { combineParts, maxParts, parseShard, partitionRuns, runKeyOf, type PartInput } from './shards';

/** Every non-empty subset of the methods, in the spec's order. */
const methodSets: Mode[][] = [];
for (let mask = 1; mask < 1 << MODES.length; mask++) methodSets.push(MODES.filter((_, i) => mask & (1 << i)));

const shape = (methods: Mode[], seeds: number[], teacherEpochs?: number) => ({ methods, seeds, hyper: { epochs: 10, teacherEpochs } });

describe('the shard partition', () => {
  it('puts every run in exactly one part, never splits a shared teacher and leaves no part empty, for every spec shape and part count', () => {
    // Plain checks collected as text (thousands of partitions: one expect at the end).
    const failures: string[] = [];
    let partitions = 0;
    for (const methods of methodSets) {
      for (const seeds of [[0], [3, 1], [0, 1, 2], [0, 1, 2, 3, 4], [7, 8, 9, 10, 11, 12, 13]]) {
        for (const teacherEpochs of [undefined, 30]) {
          const spec = shape(methods, seeds, teacherEpochs);
          const all = expandRuns(spec).map(runKeyOf);
          const units = (methods.some(usesFrozenTeacher) ? 1 : 0) + methods.filter((m) => !usesFrozenTeacher(m)).length;
          const name = `${methods.join('+')} x ${seeds.length} seeds`;
          if (maxParts(spec) !== seeds.length * units) failures.push(`${name}: maxParts ${maxParts(spec)}`);
          for (let n = 1; n <= maxParts(spec); n++) {
            const parts = partitionRuns(spec, n);
            const at = `${name}, ${n} parts`;
            partitions++;
            if (parts.length !== n || parts.some((p, i) => p.index !== i + 1 || p.count !== n)) failures.push(`${at}: numbering`);
            if (parts.some((p) => p.runs.length === 0)) failures.push(`${at}: an empty part`);
            const keys = parts.flatMap((p) => p.runs.map(runKeyOf));
            if (keys.length !== all.length || new Set(keys).size !== keys.length || !all.every((k) => keys.includes(k)))
              failures.push(`${at}: not every run once`);
            for (const seed of seeds) {
              if (parts.filter((p) => p.runs.some((r) => r.seed === seed && usesFrozenTeacher(r.method))).length > 1)
                failures.push(`${at}: teacher of seed ${seed} split`);
              // Up to one part per seed, parts hold whole seeds.
              if (n <= seeds.length && parts.filter((p) => p.runs.some((r) => r.seed === seed)).length !== 1) failures.push(`${at}: seed ${seed} split`);
            }
            // Beyond one part per seed, no part mixes seeds.
            if (n > seeds.length && parts.some((p) => new Set(p.runs.map((r) => r.seed)).size !== 1)) failures.push(`${at}: seeds mixed`);
            // Runs inside a part in the order the scheduler trains them.
            for (const p of parts) {
              const mine = p.runs.map(runKeyOf);
              if (mine.join() !== all.filter((k) => mine.includes(k)).join()) failures.push(`${at}: part ${p.index} out of order`);
            }
            if (JSON.stringify(partitionRuns(spec, n)) !== JSON.stringify(parts)) failures.push(`${at}: not deterministic`);
          }
          for (const n of [0, maxParts(spec) + 1]) {
            try {
              partitionRuns(spec, n);
              failures.push(`${name}: ${n} parts accepted`);
            } catch (e) {
              if ((e as { code?: string }).code !== 'INVALID_SHARD') failures.push(`${name}: ${n} parts: ${String(e)}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(partitions).toBeGreaterThan(2500);
  });

  it("splits the paper's 4 methods x 5 seeds by seed first, then by method with the teacher unit on its own", () => {
    const spec = shape(['kd', 'ml', 'kdml_online', 'kdml_offline'], [0, 1, 2, 3, 4]);
    const names = (n: number) => partitionRuns(spec, n).map((p) => p.runs.map(runKeyOf).join(' '));
    expect(names(2)).toEqual([
      'kd:0 ml:0 kdml_online:0 kdml_offline:0 kd:1 ml:1 kdml_online:1 kdml_offline:1 kd:2 ml:2 kdml_online:2 kdml_offline:2',
      'kd:3 ml:3 kdml_online:3 kdml_offline:3 kd:4 ml:4 kdml_online:4 kdml_offline:4',
    ]);
    expect(names(5)).toHaveLength(5);
    // 7 parts: seeds 0 and 1 in two parts each, the teacher unit (KD, KD+ML offline) against the rest.
    expect(names(7).slice(0, 3)).toEqual(['kd:0 kdml_offline:0', 'ml:0 kdml_online:0', 'kd:1 kdml_offline:1']);
    expect(names(15)).toHaveLength(15);
    expect(names(15).slice(0, 3)).toEqual(['kd:0 kdml_offline:0', 'ml:0', 'kdml_online:0']);
    expect(maxParts(spec)).toBe(15);
  });

  it('reads --shard i/n and refuses what is not a part', () => {
    const spec = shape(['kd', 'ml'], [0, 1]);
    expect(parseShard('2/3', spec)).toEqual({ index: 2, count: 3, runs: [{ method: 'ml', seed: 0 }] });
    for (const bad of ['3', '0/3', '4/3', 'a/b', '1/5', '-1/2', '1/0'])
      expect(() => parseShard(bad, spec), bad).toThrow(expect.objectContaining({ code: 'INVALID_SHARD', subject: 'shard' }));
  });
});

// Parts made by hand, with the command line's provenance.
const spec: ExperimentSpec = defaultSpec({ name: 'merge check', methods: ['kd', 'ml'], seeds: [0, 1] });
function record(method: Mode, seed: number, acc: number): RunRecord {
  const m = { accuracy: acc, loss: 1 - acc };
  return {
    method,
    seed,
    status: 'done',
    config: { task: 'classify', students: spec.students, teacher: spec.teacher } as RunRecord['config'],
    networks: [],
    history: [],
    final: { epoch: 0, phase: 'cohort', networks: { student1: m, student2: m }, ensembles: { max: m } } as unknown as RunRecord['final'],
    backend: 'cpu',
  };
}
const accuracy: Record<string, number> = { 'kd:0': 0.5, 'ml:0': 0.625, 'kd:1': 0.75, 'ml:1': 0.875 };
function part(index: number, count = 3, over: Partial<ExperimentResult> = {}, hashes = { specHash: 'S', datasetHash: 'D' }): PartInput {
  const plan = partitionRuns(spec, count)[index - 1];
  const runs = plan.runs.map((r) => record(r.method, r.seed, accuracy[runKeyOf(r)]));
  return {
    source: `out/part-${index}`,
    result: {
      format: 'cohort-studio-results',
      version: 1,
      spec,
      dataset: { name: 'tiles' },
      backend: 'cpu',
      startedAt: `2026-01-0${index}T00:00:00.000Z`,
      finishedAt: `2026-01-0${index}T01:00:00.000Z`,
      status: 'done',
      runs,
      teacherTrainings: plan.runs.some((r) => r.method === 'kd') ? [{ seed: plan.runs[0].seed, ms: 5, status: 'done' }] : [],
      table: aggregate(runs, spec.methods, spec.seeds),
      provenance: { ...hashes, part: { index, count, runs: plan.runs.map(runKeyOf) } },
      ...over,
    },
  };
}
const codes = (r: ReturnType<typeof combineParts>) => r.problems.map((p) => `${p.code} ${p.subject}`);

describe('merging parts', () => {
  it('puts the parts together as the unsharded run: runs in training order, the same table, in any order of parts', () => {
    const merged = combineParts([part(3), part(1), part(2)]);
    expect(merged.problems).toEqual([]);
    const r = merged.result!;
    expect(r.runs.map(runKeyOf)).toEqual(['kd:0', 'ml:0', 'kd:1', 'ml:1']);
    const all = expandRuns(spec).map((x) => record(x.method, x.seed, accuracy[runKeyOf(x)]));
    expect(tableCsv(r.table)).toBe(tableCsv(aggregate(all, spec.methods, spec.seeds)));
    expect(r.teacherTrainings.map((t) => t.seed)).toEqual([0, 1]);
    expect(r).toMatchObject({
      status: 'done',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-03T01:00:00.000Z',
      provenance: { specHash: 'S', datasetHash: 'D' },
    });
    expect(r.provenance!.part).toBeUndefined();
  });

  it('refuses parts of another spec, another dataset or another split, naming each', () => {
    expect(codes(combineParts([part(1), part(2, 3, {}, { specHash: 'S2', datasetHash: 'D' }), part(3)]))).toEqual(['PART_MISMATCH out/part-2']);
    expect(codes(combineParts([part(1), part(2), part(3, 3, {}, { specHash: 'S', datasetHash: 'D2' })]))).toEqual(['PART_MISMATCH out/part-3']);
    const other = part(2, 4);
    other.source = 'out/other';
    expect(codes(combineParts([part(1), other, part(3)]))).toEqual(['PART_MISMATCH out/other']);
    const unsharded = part(1);
    delete unsharded.result.provenance!.part;
    expect(codes(combineParts([unsharded, part(2), part(3)]))).toEqual(['PART_MISMATCH out/part-1']);
  });

  it('refuses a part given twice and runs held by two parts', () => {
    const again = part(2);
    again.source = 'copy/part-2';
    expect(codes(combineParts([part(1), part(2), again, part(3)]))).toEqual(['PART_OVERLAP copy/part-2']);
    // A part that holds a run of another part (as an edited or mislabelled file would).
    const greedy = part(1);
    greedy.result.runs.push(record('ml', 0, 0.625));
    expect(codes(combineParts([greedy, part(2), part(3)]))).toEqual(['PART_OVERLAP out/part-2']);
  });

  it('names a missing part and its runs', () => {
    const r = combineParts([part(1), part(3)]);
    expect(codes(r)).toEqual(['PART_MISSING part 2/3']);
    expect(r.problems[0].message).toContain('ML seed 0');
    expect(codes(combineParts([]))).toEqual(['PART_MISSING (none)']);
  });

  it('refuses a part whose task crashed, was cancelled or lacks runs', () => {
    const crashed = part(3, 3, { status: 'running' });
    crashed.result.runs = crashed.result.runs.slice(0, 1);
    const r = combineParts([part(1), part(2), crashed]);
    expect(codes(r)).toEqual(['PART_INCOMPLETE out/part-3', 'PART_MISSING (runs)']);
    expect(r.problems[0].message).toContain('ML seed 1');
    expect(codes(combineParts([part(1, 3, { status: 'cancelled' }), part(2), part(3)]))).toEqual(['PART_INCOMPLETE out/part-1']);
    const lacking = part(3);
    lacking.result.runs = lacking.result.runs.slice(1);
    expect(codes(combineParts([part(1), part(2), lacking]))).toEqual(['PART_INCOMPLETE out/part-3', 'PART_MISSING (runs)']);
  });
});
