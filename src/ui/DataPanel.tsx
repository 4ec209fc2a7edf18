/**
 * Data: the ways in (drop a folder, "Open folder" with its handle remembered for a re-grant after a
 * reload, the plain "Dataset folder" input, "Try sample data"), import settings (groups from file
 * names or a CSV, split by group or by image), progress with Cancel, and what the import
 * understood: layout, classes, counts, groups with their evidence, the split (images and groups per
 * set, groups in both sets, the leakage of a split by image), thumbnails with boxes, skipped files,
 * blocking errors, and the downloadable import report.
 */
import { useEffect, useState } from 'react';
import { toErrorInfo } from '../core/errors';
import { withPath, type FileWithPath } from '../data/inputFiles';
import type { ImportReport } from '../data/types';
import { studioStore, useStudio } from '../store';
import { download, fmtInt, ImageWithBoxes, Progress } from './common';

async function filesFromEntry(entry: FileSystemEntry, prefix: string, out: FileWithPath[]): Promise<void> {
  if (entry.isFile) {
    const f = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
    out.push(withPath(f, `${prefix}${entry.name}`));
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns the listing in chunks: read until it comes back empty.
    for (;;) {
      const chunk = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
      if (chunk.length === 0) break;
      for (const e of chunk) await filesFromEntry(e, `${prefix}${entry.name}/`, out);
    }
  }
}

