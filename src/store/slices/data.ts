/**
 * The dataset: import settings, the import in progress, and the summary of what the worker holds.
 */
import { toErrorInfo } from '../../core/errors';
import type { DatasetSummary } from '../../data/summary';
import type { ExperimentSpec } from '../../core/spec';
import type { GroupSource, ImportProgress } from '../../data/types';
import type { DataSlice, ImportSettings, Slice } from '../state';

/**
 * Files handed to the worker per message: cloning a File costs the page's main thread about 0.7 ms
 * in Chromium (50-390 ms per 200 files on a busy 2-core machine), so a 5,000-file folder in one
 * postMessage froze the page for 3-6 s; in chunks of 100, it answers clicks between them.
 */
export const HANDOVER_CHUNK = 100;

export const dataSlice: Slice<DataSlice> = (set, get, deps) => {
  // Each import has an id: a newer one supersedes it (the worker cancels the older), and progress
  // messages, which travel on their own port, may arrive after the result; both are dropped.
  let importId = 0;
  const withImport = async (job: () => Promise<DatasetSummary>) => {
    const id = ++importId;
    set({ importing: { phase: 'listing', done: 0, total: 0 }, importError: null });
    try {
      const summary = await job();
      if (id === importId) set({ dataset: summary, importing: null, spec: { ...get().spec, task: summary.task } });
    } catch (e) {
      if (id === importId) set({ importing: null, importError: toErrorInfo(e) });
    }
  };
  const groupSource = (s: ImportSettings): GroupSource | undefined =>
    s.groups === 'none' ? { kind: 'none' } : s.groups === 'csv' && s.groupsCsv ? { kind: 'csv', ...s.groupsCsv } : undefined;
  // The importer's defaults (groups "auto", split by group) are left out.
  const options = () => {
    const s = get().importSettings;
    const groups = groupSource(s);
    return {
      inputSize: s.inputSize,
      resize: s.resize,
      seed: s.seed,
      testShare: get().spec.data.testShare,
      valShare: s.valShare,
      ...(s.subset ? { subset: s.subset } : {}),
      ...(groups ? { groups } : {}),
      ...(s.splitBy === 'image' ? { splitBy: 'image' as const } : {}),
    };
  };
  /** The spec says what the import does (the session records the import's own choices too). */
  const specData = (s: ImportSettings): Partial<ExperimentSpec['data']> => ({
    valShare: s.valShare,
    resize: s.resize,
    groups: s.groups === 'csv' && s.groupsCsv ? s.groupsCsv.name : s.groups === 'none' ? 'none' : 'auto',
    splitBy: s.splitBy ?? 'group',
  });
  const onProgress = () => {
    const id = importId;
    return deps.proxy((p: ImportProgress) => {
      if (id === importId && get().importing) set({ importing: p });
    });
  };
  return {
    dataset: null,
    importing: null,
    importError: null,
    importSettings: { inputSize: 224, resize: 'stretch', subset: null, seed: 0, valShare: 0, groups: 'auto', groupsCsv: null, splitBy: 'group' },
    savedFolder: null,
    rememberFolder: async (handle) => {
      set({ savedFolder: handle });
      await deps.folders.save(handle).catch(() => {});
    },
    loadRememberedFolder: async () => {
      const h = await deps.folders.load().catch(() => null);
      if (h) set({ savedFolder: h });
    },
    setImportSettings: (p) => {
      const importSettings = { ...get().importSettings, ...p };
      const spec = get().spec;
      set({ importSettings, spec: { ...spec, data: { ...spec.data, ...specData(importSettings) } } });
      // Groups decide the split: an imported folder is imported again under the new choice.
      const regroup = 'groups' in p || 'groupsCsv' in p || 'splitBy' in p;
      const d = get().dataset;
      if (regroup && d && !d.synthetic && (importSettings.groups !== 'csv' || importSettings.groupsCsv)) {
        const o = options();
        void withImport(() => deps.studio().reimportWith({ groups: o.groups ?? { kind: 'auto' }, splitBy: o.splitBy ?? 'group' }, onProgress()));
      }
    },
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
