/**
 * The dataset: import settings, the import in progress, and the summary of what the worker holds.
 */
import { toErrorInfo } from '../../core/errors';
import type { DatasetSummary } from '../../data/summary';
import type { ImportProgress } from '../../data/types';
import type { DataSlice, Slice } from '../state';

/**
 * Files handed to the worker per message: cloning a File costs the page's main thread about 0.7 ms
 * in Chromium (50-390 ms per 200 files on a busy 2-core machine), so a 5,000-file folder in one
 * postMessage froze the page for 3-6 s; in chunks of 100, it answers clicks between them.
 */
export const HANDOVER_CHUNK = 100;

export const dataSlice: Slice<DataSlice> = (set, get, deps) => {
  const withImport = async (job: () => Promise<DatasetSummary>) => {
    set({ importing: { phase: 'listing', done: 0, total: 0 }, importError: null });
    try {
      const summary = await job();
      set({ dataset: summary, importing: null, spec: { ...get().spec, task: summary.task } });
    } catch (e) {
      set({ importing: null, importError: toErrorInfo(e) });
    }
  };
  const options = () => {
    const s = get().importSettings;
    return {
      inputSize: s.inputSize,
      resize: s.resize,
      seed: s.seed,
      testShare: get().spec.data.testShare,
      valShare: s.valShare,
      ...(s.subset ? { subset: s.subset } : {}),
    };
  };
  const onProgress = () => deps.proxy((p: ImportProgress) => set({ importing: p }));
  return {
    dataset: null,
    importing: null,
    importError: null,
    importSettings: { inputSize: 224, resize: 'stretch', subset: null, seed: 0, valShare: 0 },
    savedFolder: null,
    rememberFolder: async (handle) => {
      set({ savedFolder: handle });
      await deps.folders.save(handle).catch(() => {});
    },
    loadRememberedFolder: async () => {
      const h = await deps.folders.load().catch(() => null);
      if (h) set({ savedFolder: h });
    },
    setImportSettings: (p) => set({ importSettings: { ...get().importSettings, ...p } }),
    importFiles: (files) =>
      withImport(async () => {
        const studio = deps.studio();
        if (files.length <= HANDOVER_CHUNK) return studio.importFiles(files, options(), onProgress());
        for (let i = 0; i < files.length; i += HANDOVER_CHUNK) {
          await studio.stageFiles(files.slice(i, i + HANDOVER_CHUNK), i === 0);
          set({ importing: { phase: 'listing', done: Math.min(i + HANDOVER_CHUNK, files.length), total: files.length } });
        }
        return studio.importStaged(options(), onProgress());
      }),
    importDirectory: (handle) => withImport(() => deps.studio().importDirectory(handle, options(), onProgress())),
    reimport: (layout) => withImport(() => deps.studio().reimport(layout, onProgress())),
    loadSample: (task) => withImport(() => deps.studio().loadSampleData(task, task === 'classify' ? 160 : 120, 64)),
    cancelImport: () => void deps.studio().cancelImport(),
  };
};
