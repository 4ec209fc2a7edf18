/**
 * Past experiments (IndexedDB, versioned records: `../history`) and this origin's storage: usage,
 * persistence, checkpoints kept.
 */
import { toErrorInfo } from '../../core/errors';
import { listHistory } from '../history';
import type { HistorySlice, Slice } from '../state';

export const historySlice: Slice<HistorySlice> = (set, get, deps) => ({
  history: [],
  historyError: null,
  storage: null,
  loadHistory: async () => {
    try {
      set({ history: await listHistory(deps.history), historyError: null });
    } catch (e) {
      set({ historyError: e instanceof Error ? e.message : String(e) });
    }
  },
  deleteHistory: async (id) => {
    await deps.history.remove(id);
    await get().loadHistory();
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
