import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { devContentSecurityPolicy, SECURITY_HEADERS } from './src/core/csp';

// The dev server's inline preamble and styles carry this nonce; the built app has no inline code.
const DEV_NONCE = 'cohort-studio-dev';

export default defineConfig(({ command }) => ({
  plugins: [react()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  // The no-network promise (src/core/csp.ts) as response headers on the page and the worker scripts.
  server: { port: 5173, headers: { ...SECURITY_HEADERS, 'Content-Security-Policy': devContentSecurityPolicy(DEV_NONCE) } },
  preview: { port: 4173, headers: SECURITY_HEADERS },
  ...(command === 'serve' ? { html: { cspNonce: DEV_NONCE } } : {}),
}));
