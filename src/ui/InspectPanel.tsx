/**
 * Inspect a finished run. Classification: the test images the ensemble got wrong, with each
 * network's probabilities and its Grad-CAM map (where it found evidence for the class it
 * predicted, or the true class), and any test image picked from the strip, explained per network
 * for any class. Detection (the paper's Figure 3): each test image with the ground-truth box, every
 * student's, the teacher's and the ensemble's box in distinct colours with a legend and their IoU,
 * sortable by IoU to find the failures.
 */
import { useEffect, useMemo, useState } from 'react';
import { iouOf } from '../core/metrics';

import { studioStore, useStudio } from '../store';
import type { Inspection, SaliencyTarget } from '../store/state';
import { fmt, ImageWithBoxes, type DrawnBox } from './common';
import { colourOf } from './LossChart';
import { HeatLegend, HeatOverlay } from './Saliency';

/** Wrong images explained at once (Grad-CAM runs every network on each). */
const SALIENCY_LIMIT = 24;

type InspectData = Inspection;

const GT = '#00e676';
const ENSEMBLE = '#ffffff';

export function InspectPanel() {
  const runs = useStudio((s) => s.runs);
  const inspection = useStudio((s) => s.inspection);
  const done = runs.filter((r) => r.run && r.status === 'done');
  const [key, setKey] = useState<string>('');
  const [sort, setSort] = useState<'iou-asc' | 'iou-desc' | 'index'>('iou-asc');
  const active = key || done[done.length - 1]?.key || '';
  const data = inspection?.key === active ? inspection.data : null;

  useEffect(() => {
    if (active) void studioStore.getState().loadInspection(active);
  }, [active]);

  if (done.length === 0)
    return (
      <section className="panel" aria-label="Inspect">
        <h2>Inspect</h2>
        <p className="hint">Finished runs appear here.</p>
      </section>
    );

  return (
    <section className="panel" aria-label="Inspect">
      <h2>Inspect</h2>
      <label>
        Run
        <select value={active} onChange={(e) => setKey(e.target.value)} aria-label="Run to inspect">
          {done.map((r) => (
            <option key={r.key} value={r.key}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      {data && data.task === 'classify' && <Misclassified data={data} runKey={active} />}
      {data && data.task === 'box' && (
        <>
          <div className="row">
            <label>
              Sort
              <select value={sort} onChange={(e) => setSort(e.target.value as typeof sort)} aria-label="Sort boxes">
                <option value="iou-asc">Ensemble IoU, worst first</option>
                <option value="iou-desc">Ensemble IoU, best first</option>
                <option value="index">Test order</option>
              </select>
            </label>
            <Legend names={Object.keys(data.networks)} ensembles={Object.keys(data.ensembles)} />
          </div>
          <Boxes data={data} sort={sort} />
        </>
      )}
    </section>
  );
}

function Legend({ names, ensembles }: { names: string[]; ensembles: string[] }) {
  return (
    <ul className="legend" aria-label="Box colours">
      <li>
        <span style={{ background: GT }} /> ground truth
      </li>
      {names.map((n) => (
        <li key={n}>
          <span style={{ background: colourOf(n) }} /> {n}
        </li>
      ))}
      {ensembles.map((n) => (
        <li key={n}>
          <span style={{ background: ENSEMBLE, border: '1px dashed #333' }} /> ensemble ({n})
        </li>
      ))}
    </ul>
  );
}

function Boxes({ data, sort }: { data: InspectData; sort: 'iou-asc' | 'iou-desc' | 'index' }) {
  const ensName = Object.keys(data.ensembles)[0];
  const items = data.images.map((img, i) => ({ img, i, iou: iouOf(data.ensembles[ensName][i], data.boxes![i]) }));
  if (sort !== 'index') items.sort((a, b) => (sort === 'iou-asc' ? a.iou - b.iou : b.iou - a.iou));
  return (
    <div className="thumbs large" data-testid="box-grid">
      {items.map(({ img, i, iou }) => {
        const boxes: DrawnBox[] = [
          { box: data.boxes![i], colour: GT },
          ...Object.entries(data.networks).map(([n, rows]) => ({ box: rows[i], colour: colourOf(n) })),
          { box: data.ensembles[ensName][i], colour: ENSEMBLE, dashed: true },
        ];
        return (
          <figure key={i} data-testid="box-figure">
            <ImageWithBoxes image={img} boxes={boxes} display={180} title={`${img.id}: ensemble IoU ${fmt(iou, 2)}`} />
            <figcaption>
              <strong>ensemble IoU {fmt(iou, 2)}</strong>
              <br />
              {Object.entries(data.networks).map(([n, rows]) => (
                <span key={n} style={{ color: colourOf(n) }}>
                  {n} {fmt(iouOf(rows[i], data.boxes![i]), 2)}{' '}
                </span>
              ))}
            </figcaption>
          </figure>
        );
      })}
    </div>
  );
}

function Misclassified({ data, runKey }: { data: InspectData; runKey: string }) {
  const ensName = data.ensembles.max ? 'max' : Object.keys(data.ensembles)[0];
  const wrong = useMemo(
    () =>
      data.images
        .map((img, i) => {
          const row = data.ensembles[ensName][i];
          const pred = row.indexOf(Math.max(...row));
          return { img, i, pred };
        })
        .filter((x) => x.pred !== data.labels![x.i]),
    [data, ensName],
  );
  const cls = (c: number) => data.classNames?.[c] ?? String(c);
  const classes = data.classNames?.length ?? data.networks[Object.keys(data.networks)[0]]?.[0]?.length ?? 2;
  const [target, setTarget] = useState<SaliencyTarget>('predicted');
  const [picked, setPicked] = useState<number>(wrong[0]?.i ?? 0);
  const saliency = useStudio((s) => s.saliency);
  const indices = useMemo(() => Array.from(new Set([...wrong.slice(0, SALIENCY_LIMIT).map((w) => w.i), picked])), [wrong, picked]);
  useEffect(() => {
    void studioStore.getState().loadSaliency(runKey, indices, target);
  }, [runKey, indices, target]);
  const maps = saliency?.key === runKey && saliency.request === `${runKey}|${target}|${indices.join(',')}` ? saliency.data : null;
  const mapOf = (network: string, index: number) => {
    const k = maps?.indices.indexOf(index) ?? -1;
    return k >= 0 ? (maps!.networks[network]?.[k] ?? null) : null;
  };
  const names = Object.keys(data.networks);
  /** Said when a map has no positive evidence at all (ReLU of the weighted sum is 0 everywhere). */
  const evidence = (network: string, i: number) => (mapOf(network, i)?.peak === 0 ? ' (no evidence)' : '');
  const explained = (network: string, i: number) => {
    const m = mapOf(network, i);
    return m ? `${network} on ${data.images[i].id}: Grad-CAM for ${cls(m.classIndex)} (p = ${fmt(m.probability, 2)})` : `${network} on ${data.images[i].id}`;
  };
  return (
    <>
      <div className="row">
        <label>
          Grad-CAM explains
          <select
            aria-label="Grad-CAM explains"
            value={String(target)}
            onChange={(e) => setTarget(e.target.value === 'predicted' || e.target.value === 'true' ? e.target.value : Number(e.target.value))}
          >
            <option value="predicted">each network's own prediction</option>
            <option value="true">the true class</option>
            {Array.from({ length: classes }, (_, c) => (
              <option key={c} value={c}>
                class {cls(c)}
              </option>
            ))}
          </select>
        </label>
        <HeatLegend />
        {saliency?.error && (
          <span className="error" role="alert">
            {saliency.error.code}: {saliency.error.message}
          </span>
        )}
      </div>
      <h3>Pick a test image</h3>
      <div className="thumbs" role="listbox" aria-label="Test images" data-testid="test-strip">
        {data.images.map((img, i) => (
          <button
            key={i}
            type="button"
            role="option"
            aria-selected={picked === i}
            className="cell"
            onClick={() => setPicked(i)}
            title={`${img.id}: ${cls(data.labels![i])}`}
            style={{ padding: 0, border: picked === i ? '2px solid var(--accent)' : '2px solid transparent' }}
          >
            <ImageWithBoxes image={img} display={40} />
          </button>
        ))}
      </div>
      {data.images[picked] && (
        <div className="saliency" data-testid="picked-saliency">
          <figure>
            <ImageWithBoxes image={data.images[picked]} display={140} />
            <figcaption>
              test image {picked}: true <strong>{cls(data.labels![picked])}</strong>
            </figcaption>
          </figure>
          {names.map((n) => (
            <figure key={n}>
              <HeatOverlay image={data.images[picked]} map={mapOf(n, picked)} display={140} title={explained(n, picked)} testId="saliency-map" />
              <figcaption style={{ color: colourOf(n) }}>
                {n}: says {cls(data.networks[n][picked].indexOf(Math.max(...data.networks[n][picked])))}
                {mapOf(n, picked) ? `, map for ${cls(mapOf(n, picked)!.classIndex)}` : ''}
                {evidence(n, picked)}
              </figcaption>
            </figure>
          ))}
        </div>
      )}
      <p data-testid="wrong-count">
        The ensemble ({ensName}) got {wrong.length} of {data.images.length} test images wrong.
        {wrong.length > SALIENCY_LIMIT ? ` Grad-CAM is drawn for the first ${SALIENCY_LIMIT}; pick any other above.` : ''}
      </p>
      <div className="thumbs large">
        {wrong.map(({ img, i, pred }) => (
          <figure key={i} className="wrong">
            <div className="row maps">
              <div>
                <ImageWithBoxes image={img} display={100} />
                <small>image</small>
              </div>
              {names.map((n) => (
                <div key={n}>
                  <HeatOverlay image={img} map={mapOf(n, i)} display={100} title={explained(n, i)} testId="saliency-map" />
                  <small style={{ color: colourOf(n) }}>
                    {n}
                    {evidence(n, i)}
                  </small>
                </div>
              ))}
            </div>
            <figcaption>
              true <strong>{cls(data.labels![i])}</strong>, ensemble says <strong>{cls(pred)}</strong>
              <table className="compact">
                <tbody>
                  {Object.entries(data.networks).map(([n, rows]) => (
                    <tr key={n}>
                      <td style={{ color: colourOf(n) }}>{n}</td>
                      {rows[i].map((p, c) => (
                        <td key={c}>
                          {cls(c)} {fmt(p, 2)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </figcaption>
          </figure>
        ))}
      </div>
    </>
  );
}
