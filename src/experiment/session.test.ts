import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryFileStore } from '../core/files';
import type { ExperimentEvent } from '../core/events';
import { defaultSpec, type ExperimentSpec } from '../core/spec';
import type { JournalEntry } from './journal';
import { runSession, SessionStorage, studyFromSample } from './session';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = { arch: 'resnet18', width: 0.0625 };
const spec: ExperimentSpec = defaultSpec({
  name: 'session check',
  inputSize: 32,
  teacher: tiny,
  students: [tiny, tiny],
  hyper: { ...defaultSpec().hyper, epochs: 1, teacherEpochs: 1, stepsPerEpoch: 2, batchSize: 4 },
  methods: ['kd', 'ml'],
  seeds: [0, 1],
});
// Sample data stored at 48 px: the session brings it to the spec's 32 px.
const study = () => studyFromSample('classify', 20, 48);

describe('experiment session', () => {
  it('checks the spec against the dataset before any training, with typed errors', async () => {
    const storage = new SessionStorage(new MemoryFileStore());
    await expect(runSession({ ...spec, task: 'box' }, study(), { storage })).rejects.toMatchObject({ code: 'INVALID_CONFIG', subject: 'task' });
    await expect(runSession(spec, null, { storage })).rejects.toMatchObject({ code: 'EMPTY_DATASET' });
    const blocked = { ...study(), blocking: [{ name: 'DataError' as const, code: 'CLASS_TOO_SMALL' as const, message: 'MSS has 1 image' }] };
    await expect(runSession(spec, blocked, { storage })).rejects.toMatchObject({ code: 'EMPTY_DATASET' });
    await expect(runSession(spec, study(), { storage, resume: true })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(runSession({ ...spec, hyper: { lr: -1 } }, study(), { storage })).rejects.toMatchObject({ code: 'INVALID_SPEC' });
    // Nothing was written: no journal, no checkpoint.
    expect(await storage.journal.read()).toBeNull();
    expect(await storage.checkpoints.keys()).toEqual([]);
  });

  it('keeps the journal while it runs, counts every step up front, and removes the journal when done', async () => {
    const storage = new SessionStorage(new MemoryFileStore());
    const seen: (JournalEntry | null)[] = [];
    const events: ExperimentEvent[] = [];
    const result = await runSession(spec, study(), {
      storage,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'run-start') void storage.journal.read().then((j) => seen.push(j));
      },
    });
    expect(result.status).toBe('done');
    expect(result.runs.map((r) => `${r.method}:${r.seed}:${r.status}`)).toEqual(['kd:0:done', 'ml:0:done', 'kd:1:done', 'ml:1:done']);
    expect(seen.every((j) => j?.status === 'running' && j.planned === 4)).toBe(true);
    expect(await storage.journal.read()).toBeNull();
    const start = events.find((e) => e.type === 'experiment-start');
    // 4 runs x 1 epoch x 2 steps + 2 shared teachers x 1 epoch x 2 steps.
    expect(start).toMatchObject({ totalSteps: 12, doneSteps: 0 });
    const steps = events.filter((e) => e.type === 'train' && e.event.type === 'step');
    expect(steps).toHaveLength(12);
    // Every run trained on 32 px images.
    expect(result.runs.every((r) => r.config.inputSize === 32)).toBe(true);
  });

  it('a cancelled experiment resumes from its journal: finished runs are kept, the rest run, the numbers match', async () => {
    const straight = await runSession(spec, study(), { storage: new SessionStorage(new MemoryFileStore()) });

    const storage = new SessionStorage(new MemoryFileStore());
    const controller = new AbortController();
    const first = await runSession(spec, study(), {
      storage,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'run-end' && e.run.method === 'ml' && e.run.seed === 0) controller.abort();
      },
    });
    expect(first.status).toBe('cancelled');
    const entry = await storage.journal.read();
    expect(entry).toMatchObject({ status: 'cancelled', planned: 4 });
    expect(entry!.completed.map((r) => `${r.method}:${r.seed}`)).toEqual(['kd:0', 'ml:0']);

    const events: ExperimentEvent[] = [];
    // Resume takes the journal's spec, whatever is passed.
    const resumed = await runSession({ version: 1 }, study(), { storage, resume: true, onEvent: (e) => events.push(e) });
    expect(resumed.status).toBe('done');
    expect(events.find((e) => e.type === 'experiment-start')).toMatchObject({ totalSteps: 12, doneSteps: 6 });
    const trained = events.filter((e) => e.type === 'train' && e.event.type === 'start').map((e) => (e.type === 'train' ? `${e.run?.method}:${e.seed}` : ''));
    expect(trained).toEqual(['kd:1', 'ml:1']);
    const acc = (r: typeof straight) => r.runs.map((x) => (x.final!.ensembles.max as { accuracy: number }).accuracy);
    expect(acc(resumed)).toEqual(acc(straight));
    expect(await storage.journal.read()).toBeNull();
  });

  it('resuming on another dataset is refused, naming the one it needs', async () => {
    const storage = new SessionStorage(new MemoryFileStore());
    const controller = new AbortController();
    controller.abort();
    await runSession(spec, study(), { storage, signal: controller.signal });
    await expect(runSession(spec, studyFromSample('classify', 24, 48), { storage, resume: true })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      subject: 'dataset',
    });
  });

  it('keeps the experiment (its record) before it removes the journal; a failed record leaves the journal to resume', async () => {
    const one = { ...spec, seeds: [0], methods: ['ml' as const] };
    const storage = new SessionStorage(new MemoryFileStore());
    const order: string[] = [];
    const remove = storage.journal.remove.bind(storage.journal);
    storage.journal.remove = () => (order.push('journal removed'), remove());
    const r = await runSession(one, study(), {
      storage,
      id: 'exp-a',
      record: async (result, id) => void order.push(`record ${id} ${result.status}`),
    });
    expect(r.status).toBe('done');
    expect(order).toEqual(['record exp-a done', 'journal removed']);

    const failing = new SessionStorage(new MemoryFileStore());
    const full = Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
    await expect(
      runSession(one, study(), {
        storage: failing,
        id: 'exp-b',
        record: async () => {
          throw full;
        },
      }),
    ).rejects.toBe(full);
    const left = await failing.journal.read();
    expect(left).toMatchObject({ id: 'exp-b', status: 'stopped', error: { code: 'QUOTA_EXCEEDED' } });
    expect(left!.completed).toHaveLength(1);
    // Resume trains nothing again and keeps it this time, under the same id.
    const kept: string[] = [];
    const events: ExperimentEvent[] = [];
    const again = await runSession(one, study(), {
      storage: failing,
      resume: true,
      onEvent: (e) => events.push(e),
      record: async (_r, id) => void kept.push(id),
    });
    expect(again.status).toBe('done');
    expect(kept).toEqual(['exp-b']);
    expect(events.find((e) => e.type === 'experiment-start')).toMatchObject({ experimentId: 'exp-b' });
    expect(events.filter((e) => e.type === 'train')).toHaveLength(0);
    expect(await failing.journal.read()).toBeNull();
  });

  it('without storage it writes no checkpoint (the command line)', async () => {
    const events: ExperimentEvent[] = [];
    const r = await runSession({ ...spec, seeds: [0], methods: ['ml'] }, study(), { onEvent: (e) => events.push(e) });
    expect(r.status).toBe('done');
    expect(events.filter((e) => e.type === 'train' && e.event.type === 'checkpoint')).toHaveLength(0);
  });
});
