import { describe, expect, it } from 'vitest';
import { defaultRunConfig, type Mode } from '../core/config';
import type { Evaluation, NetworkInfo } from '../core/records';
import { aggregate, tableCsv, tableMarkdown } from './aggregate';
import type { RunRecord } from '../core/results';

const acc = (accuracy: number) => ({ accuracy, confusion: [], sensitivity: [], specificity: [], auc: [], macroAuc: NaN, n: 10 });
const networks: NetworkInfo[] = [
  { name: 'teacher', role: 'teacher', arch: 'resnet152', width: 1, params: 1000, trained: true },
  { name: 'student1', role: 'student', arch: 'resnet50', width: 1, params: 300, trained: true },
  { name: 'student2', role: 'student', arch: 'resnet34', width: 1, params: 200, trained: true },
];

function run(method: Mode, seed: number, t: number | null, s1: number, s2: number, max: number, meanE: number): RunRecord {
  const final: Evaluation = {
    phase: 'cohort',
    epoch: 0,
    networks: { ...(t === null ? {} : { teacher: acc(t) }), student1: acc(s1), student2: acc(s2) },
    ensembles: { max: acc(max), mean: acc(meanE) },
  };
  return {
    method,
    seed,
    status: 'done',
    config: defaultRunConfig({ mode: method, seed }),
    networks: t === null ? networks.slice(1) : networks,
    history: [final],
    final,
    backend: 'cpu',
  };
}

