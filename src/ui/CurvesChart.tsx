/**
 * Compare's curves: any loss term or metric of every run, per network or ensemble, methods side by
 * side; each run as a line or each method's mean ± std band over seeds; EMA smoothing with the raw
 * curve faint behind; linear or log y; x by step, epoch or training time; test and validation.
 * "Download curves" saves every logged value as one CSV. The series come from the store's curve
 * model (`store/curves.ts`), cut to a bounded number of points per series.
 */
import { useMemo } from 'react';
import { MODE_LABELS, type Mode } from '../core/config';
import { curveModel, curveNetworks, LOSS_TERMS, QUANTITY_LABELS, X_LABELS, type CurveX, type MetricName, type Quantity, type Split } from '../store/curves';
import { studioStore, useStudio } from '../store';
import { download } from './common';
import { CurvePlot, type PlotArea, type PlotLine } from './CurvePlot';

/** One colour per method, readable on the light and the dark theme. */
export const METHOD_COLOURS: Record<Mode, string> = {
  kd: '#e76f51',
  ml: '#2a9d8f',
  kdml_online: '#7b6cf0',
  kdml_offline: '#d9a21b',
  independent: '#8d8da0',
};

const quantityKey = (q: Quantity) => (q.kind === 'loss' ? `loss:${q.term}` : `metric:${q.metric}`);
const quantityOf = (key: string): Quantity => {
  const [kind, name] = key.split(':');
  return kind === 'loss' ? { kind: 'loss', term: name as (typeof LOSS_TERMS)[number] } : { kind: 'metric', metric: name as MetricName };
};
const networkLabel = (n: string) => (n.startsWith('ensemble:') ? `ensemble (${n.slice('ensemble:'.length)})` : n);

