import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StudioEvent } from '../core/events';
import type { ExperimentResult } from '../core/results';
import { defaultSpec } from '../core/spec';
import type { DatasetSummary } from '../data/summary';
import { withPath } from '../data/inputFiles';
import type { JournalEntry } from '../experiment/journal';
import type { KeptExperiment } from '../worker/library';
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
    /** Another tab trains: its journal; `free()` lets it go. */
    elsewhere: null as { experiment: JournalEntry | null } | null,
    free: () => {},
    kept: [] as KeptExperiment[],
    deleteError: null as unknown,
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
    storageSupport: async () => ({ opfs: true, createWritable: true, locks: true, persistent: true }),
    interrupted: async () => (w.elsewhere ? null : w.interruptedEntry),
    trainingElsewhere: async () => w.elsewhere,
    whenFree: () =>
      new Promise<void>((resolve) => {
        w.free = () => {
          w.elsewhere = null;
          resolve();
        };
      }),
    history: async () => (w.record('history', []), w.kept),
    storage: async () => ({ usage: 0, quota: 1e9, persisted: true, checkpoints: [], opfs: true }),
    experiment: async (id: string) => w.kept.find((k) => k.id === id) ?? null,
    deleteExperiment: async (id: string) => {
      w.record('deleteExperiment', [id]);
      if (w.deleteError) throw w.deleteError;
      w.kept = w.kept.filter((k) => k.id !== id);
    },
    loadSampleData: async (...args: unknown[]) => (w.record('loadSampleData', args), summary()),
    importFiles: async (...args: unknown[]) => {
      w.record('importFiles', args);
      if (w.importError) throw w.importError;
      return summary({ synthetic: false, name: 'tiles', id: 'import-1' });
    },
    stageFiles: async (files: unknown[], first: boolean) => (w.record('stageFiles', [files.length, first]), 0),
    importStaged: async (...args: unknown[]) => (w.record('importStaged', args), summary({ synthetic: false, name: 'tiles', id: 'import-2' })),
    reimportWith: async (...args: unknown[]) => (w.record('reimportWith', args), summary({ synthetic: false, name: 'tiles', id: 'import-2' })),
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
    inspect: async (id: string, key: string) => (w.record('inspect', [id, key]), { key, task: 'classify', images: [], networks: {}, ensembles: {} }),
    exportRun: async (id: string, key: string) => (w.record('exportRun', [id, key]), new Uint8Array([1])),
  };
  return { w, api };
}

