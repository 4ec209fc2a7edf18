/**
 * The studio's service worker: on install it stores every file of the build (the page, its
 * scripts and styles, both workers and every lazy chunk they load, the icons and the manifest) in
 * one cache named after the build, so that after one visit the studio starts, imports and trains
 * with the network off. It takes over at once; an update stores the new build beside the old one
 * and deletes the old cache when it activates. Rules: `precache.ts`.
 *
 * Built on its own by `vite-plugins/serviceWorker.ts`, which fills in the build's file list and
 * version. Imports only `precache.ts`.
 */
import { cacheName, precacheUrls, routeOf, staleCaches } from './precache';

declare const __PRECACHE__: string[];
declare const __VERSION__: string;

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = cacheName(__VERSION__);
const scope = sw.registration.scope;
const urls = precacheUrls(__PRECACHE__, scope);
const precached = new Set(urls);
const PAGE = new URL('index.html', scope).href;

sw.addEventListener('install', (event) => {
  // `cache: 'reload'`: the files from the server, never from the HTTP cache.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(urls.map((u) => new Request(u, { cache: 'reload' }))))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(staleCaches(names, CACHE).map((n) => caches.delete(n))))
      .then(() => sw.clients.claim()),
  );
});

async function page(request: Request): Promise<Response> {
  try {
    const fresh = await fetch(request);
    if (fresh.ok) return fresh;
    throw new Error(`HTTP ${fresh.status}`);
  } catch {
    const cached = await caches.match(PAGE, { cacheName: CACHE });
    if (cached) return cached;
    throw new Error('The studio is not stored for offline use yet');
  }
}

async function fromCache(request: Request, url: string): Promise<Response> {
  const cached = await caches.match(url, { cacheName: CACHE });
  return cached ?? fetch(request);
}

sw.addEventListener('fetch', (event) => {
  const route = routeOf(event.request, scope, precached);
  if (route.kind === 'page') event.respondWith(page(event.request));
  else if (route.kind === 'precached') event.respondWith(fromCache(event.request, route.url));
});

sw.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'version') event.source?.postMessage({ type: 'version', version: __VERSION__, files: urls.length });
});
