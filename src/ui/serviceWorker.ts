/**
 * Registers the studio's service worker (built `sw.js`, production builds only: the dev server
 * serves modules the precache does not list) and reports to the store whether the studio is
 * stored for offline use and whether the browser is online.
 */
import type { StudioStore } from '../store/studio';

export function registerServiceWorker(store: StudioStore): void {
  const report = () => store.getState().setOffline({ online: navigator.onLine });
  window.addEventListener('online', report);
  window.addEventListener('offline', report);
  report();
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker
    .register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL })
    // An active worker has finished storing every file of its build.
    .then(() => navigator.serviceWorker.ready)
    .then(() => store.getState().setOffline({ ready: true, error: null }))
    .catch((e: unknown) => store.getState().setOffline({ ready: false, error: e instanceof Error ? e.message : String(e) }));
}
