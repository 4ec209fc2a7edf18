/**
 * Aggregation of an experiment's runs into the paper's Table 2: per (row, method) the mean and
 * sample standard deviation over seeds of the headline metric (accuracy, or mean IoU for boxes);
 * for every method's ensembles, a paired two-sided t-test against the KD ensemble over the seeds
 * both have, with the paper's '*' where the method is better and p < 0.05. Also the parameter
 * reduction of Figure 2, and (classification) each row's expected calibration error over seeds.
 * Output as JSON-ready objects, CSV and Markdown.
 */
import { MODE_LABELS, type Mode } from '../core/config';
import type { BoxMetrics, ClassMetrics } from '../core/metrics';
import type { Evaluation } from '../core/records';
import type { Cell, ResultsTable, RunRecord, TableRow } from '../core/results';
import { mean, pairedTTest, sampleStd } from '../core/stats';

export function headline(m: ClassMetrics | BoxMetrics | undefined): number | null {
  if (!m) return null;
  return 'accuracy' in m ? m.accuracy : m.meanIoU;
}

/** Build Table 2 from the runs of one experiment. */
export function aggregate(runs: RunRecord[], methods: Mode[], seeds: number[]): ResultsTable {
  const done = runs.filter((r) => r.status === 'done' && r.final);
  const task = done[0]?.config.task ?? runs[0]?.config.task ?? 'classify';
  const metric = task === 'classify' ? 'accuracy' : 'meanIoU';
  const k = Math.max(0, ...runs.map((r) => r.config.students.length));
  const ensembleKeys = Array.from(new Set(done.flatMap((r) => Object.keys(r.final!.ensembles))));
  if (ensembleKeys.length === 0) ensembleKeys.push(...(task === 'classify' ? ['max', 'mean'] : ['mean']));
  const byRun = (method: Mode, seed: number) => done.find((r) => r.method === method && r.seed === seed);
  const anyRun = runs[0];
  const archOf = (name: string) => anyRun?.networks.find((n) => n.name === name)?.arch ?? (name === 'teacher' ? anyRun?.config.teacher?.arch : undefined);

  const rowDefs: { key: string; label: string; pick: (e: Evaluation) => number | null }[] = [
    { key: 'teacher', label: `Teacher${archOf('teacher') ? ` (${archOf('teacher')})` : ''}`, pick: (e) => headline(e.networks.teacher) },
    ...Array.from({ length: k }, (_, i) => {
      const name = `student${i + 1}`;
      const arch = anyRun?.config.students[i]?.arch;
      return { key: name, label: `Student ${i + 1}${arch ? ` (${arch})` : ''}`, pick: (e: Evaluation) => headline(e.networks[name]) };
    }),
    ...ensembleKeys.map((ek) => ({ key: `ensemble_${ek}`, label: `Ensemble (${ek})`, pick: (e: Evaluation) => headline(e.ensembles[ek]) })),
  ];

  const rows: TableRow[] = rowDefs.map((def) => {
    const cells: Partial<Record<Mode, Cell>> = {};
    for (const method of methods) {
      const values = seeds.map((s) => {
        const r = byRun(method, s);
        return r ? def.pick(r.final!) : null;
      });
      const present = values.filter((v): v is number => v !== null && !Number.isNaN(v));
      if (present.length === 0) continue;
      cells[method] = { values, mean: mean(present), std: sampleStd(present), n: present.length };
    }
    if (def.key.startsWith('ensemble_') && cells.kd) {
      for (const method of methods) {
        const cell = cells[method];
        if (method === 'kd' || !cell) continue;
        const pairs = seeds
          .map((_, i) => [cell.values[i], cells.kd!.values[i]] as const)
          .filter((p): p is readonly [number, number] => p[0] !== null && p[1] !== null);
        if (pairs.length < 2) continue;
        cell.vsKD = pairedTTest(
          pairs.map((p) => p[0]),
          pairs.map((p) => p[1]),
        );
        cell.star = cell.vsKD.p < 0.05 && cell.vsKD.meanDiff > 0;
      }
    }
    return { key: def.key, label: def.label, cells };
  });

  const params = (name: string) => runs.flatMap((r) => r.networks).find((n) => n.name === name)?.params ?? null;
  const teacher = params('teacher');
  const students = Array.from({ length: k }, (_, i) => params(`student${i + 1}`) ?? 0);
  const reduction = teacher ? 1 - students.reduce((a, b) => a + b, 0) / teacher : null;
  return {
    metric,
    methods,
    seeds,
    rows: rows.filter((r) => Object.keys(r.cells).length > 0),
    ...(task === 'classify' ? { calibration: calibrationTable(done, methods, seeds, rows) } : {}),
    parameters: { teacher, students, reduction },
  };
}

