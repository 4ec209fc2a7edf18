/**
 * Past experiments, kept by the studio worker (History records in IndexedDB, their runs in the
 * origin's storage) and listed from there, the interrupted one included; opening one shows it in
 * Compare, Inspect and Export after a reload; deleting one frees its storage. Also this origin's
 * storage: usage, persistence, checkpoints kept.
 */
import { toErrorInfo } from '../../core/errors';
import { idleProgress, progressOfResult } from '../progress';
import type { HistorySlice, Slice } from '../state';

export const historySlice: Slice<HistorySlice> = (set, get, deps) => ({
  history: [],
  historyError: null,
  storage: null,
  loadHistory: async () => {
    try {
      set({ history: await deps.studio().history(), historyError: null });
    } catch (e) {
      set({ historyError: toErrorInfo(e).message });
    }
  },
  deleteHistory: async (id) => {
    try {
      await deps.studio().deleteExperiment(id);
      if (get().experimentId === id && get().status !== 'running' && get().status !== 'paused')
        set({ ...idleProgress(), inspection: null, predictions: null, saliency: null });
      await get().loadHistory();
    } catch (e) {
      set({ historyError: toErrorInfo(e).message });
    }
    await get().refreshInterrupted();
    await get().refreshStorage();
  },
  openExperiment: async (id) => {
    const status = get().status;
    if (status === 'running' || status === 'paused') return;
    try {
      const kept = await deps.studio().experiment(id);
      if (!kept) throw new Error('This experiment is no longer kept');
      set({ ...progressOfResult(kept.result, kept.id), inspection: null, predictions: null, saliency: null, historyError: null, tab: 'Compare' });
    } catch (e) {
      set({ historyError: toErrorInfo(e).message });
    }
  },
  refreshStorage: async () =>
    set({
      storage: await deps
        .studio()
        .storage()
        .catch(() => null),
    }),
  deleteCheckpoints: async () => {
    try {
      await deps.studio().deleteCheckpoints();
    } catch (e) {
      set({ historyError: toErrorInfo(e).message });
    }
    await get().refreshStorage();
  },
});
