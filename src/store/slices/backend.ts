/**
 * The backend the worker runs on (or why none could), what the browser gives its storage, and
 * which screen is shown (moved to by clicks or, as the WAI-ARIA tabs pattern has it, by arrow keys,
 * Home and End).
 */
import { toErrorInfo } from '../../core/errors';
import { TABS, type BackendSlice, type Slice, type Tab } from '../state';

/** The tab a key moves to from `tab`: arrows wrap around, Home and End go to the ends. */
export function tabAfter(tab: Tab, key: 'next' | 'previous' | 'first' | 'last'): Tab {
  const i = TABS.indexOf(tab);
  const n = TABS.length;
  if (key === 'first') return TABS[0];
  if (key === 'last') return TABS[n - 1];
  return TABS[(i + (key === 'next' ? 1 : n - 1)) % n];
}

export const backendSlice: Slice<BackendSlice> = (set, get, deps) => ({
  backend: null,
  backendError: null,
  storageSupport: null,
  tab: 'Data',
  setTab: (tab) => set({ tab }),
  stepTab: (key) => {
    const tab = tabAfter(get().tab, key);
    set({ tab });
    return tab;
  },
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
