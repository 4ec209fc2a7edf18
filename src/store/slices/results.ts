/**
 * Questions to the worker about finished runs and bundles, whose answers the screens show
 * themselves: a run's test predictions (Inspect, ROC), an export zip (all read from the kept runs
 * of the experiment shown, `experimentId`), Grad-CAM maps of its test images, an opened bundle and
 * its predictions on new images.
 * And results.json files opened from disk ("Open results" in Compare), read on the page without
 * the worker: they hold records, not models.
 */
import { toErrorInfo } from '../../core/errors';
import { readResults } from '../../experiment/resultsFile';
import type { ResultsSlice, Slice } from '../state';

/** Test images shown per run in Inspect. */
const INSPECT_LIMIT = 200;

export const resultsSlice: Slice<ResultsSlice> = (set, get, deps) => ({
  inspection: null,
  predictions: null,
  saliency: null,
  loadSaliency: async (key, indices, target) => {
    // Of the experiment shown (a new one shown clears `saliency`).
    const id = get().experimentId ?? '';
    const request = `${key}|${target}|${indices.join(',')}`;
    if (get().saliency?.request === request && !get().saliency?.error) return;
    set({ saliency: { key, request, data: null, error: null } });
    try {
      const data = await deps.studio().gradCam(id, key, indices, target);
      if (get().saliency?.request === request) set({ saliency: { key, request, data, error: null } });
    } catch (e) {
      if (get().saliency?.request === request) set({ saliency: { key, request, data: null, error: toErrorInfo(e) } });
    }
  },
  loadInspection: async (key) => {
    if (get().inspection?.key === key) return;
    set({ inspection: { key, data: null } });
    const id = get().experimentId;
    const data = id
      ? await deps
          .studio()
          .inspect(id, key, INSPECT_LIMIT)
          .catch(() => null)
      : null;
    // Another run may have been picked meanwhile: keep only the latest.
    if (get().inspection?.key === key) set({ inspection: { key, data } });
  },
  loadPredictions: async (key) => {
    if (get().predictions?.key === key) return;
    set({ predictions: { key, data: null } });
    const id = get().experimentId;
    const data = id
      ? await deps
          .studio()
          .predictions(id, key)
          .catch(() => null)
      : null;
    if (get().predictions?.key === key) set({ predictions: { key, data } });
  },
  exportRun: (key, includeTeacher) => {
    const id = get().experimentId;
    if (!id) return Promise.reject({ name: 'EngineError', code: 'INVALID_CONFIG', message: 'No experiment is shown: open one in History' });
    return deps.studio().exportRun(id, key, includeTeacher);
  },
  openBundle: (file) => deps.studio().openBundle(file),
  predictFiles: (files) => deps.studio().predictFiles(files),
  openedResults: null,
  openResultsError: null,
  openResults: (text, name) => {
    try {
      set({ openedResults: { name, result: readResults(text, name) }, openResultsError: null, tab: 'Compare' });
      return true;
    } catch (e) {
      // A bad file changes nothing else: what Compare showed stays.
      set({ openResultsError: toErrorInfo(e) });
      return false;
    }
  },
  closeResults: () => set({ openedResults: null, openResultsError: null }),
});
