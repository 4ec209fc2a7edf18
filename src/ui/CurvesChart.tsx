/**
 * Compare's curves: any loss term or metric of every run, per network or ensemble, methods side by
 * side; each run as a line or each method's mean ± std band over seeds; EMA smoothing with the raw
 * curve faint behind; linear or log y; x by step, epoch or training time; test and validation.
 * "Download curves" saves every logged value as one CSV. The series come from the store's curve
 * model (`store/curves.ts`), cut to a bounded number of points per series.
 */
import { useMemo } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { MODE_LABELS, type Mode } from '../core/config';
import { curveModel, curveNetworks, LOSS_TERMS, QUANTITY_LABELS, X_LABELS, type CurveX, type MetricName, type Quantity, type Split } from '../store/curves';
import { studioStore, useStudio } from '../store';
import { download, fmt } from './common';

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
  const yDomain = useMemo((): [number, number] | ['auto', 'auto'] => {
    if (!log) return ['auto', 'auto'];
    const ys = [
      ...model.series.flatMap((s) => s.points.map((p) => p.y)),
      ...model.bands.flatMap((b) => b.points.flatMap((p) => [p.range[0], p.range[1]])),
    ].filter((y) => y > 0);
    return ys.length ? [Math.min(...ys) * 0.9, Math.max(...ys) * 1.1] : [0.001, 1];
  }, [model, log]);
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
          <ResponsiveContainer width="100%" height={300}>
            <ComposedChart margin={{ top: 8, right: 16, bottom: 16, left: 4 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="x"
                type="number"
                domain={['dataMin', 'dataMax']}
                allowDecimals={view.x !== 'step'}
                tickFormatter={(v: number) => String(Math.round(v * 100) / 100)}
                label={{ value: X_LABELS[view.x], position: 'insideBottom', offset: -8 }}
              />
              <YAxis width={56} scale={log ? 'log' : 'auto'} domain={yDomain} allowDataOverflow={log} tickFormatter={(v: number) => fmt(v, log ? 3 : 2)} />
              {model.bands.map((b) => (
                <Area
                  key={`area-${b.id}`}
                  className={`band band-${b.method}${b.split === 'val' ? ' band-val' : ''}`}
                  data={b.points}
                  dataKey="range"
                  stroke="none"
                  fill={METHOD_COLOURS[b.method]}
                  fillOpacity={0.18}
                  isAnimationActive={false}
                  legendType="none"
                />
              ))}
              {model.bands.map(
                (b) =>
                  b.raw && (
                    <Line
                      key={`raw-${b.id}`}
                      data={b.raw}
                      dataKey="y"
                      stroke={METHOD_COLOURS[b.method]}
                      strokeOpacity={0.25}
                      dot={false}
                      isAnimationActive={false}
                      legendType="none"
                    />
                  ),
              )}
              {model.bands.map((b) => (
                <Line
                  key={`mean-${b.id}`}
                  className={`band-mean band-mean-${b.method}`}
                  data={b.points}
                  dataKey="mean"
                  name={`${MODE_LABELS[b.method]}${b.split === 'val' ? ' (validation)' : ''}`}
                  stroke={METHOD_COLOURS[b.method]}
                  strokeWidth={2}
                  strokeDasharray={b.split === 'val' ? '5 3' : undefined}
                  dot={b.points.length <= 40 ? { r: 2.5, fill: METHOD_COLOURS[b.method] } : false}
                  isAnimationActive={false}
                />
              ))}
              {model.series.map(
                (s) =>
                  s.raw && (
                    <Line
                      key={`raw-${s.id}`}
                      data={s.raw}
                      dataKey="y"
                      stroke={METHOD_COLOURS[s.method]}
                      strokeOpacity={0.2}
                      dot={false}
                      isAnimationActive={false}
                      legendType="none"
                    />
                  ),
              )}
              {model.series.map((s) => (
                <Line
                  key={s.id}
                  className={`run-line run-line-${s.method}`}
                  data={s.points}
                  dataKey="y"
                  name={`${MODE_LABELS[s.method]}, seed ${s.seed}`}
                  stroke={METHOD_COLOURS[s.method]}
                  strokeWidth={1.5}
                  strokeDasharray={s.split === 'val' ? '5 3' : undefined}
                  dot={s.points.length <= 40 ? { r: 2, fill: METHOD_COLOURS[s.method] } : false}
                  isAnimationActive={false}
                />
              ))}
            </ComposedChart>
          </ResponsiveContainer>
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
