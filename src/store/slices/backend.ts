/**
 * The backend the worker runs on (or why none could), what the browser gives its storage, and
 * which screen is shown.
 */
import { toErrorInfo } from '../../core/errors';
import type { BackendSlice, Slice } from '../state';

export const backendSlice: Slice<BackendSlice> = (set, get, deps) => ({
  backend: null,
  backendError: null,
  storageSupport: null,
  tab: 'Data',
  setTab: (tab) => set({ tab }),
  init: async () => {
    try {
      set({ backend: await deps.studio().init(undefined, { fastKernels: deps.fastKernels, replay: deps.replay }) });
      set({ storageSupport: await deps.studio().storageSupport() });
      await get().refreshInterrupted();
    } catch (e) {
      set({ backendError: toErrorInfo(e) });
    }
  },
});
