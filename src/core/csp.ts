/**
 * The studio's no-network promise as response headers: a Content-Security-Policy that lets the page
 * and its workers load and connect to their own origin only (no remote scripts, fonts, images or
 * requests), sent on every response, the worker scripts included (a `<meta>` policy would not
 * cover a worker, which takes the policy of its own script's response). `vite dev` and `vite
 * preview` send these (vite.config.ts); README.md and public/_headers give the same for a static
 * host, and e2e/hostile.spec.ts watches every request of a whole session.
 *
 * What the studio needs and no more: scripts and workers from 'self' (module workers by URL, no
 * blob: workers; TensorFlow.js's WebGPU backend compiles WGSL, which CSP does not govern, and no
 * WebAssembly runs, so no 'wasm-unsafe-eval'); images from 'self' and blob:/data: (thumbnails are
 * drawn on canvases, downloads are blob: URLs); no inline script.
 *
 * Owns: the header values. Imports nothing.
 */

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Every header the studio is served with. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/**
 * The development server's policy: Vite's dev client adds its CSS as inline style elements and
 * React's refresh preamble as an inline script, both carrying `nonce` (vite.config.ts sets
 * `html.cspNonce` in dev only); the hot-reload socket is same-origin.
 */
export function devContentSecurityPolicy(nonce: string): string {
  return CONTENT_SECURITY_POLICY.replace("script-src 'self'", `script-src 'self' 'nonce-${nonce}'`).replace(
    "style-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
  );
}