describe('Table 2 aggregation', () => {
  const runs = [
    run('kd', 0, 0.9, 0.8, 0.82, 0.85, 0.84),
    run('kd', 1, 0.92, 0.81, 0.8, 0.86, 0.85),
    run('kd', 2, 0.91, 0.79, 0.81, 0.84, 0.83),
    run('ml', 0, null, 0.83, 0.84, 0.87, 0.86),
    run('ml', 1, null, 0.82, 0.85, 0.89, 0.88),
    run('ml', 2, null, 0.84, 0.83, 0.88, 0.85),
  ];
  const t = aggregate(runs, ['kd', 'ml'], [0, 1, 2]);

  it('mean and sample std per cell, by hand', () => {
    const teacher = t.rows.find((r) => r.key === 'teacher')!;
    expect(teacher.cells.kd!.mean).toBeCloseTo(0.91, 12);
    expect(teacher.cells.kd!.std).toBeCloseTo(0.01, 12);
    expect(teacher.cells.ml).toBeUndefined();
    const max = t.rows.find((r) => r.key === 'ensemble_max')!;
    expect(max.cells.ml!.mean).toBeCloseTo(0.88, 12);
    expect(max.cells.ml!.std).toBeCloseTo(0.01, 12);
  });

  it('paired t-test of each ensemble against KD, with the star only when better and p < 0.05', () => {
    const max = t.rows.find((r) => r.key === 'ensemble_max')!;
    // differences 0.02, 0.03, 0.04: mean 0.03, sd 0.01, t = 0.03 / (0.01/sqrt 3) = 5.196; df 2
    expect(max.cells.ml!.vsKD!.t).toBeCloseTo(5.196152422706632, 8);
    // two-sided p with 2 df: 1 - t / sqrt(t^2 + 2) = 0.035098...
    const tt = 5.196152422706632;
    expect(max.cells.ml!.vsKD!.p).toBeCloseTo(1 - tt / Math.sqrt(tt * tt + 2), 8);
    expect(max.cells.ml!.star).toBe(true);
    expect(max.cells.kd!.vsKD).toBeUndefined();
    const meanRow = t.rows.find((r) => r.key === 'ensemble_mean')!;
    // differences 0.02, 0.03, 0.02: t = 0.02333/(0.005774/sqrt 3) = 7.0, p with 2 df = 0.0198
    expect(meanRow.cells.ml!.vsKD!.t).toBeCloseTo(7, 8);
    expect(meanRow.cells.ml!.star).toBe(true);
  });

  it('no star when the method is worse, however small p is', () => {
    const worse = [
      run('kd', 0, 0.9, 0.8, 0.8, 0.9, 0.9),
      run('kd', 1, 0.9, 0.8, 0.8, 0.91, 0.9),
      run('ml', 0, null, 0.8, 0.8, 0.8, 0.8),
      run('ml', 1, null, 0.8, 0.8, 0.8, 0.81),
    ];
    const w = aggregate(worse, ['kd', 'ml'], [0, 1]);
    expect(w.rows.find((r) => r.key === 'ensemble_max')!.cells.ml!.star).toBe(false);
  });

  it('parameter reduction of Figure 2', () => {
    expect(t.parameters.reduction).toBeCloseTo(1 - 500 / 1000, 12);
  });

  it('Markdown and CSV are laid out as Table 2', () => {
    const md = tableMarkdown(t);
    const lines = md.split('\n');
    expect(lines[0]).toBe('| Accuracy (mean ± std over 3 seeds) | KD | ML |');
    expect(lines[2]).toBe('| Teacher (resnet152) | 0.910 ± 0.010 | – |');
    expect(lines[3]).toMatch(/^\| Student 1 \(resnet50\) \| 0\.800 ± 0\.010 \| 0\.830 ± 0\.010 \|$/);
    expect(md).toMatch(/\| Ensemble \(max\) \| 0\.850 ± 0\.010 \| 0\.880 ± 0\.010\* \(p = 0\.035\) \|/);
    expect(md).toContain('reduction 1 - students/teacher = 50.0 %');
    const csv = tableCsv(t).trim().split('\n');
    expect(csv[0]).toBe('row,method,metric,mean,std,n,p_vs_kd,star,seed_0,seed_1,seed_2');
    expect(csv.find((l) => l.startsWith('Ensemble (max),ML'))).toMatch(/,\*,0\.87,0\.89,0\.88$/);
  });

  it('failed runs leave a hole, not a zero', () => {
    const withFail = [...runs.slice(0, 5), { ...run('ml', 2, null, 0, 0, 0, 0), status: 'failed' as const, final: undefined }];
    const f = aggregate(withFail, ['kd', 'ml'], [0, 1, 2]);
    const cell = f.rows.find((r) => r.key === 'ensemble_max')!.cells.ml!;
    expect(cell.n).toBe(2);
    expect(cell.values[2]).toBeNull();
  });

  it('a chance row on the same splits, group rows with their ROC AUC, and counts in table.md where a run failed', () => {
    const withExtras = (r: RunRecord, chance: number, groupAcc: number): RunRecord => ({
      ...r,
      chance: { rule: 'majority-class', className: 'MSS', accuracy: chance, auc: 0.5, groupAccuracy: 0.5 },
      groupFinal:
        r.status === 'done'
          ? {
              groups: 4,
              mixed: 0,
              networks: { student1: { ...acc(groupAcc), macroAuc: 0.7 }, student2: acc(groupAcc) },
              ensembles: { max: { ...acc(groupAcc), macroAuc: 0.75 }, mean: acc(groupAcc) },
            }
          : undefined,
    });
    const failed = { ...run('ml', 2, null, 0, 0, 0, 0), status: 'failed' as const, final: undefined };
    const all = [...runs.slice(0, 5), failed].map((r, i) => withExtras(r, [0.5, 0.6, 0.55][r.seed], 0.75 + i * 0.01));
    const g = aggregate(all, ['kd', 'ml'], [0, 1, 2]);
    const chance = g.rows.find((r) => r.key === 'chance')!;
    expect(chance).toMatchObject({ chance: true, label: 'Chance (majority class of training; AUC 0.5)' });
    // The split's chance is there for every seed, even where the run failed.
    expect(chance.cells.ml!.values).toEqual([0.5, 0.6, 0.55]);
    expect(chance.cells.kd!.mean).toBeCloseTo(0.55, 12);
    const groupMax = g.rows.find((r) => r.key === 'group_ensemble_max')!;
    expect(groupMax).toMatchObject({ level: 'group', label: 'Ensemble (max), per group' });
    expect(groupMax.cells.ml!.n).toBe(2);
    expect(groupMax.cells.ml!.vsKD).toBeUndefined();
    const auc = g.rows.find((r) => r.key === 'group_auc_ensemble_max')!;
    expect(auc.metric).toBe('auc');
    expect(auc.cells.kd!.mean).toBeCloseTo(0.75, 12);
    expect(g.rows.find((r) => r.key === 'group_chance')!.cells.kd!.mean).toBeCloseTo(0.5, 12);
    // Rows: networks, ensembles, chance, then per group.
    expect(g.rows.findIndex((r) => r.key === 'chance')).toBe(g.rows.findIndex((r) => r.key === 'ensemble_mean') + 1);
    const md = tableMarkdown(g);
    expect(md).toMatch(/\| Ensemble \(max\) \| 0\.850 ± 0\.010 \| 0\.880 ± 0\.014 \(p = [0-9.]+\) \[n = 2 of 3\] \|/);
    expect(md).toContain('Chance: the majority class');
    expect(md).toContain('[n = k of N]');
    expect(tableCsv(g)).toMatch(/"Ensemble \(max\), per group: ROC AUC",KD,auc,0\.75/);
  });

  it('the paired test ignores seeds whose value is NaN', () => {
    const nan = [run('kd', 0, 0.9, 0.8, 0.8, 0.85, 0.8), run('kd', 1, 0.9, 0.8, 0.8, 0.86, 0.8), run('kd', 2, 0.9, 0.8, 0.8, NaN, 0.8)];
    const ml = [run('ml', 0, null, 0.8, 0.8, 0.87, 0.8), run('ml', 1, null, 0.8, 0.8, 0.89, 0.8), run('ml', 2, null, 0.8, 0.8, 0.9, 0.8)];
    const t2 = aggregate([...nan, ...ml], ['kd', 'ml'], [0, 1, 2]);
    const cell = t2.rows.find((r) => r.key === 'ensemble_max')!.cells.ml!;
    expect(cell.vsKD!.n).toBe(2);
    expect(Number.isFinite(cell.vsKD!.t)).toBe(true);
  });

  it('expected calibration error per row over seeds, in the table, the CSV and the Markdown', () => {
    const withEce = (r: RunRecord, ece: number): RunRecord => {
      const f = r.final!;
      const tag = <M extends object>(m: M): M => ({ ...m, ece });
      const final: Evaluation = {
        ...f,
        networks: Object.fromEntries(Object.entries(f.networks).map(([k, m]) => [k, tag(m)])),
        ensembles: Object.fromEntries(Object.entries(f.ensembles).map(([k, m]) => [k, tag(m)])),
      };
      return { ...r, final, history: [final] };
    };
    const c = aggregate(
      runs.map((r, i) => withEce(r, [0.1, 0.2, 0.3, 0.05, 0.05, 0.05][i])),
      ['kd', 'ml'],
      [0, 1, 2],
    );
    const max = c.calibration!.rows.find((r) => r.key === 'ensemble_max')!;
    expect(max.label).toBe('Ensemble (max)');
    expect(max.cells.kd!.mean).toBeCloseTo(0.2, 12);
    expect(max.cells.kd!.std).toBeCloseTo(0.1, 12);
    expect(max.cells.ml!.std).toBeCloseTo(0, 12);
    expect(max.cells.ml!.vsKD).toBeUndefined();
    expect(c.calibration!.rows.find((r) => r.key === 'teacher')!.cells.ml).toBeUndefined();
    const csv = tableCsv(c).trim().split('\n');
    expect(csv.filter((l) => l.split(',')[2] === 'ece')).toHaveLength(c.calibration!.rows.reduce((a, r) => a + Object.keys(r.cells).length, 0));
    expect(csv.find((l) => l.startsWith('Ensemble (max),KD,ece'))).toMatch(/,0\.1,0\.2,0\.3$/);
    expect(tableMarkdown(c)).toMatch(/\| Ensemble \(max\) \| 0\.200 ± 0\.100 \| 0\.050 ± 0\.000 \|/);
    // Runs recorded before calibration was kept: no ECE rows, nothing invented.
    expect(t.calibration!.rows).toEqual([]);
    expect(tableCsv(t)).not.toContain(',ece,');
  });
});