/** ECE per row of Table 2 (same rows and labels), mean ± sample std over the seeds that have it. */
function calibrationTable(done: RunRecord[], methods: Mode[], seeds: number[], like: TableRow[]): { metric: 'ece'; rows: TableRow[] } {
  const eceOf = (e: Evaluation, key: string): number | null => {
    const m = key.startsWith('ensemble_') ? e.ensembles[key.slice('ensemble_'.length)] : e.networks[key];
    return m && 'ece' in m && typeof m.ece === 'number' && !Number.isNaN(m.ece) ? m.ece : null;
  };
  const rows = like.map((row) => {
    const cells: Partial<Record<Mode, Cell>> = {};
    for (const method of methods) {
      const values = seeds.map((s) => {
        const r = done.find((x) => x.method === method && x.seed === s);
        return r ? eceOf(r.final!, row.key) : null;
      });
      const present = values.filter((v): v is number => v !== null);
      if (present.length) cells[method] = { values, mean: mean(present), std: sampleStd(present), n: present.length };
    }
    return { key: row.key, label: row.label, cells };
  });
  return { metric: 'ece', rows: rows.filter((r) => Object.keys(r.cells).length > 0) };
}

function fmtCell(c: Cell | undefined, digits: number): string {
  if (!c) return '–';
  const std = Number.isNaN(c.std) ? '' : ` ± ${c.std.toFixed(digits)}`;
  const star = c.star ? '*' : '';
  const p = c.vsKD && !Number.isNaN(c.vsKD.p) ? ` (p = ${c.vsKD.p < 0.001 ? c.vsKD.p.toExponential(1) : c.vsKD.p.toFixed(3)})` : '';
  return `${c.mean.toFixed(digits)}${std}${star}${p}`;
}

/** Markdown laid out as the paper's Table 2. */
export function tableMarkdown(t: ResultsTable, digits = 3): string {
  const head = `| ${t.metric === 'accuracy' ? 'Accuracy' : 'Mean IoU'} (mean ± std over ${t.seeds.length} seed${t.seeds.length === 1 ? '' : 's'}) | ${t.methods.map((m) => MODE_LABELS[m]).join(' | ')} |`;
  const sep = `|---|${t.methods.map(() => '---').join('|')}|`;
  const body = t.rows.map((r) => `| ${r.label} | ${t.methods.map((m) => fmtCell(r.cells[m], digits)).join(' | ')} |`);
  const notes = ['', '\\* the ensemble is better than the KD ensemble, paired two-sided t-test over seeds, p < 0.05.'];
  if (t.calibration?.rows.length) {
    notes.push(
      '',
      `| Expected calibration error (mean ± std, lower is better) | ${t.methods.map((m) => MODE_LABELS[m]).join(' | ')} |`,
      sep,
      ...t.calibration.rows.map((r) => `| ${r.label} | ${t.methods.map((m) => fmtCell(r.cells[m], digits)).join(' | ')} |`),
    );
  }
  if (t.parameters.reduction !== null) {
    notes.push(
      `Parameters: teacher ${t.parameters.teacher!.toLocaleString('en-US')}, students ${t.parameters.students.map((s) => s.toLocaleString('en-US')).join(' + ')}; reduction 1 - students/teacher = ${(100 * t.parameters.reduction).toFixed(1)} %.`,
    );
  }
  return [head, sep, ...body, ...notes].join('\n') + '\n';
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One line per (row, method): mean, std, n, p against KD, star, and the per-seed values; then the
 * same for each row's expected calibration error (metric `ece`).
 */
export function tableCsv(t: ResultsTable): string {
  const lines = [['row', 'method', 'metric', 'mean', 'std', 'n', 'p_vs_kd', 'star', ...t.seeds.map((s) => `seed_${s}`)].join(',')];
  const blocks: [string, TableRow[]][] = [[t.metric, t.rows]];
  if (t.calibration) blocks.push([t.calibration.metric, t.calibration.rows]);
  for (const [metric, rows] of blocks) {
    for (const r of rows) {
      for (const m of t.methods) {
        const c = r.cells[m];
        if (!c) continue;
        lines.push(
          [
            csvField(r.label),
            csvField(MODE_LABELS[m]),
            metric,
            String(c.mean),
            Number.isNaN(c.std) ? '' : String(c.std),
            String(c.n),
            c.vsKD ? String(c.vsKD.p) : '',
            c.star ? '*' : '',
            ...c.values.map((v) => (v === null ? '' : String(v))),
          ].join(','),
        );
      }
    }
  }
  return lines.join('\n') + '\n';
}
