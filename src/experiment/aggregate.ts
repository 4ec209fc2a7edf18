/**
 * Aggregation of an experiment's runs into the paper's Table 2: per (row, method) the mean and
 * sample standard deviation over seeds of the headline metric (accuracy, or mean IoU for boxes);
 * for every method's ensembles, a paired two-sided t-test against the KD ensemble over the seeds
 * both have, with the paper's '*' where the method is better and p < 0.05. Below the networks, the
 * chance row (what guessing scores on the same splits), and with groups the group-level rows
 * (accuracy and ROC AUC over the mean probabilities of each group). Also the parameter reduction
 * of Figure 2, and (classification) each row's expected calibration error over seeds. Output as
 * JSON-ready objects, CSV and Markdown.
 */
import { MODE_LABELS, type Mode } from '../core/config';
import type { BoxMetrics, ClassMetrics } from '../core/metrics';
import type { Evaluation } from '../core/records';
import type { Cell, ResultsTable, RunRecord, TableRow } from '../core/results';
import { toCsv, type CsvValue } from '../core/csv';
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
  // A method's record for a seed: the finished run, else any record of it (a failed run still has its split's chance).
  const recordOf = (method: Mode, seed: number) =>
    done.find((r) => r.method === method && r.seed === seed) ?? runs.find((r) => r.method === method && r.seed === seed);
  const anyRun = runs[0];
  const archOf = (name: string) => anyRun?.networks.find((n) => n.name === name)?.arch ?? (name === 'teacher' ? anyRun?.config.teacher?.arch : undefined);

  type RowDef = { key: string; label: string; pick: (r: RunRecord) => number | null; metric?: TableRow['metric']; level?: 'group'; chance?: boolean };
  const fin = (f: (e: Evaluation) => number | null) => (r: RunRecord) => (r.status === 'done' && r.final ? f(r.final) : null);
  const networkDefs: { key: string; label: string; of: (g: NonNullable<RunRecord['groupFinal']>) => ClassMetrics | undefined }[] = [];
  const rowDefs: RowDef[] = [
    { key: 'teacher', label: `Teacher${archOf('teacher') ? ` (${archOf('teacher')})` : ''}`, pick: fin((e) => headline(e.networks.teacher)) },
    ...Array.from({ length: k }, (_, i) => {
      const name = `student${i + 1}`;
      const arch = anyRun?.config.students[i]?.arch;
      return { key: name, label: `Student ${i + 1}${arch ? ` (${arch})` : ''}`, pick: fin((e: Evaluation) => headline(e.networks[name])) };
    }),
    ...ensembleKeys.map((ek) => ({ key: `ensemble_${ek}`, label: `Ensemble (${ek})`, pick: fin((e: Evaluation) => headline(e.ensembles[ek])) })),
  ];
  for (const d of rowDefs) {
    const name = d.key.startsWith('ensemble_') ? d.key.slice('ensemble_'.length) : d.key;
    networkDefs.push({ key: d.key, label: d.label, of: (g) => (d.key.startsWith('ensemble_') ? g.ensembles[name] : g.networks[name]) });
  }
  // The chance baseline: the same for every method of a seed (it depends on the split only).
  rowDefs.push({
    key: 'chance',
    label: task === 'classify' ? 'Chance (majority class of training; AUC 0.5)' : 'Chance (mean training box)',
    chance: true,
    pick: (r) => (r.chance ? (r.chance.rule === 'majority-class' ? r.chance.accuracy : r.chance.meanIoU) : null),
  });
  // Per group (patient, slide, sequence): accuracy and ROC AUC of the mean probabilities.
  if (task === 'classify' && runs.some((r) => r.groupFinal)) {
    for (const d of networkDefs) {
      const of = (r: RunRecord) => (r.status === 'done' && r.groupFinal ? d.of(r.groupFinal) : undefined);
      rowDefs.push({ key: `group_${d.key}`, label: `${d.label}, per group`, level: 'group', pick: (r) => of(r)?.accuracy ?? null });
      rowDefs.push({ key: `group_auc_${d.key}`, label: `${d.label}, per group: ROC AUC`, level: 'group', metric: 'auc', pick: (r) => of(r)?.macroAuc ?? null });
    }
    rowDefs.push({
      key: 'group_chance',
      label: 'Chance, per group (majority class of training groups)',
      level: 'group',
      chance: true,
      pick: (r) => (r.chance?.rule === 'majority-class' ? (r.chance.groupAccuracy ?? null) : null),
    });
  }

  const rows: TableRow[] = rowDefs.map((def) => {
    const cells: Partial<Record<Mode, Cell>> = {};
    for (const method of methods) {
      const values = seeds.map((s) => {
        const r = recordOf(method, s);
        const v = r ? def.pick(r) : null;
        return v === null || v === undefined ? null : v;
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
          .filter((p): p is readonly [number, number] => p[0] !== null && p[1] !== null && !Number.isNaN(p[0]) && !Number.isNaN(p[1]));
        if (pairs.length < 2) continue;
        cell.vsKD = pairedTTest(
          pairs.map((p) => p[0]),
          pairs.map((p) => p[1]),
        );
        cell.star = cell.vsKD.p < 0.05 && cell.vsKD.meanDiff > 0;
      }
    }
    const row: TableRow = { key: def.key, label: def.label, cells };
    if (def.metric) row.metric = def.metric;
    if (def.level) row.level = def.level;
    if (def.chance) row.chance = true;
    return row;
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

function fmtCell(c: Cell | undefined, digits: number, seeds: number): string {
  if (!c) return '–';
  const std = Number.isNaN(c.std) ? '' : ` ± ${c.std.toFixed(digits)}`;
  const star = c.star ? '*' : '';
  const p = c.vsKD && !Number.isNaN(c.vsKD.p) ? ` (p = ${c.vsKD.p < 0.001 ? c.vsKD.p.toExponential(1) : c.vsKD.p.toFixed(3)})` : '';
  // A cell over fewer seeds than the table's (a failed run) says so.
  const n = c.n < seeds ? ` [n = ${c.n} of ${seeds}]` : '';
  return `${c.mean.toFixed(digits)}${std}${star}${p}${n}`;
}

/** Markdown laid out as the paper's Table 2. */
export function tableMarkdown(t: ResultsTable, digits = 3): string {
  const head = `| ${t.metric === 'accuracy' ? 'Accuracy' : 'Mean IoU'} (mean ± std over ${t.seeds.length} seed${t.seeds.length === 1 ? '' : 's'}) | ${t.methods.map((m) => MODE_LABELS[m]).join(' | ')} |`;
  const sep = `|---|${t.methods.map(() => '---').join('|')}|`;
  const body = t.rows.map((r) => `| ${r.label} | ${t.methods.map((m) => fmtCell(r.cells[m], digits, t.seeds.length)).join(' | ')} |`);
  const notes = ['', '\\* the ensemble is better than the KD ensemble, paired two-sided t-test over seeds, p < 0.05.'];
  if (t.rows.some((r) => r.chance))
    notes.push(
      t.metric === 'accuracy'
        ? "Chance: the majority class of each seed's training images predicted for every test image of that seed (its ROC AUC is 0.5)."
        : "Chance: each seed's mean training box predicted for every test image of that seed.",
    );
  if (t.rows.some((r) => r.level === 'group'))
    notes.push(
      "Per group: the mean of the image probabilities over each group (patient, slide, sequence) of the test images, scored against the group's label.",
    );
  if (t.rows.some((r) => Object.values(r.cells).some((c) => c && c.n < t.seeds.length)))
    notes.push('[n = k of N]: the mean is over the k seeds whose run finished.');
  if (t.calibration?.rows.length) {
    notes.push(
      '',
      `| Expected calibration error (mean ± std, lower is better) | ${t.methods.map((m) => MODE_LABELS[m]).join(' | ')} |`,
      sep,
      ...t.calibration.rows.map((r) => `| ${r.label} | ${t.methods.map((m) => fmtCell(r.cells[m], digits, t.seeds.length)).join(' | ')} |`),
    );
  }
  if (t.parameters.reduction !== null) {
    notes.push(
      `Parameters: teacher ${t.parameters.teacher!.toLocaleString('en-US')}, students ${t.parameters.students.map((s) => s.toLocaleString('en-US')).join(' + ')}; reduction 1 - students/teacher = ${(100 * t.parameters.reduction).toFixed(1)} %.`,
    );
  }
  return [head, sep, ...body, ...notes].join('\n') + '\n';
}

/**
 * One line per (row, method): mean, std, n, p against KD, star, and the per-seed values; then the
 * same for each row's expected calibration error (metric `ece`).
 */
export function tableCsv(t: ResultsTable): string {
  const out: CsvValue[][] = [];
  const blocks: [string | undefined, TableRow[]][] = [[undefined, t.rows]];
  if (t.calibration) blocks.push([t.calibration.metric, t.calibration.rows]);
  for (const [metric, rows] of blocks) {
    for (const r of rows) {
      for (const m of t.methods) {
        const c = r.cells[m];
        if (!c) continue;
        out.push([r.label, MODE_LABELS[m], metric ?? r.metric ?? t.metric, c.mean, c.std, c.n, c.vsKD ? c.vsKD.p : null, c.star ? '*' : '', ...c.values]);
      }
    }
  }
  return toCsv(['row', 'method', 'metric', 'mean', 'std', 'n', 'p_vs_kd', 'star', ...t.seeds.map((s) => `seed_${s}`)], out);
}
