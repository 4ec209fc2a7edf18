import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { devContentSecurityPolicy, SECURITY_HEADERS } from './src/core/csp';
import { serviceWorker } from './vite-plugins/serviceWorker.js';

// The dev server's inline preamble and styles carry this nonce; the built app has no inline code.
const DEV_NONCE = 'cohort-studio-dev';

export default defineConfig(({ command }) => ({
  plugins: [react(), serviceWorker({ entry: 'src/sw/serviceWorker.ts' })],
  worker: { format: 'es' },
  // The dev server's dependency scan starts from index.html and does not follow
  // `new Worker(new URL(...))`, so everything only the workers import (TensorFlow.js and its WebGPU
  // backend, the decoders) would be found late, while the studio worker loads: Vite then bundles
  // the dependencies again and reloads the page, and a worker that already holds the first bundle's
  // tfjs-core gets the WebGPU backend from the second one, registered in another engine
  // (https://github.com/vitejs/vite/issues/8427). Scanning the workers as entries finds them all
  // at start-up, in one bundle with one tfjs-core.
  optimizeDeps: { entries: ['index.html', 'src/worker/*.worker.ts'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  // The no-network promise (src/core/csp.ts) as response headers on the page and the worker scripts.
  // DEV_PORT lets a second checkout (or the dev-server e2e test) run beside the default one.
  server: { port: Number(process.env.DEV_PORT ?? 5173), headers: { ...SECURITY_HEADERS, 'Content-Security-Policy': devContentSecurityPolicy(DEV_NONCE) } },
  preview: { port: 4173, headers: SECURITY_HEADERS },
  ...(command === 'serve' ? { html: { cspNonce: DEV_NONCE } } : {}),
}));
