import { describe, expect, it } from 'vitest';
import { cacheName, precacheUrls, routeOf, staleCaches } from './precache';

const scope = 'http://localhost:4173/';
const files = precacheUrls(['index.html', 'assets/index-abc.js', 'assets/studio.worker-def.js', 'assets/lerc-123.js'], scope);
const set = new Set(files);
const req = (url: string, mode = 'cors', method = 'GET') => ({ url, mode, method });

describe('service worker rules', () => {
  it('navigations get the page, precached files the cache, anything else the network', () => {
    expect(files[1]).toBe('http://localhost:4173/assets/index-abc.js');
    expect(routeOf(req('http://localhost:4173/#spec=abc', 'navigate'), scope, set)).toEqual({ kind: 'page' });
    expect(routeOf(req('http://localhost:4173/?kernels=stock', 'navigate'), scope, set)).toEqual({ kind: 'page' });
    expect(routeOf(req('http://localhost:4173/assets/studio.worker-def.js', 'same-origin'), scope, set)).toEqual({
      kind: 'precached',
      url: 'http://localhost:4173/assets/studio.worker-def.js',
    });
    expect(routeOf(req('http://localhost:4173/assets/lerc-123.js?import'), scope, set)).toEqual({ kind: 'precached', url: files[3] });
    expect(routeOf(req('http://localhost:4173/not-built.js'), scope, set)).toEqual({ kind: 'network' });
    expect(routeOf(req('https://example.org/assets/index-abc.js'), scope, set)).toEqual({ kind: 'network' });
    expect(routeOf(req('http://localhost:4173/assets/index-abc.js', 'cors', 'POST'), scope, set)).toEqual({ kind: 'network' });
  });

  it("an update deletes only the studio's older caches", () => {
    expect(staleCaches([cacheName('a'), cacheName('b'), 'someone-else'], cacheName('b'))).toEqual([cacheName('a')]);
  });
});
