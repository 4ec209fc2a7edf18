/**
 * Train: the experiment's progress (run and whole experiment, with ETA), pause, unpause, cancel, the
 * backend and GPU memory, and live curves for the run in progress (or the one picked): every
 * network's loss and its terms per step, and the test metric per epoch for every network and
 * ensemble.
 */
import { useEffect, useState } from 'react';
import { studioStore, useStudio } from '../store';
import { experimentEta, type RunProgress } from '../store/progress';
import { EpochChart, LossChart } from './LossChart';
import { fmt, fmtDuration, Progress } from './common';
import { metricName } from '../core/metrics';

export function RunCurves({ run, task }: { run: RunProgress; task: 'classify' | 'box' }) {
  const [term, setTerm] = useState<'total' | 'ce' | 'kd' | 'ml'>('total');
  const names = Array.from(new Set(run.steps.flatMap((s) => Object.keys(s.losses))));
  const metric = metricName(task);
  const validated = run.evaluations.some((e) => e.validation);
  return (
    <div className="curves" data-testid="run-curves">
      <div className="row">
        <h3>{run.label}</h3>
        <div role="group" aria-label="Loss term" className="segmented">
          {(['total', 'ce', 'kd', 'ml'] as const).map((t) => (
            <button key={t} type="button" aria-pressed={term === t} onClick={() => setTerm(t)}>
              {t === 'total' ? 'Total' : t.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      <p className="hint" data-testid="term">
        Showing {term === 'total' ? 'the total loss' : `the ${term.toUpperCase()} term`} (weighted by α, β, γ as in eq. 4), {run.steps.length} steps.
      </p>
      <LossChart steps={run.steps} names={names} term={term} />
      <div className={validated ? 'chart-pair' : undefined}>
        <EpochChart evaluations={run.evaluations} label={metric} />
        {validated && <EpochChart evaluations={run.evaluations} label={metric} part="validation" />}
      </div>
    </div>
  );
}

/** The time, updated every second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [ticking]);
  return now;
}

export function TrainPanel() {
  const status = useStudio((s) => s.status);
  const runs = useStudio((s) => s.runs);
  const currentKey = useStudio((s) => s.currentKey);
  const totalSteps = useStudio((s) => s.totalSteps);
  const stepsDone = useStudio((s) => s.stepsDone);
  const startedAt = useStudio((s) => s.startedAt);
  const stepsAtStart = useStudio((s) => s.stepsAtStart);
  const backend = useStudio((s) => s.backend);
  const memory = useStudio((s) => s.memory);
  const error = useStudio((s) => s.error);
  const task = useStudio((s) => s.result?.spec.task ?? s.spec.task);
  const [picked, setPicked] = useState<string | null>(null);
  const running = status === 'running' || status === 'paused';
  const current =
    runs.find((r) => r.key === (picked ?? currentKey)) ?? runs.find((r) => r.key === currentKey) ?? runs.filter((r) => r.steps.length).slice(-1)[0];
  const { pause, unpause, cancel } = studioStore.getState();
  const now = useNow(running);
  const eta = experimentEta({ startedAt, stepsAtStart, stepsDone, totalSteps }, now);
  const gpuBytes = memory ? (memory.gpuBytes ?? memory.numBytes) : null;
  const last = current?.steps[current.steps.length - 1];
  const runEta = current && last && current.totalSteps > current.stepsDone ? (current.totalSteps - current.stepsDone) * last.ms : 0;

  return (
    <section className="panel" aria-label="Train">
      <h2>Train</h2>
      <div className="row">
        <span data-testid="experiment-status">Status: {status}</span>
        <span>Backend: {backend ? backend.backend : '…'}</span>
        <span>GPU memory in use: {gpuBytes !== null ? `${(gpuBytes / 1e6).toFixed(1)} MB` : '–'}</span>
        {last && <span data-testid="throughput">{fmt(last.imagesPerSec, 1)} images/s</span>}
      </div>
      <div className="actions">
        {status === 'paused' ? (
          <button type="button" onClick={unpause}>
            Unpause
          </button>
        ) : (
          <button type="button" disabled={status !== 'running'} onClick={pause}>
            Pause
          </button>
        )}
        <button type="button" disabled={!running} onClick={cancel}>
          Cancel
        </button>
      </div>
      {runs.length > 0 && (
        <>
          <Progress
            value={stepsDone}
            max={totalSteps}
            label={`Experiment: ${stepsDone} of ${totalSteps} steps${eta ? `, about ${fmtDuration(eta)} left` : ''}`}
          />
          {current && (
            <Progress
              value={current.stepsDone}
              max={current.totalSteps}
              label={`${current.label}: ${current.stepsDone} of ${current.totalSteps} steps${runEta ? `, about ${fmtDuration(runEta)} left` : ''}`}
            />
          )}
          {current?.checkpoint && (
            <p className="hint" data-testid="last-checkpoint">
              Last checkpoint: epoch {current.checkpoint.epoch + (current.checkpoint.step ? 1 : 0)}
              {current.checkpoint.step ? `, step ${current.checkpoint.step}` : ' done'}.
            </p>
          )}
        </>
      )}
      {error && (
        <p className="error" role="alert" data-testid="train-error">
          {error.code}: {error.message}
        </p>
      )}
      <div className="runs-list" role="list" aria-label="Runs">
        {runs.map((r) => (
          <button
            key={r.key}
            type="button"
            role="listitem"
            className={`run ${r.status}`}
            aria-current={r.key === current?.key}
            onClick={() => setPicked(r.key)}
            title={r.error ? `${r.error.code}: ${r.error.message}` : undefined}
          >
            {r.label}: {r.status}
            {r.error ? ` (${r.error.code})` : ''}
          </button>
        ))}
      </div>
      {current && <RunCurves run={current} task={task} />}
    </section>
  );
}
