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
import { inputFilesOf, type FileWithPath } from '../data/inputFiles';
import { describeLayout, detectLayout } from '../data/layout';
import { countsOf, previews, type DatasetSummary } from '../data/summary';
import type { ImportOptions, ImportProgress, Layout } from '../data/types';
import { studyFromImport, studyFromSample, type Study } from '../experiment/session';

export type ImportSettings = Omit<ImportOptions, 'signal' | 'onProgress'>;

export class DatasetHolder {
  study: Study | null = null;
  summary: DatasetSummary | null = null;
  private lastImport: { files: FileWithPath[]; opts: ImportSettings } | null = null;
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

  /** Import a dropped or picked folder: files are listed here, read lazily, decoded in this worker. */
  async importFiles(files: FileWithPath[], opts: ImportSettings, onProgress: (p: ImportProgress) => void): Promise<DatasetSummary> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    const inputs = inputFilesOf(files);
    const top = inputs[0]?.path.split('/')[0] ?? 'folder';
    try {
      const r = await importDataset(inputs, { ...opts, signal: controller.signal, onProgress }, browserDecoder);
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
          const f = (await (entry as FileSystemFileHandle).getFile()) as FileWithPath;
          Object.defineProperty(f, 'relativePath', { value: path });
          files.push(f);
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
