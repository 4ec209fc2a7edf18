/**
 * Questions to the worker about finished runs and bundles, whose answers the screens show
 * themselves: a run's test predictions (Inspect, ROC), Grad-CAM maps of its test images, an export
 * zip, an opened bundle and its predictions on new images.
 */
import { toErrorInfo } from '../../core/errors';
import type { ResultsSlice, Slice } from '../state';

/** Test images shown per run in Inspect. */
const INSPECT_LIMIT = 200;

export const resultsSlice: Slice<ResultsSlice> = (set, get, deps) => ({
  inspection: null,
  predictions: null,
  saliency: null,
  loadSaliency: async (key, indices, target) => {
    const request = `${key}|${target}|${indices.join(',')}`;
    if (get().saliency?.request === request && !get().saliency?.error) return;
    set({ saliency: { key, request, data: null, error: null } });
    try {
      const data = await deps.studio().gradCam(key, indices, target);
      if (get().saliency?.request === request) set({ saliency: { key, request, data, error: null } });
    } catch (e) {
      if (get().saliency?.request === request) set({ saliency: { key, request, data: null, error: toErrorInfo(e) } });
    }
  },
  loadInspection: async (key) => {
    if (get().inspection?.key === key) return;
    set({ inspection: { key, data: null } });
    const data = await deps
      .studio()
      .inspect(key, INSPECT_LIMIT)
      .catch(() => null);
    // Another run may have been picked meanwhile: keep only the latest.
    if (get().inspection?.key === key) set({ inspection: { key, data } });
  },
  loadPredictions: async (key) => {
    if (get().predictions?.key === key) return;
    set({ predictions: { key, data: null } });
    const data = await deps
      .studio()
      .predictions(key)
      .catch(() => null);
    if (get().predictions?.key === key) set({ predictions: { key, data } });
  },
  exportRun: (key, includeTeacher) => deps.studio().exportRun(key, includeTeacher),
  openBundle: (bytes) => deps.studio().openBundle(bytes),
  predictFiles: (files) => deps.studio().predictFiles(files),
});
