/**
 * The page's one studio store, wired to the real workers, IndexedDB and the browser's dialogs,
 * and its React binding.
 */
import * as Comlink from 'comlink';
import { get, set } from 'idb-keyval';
import { useStore } from 'zustand';
import { planner, restartStudio, studio } from '../worker/client';
import { createStudioStore, type StudioState } from './studio';

export const studioStore = createStudioStore({
  studio,
  restartStudio,
  planner,
  proxy: Comlink.proxy,
  folders: {
    save: (handle) => set('last-folder-handle', handle),
    load: async () => (await get<FileSystemDirectoryHandle>('last-folder-handle')) ?? null,
  },
  confirm: (message) => window.confirm(message),
  persistStorage: () => void navigator.storage?.persist?.().catch(() => false),
  fastKernels: new URLSearchParams(location.search).get('kernels') !== 'stock',
  replay: new URLSearchParams(location.search).get('replay') !== 'off',
  prefs: {
    get: (key) => {
      try {
        return localStorage.getItem(key);
      } catch {
        return null;
      }
    },
    set: (key, value) => {
      try {
        localStorage.setItem(key, value);
      } catch {
        // Storage refused (a private window): the choice lasts for this page.
      }
    },
  },
});

export function useStudio<T>(selector: (s: StudioState) => T): T {
  return useStore(studioStore, selector);
}
