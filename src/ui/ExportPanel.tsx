/**
 * Export a finished run's students (and teacher if asked) as a zip of TensorFlow.js layers models
 * with the ensemble manifest, config and metrics; or write the same files into a folder the user
 * picks where the File System Access API exists. "Open bundle" loads such an export back and runs
 * its ensemble on a new folder: predictions shown, downloadable as CSV, boxes drawn.
 */
import { useState } from 'react';
import { unzipSync } from 'fflate';
import { toCsv } from '../core/csv';
import { toErrorInfo, type ErrorInfo } from '../core/errors';
import { withPath, type FileWithPath } from '../data/inputFiles';
import type { Thumbnail } from '../data/summary';
import { studioStore, useStudio } from '../store';
import type { StudioState } from '../store/studio';
import { download, fmt, ImageWithBoxes } from './common';

type Prediction = Awaited<ReturnType<StudioState['predictFiles']>>;
type EnsembleManifest = Awaited<ReturnType<StudioState['openBundle']>>;

/** "2 networks, 1.2 MB": the networks a bundle holds and its size. */
function describeBundle(zip: Uint8Array): string {
  const networks = new Set(Object.keys(unzipSync(zip, { filter: (f) => f.name.endsWith('/model.json') })).map((p) => p.split('/')[0])).size;
  const mb = zip.byteLength / 1e6;
  return `${networks} ${networks === 1 ? 'network' : 'networks'}, ${mb < 0.1 ? `${fmt(zip.byteLength / 1e3, 0)} kB` : `${fmt(mb, 1)} MB`}`;
}

export function ExportPanel() {
  const runs = useStudio((s) => s.runs);
  const training = useStudio((s) => s.status === 'running' || s.status === 'paused');
  const done = runs.filter((r) => r.run && r.status === 'done');
  const [key, setKey] = useState('');
  const [withTeacher, setWithTeacher] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [manifest, setManifest] = useState<EnsembleManifest | null>(null);
  const [prediction, setPrediction] = useState<Prediction | null>(null);
  /** What the last export wrote, so the user sees it went somewhere. */
  const [exported, setExported] = useState<string | null>(null);
  const active = key || done[done.length - 1]?.key || '';
  const hasPicker = typeof (window as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';

  async function exportZip(toFolder: boolean) {
    setBusy(true);
    setError(null);
    setExported(null);
    try {
      const zip = await studioStore.getState().exportRun(active, withTeacher);
      const name = `cohort-${active.replace(':', '-seed')}`;
      if (toFolder) {
        const dir = await (window as unknown as { showDirectoryPicker(o: object): Promise<FileSystemDirectoryHandle> }).showDirectoryPicker({
          mode: 'readwrite',
        });
        const root = await dir.getDirectoryHandle(name, { create: true });
        for (const [path, bytes] of Object.entries(unzipSync(zip))) {
          const parts = path.split('/');
          let d = root;
          for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p, { create: true });
          const w = await (await d.getFileHandle(parts[parts.length - 1], { create: true })).createWritable();
          await w.write(bytes as Uint8Array<ArrayBuffer>);
          await w.close();
        }
        setExported(`Wrote the folder ${name} (${describeBundle(zip)}).`);
      } else {
        download(`${name}.zip`, zip as Uint8Array<ArrayBuffer>, 'application/zip');
        setExported(`Downloaded ${name}.zip (${describeBundle(zip)}).`);
      }
    } catch (e) {
      if ((e as DOMException).name !== 'AbortError') setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  }

  async function openBundle(file: File) {
    setError(null);
    setPrediction(null);
    try {
      setManifest(await studioStore.getState().openBundle(file));
    } catch (e) {
      setManifest(null);
      setError(toErrorInfo(e));
    }
  }

  async function predict(files: FileWithPath[]) {
    setBusy(true);
    setError(null);
    try {
      setPrediction(await studioStore.getState().predictFiles(files));
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  }

  function csv(p: Prediction): string {
    const m = p.manifest;
    // Paths and class names come from the user's folders: toCsv defuses any that read as formulas.
    const head = m.task === 'classify' ? ['path', 'prediction', ...m.classNames!.map((c) => `p_${c}`)] : ['path', 'cx', 'cy', 'w', 'h'];
    return toCsv(
      head,
      p.rows.map((r) => (m.task === 'classify' ? [r.path, r.label, ...r.probabilities!] : [r.path, ...r.box!])),
    );
  }

  return (
    <section className="panel" aria-label="Export">
      <h2>Export</h2>
      {done.length === 0 ? (
        <p className="hint">Finished runs can be exported here.</p>
      ) : (
        <div className="row">
          <label>
            Run
            <select value={active} onChange={(e) => setKey(e.target.value)} aria-label="Run to export">
              {done.map((r) => (
                <option key={r.key} value={r.key}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={withTeacher} onChange={(e) => setWithTeacher(e.target.checked)} /> include the teacher
          </label>
          <button type="button" disabled={busy || !active} onClick={() => exportZip(false)}>
            Export
          </button>
          {hasPicker && (
            <button type="button" disabled={busy || !active} onClick={() => exportZip(true)}>
              Export to folder
            </button>
          )}
        </div>
      )}
      {exported && (
        <p className="hint" data-testid="exported" role="status">
          {exported}
        </p>
      )}
      {training && (
        <p className="hint" data-testid="export-while-training">
          An experiment is training: export, opening a bundle and predicting wait for its current step, then run before the next one.
        </p>
      )}
      <h3>Use an exported ensemble</h3>
      <div className="row">
        <label className="file">
          Open bundle
          <input type="file" accept=".zip,application/zip" aria-label="Open bundle" onChange={(e) => e.target.files?.[0] && openBundle(e.target.files[0])} />
        </label>
        {manifest && (
          <label className="file">
            Images to predict
            <input
              type="file"
              aria-label="Images to predict"
              {...{ webkitdirectory: '' }}
              multiple
              onChange={(e) => e.target.files && predict(Array.from(e.target.files, (f) => withPath(f)))}
            />
          </label>
        )}
      </div>
      {manifest && (
        <p data-testid="bundle-manifest">
          Bundle: {manifest.task === 'classify' ? `classification (${manifest.classNames!.join(', ')})` : 'detection'}, {manifest.members.length} students (
          {manifest.members.map((m) => m.arch).join(', ')}), rule {manifest.rule}, input {manifest.inputSize} px.
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error.code}: {error.message}
        </p>
      )}
      {prediction && (
        <>
          <p data-testid="prediction-count">
            {prediction.rows.length} images predicted{prediction.skipped.length ? `, ${prediction.skipped.length} skipped` : ''}.
          </p>
          <button type="button" onClick={() => download('predictions.csv', csv(prediction), 'text/csv')}>
            Download predictions
          </button>
          <div className="thumbs large">
            {prediction.thumbnails.map((t: Thumbnail, i: number) => (
              <figure key={i}>
                <ImageWithBoxes image={t} boxes={t.box ? [{ box: t.box, colour: '#ffffff', dashed: true }] : []} display={128} />
                <figcaption>
                  {t.id.split('/').pop()}: {prediction.rows[i].label ?? `box ${prediction.rows[i].box!.map((v) => fmt(v, 2)).join(', ')}`}
                </figcaption>
              </figure>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
