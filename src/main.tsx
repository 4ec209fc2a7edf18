import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import './ui/styles.css';
import { trainingStore } from './store/training';
import { trainer } from './worker/client';

// A read-only handle for people (and tests) who inspect a run from the console.
(window as unknown as { cohortStudio: unknown }).cohortStudio = {
  training: trainingStore,
  memory: () => trainer().memory(),
};

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
