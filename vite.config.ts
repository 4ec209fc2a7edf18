import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { serviceWorker } from './vite-plugins/serviceWorker.js';

export default defineConfig({
  plugins: [react(), serviceWorker({ entry: 'src/sw/serviceWorker.ts' })],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { port: 5173 },
  preview: { port: 4173 },
});
