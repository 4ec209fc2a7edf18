/**
 * The studio's frame: the backend badge, whether it works offline, the theme switch, banners
 * (fallback backend, a lost GPU, an interrupted experiment, a spec link that could not be read),
 * the screens' tabs (the WAI-ARIA tabs pattern: arrow keys, Home and End move between them) and
 * the one screen shown. The spec is kept in the address (`#spec=...`), so the address is always a
 * link to it. It draws the store and calls its commands; the store talks to the workers.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { TABS, type Tab, type ThemePreference } from '../store/state';
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
  const theme = useStudio((s) => s.theme);
  const offline = useStudio((s) => s.offline);
  const linkError = useStudio((s) => s.linkError);
  const running = status === 'running' || status === 'paused';
  const { setTab, stepTab, setTheme, resume, restartAndResume, discardInterrupted } = studioStore.getState();
  const tabRefs = useRef(new Map<Tab, HTMLButtonElement>());

  // The chosen theme on <html> (the system's needs no attribute: CSS follows prefers-color-scheme).
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);

  // A spec link is read once on open; from then on the address follows the spec.
  useEffect(() => {
    studioStore.getState().openSpecLink(location.hash);
    let last = studioStore.getState().spec;
    return studioStore.subscribe((s) => {
      if (s.spec === last) return;
      last = s.spec;
      history.replaceState(null, '', `${location.pathname}${location.search}${s.specLinkHash()}`);
    });
  }, []);

  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const keys: Record<string, 'next' | 'previous' | 'first' | 'last'> = { ArrowRight: 'next', ArrowLeft: 'previous', Home: 'first', End: 'last' };
    const step = keys[e.key];
    if (!step) return;
    e.preventDefault();
    tabRefs.current.get(stepTab(step))?.focus();
  };

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
        <span className="spacer" />
        {!offline.online ? (
          <span className="badge offline" data-testid="offline-state" title="The browser is offline: the studio runs from its stored copy">
            offline
          </span>
        ) : offline.ready ? (
          <span
            className="badge offline-ready"
            data-testid="offline-state"
            title="Every file of the studio is stored in this browser: it starts and trains without the network"
          >
            works offline
          </span>
        ) : null}
        <label className="inline">
          Theme
          <select aria-label="Theme" value={theme} onChange={(e) => setTheme(e.target.value as ThemePreference)}>
            <option value="system">system</option>
            <option value="light">light</option>
            <option value="dark">dark</option>
          </select>
        </label>
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
      {linkError && (
        <p className="error" role="alert" data-testid="link-error">
          The link's spec could not be used ({linkError.code}): {linkError.message}
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
      <nav aria-label="Screens">
        <div role="tablist" aria-label="Screens" className="tabs" onKeyDown={onTabKey}>
          {TABS.map((t) => (
            <button
              key={t}
              ref={(el) => {
                if (el) tabRefs.current.set(t, el);
                else tabRefs.current.delete(t);
              }}
              id={`tab-${t}`}
              role="tab"
              type="button"
              aria-selected={tab === t}
              aria-controls={tab === t ? `panel-${t}` : undefined}
              tabIndex={tab === t ? 0 : -1}
              onClick={() => setTab(t)}
            >
              {t}
            </button>
          ))}
        </div>
      </nav>
      <main>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} tabIndex={0}>
          {tab === 'Data' && <DataPanel />}
          {tab === 'Configure' && <ConfigurePanel />}
          {tab === 'Train' && <TrainPanel />}
          {tab === 'Compare' && <ComparePanel />}
          {tab === 'Inspect' && <InspectPanel />}
          {tab === 'Export' && <ExportPanel />}
          {tab === 'History' && <HistoryPanel />}
        </div>
      </main>
    </div>
  );
}