function setup(opts: { confirm?: boolean } = {}) {
  const { w, api } = fakeWorker();
  const planner = { describe: vi.fn() };
  const deps: StudioDeps = {
    studio: () => api as never,
    restartStudio: () => api as never,
    planner: () => planner as never,
    proxy: (f) => f,
    folders: { save: async () => {}, load: async () => null },
    confirm: () => opts.confirm ?? true,
    persistStorage: () => {},
    fastKernels: true,
  };
  return { store: createStudioStore(deps), w, planner };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('studio store: the experiment lifecycle', () => {
  it('train: running, events reduced, steps batched, then History listed again from the worker', async () => {
    const { store, w } = setup();
    await store.getState().loadSample('classify');
    const run = { index: 0, method: 'ml' as const, seed: 0, sharedTeacher: false };
    w.events = [
      { type: 'experiment-start', runs: [run], teacherTrainings: 0, totalSteps: 4, doneSteps: 0, experimentId: 'exp-7' },
      { type: 'run-start', run },
      ...[1, 2, 3].map((g): StudioEvent => ({
        type: 'train',
        run,
        seed: 0,
        event: { type: 'step', phase: 'cohort', epoch: 0, step: g - 1, globalStep: g, stepsPerEpoch: 4, losses: {}, imagesPerSec: 1, ms: 10 },
      })),
    ];
    // The worker keeps the record itself, before it removes the journal; the page lists it after.
    w.kept = [{ version: 2, id: 'exp-7', savedAt: '2026-12-01T10:00:00.000Z', result: w.result, stored: { runs: ['ml:0'], bytes: 10 } }];
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
    expect(store.getState().experimentId).toBe('exp-7');
    expect(store.getState().history.map((h) => h.id)).toEqual(['exp-7']);
    const names = w.calls.map((c) => c.name);
    expect(names.lastIndexOf('history')).toBeGreaterThan(names.indexOf('runExperiment'));
    const call = w.calls.find((c) => c.name === 'runExperiment')!;
    expect(call.args[1]).toMatchObject({ resume: false, onRunError: 'continue', checkpointEverySteps: 200 });
  });

  it('a run that throws leaves a typed error; one whose record could not be kept is offered for resume', async () => {
    const { store, w } = setup();
    w.fail = { name: 'EngineError', code: 'DEVICE_LOST', message: 'The GPU device was lost' };
    await store.getState().train();
    expect(store.getState().status).toBe('failed');
    expect(store.getState().error).toMatchObject({ code: 'DEVICE_LOST' });

    w.fail = { name: 'EngineError', code: 'STORAGE_FULL', message: 'The finished experiment could not be kept in History' };
    w.interruptedEntry = journal({ completed: [], planned: 2, status: 'stopped' });
    await store.getState().train();
    expect(store.getState().error).toMatchObject({ code: 'STORAGE_FULL' });
    expect(store.getState().interrupted).toMatchObject({ status: 'stopped' });
  });

  it('asks the worker to check the disk the estimate says the experiment needs; a resume needs only what is left', async () => {
    const { store, w } = setup();
    store.setState({ estimate: { diskBytes: 4000 } as never });
    await store.getState().train();
    expect(w.calls.find((c) => c.name === 'runExperiment')!.args[1]).toMatchObject({ needBytes: 4000 });
    w.calls.length = 0;
    w.interruptedEntry = journal({ planned: 4, completed: [{} as never] });
    await store.getState().init();
    await store.getState().resume();
    expect(w.calls.find((c) => c.name === 'runExperiment')!.args[1]).toMatchObject({ resume: true, needBytes: 3000 });
  });

  it('training in another tab: shown as such, not as interrupted; this tab takes over once that one is gone', async () => {
    const { store, w } = setup();
    w.interruptedEntry = journal();
    w.elsewhere = { experiment: journal() };
    await store.getState().init();
    expect(store.getState().elsewhere).toMatchObject({ experiment: { spec: { name: 'interrupted one' } } });
    expect(store.getState().interrupted).toBeNull();
    // The other tab closes mid-experiment: its journal is now an interrupted experiment here.
    w.free();
    await vi.waitFor(() => expect(store.getState().interrupted).not.toBeNull());
    expect(store.getState().elsewhere).toBeNull();
  });

  it('a kept experiment opens in Compare, Inspect and Export read its runs, and deleting it frees it', async () => {
    const { store, w } = setup();
    const run = { index: 0, method: 'ml' as const, seed: 0, sharedTeacher: false };
    const record = { method: 'ml', seed: 0, status: 'done', config: {}, networks: [], history: [], backend: 'webgpu' } as never;
    w.kept = [
      {
        version: 2,
        id: 'exp-old',
        savedAt: '2026-12-01T10:00:00.000Z',
        result: result({ runs: [record], spec: defaultSpec({ methods: ['ml'], seeds: [0] }) }),
        stored: null,
      },
    ];
    await store.getState().loadHistory();
    await store.getState().openExperiment('exp-old');
    expect(store.getState()).toMatchObject({ experimentId: 'exp-old', tab: 'Compare', status: 'done' });
    expect(store.getState().runs.find((r) => r.key === 'ml:0')).toMatchObject({ run, status: 'done' });
    await store.getState().loadInspection('ml:0');
    expect(w.calls.find((c) => c.name === 'inspect')!.args).toEqual(['exp-old', 'ml:0']);
    await store.getState().exportRun('ml:0', false);
    expect(w.calls.find((c) => c.name === 'exportRun')!.args).toEqual(['exp-old', 'ml:0']);

    w.deleteError = { name: 'EngineError', code: 'TRAINING_ELSEWHERE', message: 'An experiment is training in another tab' };
    await store.getState().deleteHistory('exp-old');
    expect(store.getState().historyError).toMatch(/another tab/);
    expect(store.getState().experimentId).toBe('exp-old');
    w.deleteError = null;
    await store.getState().deleteHistory('exp-old');
    expect(store.getState().history).toEqual([]);
    expect(store.getState().experimentId).toBeNull();
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
    // A progress message that arrives after the result (it travels on its own port) is dropped.
    const late = w.calls.find((c) => c.name === 'importFiles')!.args[2] as (p: unknown) => void;
    late({ phase: 'decoding', done: 3, total: 3 });
    expect(store.getState().importing).toBeNull();
    w.importError = { name: 'DataError', code: 'CANCELLED', message: 'The import was cancelled' };
    await store.getState().importFiles([]);
    expect(store.getState().importError).toMatchObject({ code: 'CANCELLED' });
    expect(store.getState().importing).toBeNull();
  });

  it('a large folder goes to the worker in chunks, then one import of them all', async () => {
    const { store, w } = setup();
    const files = Array.from({ length: 450 }, (_, i) => withPath(new File([], `${i}.png`)));
    await store.getState().importFiles(files);
    expect(w.calls.filter((c) => c.name === 'stageFiles').map((c) => c.args)).toEqual([
      [100, true],
      [100, false],
      [100, false],
      [100, false],
      [50, false],
    ]);
    expect(w.calls.find((c) => c.name === 'importStaged')!.args[0]).toMatchObject({ inputSize: 224 });
    expect(w.calls.some((c) => c.name === 'importFiles')).toBe(false);
    expect(store.getState()).toMatchObject({ importing: null, dataset: { id: 'import-2' } });
  });

  it('a groups CSV added after an import imports the folder again with it; the spec follows the import settings', async () => {
    const { store, w } = setup();
    await store.getState().importFiles([]);
    store.getState().setImportSettings({ valShare: 0.2 });
    expect(store.getState().spec.data).toMatchObject({ valShare: 0.2, groups: 'auto', splitBy: 'group' });
    expect(w.calls.some((c) => c.name === 'reimportWith')).toBe(false);
    // Choosing "a CSV" waits for the file; the file then re-imports.
    store.getState().setImportSettings({ groups: 'csv' });
    expect(w.calls.some((c) => c.name === 'reimportWith')).toBe(false);
    store.getState().setImportSettings({ groupsCsv: { name: 'patients.csv', text: 'file,group\na.png,p1\n' } });
    await vi.waitFor(() => expect(store.getState().dataset?.id).toBe('import-2'));
    expect(w.calls.find((c) => c.name === 'reimportWith')!.args[0]).toEqual({
      groups: { kind: 'csv', name: 'patients.csv', text: 'file,group\na.png,p1\n' },
      splitBy: 'group',
    });
    expect(store.getState().spec.data.groups).toBe('patients.csv');
    // Back to automatic groups: imported again without the CSV.
    store.getState().setImportSettings({ groups: 'auto' });
    await vi.waitFor(() => expect(w.calls.filter((c) => c.name === 'reimportWith')).toHaveLength(2));
    expect(w.calls.filter((c) => c.name === 'reimportWith')[1].args[0]).toEqual({ groups: { kind: 'auto' }, splitBy: 'group' });
    store.getState().setImportSettings({ groups: 'csv' });
    await vi.waitFor(() => expect(w.calls.filter((c) => c.name === 'reimportWith')).toHaveLength(3));
    // The next import takes them too.
    store.getState().setImportSettings({ splitBy: 'image' });
    await store.getState().importFiles([]);
    expect(w.calls.filter((c) => c.name === 'importFiles').pop()!.args[1]).toMatchObject({ groups: { kind: 'csv', name: 'patients.csv' }, splitBy: 'image' });
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
    store.setState({ experimentId: 'exp-1' });
    await store.getState().loadInspection('ml:0');
    expect(store.getState().inspection).toMatchObject({ key: 'ml:0', data: { key: 'ml:0' } });
    await store.getState().train();
    expect(store.getState().inspection).toBeNull();
  });
});
