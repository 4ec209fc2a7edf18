/**
 * Compare: the paper's Table 2 for the user's data, filled in as runs finish (mean ± sample std over
 * seeds, the '*' and p-value where an ensemble beats the KD ensemble, paired over seeds), the
 * expected calibration error over seeds, the curves of every run (bands over seeds, methods side by
 * side, `CurvesChart`), with the confusion matrix, ROC curve, reliability diagram and per-class
 * sensitivity/specificity of a picked run, the Figure 2 parameter chart, and each run's curves on a
 * click. "Download results" saves the table as CSV and every run as JSON; "Open results" shows a
 * results.json from disk instead (a command line run, or the merge of a sharded cluster
 * experiment), until it is closed.
 */
import { useEffect, useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { MODE_LABELS, type Mode } from '../core/config';
import { rocCurve, type ClassMetrics } from '../core/metrics';
import { aggregate, headline, tableCsv } from '../experiment/aggregate';
import type { RunRecord } from '../core/results';
import { experimentOutputs } from '../experiment/outputs';

import { studioStore, useStudio } from '../store';
import { EceTable, ReliabilityDiagram } from './Calibration';
import { CurvesChart } from './CurvesChart';
import { RunCurves } from './TrainPanel';
import { download, fmt, fmtInt } from './common';
import { colourOf } from './LossChart';

function cellText(c: { mean: number; std: number; star?: boolean } | undefined): string {
  if (!c) return '–';
  return `${fmt(c.mean)}${Number.isNaN(c.std) ? '' : ` ± ${fmt(c.std)}`}${c.star ? '*' : ''}`;
}

export function ComparePanel() {
  const spec = useStudio((s) => s.spec);
  const liveRuns = useStudio((s) => s.runs);
  const liveResult = useStudio((s) => s.result);
  const opened = useStudio((s) => s.openedResults);
  const openError = useStudio((s) => s.openResultsError);
  // An opened results.json has records only: no live curves, no models for the ROC.
  const result = opened?.result ?? liveResult;
  const runs = useMemo(() => (opened ? [] : liveRuns), [opened, liveRuns]);
  const [selected, setSelected] = useState<{ method: Mode; seed: number } | null>(null);

  // Records of the runs finished so far, from the live run states (the final result replaces them).
  const records: RunRecord[] = useMemo(() => {
    if (result) return result.runs;
    return runs
      .filter((r) => r.run && r.status === 'done' && r.evaluations.length)
      .map(
        (r) =>
          r.record ?? {
            method: r.run!.method,
            seed: r.seed,
            status: 'done' as const,
            config: { task: spec.task, students: spec.students, teacher: spec.teacher } as RunRecord['config'],
            networks: r.networks,
            history: r.evaluations,
            final: r.evaluations[r.evaluations.length - 1],
            backend: '',
          },
      );
  }, [runs, result, spec]);
  const task = result?.spec.task ?? spec.task;
  const methods = result?.spec.methods ?? spec.methods;
  const seeds = result?.spec.seeds ?? spec.seeds;
  const table = useMemo(() => aggregate(records, methods, seeds), [records, methods, seeds]);
  // Cells whose mean does not beat the chance row of the same method: worth saying out loud.
  const belowChance = useMemo(() => {
    const chance = table.rows.find((r) => r.key === 'chance');
    if (!chance) return [];
    const out: string[] = [];
    for (const r of table.rows) {
      if (r.chance || r.level === 'group') continue;
      for (const m of methods) {
        const c = r.cells[m];
        const base = chance.cells[m];
        if (c && base && c.mean <= base.mean) out.push(`${r.label}, ${MODE_LABELS[m]} (${fmt(c.mean)} vs chance ${fmt(base.mean)})`);
      }
    }
    return out;
  }, [table, methods]);
  const sel = selected ?? (records[0] ? { method: records[0].method, seed: records[0].seed } : null);
  const selRecord = sel ? records.find((r) => r.method === sel.method && r.seed === sel.seed) : undefined;
  const selRun = sel ? runs.find((r) => r.key === `${sel.method}:${sel.seed}`) : undefined;

  const selKey = sel ? `${sel.method}:${sel.seed}` : null;
  const isClassify = selRecord?.config.task === 'classify';
  const predictions = useStudio((s) => s.predictions);
  useEffect(() => {
    if (selKey && isClassify && !opened) void studioStore.getState().loadPredictions(selKey);
  }, [selKey, isClassify, opened]);
  const roc = useMemo(() => {
    const d = predictions?.key === selKey && isClassify && !opened ? predictions.data : null;
    if (!d || !d.labels) return [];
    const positive = d.labels.map((l) => l === 1);
    return Object.entries({ ...d.networks, ...Object.fromEntries(Object.entries(d.ensembles).map(([k, v]) => [`ensemble (${k})`, v])) }).map(
      ([name, rows]) => ({
        name,
        points: rocCurve(
          rows.map((r) => r[1] / (r.reduce((a, b) => a + b, 0) || 1)),
          positive,
        ),
      }),
    );
  }, [predictions, selKey, isClassify, opened]);

  const outputs = () => {
    if (result) return experimentOutputs(result);
    return { 'results.json': JSON.stringify({ runs: records, table }, null, 2), 'table.csv': tableCsv(table) };
  };

  const paramRows = table.parameters.teacher
    ? [
        { name: 'teacher', params: table.parameters.teacher },
        ...table.parameters.students.map((p, i) => ({ name: `student${i + 1}`, params: p })),
        { name: 'students (sum)', params: table.parameters.students.reduce((a, b) => a + b, 0) },
      ]
    : [];
  const selMetrics = selRecord?.final;
  const classNames = result?.dataset.classNames ?? selRecord?.config.classNames;

  return (
    <section className="panel" aria-label="Compare">
      <h2>Compare</h2>
      {opened && (
        <p className="opened" data-testid="opened-results">
          Showing {opened.name}: “{opened.result.spec.name}” on {opened.result.dataset.name}, {opened.result.runs.filter((r) => r.status === 'done').length} of{' '}
          {opened.result.spec.methods.length * opened.result.spec.seeds.length} runs
          {opened.result.provenance?.part
            ? ` (part ${opened.result.provenance.part.index}/${opened.result.provenance.part.count} of a sharded experiment)`
            : ''}
          {opened.result.status !== 'done' ? ` — unfinished (${opened.result.status})` : ''}.{' '}
          <button type="button" onClick={() => studioStore.getState().closeResults()}>
            Close
          </button>
        </p>
      )}
      {openError && (
        <p className="error" role="alert" data-testid="open-results-error">
          {openError.message}
        </p>
      )}
      {records.length === 0 && <p className="hint">The table fills in as runs finish, or open a results.json.</p>}
      {belowChance.length > 0 && (
        <p className="error" role="alert" data-testid="below-chance">
          At or below chance on the same test split: {belowChance.join('; ')}.
        </p>
      )}
      <div className="table-wrap">
        <table aria-label="Results" className="results">
          <caption>
            {task === 'classify' ? 'Test accuracy' : 'Mean IoU on the test images'}: mean ± sample std over seeds ({seeds.join(', ')}). * the ensemble beats the
            KD ensemble (paired t-test over seeds, two-sided, p &lt; 0.05). Chance: what{' '}
            {task === 'classify' ? 'predicting the majority class of training' : 'predicting the mean training box'} scores on the same test split
            {table.rows.some((r) => r.level === 'group') ? '; per group: the mean of the image probabilities over each group (patient, slide, sequence)' : ''}.
          </caption>
          <thead>
            <tr>
              <th scope="col">Network</th>
              {methods.map((m) => (
                <th key={m} scope="col">
                  {MODE_LABELS[m]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((r) => (
              <tr key={r.key} className={[r.chance ? 'chance' : '', r.level === 'group' ? 'group-level' : ''].join(' ').trim() || undefined}>
                <th scope="row">{r.label}</th>
                {methods.map((m) => {
                  const c = r.cells[m];
                  return (
                    <td key={m} data-testid={`cell-${r.key}-${m}`}>
                      <button
                        type="button"
                        className="cell"
                        disabled={!c}
                        onClick={() => setSelected({ method: m, seed: seeds.find((_s, i) => c?.values[i] !== null) ?? seeds[0] })}
                      >
                        {cellText(c)}
                        {c?.vsKD && !Number.isNaN(c.vsKD.p) && <small> p = {c.vsKD.p < 0.001 ? c.vsKD.p.toExponential(1) : c.vsKD.p.toFixed(3)}</small>}
                        {c && <small> n = {c.n}</small>}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="actions">
        <button
          type="button"
          disabled={records.length === 0}
          onClick={() => {
            const o = outputs();
            download('table.csv', o['table.csv'], 'text/csv');
            download('results.json', o['results.json'], 'application/json');
          }}
        >
          Download results
        </button>
        <label className="file">
          Open results
          <input
            type="file"
            accept="application/json,.json"
            aria-label="Open results"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f) void f.text().then((t) => studioStore.getState().openResults(t, f.name));
            }}
          />
        </label>
      </div>
      {table.metric === 'accuracy' && <EceTable table={table} />}
      <CurvesChart task={(result?.spec.task ?? spec.task) === 'box' ? 'box' : 'classify'} />
      {paramRows.length > 0 && (
        <figure className="chart" aria-label="Parameters">
          <ResponsiveContainer width="100%" height={200}>
            <BarChart data={paramRows} margin={{ top: 8, right: 16, bottom: 8, left: 16 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="name" />
              <YAxis width={70} tickFormatter={(v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : `${(v / 1e3).toFixed(0)}k`)} />
              <Tooltip formatter={(v) => fmtInt(Number(v))} />
              <Bar dataKey="params" fill="#7b6cf0" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
          <figcaption>
            Parameters (Figure 2): reduction 1 − students/teacher ={' '}
            {table.parameters.reduction !== null ? `${(table.parameters.reduction * 100).toFixed(1)} %` : '–'}
          </figcaption>
        </figure>
      )}
      {sel && (
        <div className="detail">
          <div className="row">
            <h3>Run {MODE_LABELS[sel.method]}, seed</h3>
            <select aria-label="Seed of the run shown" value={sel.seed} onChange={(e) => setSelected({ method: sel.method, seed: Number(e.target.value) })}>
              {seeds.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          {selMetrics && selRecord?.config.task !== 'box' && (
            <div className="row wrap">
              {Object.entries({
                ...selMetrics.networks,
                ...Object.fromEntries(Object.entries(selMetrics.ensembles).map(([k, v]) => [`ensemble (${k})`, v])),
              }).map(([name, m]) => {
                const cm = m as ClassMetrics;
                return (
                  <table key={name} aria-label={`Confusion matrix ${name}`} className="compact confusion">
                    <caption>
                      {name}: accuracy {fmt(headline(cm))}, AUC {fmt(cm.macroAuc)}
                    </caption>
                    <thead>
                      <tr>
                        <th>true \ predicted</th>
                        {cm.confusion.map((_, j) => (
                          <th key={j}>{classNames?.[j] ?? j}</th>
                        ))}
                        <th>sens.</th>
                        <th>spec.</th>
                      </tr>
                    </thead>
                    <tbody>
                      {cm.confusion.map((row, i) => (
                        <tr key={i}>
                          <th>{classNames?.[i] ?? i}</th>
                          {row.map((v, j) => (
                            <td key={j} className={i === j ? 'diag' : ''}>
                              {v}
                            </td>
                          ))}
                          <td>{fmt(cm.sensitivity[i], 2)}</td>
                          <td>{fmt(cm.specificity[i], 2)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                );
              })}
            </div>
          )}
          <div className="compare-grid two">
            {roc.length > 0 && (
              <figure className="chart" aria-label="ROC curves">
                <ResponsiveContainer width="100%" height={240}>
                  <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="fpr" type="number" domain={[0, 1]} />
                    <YAxis dataKey="tpr" type="number" domain={[0, 1]} width={48} />
                    <Tooltip />
                    <Legend />
                    {roc.map((c) => (
                      <Line
                        key={c.name}
                        data={c.points}
                        dataKey="tpr"
                        name={c.name}
                        stroke={c.name.startsWith('ensemble') ? 'currentColor' : colourOf(c.name)}
                        dot={false}
                        isAnimationActive={false}
                      />
                    ))}
                  </LineChart>
                </ResponsiveContainer>
                <figcaption>ROC of class “{classNames?.[1] ?? 1}” (false positive rate → true positive rate)</figcaption>
              </figure>
            )}
            {selMetrics && isClassify && <ReliabilityDiagram final={selMetrics} label={`${MODE_LABELS[sel.method]}, seed ${sel.seed}`} />}
          </div>
          {selRun && <RunCurves run={selRun} task={task} />}
        </div>
      )}
    </section>
  );
}
