/**
 * What the service worker does with a request, as pure functions it and its tests share: the
 * cache a build's files go into, which requests it answers (same-origin GETs of the studio: a
 * navigation gets the stored page, a precached file comes from the cache, anything else goes to
 * the network), and which old caches an update removes.
 *
 * Owns: the precache's rules. Imports nothing (the service worker is built on its own).
 */

export const CACHE_PREFIX = 'cohort-studio-';

export function cacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/** The precached URLs of a build, absolute, from paths relative to the service worker's scope. */
export function precacheUrls(paths: readonly string[], scope: string): string[] {
  return paths.map((p) => new URL(p, scope).href);
}

export type Route = { kind: 'page' } | { kind: 'precached'; url: string } | { kind: 'network' };

/**
 * A navigation inside the scope is answered with the stored page (network first, so an update is
 * seen online; the stored copy when the network fails); a precached file from the cache (file
 * names carry a hash, so a cached copy is never stale); everything else (another origin, a POST, a
 * file the build does not have) goes to the network untouched.
 */
export function routeOf(req: { url: string; method: string; mode: string }, scope: string, precached: ReadonlySet<string>): Route {
  if (req.method !== 'GET') return { kind: 'network' };
  const url = new URL(req.url);
  if (!url.href.startsWith(scope)) return { kind: 'network' };
  url.hash = '';
  if (req.mode === 'navigate') return { kind: 'page' };
  const bare = `${url.origin}${url.pathname}`;
  if (precached.has(bare)) return { kind: 'precached', url: bare };
  return { kind: 'network' };
}

/** The studio's caches other than the current one: an activated update deletes them. */
export function staleCaches(names: readonly string[], current: string): string[] {
  return names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== current);
}
