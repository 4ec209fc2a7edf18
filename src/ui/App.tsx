/**
 * The studio's frame: the backend badge, banners (fallback backend, a lost GPU, an interrupted
 * experiment), the screens' tabs, and the one screen shown. It draws the store and calls its
 * commands; the store talks to the workers.
 */
import { useEffect } from 'react';
import { TABS } from '../store/state';
import { studioStore, useStudio } from '../store';
import { DataPanel } from './DataPanel';
import { ConfigurePanel } from './ConfigurePanel';
import { TrainPanel } from './TrainPanel';
import { ComparePanel } from './ComparePanel';
import { InspectPanel } from './InspectPanel';
import { ExportPanel } from './ExportPanel';
import { HistoryPanel } from './HistoryPanel';

const BACKEND_LABEL = { webgpu: 'WebGPU', webgl: 'WebGL', cpu: 'CPU' } as const;

export function App() {
  const backend = useStudio((s) => s.backend);
  const backendError = useStudio((s) => s.backendError);
  const status = useStudio((s) => s.status);
  const dataset = useStudio((s) => s.dataset);
  const tab = useStudio((s) => s.tab);
  const elsewhere = useStudio((s) => s.elsewhere);
  const support = useStudio((s) => s.storageSupport);
  const resumeNote = useStudio((s) => s.resumeNote);
  const interrupted = useStudio((s) => s.interrupted);
  const error = useStudio((s) => s.error);
  const running = status === 'running' || status === 'paused';
  const { setTab, resume, restartAndResume, discardInterrupted } = studioStore.getState();

  useEffect(() => {
    void studioStore.getState().init();
    // Hidden tabs may be discarded: have the run in progress checkpoint after its next step.
    const onHide = () => {
      if (document.visibilityState === 'hidden') studioStore.getState().flushCheckpoint();
      // Back in view: another tab may have started or finished training meanwhile.
      else if (!['running', 'paused'].includes(studioStore.getState().status)) void studioStore.getState().refreshInterrupted();
    };
    document.addEventListener('visibilitychange', onHide);
    return () => document.removeEventListener('visibilitychange', onHide);
  }, []);

  // A prompt before leaving a running experiment.
  useEffect(() => {
    if (!running) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [running]);

  return (
    <div className="app">
      <header className="topbar">
        <h1>Cohort Studio</h1>
        <span className={`badge backend-${backend?.backend ?? 'none'}`} data-testid="backend" aria-label="Backend in use">
          {backend ? `Backend: ${BACKEND_LABEL[backend.backend]}` : backendError ? 'Backend: none' : 'Backend: starting…'}
        </span>
        {backend?.backend === 'webgpu' && (
          <span className="badge" title="The engine's own WebGPU training kernels (?kernels=stock turns them off)">
            {backend.fastKernels ? 'fast kernels' : 'stock kernels'}
          </span>
        )}
        {dataset && <span className="badge">{dataset.synthetic ? 'Sample data (synthetic)' : dataset.name}</span>}
        <span className="badge" data-testid="status-badge">
          {status}
        </span>
      </header>
      {backend && backend.fallbacks.length > 0 && (
        <p className="warning" role="status">
          Not on WebGPU: {backend.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}. Training runs on {BACKEND_LABEL[backend.backend]}, more slowly.
        </p>
      )}
      {backendError && (
        <p className="error" role="alert">
          {backendError.message}
        </p>
      )}
      {support && !support.persistent && (
        <p className="warning" role="status" data-testid="storage-fallback">
          This browser {support.opfs ? 'cannot write files in its private storage (no createWritable)' : 'has no private file system (OPFS) for the studio'}:
          training works, but checkpoints, the resume record of a running experiment and the trained networks of finished runs are kept in memory only. A reload
          or a closed tab loses them; the results in History are kept.
        </p>
      )}
      {support && !support.locks && (
        <p className="warning" role="status">
          This browser cannot tell the studio&apos;s tabs apart (no Web Locks): train in one tab only.
        </p>
      )}
      {elsewhere && !running && (
        <div className="warning" role="status" data-testid="elsewhere">
          Training in another tab
          {elsewhere.experiment
            ? `: “${elsewhere.experiment.spec.name}” on “${elsewhere.experiment.dataset.name}”, ${elsewhere.experiment.completed.length} of ${elsewhere.experiment.planned} runs finished`
            : ''}
          . This tab can look at past experiments; it can start, resume, discard or delete once that tab is closed or its experiment ends.
        </div>
      )}
      {error?.code === 'DEVICE_LOST' && !running && (
        <div className="warning" role="alert" data-testid="device-lost">
          The GPU was lost: {error.message}{' '}
          <button type="button" onClick={() => void restartAndResume()}>
            Restart the GPU worker and resume
          </button>
        </div>
      )}
      {interrupted && !running && (
        <div className="warning" role="status" data-testid="interrupted">
          An experiment on “{interrupted.dataset.name}” was interrupted ({interrupted.status}
          {interrupted.error ? `: ${interrupted.error.code}` : ''}): {interrupted.completed.length} of {interrupted.planned} runs finished, checkpoints kept.{' '}
          <button type="button" onClick={() => void resume()}>
            Resume
          </button>{' '}
          <button type="button" onClick={() => void discardInterrupted()}>
            Discard
          </button>
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
        {tab === 'Configure' && <ConfigurePanel />}
        {tab === 'Train' && <TrainPanel />}
        {tab === 'Compare' && <ComparePanel />}
        {tab === 'Inspect' && <InspectPanel />}
        {tab === 'Export' && <ExportPanel />}
        {tab === 'History' && <HistoryPanel />}
      </main>
    </div>
  );
}
