/**
 * The studio: Data, Configure, Train, Compare, Inspect, Export and past experiments, over one
 * worker that holds the engine. This thread only draws and forwards clicks.
 */
import { useEffect, useState } from 'react';
import { studio, asWorkerError, Comlink, restartStudio } from '../worker/client';
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
  const [resumeNote, setResumeNote] = useState<string | null>(null);
  const interrupted = useStudio((s) => s.interrupted);
  const error = useStudio((s) => s.error);
  const running = status === 'running' || status === 'paused';

  useEffect(() => {
    studio()
      .init(undefined, { fastKernels: new URLSearchParams(location.search).get('kernels') !== 'stock' })
      .then((b) => studioStore.getState().set({ backend: b }))
      .then(() => studio().interrupted())
      .then((a) => studioStore.getState().set({ interrupted: a }))
      .catch((e) => studioStore.getState().set({ backendError: asWorkerError(e) }));
    // Hidden tabs may be discarded: have the run in progress checkpoint after its next step.
    const onHide = () => {
      if (document.visibilityState === 'hidden') void studio().flush();
    };
    document.addEventListener('visibilitychange', onHide);
    return () => document.removeEventListener('visibilitychange', onHide);
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

  async function train(resume = false) {
    const st = studioStore.getState();
    if (!resume && st.interrupted && !window.confirm('Starting a new experiment discards the interrupted one and its checkpoints. Start anyway?')) return;
    // Ask the browser not to evict checkpoints under storage pressure.
    void navigator.storage?.persist?.().catch(() => false);
    st.startExperiment();
    st.set({ interrupted: null });
    setTab('Train');
    try {
      const result = await studio().runExperiment(st.spec, Comlink.proxy((e) => studioStore.getState().onExperimentEvent(e)), {
        resume,
        onRunError: st.onRunError,
        checkpointEverySteps: st.checkpointEverySteps,
      });
      try {
        await saveExperiment(result);
        setHistoryVersion((v) => v + 1);
      } catch (e) {
        setSaveError(`The results could not be kept in this browser: ${e instanceof Error ? e.message : String(e)}. Download them from Compare.`);
      }
    } catch (e) {
      studioStore.getState().set({ status: 'failed', error: asWorkerError(e) });
    }
    studioStore.getState().set({ interrupted: await studio().interrupted().catch(() => null) });
  }

  /** Resume the interrupted experiment: reload its sample data if it used some, then go on. */
  async function resume() {
    const a = studioStore.getState().interrupted;
    if (!a) return;
    setResumeNote(null);
    const ds = studioStore.getState().dataset;
    if (a.dataset.synthetic && a.dataset.sample) {
      const summary = await studio().loadSampleData(a.dataset.sample.task, a.dataset.sample.count, a.dataset.sample.size);
      studioStore.getState().set({ dataset: summary });
    } else if (!ds || ds.name !== a.dataset.name || ds.total !== a.dataset.total) {
      setResumeNote(`Load "${a.dataset.name}" (${a.dataset.total} images) again in Data, then Resume.`);
      setTab('Data');
      return;
    }
    studioStore.getState().set({ spec: a.spec, preset: 'custom' });
    await train(true);
  }

  /** After a lost GPU: a fresh worker, a fresh device, and the experiment resumed from its checkpoints. */
  async function restartAndResume() {
    const remote = restartStudio();
    studioStore.getState().set({ backend: null, error: null, status: 'idle', dataset: null });
    const b = await remote.init(undefined, { fastKernels: new URLSearchParams(location.search).get('kernels') !== 'stock' });
    studioStore.getState().set({ backend: b, interrupted: await remote.interrupted() });
    await resume();
  }

  return (
    <div className="app">
      <header className="topbar">
        <h1>Cohort Studio</h1>
        <span className={`badge backend-${backend?.backend ?? 'none'}`} data-testid="backend" aria-label="Backend in use">
          {backend ? `Backend: ${BACKEND_LABEL[backend.backend]}` : backendError ? 'Backend: none' : 'Backend: starting…'}
        </span>
        {backend?.backend === 'webgpu' && <span className="badge" title="The engine's own WebGPU training kernels (?kernels=stock turns them off)">{backend.fastKernels ? 'fast kernels' : 'stock kernels'}</span>}
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
      {error?.code === 'DEVICE_LOST' && !running && (
        <div className="warning" role="alert" data-testid="device-lost">
          The GPU was lost: {error.message}{' '}
          <button type="button" onClick={restartAndResume}>Restart the GPU worker and resume</button>
        </div>
      )}
      {interrupted && !running && (
        <div className="warning" role="status" data-testid="interrupted">
          An experiment on “{interrupted.dataset.name}” was interrupted ({interrupted.status}
          {interrupted.error ? `: ${interrupted.error.code}` : ''}): {interrupted.completed.length} of {interrupted.planned} runs finished, checkpoints kept.{' '}
          <button type="button" onClick={resume}>Resume</button>{' '}
          <button type="button" onClick={async () => {
            await studio().discardInterrupted();
            studioStore.getState().set({ interrupted: null });
          }}>Discard</button>
          {resumeNote && <span> {resumeNote}</span>}
        </div>
      )}
      <nav role="tablist" aria-label="Screens" className="tabs">
        {TABS.map((t) => (
          <button key={t} role="tab" type="button" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </nav>
      <main>
        {tab === 'Data' && <DataPanel />}
        {tab === 'Configure' && <ConfigurePanel onTrain={() => train(false)} running={running} />}
        {tab === 'Train' && <TrainPanel />}
        {tab === 'Compare' && <ComparePanel />}
        {tab === 'Inspect' && <InspectPanel />}
        {tab === 'Export' && <ExportPanel />}
        {tab === 'History' && <HistoryPanel refresh={historyVersion} />}
      </main>
    </div>
  );
}
