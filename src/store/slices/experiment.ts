/**
 * The experiment's lifecycle: train, pause and unpause, cancel, resume an interrupted experiment
 * (loading its sample data again, or asking for its folder), restart a lost GPU's worker and
 * resume, discard; training in another tab (this one waits and takes over once that tab is
 * gone); and the progress the worker's events build (`../progress`). The worker keeps the
 * finished experiment in History before it removes the journal; the page lists it again.
 */
import { toErrorInfo } from '../../core/errors';
import type { StudioEvent } from '../../core/events';
import { appendSteps, idleProgress, reduceEvent, stepOf, type StepPoint } from '../progress';
import type { ExperimentSlice, Slice } from '../state';

const STEP_FLUSH_MS = 200;

export const experimentSlice: Slice<ExperimentSlice> = (set, get, deps) => {
  let pending: { key: string; point: StepPoint }[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  let waitingForOtherTab = false;

  /** Disk the experiment still needs: the estimate's, less the share of runs the interrupted one finished. */
  const needBytes = (resume: boolean): number | undefined => {
    const disk = get().estimate?.diskBytes;
    const a = get().interrupted;
    if (!disk) return undefined;
    return resume && a ? Math.round((disk * Math.max(0, a.planned - a.completed.length)) / Math.max(1, a.planned)) : disk;
  };

  const run = async (resume: boolean) => {
    const st = get();
    if (!resume && st.interrupted && !deps.confirm('Starting a new experiment discards the interrupted one and its checkpoints. Start anyway?')) return;
    deps.persistStorage();
    pending = [];
    const need = needBytes(resume);
    set({
      ...idleProgress(),
      status: 'running',
      startedAt: Date.now(),
      interrupted: null,
      resumeNote: null,
      inspection: null,
      saliency: null,
      predictions: null,
      tab: 'Train',
    });
    try {
      await deps.studio().runExperiment(
        st.spec,
        deps.proxy((e: StudioEvent) => get().onEvent(e)),
        {
          resume,
          onRunError: st.onRunError,
          checkpointEverySteps: st.checkpointEverySteps,
          ...(need ? { needBytes: need } : {}),
        },
      );
    } catch (e) {
      get().flushSteps();
      set({ status: 'failed', error: toErrorInfo(e) });
    }
    await get().refreshInterrupted();
    await get().loadHistory();
  };

  return {
    ...idleProgress(),
    interrupted: null,
    resumeNote: null,
    elsewhere: null,
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
      set({ backend: await remote.init(undefined, { fastKernels: deps.fastKernels, replay: deps.replay }) });
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
      try {
        await deps.studio().discardInterrupted();
        set({ interrupted: null, resumeNote: null });
      } catch (e) {
        set({ error: toErrorInfo(e) });
      }
      await get().refreshInterrupted();
      await get().loadHistory();
    },
    refreshInterrupted: async () => {
      const studio = deps.studio();
      const [interrupted, elsewhere] = await Promise.all([studio.interrupted().catch(() => null), studio.trainingElsewhere().catch(() => null)]);
      set({ interrupted, elsewhere });
      if (elsewhere && !waitingForOtherTab) {
        // Take over once the other tab is gone (closed, crashed) or its experiment ends.
        waitingForOtherTab = true;
        void studio
          .whenFree()
          .then(async () => {
            waitingForOtherTab = false;
            await get().refreshInterrupted();
            await get().loadHistory();
          })
          .catch(() => (waitingForOtherTab = false));
      }
    },
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
