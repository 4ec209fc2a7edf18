/**
 * The page's entry: the studio's React tree, and a read-only console handle for people (and tests)
 * who inspect a run (`cohortStudio.store`, `.memory()`, `.inspect(key)`, `.gradCam(key, indices, class)`, `.storage()`,
 * `.kernelChecks()`, `.simulateDeviceLoss()`).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import './ui/styles.css';
import { studioStore } from './store';
import { registerServiceWorker } from './ui/serviceWorker';
import { studio } from './worker/client';

(window as unknown as { cohortStudio: unknown }).cohortStudio = {
  store: studioStore,
  memory: () => studio().memory(),
  inspect: (key: string, limit?: number) => studio().inspect(key, limit),
  gradCam: (key: string, indices: number[], target?: 'predicted' | 'true' | number) => studio().gradCam(key, indices, target),
  simulateDeviceLoss: () => studio().simulateDeviceLoss(),
  storage: () => studio().storage(),
  kernelChecks: () => studio().kernelChecks(),
};

registerServiceWorker(studioStore);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