/** The split of the import (and the rule every seed's split follows), with what it did to the groups. */
function SplitView({ report }: { report: ImportReport }) {
  const g = report.groups;
  const grouped = g && g.source !== 'none';
  const sets = [
    ['train', 'Training', report.counts.train],
    ['val', 'Validation', report.counts.val],
    ['test', 'Test', report.counts.test],
  ] as const;
  const classes = report.classes ?? [];
  return (
    <div className="split" data-testid="split">
      <h4>Groups and split</h4>
      {g && (
        <ul className="evidence" data-testid="group-evidence">
          {g.evidence.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
      <table aria-label="Split" className="compact">
        <thead>
          <tr>
            <th>Set</th>
            <th>Images</th>
            {classes.map((c) => (
              <th key={c.name}>{c.name}</th>
            ))}
            {grouped && <th>Groups</th>}
          </tr>
        </thead>
        <tbody>
          {sets
            .filter(([k, , n]) => k !== 'val' || n > 0)
            .map(([k, label, n]) => (
              <tr key={k}>
                <td>{label}</td>
                <td data-testid={`split-${k}`}>{fmtInt(n)}</td>
                {classes.map((c) => (
                  <td key={c.name}>{fmtInt(c[k])}</td>
                ))}
                {grouped && <td data-testid={`groups-${k}`}>{fmtInt(g.perSet[k])}</td>}
              </tr>
            ))}
        </tbody>
      </table>
      {grouped && (
        <p data-testid="groups-in-both">
          {fmtInt(g.groups)} groups ({fmtInt(g.grouped)} images with a group{g.ungrouped ? `, ${fmtInt(g.ungrouped)} without: each is split on its own` : ''}
          ). Groups in both sets: <strong>{g.groupsInBoth}</strong>.
        </p>
      )}
      {grouped && g.splitBy !== 'group' && g.leakage > 0 && (
        <p className="error" role="alert" data-testid="leakage">
          Leakage: {(100 * g.leakage).toFixed(1)} % of the test images share a group with training images
          {g.splitBy === 'image' ? ' (split by image, as chosen)' : ' (as the folders split them)'}. Test figures then measure recognition of groups the
          networks have seen.
        </p>
      )}
      {g && g.notes.length > 0 && (
        <ul className="notes" data-testid="group-notes">
          {g.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      <p className="hint">
        {report.settings.split === 'folders'
          ? 'The folders give the split; every seed uses it.'
          : `Every seed draws its own split by the same rule: ${grouped && g.splitBy === 'group' ? 'whole groups to test and validation, ' : ''}class balance kept, test share ${report.settings.testShare}.`}
      </p>
    </div>
  );
}

export function DataPanel() {
  const dataset = useStudio((s) => s.dataset);
  const importing = useStudio((s) => s.importing);
  const importError = useStudio((s) => s.importError);
  const settings = useStudio((s) => s.importSettings);
  const savedHandle = useStudio((s) => s.savedFolder);
  const [dragging, setDragging] = useState(false);
  const { importFiles, importDirectory, reimport, loadSample, cancelImport, setImportSettings, rememberFolder, loadRememberedFolder } = studioStore.getState();
  const hasPicker = typeof (window as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';

  useEffect(() => {
    void loadRememberedFolder();
  }, [loadRememberedFolder]);

  async function openFolder() {
    const picker = (window as unknown as { showDirectoryPicker(o?: object): Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
    try {
      const h = await picker({ mode: 'read' });
      await rememberFolder(h);
      await importDirectory(h);
    } catch (e) {
      if ((e as DOMException).name !== 'AbortError') studioStore.setState({ importError: toErrorInfo(e) });
    }
  }

  async function regrant() {
    if (!savedHandle) return;
    const h = savedHandle as FileSystemDirectoryHandle & { requestPermission(o: object): Promise<PermissionState> };
    // Needs the click's user gesture, on the main thread.
    if ((await h.requestPermission({ mode: 'read' })) === 'granted') await importDirectory(savedHandle);
  }

  async function onDrop(e: React.DragEvent) {
    e.preventDefault();
    setDragging(false);
    const items = Array.from(e.dataTransfer.items).filter((i) => i.kind === 'file');
    const withHandle = items[0] as DataTransferItem & { getAsFileSystemHandle?: () => Promise<FileSystemHandle | null> };
    if (items.length === 1 && withHandle.getAsFileSystemHandle) {
      const h = await withHandle.getAsFileSystemHandle();
      if (h && h.kind === 'directory') {
        await rememberFolder(h as FileSystemDirectoryHandle);
        return importDirectory(h as FileSystemDirectoryHandle);
      }
    }
    // Entries keep folder structure; items without one (files made by a page) come as plain files.
    const files: FileWithPath[] = [];
    const pending = items.map((i) => ({ entry: i.webkitGetAsEntry(), file: i.getAsFile() }));
    for (const { entry, file } of pending) {
      if (entry) await filesFromEntry(entry, '', files);
      else if (file) files.push(withPath(file));
    }
    return importFiles(files);
  }

  const report = dataset?.report;
  const skipped = report ? report.files.filter((f) => f.status !== 'ok' && f.status !== 'unused') : [];
  const warned = report ? report.files.filter((f) => f.status === 'ok' && f.warnings?.length) : [];

  return (
    <section className="panel" aria-label="Data">
      <h2>Data</h2>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <p>Drop a dataset folder here. The images stay on this computer.</p>
        <div className="row">
          <label className="file">
            Dataset folder
            <input
              type="file"
              aria-label="Dataset folder"
              {...{ webkitdirectory: '', directory: '' }}
              multiple
              onChange={(e) => e.target.files && void importFiles(Array.from(e.target.files, (f) => withPath(f)))}
            />
          </label>
          {hasPicker && (
            <button type="button" onClick={openFolder}>
              Open folder
            </button>
          )}
          {hasPicker && savedHandle && (
            <button type="button" onClick={regrant} title={`Import ${savedHandle.name} again`}>
              Re-grant access
            </button>
          )}
          <button type="button" onClick={() => void loadSample('classify')}>
            Try sample data (classification)
          </button>
          <button type="button" onClick={() => void loadSample('box')}>
            Try sample data (detection)
          </button>
        </div>
      </div>
      <details>
        <summary>Import settings</summary>
        <div className="row">
          <label>
            Store images at (px)
            <input type="number" min={32} max={512} value={settings.inputSize} onChange={(e) => setImportSettings({ inputSize: Number(e.target.value) })} />
          </label>
          <label>
            Resize
            <select value={settings.resize} onChange={(e) => setImportSettings({ resize: e.target.value as 'stretch' | 'pad' })}>
              <option value="stretch">Stretch to square</option>
              <option value="pad">Pad to square</option>
            </select>
          </label>
          <label>
            Subset (images, stratified)
            <input
              type="number"
              min={2}
              placeholder="all"
              value={settings.subset ?? ''}
              onChange={(e) => setImportSettings({ subset: e.target.value.trim() ? Number(e.target.value) : null })}
            />
          </label>
          <label>
            Sampling seed
            <input type="number" min={0} value={settings.seed} onChange={(e) => setImportSettings({ seed: Number(e.target.value) })} />
          </label>
          <label>
            Groups (patient, slide, sequence)
            <select
              aria-label="Groups"
              value={settings.groups ?? 'auto'}
              onChange={(e) => setImportSettings({ groups: e.target.value as 'auto' | 'none' | 'csv' })}
            >
              <option value="auto">Automatic: TCGA barcodes in the names, or a groups CSV in the folder</option>
              <option value="csv">From a CSV file (file,group)</option>
              <option value="none">None: images are independent</option>
            </select>
          </label>
          {settings.groups === 'csv' && (
            <label className="file">
              {settings.groupsCsv ? `Groups CSV: ${settings.groupsCsv.name}` : 'Choose the groups CSV'}
              <input
                type="file"
                aria-label="Groups CSV"
                accept=".csv,.tsv,text/csv"
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  if (f) void f.text().then((text) => setImportSettings({ groupsCsv: { name: f.name, text } }));
                }}
              />
            </label>
          )}
          <label>
            Split by
            <select
              aria-label="Split by"
              value={settings.splitBy ?? 'group'}
              onChange={(e) => setImportSettings({ splitBy: e.target.value as 'group' | 'image' })}
            >
              <option value="group">By group: no group in two sets</option>
              <option value="image">By image: groups leak across sets</option>
            </select>
          </label>
          <label>
            Validation share of train
            <input
              type="number"
              min={0}
              max={0.5}
              step={0.05}
              value={settings.valShare}
              onChange={(e) => setImportSettings({ valShare: Number(e.target.value) })}
            />
          </label>
        </div>
      </details>
      {importing && (
        <div className="row">
          <Progress
            value={importing.done}
            max={importing.total || 1}
            label={`${importing.phase === 'listing' ? 'Listing' : 'Decoding'}: ${fmtInt(importing.done)}${importing.total ? ` of ${fmtInt(importing.total)}` : ''}`}
          />
          <button type="button" onClick={cancelImport}>
            Cancel import
          </button>
        </div>
      )}
      {importError && (
        <p className="error" role="alert">
          {importError.code}: {importError.message}
        </p>
      )}
      {dataset && (
        <div className="dataset" data-testid="dataset-summary">
          <h3>{dataset.name}</h3>
          {dataset.synthetic && <p className="badge synthetic">Synthetic data, generated in the browser</p>}
          <p>
            Layout: <strong data-testid="layout">{dataset.layoutDescription}</strong>. Task:{' '}
            <strong>{dataset.task === 'classify' ? 'classification' : 'detection (one box per image)'}</strong>. {fmtInt(dataset.total)} usable images
            {dataset.givenSplit ? ` (split given by the folders: ${dataset.train} train, ${dataset.test} test)` : ''}.
          </p>
          {report && report.evidence.length > 0 && (
            <ul className="evidence" aria-label="What the paths show" data-testid="layout-evidence">
              {report.evidence.map((e, i) => (
                <li key={i}>{e}</li>
              ))}
            </ul>
          )}
          {dataset.layouts.length > 1 && (
            <label>
              Read this folder as
              <select
                aria-label="Read this folder as"
                value={0}
                onChange={(e) => {
                  const l = dataset.layouts[Number(e.target.value)];
                  if (l) void reimport(l.layout);
                }}
              >
                {dataset.layouts.map((l, i) => (
                  <option key={i} value={i}>
                    {l.description}
                  </option>
                ))}
              </select>
            </label>
          )}
          <table aria-label="Images per class" className="compact">
            <thead>
              <tr>
                <th>{dataset.task === 'classify' ? 'Class' : 'Set'}</th>
                <th>Images</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(dataset.counts).map(([k, v]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td data-testid={`count-${k}`}>{fmtInt(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report && <SplitView report={report} />}
          {report && report.counts.mergedBoxImages > 0 && <p>{report.counts.mergedBoxImages} images had several boxes; their union is the target.</p>}
          {dataset.blocking.length > 0 && (
            <div role="alert" className="error">
              <strong>This dataset cannot be trained on yet:</strong>
              <ul>
                {dataset.blocking.map((b, i) => (
                  <li key={i} data-testid="blocking">
                    {b.code}: {b.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <div className="thumbs" aria-label="Preview">
            {dataset.previews.map((t, i) => (
              <figure key={i}>
                <ImageWithBoxes image={t} boxes={t.box ? [{ box: t.box, colour: '#00e676' }] : []} display={72} />
                <figcaption>{t.label ?? ''}</figcaption>
              </figure>
            ))}
          </div>
          {report && (
            <>
              <p data-testid="skipped-count">
                {fmtInt(report.counts.skipped)} {report.counts.skipped === 1 ? 'file' : 'files'} skipped, {fmtInt(report.counts.warnings)} with warnings
                {report.counts.unused ? `, ${report.counts.unused} not drawn into the subset` : ''}.
              </p>
              {(skipped.length > 0 || warned.length > 0) && (
                <table aria-label="Skipped files" className="compact">
                  <thead>
                    <tr>
                      <th>File</th>
                      <th>Code</th>
                      <th>Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {skipped.slice(0, 200).map((f) => (
                      <tr key={f.path}>
                        <td>{f.path}</td>
                        <td>{f.status}</td>
                        <td>{'message' in f ? f.message : ''}</td>
                      </tr>
                    ))}
                    {warned.slice(0, 100).map((f) => (
                      <tr key={f.path}>
                        <td>{f.path}</td>
                        <td>{f.warnings!.map((w) => w.code).join(', ')}</td>
                        <td>{f.warnings!.map((w) => w.message).join('; ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <button type="button" onClick={() => download('import-report.json', JSON.stringify(report, null, 2), 'application/json')}>
                Download import report
              </button>
            </>
          )}
        </div>
      )}
    </section>
  );
}
