import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StudioEvent } from '../core/events';
import type { ExperimentResult } from '../core/results';
import { defaultSpec } from '../core/spec';
import type { DatasetSummary } from '../data/summary';
import type { JournalEntry } from '../experiment/journal';
import { memoryHistory } from './history';
import { createStudioStore, type StudioDeps } from './studio';

const summary = (over: Partial<DatasetSummary> = {}): DatasetSummary => ({
  id: 'sample-classify-160-64',
  name: 'Sample data',
  synthetic: true,
  task: 'classify',
  classNames: ['MSS', 'MSIMUT'],
  counts: { MSS: 80, MSIMUT: 80 },
  total: 160,
  train: 128,
  test: 32,
  size: 64,
  layoutDescription: 'generated',
  givenSplit: false,
  report: null,
  layouts: [],
  blocking: [],
  previews: [],
  ...over,
});

const result = (over: Partial<ExperimentResult> = {}) =>
  ({
    format: 'cohort-studio-results',
    version: 1,
    startedAt: '2026-12-01T10:00:00.000Z',
    status: 'done',
    runs: [],
    teacherTrainings: [],
    spec: defaultSpec(),
    ...over,
  }) as ExperimentResult;

const journal = (over: Partial<JournalEntry> = {}): JournalEntry => ({
  version: 1,
  spec: defaultSpec({ name: 'interrupted one' }),
  dataset: {
    id: 'sample-classify-160-64',
    name: 'Sample data',
    synthetic: true,
    task: 'classify',
    total: 160,
    sample: { task: 'classify', count: 160, size: 64 },
  },
  startedAt: '2026-12-01T09:00:00.000Z',
  completed: [],
  planned: 2,
  status: 'running',
  ...over,
});

/** A studio worker that answers from a script: what `runExperiment` emits and returns. */
function fakeWorker() {
  const calls: { name: string; args: unknown[] }[] = [];
  const w = {
    calls,
    interruptedEntry: null as JournalEntry | null,
    events: [] as StudioEvent[],
    result: result(),
    fail: null as unknown,
    importError: null as unknown,
    record(name: string, args: unknown[]) {
      calls.push({ name, args });
    },
  };
  const api = {
    init: async () => ({ backend: 'webgpu', fallbacks: [], fastKernels: true }),
    interrupted: async () => w.interruptedEntry,
    loadSampleData: async (...args: unknown[]) => (w.record('loadSampleData', args), summary()),
    importFiles: async (...args: unknown[]) => {
      w.record('importFiles', args);
      if (w.importError) throw w.importError;
      return summary({ synthetic: false, name: 'tiles', id: 'import-1' });
    },
    runExperiment: async (spec: unknown, onEvent: (e: StudioEvent) => void, options: unknown) => {
      w.record('runExperiment', [spec, options]);
      for (const e of w.events) onEvent(e);
      if (w.fail) throw w.fail;
      return w.result;
    },
    pause: async () => w.record('pause', []),
    unpause: async () => w.record('unpause', []),
    cancel: async () => w.record('cancel', []),
    discardInterrupted: async () => {
      w.record('discardInterrupted', []);
      w.interruptedEntry = null;
    },
    inspect: async (key: string) => ({ key, task: 'classify', images: [], networks: {}, ensembles: {} }),
  };
  return { w, api };
}

