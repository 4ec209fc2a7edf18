import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
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
  // DEV_PORT lets a second checkout (or the dev-server e2e test) run beside the default one.
  server: { port: Number(process.env.DEV_PORT ?? 5173) },
  preview: { port: 4173 },
});
