/**
 * The studio's first screen: train a cohort on generated data through the worker, live.
 * Everything runs in the training worker; this thread only draws.
 */
import { useEffect, useState } from 'react';
import { ARCHS } from '../engine/networks';
import { MODES, MODE_LABELS, defaultRunConfig, type Mode, type RunConfig } from '../engine/config';
import type { ClassMetrics, BoxMetrics } from '../engine/metrics';
import { trainer, asWorkerError, Comlink } from '../worker/client';
import { trainingStore, useTraining } from '../store/training';
import { LossChart } from './LossChart';

function fmt(v: number | undefined, digits = 3): string {
  return v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

function headline(m: ClassMetrics | BoxMetrics | undefined): string {
  if (!m) return '–';
  return 'accuracy' in m ? fmt(m.accuracy) : fmt(m.meanIoU);
}

export function App() {
  const status = useTraining((s) => s.status);
  const backend = useTraining((s) => s.backend);
  const networks = useTraining((s) => s.networks);
  const steps = useTraining((s) => s.steps);
  const evaluations = useTraining((s) => s.evaluations);
  const totalSteps = useTraining((s) => s.totalSteps);
  const error = useTraining((s) => s.error);

  const [task, setTask] = useState<'classify' | 'box'>('classify');
  const [mode, setMode] = useState<Mode>('kdml_online');
  const [teacherArch, setTeacherArch] = useState('resnet18');
  const [studentArch, setStudentArch] = useState('resnet18');
  const [students, setStudents] = useState(2);
  const [width, setWidth] = useState(0.125);
  const [inputSize, setInputSize] = useState(32);
  const [epochs, setEpochs] = useState(2);
  const [stepsPerEpoch, setStepsPerEpoch] = useState(4);
  const [batchSize, setBatchSize] = useState(8);
  const [seed, setSeed] = useState(0);
  const [term, setTerm] = useState<'total' | 'ce' | 'kd' | 'ml'>('total');
  const [clicks, setClicks] = useState(0);

  useEffect(() => {
    trainer()
      .init()
      .then((b) => trainingStore.getState().setBackend(b))
      .catch((e) => trainingStore.getState().setError(asWorkerError(e)));
  }, []);

  const running = status === 'starting' || status === 'training';

  async function start() {
    const store = trainingStore.getState();
    store.reset();
    store.setStatus('starting');
    const config: RunConfig = defaultRunConfig({
      task,
      classes: 2,
      inputSize,
      mode,
      teacher: { arch: teacherArch, width },
      students: Array.from({ length: students }, () => ({ arch: studentArch, width })),
      seed,
      epochs,
      teacherEpochs: epochs,
      stepsPerEpoch,
      batchSize,
    });
    try {
      await trainer().trainSynthetic(config, { train: batchSize * stepsPerEpoch, test: 32 }, Comlink.proxy((e) => trainingStore.getState().onEvent(e)));
      trainingStore.getState().setStatus('done');
    } catch (e) {
      const err = asWorkerError(e);
      store.setStatus(err.code === 'CANCELLED' ? 'cancelled' : 'failed');
      if (err.code !== 'CANCELLED') store.setError(err);
    }
  }

  const last = evaluations[evaluations.length - 1];
  const cohortSteps = steps.filter((s) => s.phase === 'cohort').length;
  const names = Array.from(new Set(steps.flatMap((s) => Object.keys(s.losses))));

  return (
    <div className="app">
      <header className="topbar">
        <h1>Cohort Studio</h1>
        <span className={`badge backend-${backend?.backend ?? 'none'}`} data-testid="backend" aria-label="Backend in use">
          {backend ? `Backend: ${backend.backend === 'webgpu' ? 'WebGPU' : backend.backend === 'webgl' ? 'WebGL' : 'CPU'}` : 'Backend: starting…'}
        </span>
      </header>
      {backend && backend.fallbacks.length > 0 && (
        <p className="warning" role="status">
          Not on WebGPU: {backend.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}. Training will be slower.
        </p>
      )}
      <main className="layout">
        <section className="panel" aria-label="Cohort">
          <h2>Cohort on generated data</h2>
          <p className="hint">Synthetic images, made in the browser: a quick check that training works on this machine.</p>
          <label>Task
            <select value={task} onChange={(e) => setTask(e.target.value as 'classify' | 'box')} disabled={running}>
              <option value="classify">Classification (2 classes)</option>
              <option value="box">Detection (one box)</option>
            </select>
          </label>
          <label>Method
            <select value={mode} onChange={(e) => setMode(e.target.value as Mode)} disabled={running}>
              {MODES.map((m) => <option key={m} value={m}>{MODE_LABELS[m]}</option>)}
            </select>
          </label>
          <label>Teacher
            <select value={teacherArch} onChange={(e) => setTeacherArch(e.target.value)} disabled={running}>
              {ARCHS.map((a) => <option key={a}>{a}</option>)}
            </select>
          </label>
          <label>Students
            <select value={studentArch} onChange={(e) => setStudentArch(e.target.value)} disabled={running}>
              {ARCHS.map((a) => <option key={a}>{a}</option>)}
            </select>
          </label>
          <div className="row">
            <label>Number of students<input type="number" min={1} max={6} value={students} onChange={(e) => setStudents(Number(e.target.value))} disabled={running} /></label>
            <label>Width<input type="number" step={0.0625} min={0.0625} max={1} value={width} onChange={(e) => setWidth(Number(e.target.value))} disabled={running} /></label>
          </div>
          <div className="row">
            <label>Input size (px)<input type="number" min={32} step={16} value={inputSize} onChange={(e) => setInputSize(Number(e.target.value))} disabled={running} /></label>
            <label>Batch size<input type="number" min={1} value={batchSize} onChange={(e) => setBatchSize(Number(e.target.value))} disabled={running} /></label>
          </div>
          <div className="row">
            <label>Epochs<input type="number" min={1} value={epochs} onChange={(e) => setEpochs(Number(e.target.value))} disabled={running} /></label>
            <label>Steps per epoch<input type="number" min={1} value={stepsPerEpoch} onChange={(e) => setStepsPerEpoch(Number(e.target.value))} disabled={running} /></label>
            <label>Seed<input type="number" min={0} value={seed} onChange={(e) => setSeed(Number(e.target.value))} disabled={running} /></label>
          </div>
          <div className="actions">
            <button type="button" onClick={start} disabled={running || !backend}>Train</button>
            <button type="button" onClick={() => trainer().cancel()} disabled={!running}>Cancel</button>
          </div>
          <p role="status" data-testid="status">
            Status: {status}
            {running && totalSteps > 0 && ` — step ${cohortSteps} of ${totalSteps}`}
            {steps.length > 0 && ` — ${fmt(steps[steps.length - 1].imagesPerSec, 1)} images/s`}
          </p>
          {error && (
            <p className="error" role="alert" data-testid="error">
              {error.code}: {error.message}
            </p>
          )}
        </section>
        <section className="panel wide" aria-label="Live training">
          <div className="row">
            <h2>Losses</h2>
            <div role="group" aria-label="Loss term" className="segmented">
              {(['total', 'ce', 'kd', 'ml'] as const).map((t) => (
                <button key={t} type="button" aria-pressed={term === t} onClick={() => { setTerm(t); setClicks((c) => c + 1); }}>
                  {t === 'total' ? 'Total' : t.toUpperCase()}
                </button>
              ))}
            </div>
          </div>
          <p className="hint" data-testid="term-clicks">Showing {term} (changed {clicks} times)</p>
          <LossChart steps={steps} names={names} term={term} />
          <h2>Test metrics per epoch</h2>
          <table aria-label="Epoch metrics">
            <thead>
              <tr>
                <th>Phase</th><th>Epoch</th>
                {networks.map((n) => <th key={n.name}>{n.name} ({n.arch}, {(n.params / 1e3).toFixed(1)}k)</th>)}
                {last && Object.keys(last.ensembles).map((k) => <th key={k}>Ensemble ({k})</th>)}
              </tr>
            </thead>
            <tbody>
              {evaluations.map((ev, i) => (
                <tr key={i}>
                  <td>{ev.phase}</td><td>{ev.epoch + 1}</td>
                  {networks.map((n) => <td key={n.name}>{headline(ev.networks[n.name])}</td>)}
                  {last && Object.keys(last.ensembles).map((k) => <td key={k}>{headline(ev.ensembles[k])}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
          <p className="hint">{task === 'classify' ? 'Accuracy on the test images.' : 'Mean IoU on the test images.'}</p>
        </section>
      </main>
    </div>
  );
}