function setup(opts: { confirm?: boolean } = {}) {
  const { w, api } = fakeWorker();
  const history = memoryHistory();
  const planner = { describe: vi.fn() };
  const deps: StudioDeps = {
    studio: () => api as never,
    restartStudio: () => api as never,
    planner: () => planner as never,
    proxy: (f) => f,
    history,
    folders: { save: async () => {}, load: async () => null },
    confirm: () => opts.confirm ?? true,
    persistStorage: () => {},
    fastKernels: true,
  };
  return { store: createStudioStore(deps), w, history, planner };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('studio store: the experiment lifecycle', () => {
  it('train: running, events reduced, steps batched, then the result kept in History', async () => {
    const { store, w, history } = setup();
    await store.getState().loadSample('classify');
    const run = { index: 0, method: 'ml' as const, seed: 0, sharedTeacher: false };
    w.events = [
      { type: 'experiment-start', runs: [run], teacherTrainings: 0, totalSteps: 4, doneSteps: 0 },
      { type: 'run-start', run },
      ...[1, 2, 3].map((g): StudioEvent => ({
        type: 'train',
        run,
        seed: 0,
        event: { type: 'step', phase: 'cohort', epoch: 0, step: g - 1, globalStep: g, stepsPerEpoch: 4, losses: {}, imagesPerSec: 1, ms: 10 },
      })),
    ];
    const done = store.getState().train();
    expect(store.getState().status).toBe('running');
    expect(store.getState().tab).toBe('Train');
    await done;
    // Steps wait in the buffer for the next render batch.
    expect(store.getState().stepsDone).toBe(0);
    vi.advanceTimersByTime(250);
    expect(store.getState().stepsDone).toBe(3);
    expect(store.getState().totalSteps).toBe(4);
    expect(store.getState().runs[0]).toMatchObject({ key: 'ml:0', status: 'training', stepsDone: 3 });
    expect(await history.all()).toHaveLength(1);
    expect(store.getState().history).toHaveLength(1);
    const call = w.calls.find((c) => c.name === 'runExperiment')!;
    expect(call.args[1]).toMatchObject({ resume: false, onRunError: 'continue', checkpointEverySteps: 200 });
  });

  it('a run that throws leaves a typed error; a History store that is full says so and loses nothing else', async () => {
    const { store, w, history } = setup();
    w.fail = { name: 'EngineError', code: 'DEVICE_LOST', message: 'The GPU device was lost' };
    await store.getState().train();
    expect(store.getState().status).toBe('failed');
    expect(store.getState().error).toMatchObject({ code: 'DEVICE_LOST' });

    w.fail = null;
    history.put = async () => {
      throw new DOMException('quota', 'QuotaExceededError');
    };
    await store.getState().train();
    expect(store.getState().saveError).toMatch(/could not be kept/);
  });

  it('pause and unpause reach the worker only from the right state', async () => {
    const { store, w } = setup();
    store.getState().pause();
    expect(w.calls.filter((c) => c.name === 'pause')).toHaveLength(0);
    store.setState({ status: 'running' });
    store.getState().pause();
    expect(store.getState().status).toBe('paused');
    store.getState().unpause();
    expect(store.getState().status).toBe('running');
    expect(w.calls.map((c) => c.name)).toEqual(['pause', 'unpause']);
  });

  it('starting over an interrupted experiment asks first; declining changes nothing', async () => {
    const { store, w } = setup({ confirm: false });
    w.interruptedEntry = journal();
    await store.getState().init();
    expect(store.getState().interrupted).not.toBeNull();
    await store.getState().train();
    expect(w.calls.some((c) => c.name === 'runExperiment')).toBe(false);
    expect(store.getState().interrupted).not.toBeNull();
  });

  it('resume of sample data loads it again and resumes with the interrupted spec', async () => {
    const { store, w } = setup();
    w.interruptedEntry = journal();
    await store.getState().init();
    await store.getState().resume();
    expect(w.calls.find((c) => c.name === 'loadSampleData')!.args).toEqual(['classify', 160, 64]);
    const call = w.calls.find((c) => c.name === 'runExperiment')!;
    expect((call.args[0] as { name: string }).name).toBe('interrupted one');
    expect(call.args[1]).toMatchObject({ resume: true });
    expect(store.getState().preset).toBe('custom');
  });

  it('resume of an imported folder that is not loaded asks for it in Data', async () => {
    const { store, w } = setup();
    w.interruptedEntry = journal({ dataset: { id: 'import-1', name: 'tiles', synthetic: false, task: 'classify', total: 500 } });
    await store.getState().init();
    await store.getState().resume();
    expect(store.getState().tab).toBe('Data');
    expect(store.getState().resumeNote).toMatch(/Load "tiles" \(500 images\) again/);
    expect(w.calls.some((c) => c.name === 'runExperiment')).toBe(false);
  });

  it('discard forgets the interrupted experiment', async () => {
    const { store, w } = setup();
    w.interruptedEntry = journal();
    await store.getState().init();
    await store.getState().discardInterrupted();
    expect(store.getState().interrupted).toBeNull();
    expect(w.calls.map((c) => c.name)).toContain('discardInterrupted');
  });
});

describe('studio store: data and configuration', () => {
  it('an import takes the import settings and the spec test share; a failure is a typed error', async () => {
    const { store, w } = setup();
    store.getState().setImportSettings({ inputSize: 96, resize: 'pad', subset: 40 });
    await store.getState().importFiles([]);
    expect(w.calls.find((c) => c.name === 'importFiles')!.args[1]).toEqual({ inputSize: 96, resize: 'pad', seed: 0, testShare: 0.2, valShare: 0, subset: 40 });
    expect(store.getState().dataset?.name).toBe('tiles');
    w.importError = { name: 'DataError', code: 'CANCELLED', message: 'The import was cancelled' };
    await store.getState().importFiles([]);
    expect(store.getState().importError).toMatchObject({ code: 'CANCELLED' });
    expect(store.getState().importing).toBeNull();
  });

  it("a progress message that lands after the import's result does not bring the progress bar back", async () => {
    const { store, w } = setup();
    await store.getState().importFiles([]);
    // The worker's last progress callback, delivered late on its own channel.
    const onProgress = w.calls.find((c) => c.name === 'importFiles')!.args[2] as (p: unknown) => void;
    onProgress({ phase: 'decoding', done: 5, total: 5 });
    expect(store.getState().importing).toBeNull();
  });

  it('a loaded spec replaces the configuration; a bad one names its fields', () => {
    const { store } = setup();
    expect(store.getState().loadSpecText(JSON.stringify({ version: 1, hyper: { lr: -1 } }))).toMatch(/hyper\.lr/);
    expect(store.getState().loadSpecText(JSON.stringify({ version: 1, name: 'mine', seeds: [4] }))).toBeNull();
    expect(store.getState()).toMatchObject({ preset: 'custom' });
    expect(store.getState().spec).toMatchObject({ name: 'mine', seeds: [4] });
  });

  it('an estimate computed for an older spec is dropped', async () => {
    const { store, planner } = setup();
    const desc = { params: 10, activationsPerImage: 1, layers: 1 };
    let answer: (v: unknown) => void = () => {};
    planner.describe.mockImplementation(() => new Promise((r) => (answer = r)));
    const pending = store.getState().refreshEstimate();
    store.getState().setSpec((s) => ({ ...s, inputSize: 64 }));
    answer([desc, desc, desc]);
    await pending;
    expect(store.getState().estimate).toBeNull();
  });

  it('inspection is fetched once per run and dropped for a new experiment', async () => {
    const { store } = setup();
    await store.getState().loadInspection('ml:0');
    expect(store.getState().inspection).toMatchObject({ key: 'ml:0', data: { key: 'ml:0' } });
    await store.getState().train();
    expect(store.getState().inspection).toBeNull();
  });
});
