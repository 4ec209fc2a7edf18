/**
 * Calibration in Compare (classification): the expected calibration error of every network and
 * ensemble as mean ± std over seeds (Table 2's rows), and the reliability diagram of the picked run:
 * for each confidence bin, the accuracy of the images in it against their mean confidence, with the
 * diagonal of a perfectly calibrated model.
 */
import { useState } from 'react';
import { CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { MODE_LABELS } from '../core/config';
import type { ClassMetrics } from '../core/metrics';
import type { Evaluation } from '../core/records';
import type { ResultsTable } from '../core/results';
import { fmt } from './common';
import { colourOf } from './LossChart';

const DIAGONAL = [
  { confidence: 0, accuracy: 0 },
  { confidence: 1, accuracy: 1 },
];

export function EceTable({ table }: { table: ResultsTable }) {
  const rows = table.calibration?.rows ?? [];
  if (!rows.length) return null;
  return (
    <div className="table-wrap">
      <table aria-label="Calibration" className="results" data-testid="ece-table">
        <caption>Expected calibration error (15 confidence bins; 0 is perfectly calibrated, lower is better): mean ± sample std over seeds.</caption>
        <thead>
          <tr>
            <th scope="col">Network</th>
            {table.methods.map((m) => (
              <th key={m} scope="col">
                {MODE_LABELS[m]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.label}</th>
              {table.methods.map((m) => {
                const c = r.cells[m];
                return (
                  <td key={m} data-testid={`ece-${r.key}-${m}`}>
                    {c ? `${fmt(c.mean)}${Number.isNaN(c.std) ? '' : ` ± ${fmt(c.std)}`}` : '–'}
                    {c && <small> n = {c.n}</small>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ReliabilityDiagram({ final, label }: { final: Evaluation; label: string }) {
  const members = [
    ...Object.entries(final.networks).map(([k, m]) => ({ name: k, m: m as ClassMetrics })),
    ...Object.entries(final.ensembles).map(([k, m]) => ({ name: `ensemble (${k})`, m: m as ClassMetrics })),
  ].filter((x) => x.m.reliability);
  const [shown, setShown] = useState<string>('ensemble (max)');
  if (!members.length) return <p className="hint">This run was recorded without calibration.</p>;
  const pick = members.some((x) => x.name === shown) ? shown : 'all';
  const drawn = pick === 'all' ? members : members.filter((x) => x.name === pick);
  return (
    <figure className="chart" aria-label="Reliability diagram" data-testid="reliability-diagram">
      <div className="row">
        <label>
          Reliability of
          <select aria-label="Reliability of" value={pick} onChange={(e) => setShown(e.target.value)}>
            <option value="all">every network and ensemble</option>
            {members.map((x) => (
              <option key={x.name} value={x.name}>
                {x.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart margin={{ top: 8, right: 16, bottom: 16, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="confidence"
            type="number"
            domain={[0, 1]}
            ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]}
            label={{ value: 'confidence (top class)', position: 'insideBottom', offset: -8 }}
          />
          <YAxis dataKey="accuracy" type="number" domain={[0, 1]} width={44} />
          <Tooltip formatter={(v) => fmt(Number(v), 3)} labelFormatter={(v) => `confidence ${fmt(Number(v), 3)}`} />
          <Legend verticalAlign="top" />
          <Line
            data={DIAGONAL}
            dataKey="accuracy"
            name="perfectly calibrated"
            stroke="currentColor"
            strokeOpacity={0.4}
            strokeDasharray="4 4"
            dot={false}
            isAnimationActive={false}
          />
          {drawn.map((x) => (
            <Line
              key={x.name}
              data={x.m.reliability!.filter((b) => b.count > 0).map((b) => ({ confidence: b.confidence, accuracy: b.accuracy, count: b.count }))}
              dataKey="accuracy"
              name={`${x.name}: ECE ${fmt(x.m.ece)}`}
              stroke={x.name.startsWith('ensemble') ? 'currentColor' : colourOf(x.name)}
              dot
              isAnimationActive={false}
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
      <figcaption>
        Reliability diagram, {label}: accuracy of the test images in each confidence bin against their mean confidence. Below the diagonal: overconfident.
      </figcaption>
    </figure>
  );
}
