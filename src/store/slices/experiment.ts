/**
 * The experiment's lifecycle: train, pause and unpause, cancel, resume an interrupted experiment
 * (loading its sample data again, or asking for its folder), restart a lost GPU's worker and
 * resume, discard; and the progress the worker's events build (`../progress`). A finished
 * experiment is kept in History.
 */
import { toErrorInfo } from '../../core/errors';
import type { StudioEvent } from '../../core/events';
import { historyRecordOf } from '../history';
import { appendSteps, idleProgress, reduceEvent, stepOf, type StepPoint } from '../progress';
import type { ExperimentSlice, Slice } from '../state';

const STEP_FLUSH_MS = 200;

export const experimentSlice: Slice<ExperimentSlice> = (set, get, deps) => {
  let pending: { key: string; point: StepPoint }[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | null = null;

  const run = async (resume: boolean) => {
    const st = get();
    if (!resume && st.interrupted && !deps.confirm('Starting a new experiment discards the interrupted one and its checkpoints. Start anyway?')) return;
    deps.persistStorage();
    pending = [];
    set({
      ...idleProgress(),
      status: 'running',
      startedAt: Date.now(),
      interrupted: null,
      resumeNote: null,
      saveError: null,
      inspection: null,
      saliency: null,
      predictions: null,
      tab: 'Train',
    });
    try {
      const result = await deps.studio().runExperiment(
        st.spec,
        deps.proxy((e: StudioEvent) => get().onEvent(e)),
        {
          resume,
          onRunError: st.onRunError,
          checkpointEverySteps: st.checkpointEverySteps,
        },
      );
      try {
        await deps.history.put(historyRecordOf(result));
        await get().loadHistory();
      } catch (e) {
        set({ saveError: `The results could not be kept in this browser: ${e instanceof Error ? e.message : String(e)}. Download them from Compare.` });
      }
    } catch (e) {
      get().flushSteps();
      set({ status: 'failed', error: toErrorInfo(e) });
    }
    await get().refreshInterrupted();
  };

  return {
    ...idleProgress(),
    interrupted: null,
    resumeNote: null,
    saveError: null,
    train: () => run(false),
    resume: async () => {
      const a = get().interrupted;
      if (!a) return;
      set({ resumeNote: null });
      const ds = get().dataset;
      if (a.dataset.synthetic && a.dataset.sample) {
        set({ dataset: await deps.studio().loadSampleData(a.dataset.sample.task, a.dataset.sample.count, a.dataset.sample.size) });
      } else if (!ds || ds.name !== a.dataset.name || ds.total !== a.dataset.total) {
        set({ resumeNote: `Load "${a.dataset.name}" (${a.dataset.total} images) again in Data, then Resume.`, tab: 'Data' });
        return;
      }
      set({ spec: a.spec, preset: 'custom' });
      await run(true);
    },
    restartAndResume: async () => {
      const remote = deps.restartStudio();
      set({ backend: null, error: null, status: 'idle', dataset: null });
      set({ backend: await remote.init(undefined, { fastKernels: deps.fastKernels }) });
      await get().refreshInterrupted();
      await get().resume();
    },
    pause: () => {
      if (get().status !== 'running') return;
      void deps.studio().pause();
      set({ status: 'paused' });
    },
    unpause: () => {
      if (get().status !== 'paused') return;
      void deps.studio().unpause();
      set({ status: 'running' });
    },
    cancel: () => void deps.studio().cancel(),
    discardInterrupted: async () => {
      await deps.studio().discardInterrupted();
      set({ interrupted: null, resumeNote: null });
    },
    refreshInterrupted: async () =>
      set({
        interrupted: await deps
          .studio()
          .interrupted()
          .catch(() => null),
      }),
    flushCheckpoint: () => void deps.studio().flush(),
    onEvent: (e) => {
      const step = stepOf(e);
      if (step) {
        pending.push(step);
        if (!flushTimer) flushTimer = setTimeout(() => get().flushSteps(), STEP_FLUSH_MS);
        return;
      }
      // Everything after a step sees the steps before it.
      if (e.type !== 'memory') get().flushSteps();
      set(reduceEvent(get(), e));
    },
    flushSteps: () => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      set(appendSteps(get(), batch));
    },
  };
};
