/**
 * The dataset the worker holds: imported from a dropped or picked folder (decoded here, off the
 * page), or generated sample data; with the summary the page is shown and the layouts the folder
 * could also be read as.
 *
 * Owns: the current study, the import in progress (its cancel) and the last import's files (to
 * read them again under another layout). Runs in the studio worker.
 */
import { EngineError } from '../core/errors';
import { browserDecoder } from '../data/decode-browser';
import { importDataset } from '../data/importer';
import { inputFilesOf, withPath, type FileWithPath } from '../data/inputFiles';
import { describeLayout, detectLayout } from '../data/layout';
import { countsOf, previews, type DatasetSummary } from '../data/summary';
import type { ImportOptions, ImportProgress, Layout } from '../data/types';
import { studyFromImport, studyFromSample, type Study } from '../experiment/session';

export type ImportSettings = Omit<ImportOptions, 'signal' | 'onProgress'>;

export class DatasetHolder {
  study: Study | null = null;
  summary: DatasetSummary | null = null;
  private lastImport: { files: FileWithPath[]; opts: ImportSettings } | null = null;
  /** Files handed over in chunks, for the import that follows (see `stage`). */
  private staged: FileWithPath[] = [];
  private controller: AbortController | null = null;

  loadSample(task: 'classify' | 'box', count: number, size: number): DatasetSummary {
    const study = studyFromSample(task, count, size);
    const s = study.samples;
    const train = Math.round(s.count * 0.8);
    this.hold(study, {
      id: study.identity.id,
      name: study.identity.name,
      synthetic: true,
      task,
      classNames: study.info.classNames,
      counts: countsOf(s, study.info.classNames),
      total: s.count,
      train,
      test: s.count - train,
      size,
      layoutDescription: study.info.layout ?? '',
      givenSplit: false,
      report: null,
      layouts: [],
      blocking: [],
      previews: previews(s, study.info.classNames),
    });
    return this.summary!;
  }

  /**
   * Take a chunk of a large folder's files ahead of `importStaged` (`first` starts a new folder).
   * The page posts a few hundred at a time: cloning a File costs its main thread about 0.7 ms, so
   * 5,000 of them in one message froze it for seconds.
   */
  stage(files: FileWithPath[], first: boolean): number {
    if (first) this.staged = [];
    for (const f of files) this.staged.push(f);
    return this.staged.length;
  }

  /** Import the staged files, as `importFiles` would. */
  importStaged(opts: ImportSettings, onProgress: (p: ImportProgress) => void): Promise<DatasetSummary> {
    const files = this.staged;
    this.staged = [];
    return this.importFiles(files, opts, onProgress);
  }

  /** Import a dropped or picked folder: files are listed here, read lazily, decoded in this worker. */
  async importFiles(files: FileWithPath[], opts: ImportSettings, onProgress: (p: ImportProgress) => void): Promise<DatasetSummary> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    const inputs = inputFilesOf(files);
    const top = inputs[0]?.path.split('/')[0] ?? 'folder';
    try {
      const r = await importDataset(inputs, { ...opts, signal: controller.signal, onProgress: throttled(onProgress) }, browserDecoder);
      const study = studyFromImport(top, r);
      const detected = detectLayout(inputs.map((f) => f.path));
      const seen = new Set<string>();
      const layouts = [r.layout, detected.layout, ...detected.alternatives]
        .filter((l): l is Layout => !!l)
        .filter((l) => !seen.has(JSON.stringify(l)) && !!seen.add(JSON.stringify(l)))
        .map((layout) => ({ layout, description: describeLayout(layout) }));
      this.hold(study, {
        id: study.identity.id,
        name: top,
        synthetic: false,
        task: study.identity.task,
        classNames: r.classNames,
        counts: study.info.counts ?? {},
        total: r.samples.count,
        train: r.split.train.count,
        test: r.split.test.count,
        size: r.samples.size,
        layoutDescription: r.report.layoutDescription,
        givenSplit: r.report.settings.split === 'folders',
        report: r.report,
        layouts,
        blocking: study.blocking,
        previews: previews(r.samples, r.classNames),
      });
      this.lastImport = { files, opts };
      return this.summary!;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  /** Every file under a directory handle (File System Access API), with its path. */
  async importDirectory(handle: FileSystemDirectoryHandle, opts: ImportSettings, onProgress: (p: ImportProgress) => void): Promise<DatasetSummary> {
    const files: FileWithPath[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, prefix: string) => {
      for await (const [name, entry] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        const path = `${prefix}/${name}`;
        if (entry.kind === 'directory') await walk(entry as FileSystemDirectoryHandle, path);
        else {
          files.push(withPath(await (entry as FileSystemFileHandle).getFile(), path));
          if (files.length % 500 === 0) onProgress({ phase: 'listing', done: files.length, total: 0 });
        }
      }
    };
    await walk(handle, handle.name);
    return this.importFiles(files, opts, onProgress);
  }

  /** Import the last folder again, read as `layout` (the user's choice over the detected one). */
  reimport(layout: Layout, onProgress: (p: ImportProgress) => void): Promise<DatasetSummary> {
    if (!this.lastImport) throw new EngineError('INVALID_CONFIG', 'Import a folder first');
    return this.importFiles(this.lastImport.files, { ...this.lastImport.opts, layout }, onProgress);
  }

  /** Import the last folder again with other settings (groups, split by image or by group...). */
  reimportWith(settings: Partial<ImportSettings>, onProgress: (p: ImportProgress) => void): Promise<DatasetSummary> {
    if (!this.lastImport) throw new EngineError('INVALID_CONFIG', 'Import a folder first');
    return this.importFiles(this.lastImport.files, { ...this.lastImport.opts, ...settings }, onProgress);
  }

  cancelImport(): void {
    this.controller?.abort();
  }

  private hold(study: Study, summary: DatasetSummary): void {
    this.study = study;
    this.summary = summary;
  }
}

/**
 * At most one progress message per 100 ms (and every change of phase, and the last): the import
 * reports every few files, and each message re-renders the page, which shares the CPU with the
 * decoding.
 */
function throttled(onProgress: (p: ImportProgress) => void): (p: ImportProgress) => void {
  let last = 0;
  let phase: ImportProgress['phase'] | null = null;
  return (p) => {
    const now = performance.now();
    if (p.phase !== phase || p.done >= p.total || now - last >= 100) {
      last = now;
      phase = p.phase;
      onProgress(p);
    }
  };
}
