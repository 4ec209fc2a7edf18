/**
 * The dataset: import settings, the import in progress, and the summary of what the worker holds.
 */
import { toErrorInfo } from '../../core/errors';
import type { DatasetSummary } from '../../data/summary';
import type { ImportProgress } from '../../data/types';
import type { DataSlice, Slice } from '../state';

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
  // Progress arrives on the callback's own message channel, so its last message can land after the
  // import's result: once the import is over (importing is null), late progress is dropped.
  const onProgress = () => deps.proxy((p: ImportProgress) => get().importing && set({ importing: p }));
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
    importFiles: (files) => withImport(() => deps.studio().importFiles(files, options(), onProgress())),
    importDirectory: (handle) => withImport(() => deps.studio().importDirectory(handle, options(), onProgress())),
    reimport: (layout) => withImport(() => deps.studio().reimport(layout, onProgress())),
    loadSample: (task) => withImport(() => deps.studio().loadSampleData(task, task === 'classify' ? 160 : 120, 64)),
    cancelImport: () => void deps.studio().cancelImport(),
  };
};