export function CurvesChart({ task }: { task: 'classify' | 'box' }) {
  const runs = useStudio((s) => s.runs);
  const view = useStudio((s) => s.curveView);
  const { setCurveView, curvesCsv } = studioStore.getState();
  const networks = useMemo(() => curveNetworks(runs, view.quantity), [runs, view.quantity]);
  const network = networks.includes(view.network) ? view.network : (networks.find((n) => n.startsWith('student')) ?? networks[0]);
  const effective = useMemo(() => ({ ...view, network: network ?? view.network }), [view, network]);
  const model = useMemo(() => curveModel(runs, effective), [runs, effective]);
  const metrics: MetricName[] = task === 'classify' ? ['accuracy', 'macroAuc', 'ece'] : ['meanIoU', 'hitRate'];
  const logged = runs.some((r) => r.steps.length || r.evaluations.length);
  const log = view.yScale === 'log';
  const { lines, areas } = useMemo(() => {
    const lines: PlotLine[] = [];
    const areas: PlotArea[] = [];
    for (const b of model.bands) {
      const c = METHOD_COLOURS[b.method];
      areas.push({ id: `area-${b.id}`, points: b.points, colour: c, className: `band band-${b.method}${b.split === 'val' ? ' band-val' : ''}` });
      if (b.raw) lines.push({ id: `raw-${b.id}`, points: b.raw, colour: c, opacity: 0.25, width: 1 });
    }
    for (const b of model.bands) {
      lines.push({
        id: `mean-${b.id}`,
        points: b.points.map((p) => ({ x: p.x, y: p.mean })),
        colour: METHOD_COLOURS[b.method],
        width: 2,
        dash: b.split === 'val' ? '5 3' : undefined,
        dots: b.points.length <= 40,
        className: `band-mean band-mean-${b.method}`,
        label: `${MODE_LABELS[b.method]}${b.split === 'val' ? ' (validation)' : ''}`,
      });
    }
    for (const r of model.series) if (r.raw) lines.push({ id: `raw-${r.id}`, points: r.raw, colour: METHOD_COLOURS[r.method], opacity: 0.2, width: 1 });
    for (const r of model.series) {
      lines.push({
        id: r.id,
        points: r.points,
        colour: METHOD_COLOURS[r.method],
        dash: r.split === 'val' ? '5 3' : undefined,
        dots: r.points.length <= 40,
        className: `run-line run-line-${r.method}`,
        label: `${MODE_LABELS[r.method]}, seed ${r.seed}${r.split === 'val' ? ' (validation)' : ''}`,
      });
    }
    return { lines, areas };
  }, [model]);
  const methodsShown = Array.from(new Set([...model.series.map((s) => s.method), ...model.bands.map((b) => b.method)]));

  return (
    <section className="curves" aria-label="Curves" data-testid="curves">
      <h3>Curves</h3>
      <div className="curves-controls">
        <label>
          Quantity
          <select aria-label="Quantity" value={quantityKey(view.quantity)} onChange={(e) => setCurveView({ quantity: quantityOf(e.target.value) })}>
            {LOSS_TERMS.map((t) => (
              <option key={t} value={`loss:${t}`}>
                {QUANTITY_LABELS[t]}
              </option>
            ))}
            {metrics.map((m) => (
              <option key={m} value={`metric:${m}`}>
                {QUANTITY_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Network
          <select aria-label="Network" value={network ?? ''} onChange={(e) => setCurveView({ network: e.target.value })} disabled={!networks.length}>
            {networks.map((n) => (
              <option key={n} value={n}>
                {networkLabel(n)}
              </option>
            ))}
          </select>
        </label>
        <div role="group" aria-label="Show" className="segmented">
          <button type="button" aria-pressed={view.mode === 'band'} onClick={() => setCurveView({ mode: 'band' })}>
            Mean ± std over seeds
          </button>
          <button type="button" aria-pressed={view.mode === 'runs'} onClick={() => setCurveView({ mode: 'runs' })}>
            Every run
          </button>
        </div>
        <label>
          Smoothing {view.smoothing.toFixed(2)}
          <input
            type="range"
            aria-label="Smoothing"
            min={0}
            max={0.99}
            step={0.01}
            value={view.smoothing}
            onChange={(e) => setCurveView({ smoothing: Number(e.target.value) })}
          />
        </label>
        <label>
          x
          <select aria-label="x axis" value={view.x} onChange={(e) => setCurveView({ x: e.target.value as CurveX })}>
            {(Object.keys(X_LABELS) as CurveX[]).map((x) => (
              <option key={x} value={x}>
                {X_LABELS[x]}
              </option>
            ))}
          </select>
        </label>
        <div role="group" aria-label="y scale" className="segmented">
          <button type="button" aria-pressed={!log} onClick={() => setCurveView({ yScale: 'linear' })}>
            linear
          </button>
          <button type="button" aria-pressed={log} onClick={() => setCurveView({ yScale: 'log' })}>
            log
          </button>
        </div>
        {view.quantity.kind === 'metric' && (
          <div role="group" aria-label="Splits" className="row">
            {(['test', 'val'] as Split[]).map((sp) => (
              <label
                className="check"
                key={sp}
                title={sp === 'val' && !model.hasValidation ? 'No validation images were held out in this experiment' : undefined}
              >
                <input
                  type="checkbox"
                  checked={view.splits.includes(sp)}
                  disabled={sp === 'val' && !model.hasValidation}
                  onChange={(e) => setCurveView({ splits: e.target.checked ? [...view.splits, sp] : view.splits.filter((x) => x !== sp) })}
                />
                {sp === 'test' ? 'test' : 'validation'}
              </label>
            ))}
          </div>
        )}
        <button type="button" disabled={!logged} onClick={() => download('curves.csv', curvesCsv(), 'text/csv')}>
          Download curves
        </button>
      </div>
      {!logged ? (
        <p className="hint">Curves appear as runs train.</p>
      ) : (
        <figure
          className="chart"
          aria-label={`${QUANTITY_LABELS[view.quantity.kind === 'loss' ? view.quantity.term : view.quantity.metric]} of ${networkLabel(network ?? '')}`}
          data-testid="curves-chart"
          data-series={model.series.length}
          data-bands={model.bands.length}
        >
          <CurvePlot lines={lines} areas={areas} log={log} xLabel={X_LABELS[view.x]} xInteger={view.x !== 'time'} />
          <figcaption>
            <ul className="legend" aria-label="Methods">
              {methodsShown.map((m) => {
                const b = model.bands.find((x) => x.method === m && x.split === 'test');
                return (
                  <li key={m}>
                    <span style={{ background: METHOD_COLOURS[m] }} /> {MODE_LABELS[m]}
                    {view.mode === 'band' && b ? ` (${b.seeds.length} seed${b.seeds.length === 1 ? '' : 's'})` : ''}
                  </li>
                );
              })}
              {model.hasValidation && view.quantity.kind === 'metric' && <li>dashed: validation</li>}
            </ul>
            {view.mode === 'band' ? 'Line: mean over seeds; shaded: ± one sample standard deviation. ' : 'One line per run. '}
            {view.smoothing > 0 ? `Smoothed (EMA ${view.smoothing.toFixed(2)}); the raw curve is drawn faintly behind. ` : ''}
            {log && model.nonPositive > 0 ? `${model.nonPositive} values ≤ 0 are not drawn on the log scale. ` : ''}
            Every value is in “Download curves”.
          </figcaption>
        </figure>
      )}
    </section>
  );
}
