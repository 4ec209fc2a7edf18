/**
 * The studio: Data, Configure, Train, Compare, Inspect, Export and past experiments, over one
 * worker that holds the engine. This thread only draws and forwards clicks.
 */
import { useEffect, useState } from 'react';
import { studio, asWorkerError, Comlink } from '../worker/client';
import { studioStore, useStudio } from '../store/studio';
import { DataPanel } from './DataPanel';
import { ConfigurePanel } from './ConfigurePanel';
import { TrainPanel } from './TrainPanel';
import { ComparePanel } from './ComparePanel';
import { InspectPanel } from './InspectPanel';
import { ExportPanel } from './ExportPanel';
import { HistoryPanel, saveExperiment } from './HistoryPanel';

const TABS = ['Data', 'Configure', 'Train', 'Compare', 'Inspect', 'Export', 'History'] as const;
type Tab = (typeof TABS)[number];

const BACKEND_LABEL = { webgpu: 'WebGPU', webgl: 'WebGL', cpu: 'CPU' } as const;

export function App() {
  const backend = useStudio((s) => s.backend);
  const backendError = useStudio((s) => s.backendError);
  const status = useStudio((s) => s.status);
  const dataset = useStudio((s) => s.dataset);
  const [tab, setTab] = useState<Tab>('Data');
  const [historyVersion, setHistoryVersion] = useState(0);
  const [saveError, setSaveError] = useState<string | null>(null);
  const running = status === 'running' || status === 'paused';

  useEffect(() => {
    studio()
      .init()
      .then((b) => studioStore.getState().set({ backend: b }))
      .catch((e) => studioStore.getState().set({ backendError: asWorkerError(e) }));
  }, []);

  // GPU memory while training; a prompt before leaving a running experiment.
  useEffect(() => {
    if (!running) return;
    const t = setInterval(async () => {
      const m = await studio().memory();
      studioStore.getState().set({ gpuBytes: m.numBytesInGPU ?? m.numBytes });
    }, 2000);
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => {
      clearInterval(t);
      window.removeEventListener('beforeunload', warn);
    };
  }, [running]);

  async function train() {
    const st = studioStore.getState();
    st.startExperiment();
    setTab('Train');
    try {
      const result = await studio().runExperiment(st.spec, Comlink.proxy((e) => studioStore.getState().onExperimentEvent(e)));
      try {
        await saveExperiment(result);
        setHistoryVersion((v) => v + 1);
      } catch (e) {
        setSaveError(`The results could not be kept in this browser: ${e instanceof Error ? e.message : String(e)}. Download them from Compare.`);
      }
    } catch (e) {
      studioStore.getState().set({ status: 'failed', error: asWorkerError(e) });
    }
  }

  return (
    <div className="app">
      <header className="topbar">
        <h1>Cohort Studio</h1>
        <span className={`badge backend-${backend?.backend ?? 'none'}`} data-testid="backend" aria-label="Backend in use">
          {backend ? `Backend: ${BACKEND_LABEL[backend.backend]}` : backendError ? 'Backend: none' : 'Backend: starting…'}
        </span>
        {dataset && <span className="badge">{dataset.synthetic ? 'Sample data (synthetic)' : dataset.name}</span>}
        <span className="badge" data-testid="status-badge">{status}</span>
      </header>
      {backend && backend.fallbacks.length > 0 && (
        <p className="warning" role="status">
          Not on WebGPU: {backend.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}. Training runs on {BACKEND_LABEL[backend.backend]}, more slowly.
        </p>
      )}
      {backendError && <p className="error" role="alert">{backendError.message}</p>}
      {saveError && <p className="warning" role="status">{saveError}</p>}
      <nav role="tablist" aria-label="Screens" className="tabs">
        {TABS.map((t) => (
          <button key={t} role="tab" type="button" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </nav>
      <main>
        {tab === 'Data' && <DataPanel />}
        {tab === 'Configure' && <ConfigurePanel onTrain={train} running={running} />}
        {tab === 'Train' && <TrainPanel />}
        {tab === 'Compare' && <ComparePanel />}
        {tab === 'Inspect' && <InspectPanel />}
        {tab === 'Export' && <ExportPanel />}
        {tab === 'History' && <HistoryPanel refresh={historyVersion} />}
      </main>
    </div>
  );
}
