/**
 * Inspect a finished run. Classification: the test images the ensemble got wrong, with each
 * network's probabilities. Detection (the paper's Figure 3): each test image with the ground-truth
 * box, every student's, the teacher's and the ensemble's box in distinct colours with a legend and
 * their IoU, sortable by IoU to find the failures.
 */
import { useEffect, useState } from 'react';
import { iouOf } from '../core/metrics';

import { studioStore, useStudio } from '../store';
import type { Inspection } from '../store/state';
import { fmt, ImageWithBoxes, type DrawnBox } from './common';
import { colourOf } from './LossChart';

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
      {data && data.task === 'classify' && <Misclassified data={data} />}
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

function Misclassified({ data }: { data: InspectData }) {
  const ensName = data.ensembles.max ? 'max' : Object.keys(data.ensembles)[0];
  const wrong = data.images
    .map((img, i) => {
      const row = data.ensembles[ensName][i];
      const pred = row.indexOf(Math.max(...row));
      return { img, i, pred };
    })
    .filter((x) => x.pred !== data.labels![x.i]);
  const cls = (c: number) => data.classNames?.[c] ?? String(c);
  return (
    <>
      <p data-testid="wrong-count">
        The ensemble ({ensName}) got {wrong.length} of {data.images.length} test images wrong.
      </p>
      <div className="thumbs large">
        {wrong.map(({ img, i, pred }) => (
          <figure key={i}>
            <ImageWithBoxes image={img} display={140} />
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
