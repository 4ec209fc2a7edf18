/**
 * The page's entry: the studio's React tree, and a read-only console handle for people (and tests)
 * who inspect a run (`cohortStudio.store`, `.memory()`, `.inspect(key)` and `.gradCam(key, indices,
 * class)` of the experiment shown, `.storage()`, `.kernelChecks()`, `.simulateDeviceLoss()`,
 * `.weightsFiles()`).
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
  inspect: (key: string, limit?: number) => studio().inspect(studioStore.getState().experimentId ?? '', key, limit),
  gradCam: (key: string, indices: number[], target?: 'predicted' | 'true' | number) =>
    studio().gradCam(studioStore.getState().experimentId ?? '', key, indices, target),
  simulateDeviceLoss: () => studio().simulateDeviceLoss(),
  storage: () => studio().storage(),
  kernelChecks: (options?: { quick?: boolean }) => studio().kernelChecks(options),
  weightsFiles: () => studio().listWeights(),
};

registerServiceWorker(studioStore);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
