import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StudioEvent } from '../core/events';
import { MemoryFileStore } from '../core/files';
import { defaultSpec, type ExperimentSpec } from '../core/spec';
import { modelFromFiles } from '../engine/bundle';
import { predict } from '../engine/trainer';
import { dataForSeed, resample } from '../experiment/datasets';
import { memoryHistory } from '../experiment/history';
import { SessionStorage, studyFromSample } from '../experiment/session';
import { RunArchive } from './archive';
import { exportRun } from './bundles';
import { ExperimentRunner } from './experiments';
import { Library } from './library';
import { TRAINER_LOCK, TrainerLock, type Locks } from './trainerLock';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** One browser profile's lock manager, shared by the "tabs" of a test. */
class ProfileLocks implements Locks {
  private held = false;
  private waiting: (() => void)[] = [];
  async request(_name: string, opts: { ifAvailable?: boolean }, cb: (lock: unknown) => Promise<unknown>): Promise<unknown> {
    if (this.held) {
      if (opts.ifAvailable) return cb(null);
      await new Promise<void>((r) => this.waiting.push(r));
    }
    this.held = true;
    try {
      return await cb({});
    } finally {
      this.held = false;
      this.waiting.shift()?.();
    }
  }
  async query() {
    return { held: this.held ? [{ name: TRAINER_LOCK }] : [] };
  }
}

const noGpu = { recover: async () => true, fault: () => null, classify: () => null, memory: () => ({ numTensors: 0, numBytes: 0, gpuBytes: null }) } as never;
const persistent = { opfs: true, createWritable: true, locks: true, persistent: true };

/** A tab's studio worker over the profile's storage, history and locks. */
function tab(files: MemoryFileStore, history = memoryHistory(), locks: Locks = new ProfileLocks()) {
  const storage = new SessionStorage(files);
  const archive = new RunArchive(files);
  const lock = new TrainerLock(locks);
  let runner: ExperimentRunner | null = null;
  const library = new Library(history, archive, storage, lock, () => runner!.current);
  runner = new ExperimentRunner(storage, noGpu, archive, lock, library, persistent);
  return { storage, archive, lock, library, runner, history, files, locks };
}

const tiny = { arch: 'resnet18', width: 0.0625 };
const spec: ExperimentSpec = defaultSpec({
  name: 'kept runs',
  inputSize: 32,
  teacher: tiny,
  students: [tiny, tiny],
  hyper: { ...defaultSpec().hyper, epochs: 1, teacherEpochs: 1, stepsPerEpoch: 1, batchSize: 4 },
  methods: ['kd', 'kdml_offline', 'ml'],
  seeds: [0],
});
const study = () => studyFromSample('classify', 20, 32);

describe('the studio worker keeps finished runs in storage', () => {
  it('writes each run and its History record to storage, reads both back in a fresh worker, leaks no tensor, and frees them on delete', async () => {
    const files = new MemoryFileStore();
    const a = tab(files);
    const events: StudioEvent[] = [];
    const tensors = tf.memory().numTensors;
    const result = await a.runner.run(spec, study(), (e) => events.push(e));
    expect(result.status).toBe('done');
    expect(tf.memory().numTensors).toBe(tensors);
    const start = events.find((e) => e.type === 'experiment-start');
    const id = start?.type === 'experiment-start' ? start.experimentId! : '';
    expect(id).toMatch(/^exp-/);
    expect(await a.storage.journal.read()).toBeNull();

    // A reload: a new worker over the same storage, nothing in memory.
    const b = tab(files, a.history);
    const [kept] = await b.library.list();
    expect(kept).toMatchObject({ id, result: { status: 'done' }, stored: { runs: ['kd:0', 'kdml_offline:0', 'ml:0'] } });
    expect(kept.stored!.bytes).toBeGreaterThan(0);
    expect(kept.live).toBeUndefined();
    // The seed's shared teacher is kept once, for both runs that use it.
    const teacherFiles = Array.from(files.files.keys()).filter((p) => p.endsWith('/teacher/weights.bin'));
    expect(teacherFiles).toEqual([`archive/${id.replace(/[^A-Za-z0-9._-]/g, '_')}/seed-0/teacher/weights.bin`]);

    // Inspect, Compare's predictions and Export read the kept run back; its models predict what they predicted.
    const inspection = (await b.archive.inspect(id, 'kd:0', 200))!;
    const predictions = (await b.archive.predictions(id, 'kd:0'))!;
    expect(inspection.images.length).toBe(inspection.networks.student1.length);
    expect(predictions.labels!.length).toBe(predictions.networks.student1.length);
    const run = (await b.archive.get(id, 'kd:0'))!;
    const context = (await b.archive.context(id))!;
    const zip = unzipSync(await exportRun(run, true, context));
    expect(Object.keys(zip)).toEqual(expect.arrayContaining(['student1/weights.bin', 'teacher/weights.bin', 'ensemble.json']));
    const parsed = defaultSpec(spec);
    const testSet = dataForSeed(
      resample(study().samples, 32),
      { testShare: parsed.data.testShare, splitSeed: 'per-seed', classNames: ['MSS', 'MSIMUT'] },
      0,
    ).test;
    const model = await modelFromFiles({ 'model.json': zip['student1/model.json'], 'weights.bin': zip['student1/weights.bin'] });
    const out = await predict(model, testSet, run.result.config);
    model.dispose();
    predictions.networks.student1.forEach((row, i) => row.forEach((v, j) => expect(out[i * 2 + j]).toBeCloseTo(v, 5)));
    expect(tf.memory().numTensors).toBe(tensors);

    // Deleting the experiment frees every file it kept.
    await b.library.remove(id);
    expect(Array.from(files.files.keys()).filter((p) => p.startsWith('archive/'))).toEqual([]);
    expect(await b.library.list()).toEqual([]);
  });

  it('an interrupted experiment lists its finished runs; discard keeps what History keeps; a new experiment frees what nothing keeps', async () => {
    const files = new MemoryFileStore();
    const a = tab(files);
    const controller = { stop: () => {} };
    let id = '';
    const first = a.runner.run({ ...spec, methods: ['ml', 'independent'] }, study(), (e) => {
      if (e.type === 'experiment-start') id = e.experimentId!;
      if (e.type === 'run-end') controller.stop();
    });
    controller.stop = () => a.runner.cancel();
    expect((await first).status).toBe('cancelled');
    const [listed] = await a.library.list();
    // The cancelled experiment is kept in History and its journal stays for Resume.
    expect(listed).toMatchObject({ id, live: 'interrupted', stored: { runs: ['ml:0'] } });
    // Discarding the journal keeps what History keeps.
    await a.runner.discardInterrupted();
    expect(await a.archive.runs(id)).toEqual(['ml:0']);

    // An interrupted experiment that History does not keep (a crash) is freed by the next one.
    const orphan = 'exp-crashed';
    await files.write(`archive/${orphan}/ml_0/predictions.bin`, new Uint8Array(8));
    expect(await a.archive.ids()).toContain(orphan);
    await a.storage.journal.write({ version: 1, id: orphan, spec, dataset: study().identity, startedAt: 'x', completed: [], planned: 3, status: 'running' });
    await a.runner.run({ ...spec, methods: ['ml'] }, study(), () => {});
    expect(await a.archive.ids()).not.toContain(orphan);
    expect(await a.archive.runs(id)).toEqual(['ml:0']);
  });
});

describe('one trainer per browser profile', () => {
  it('a second tab cannot start, resume, discard or delete while the first trains, and takes over once it is gone', async () => {
    const files = new MemoryFileStore();
    const locks = new ProfileLocks();
    const history = memoryHistory();
    const first = tab(files, history, locks);
    const second = tab(files, history, locks);
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    // The first tab trains (paused on its first step, so the test can look around).
    let started = false;
    const training = first.runner.run({ ...spec, methods: ['ml'] }, study(), (e) => {
      if (e.type === 'train' && e.event.type === 'step' && !started) {
        started = true;
        first.runner.pause();
        release();
      }
    });
    await held;
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    expect(await second.runner.interrupted()).toBeNull();
    expect(await second.runner.elsewhere()).toMatchObject({ experiment: { status: 'running', spec: { name: 'kept runs' } } });
    expect(await code(second.runner.run(spec, study(), () => {}))).toBe('TRAINING_ELSEWHERE');
    expect(await code(second.runner.run(spec, study(), () => {}, { resume: true }))).toBe('TRAINING_ELSEWHERE');
    expect(await code(second.runner.discardInterrupted())).toBe('TRAINING_ELSEWHERE');
    expect(await code(second.runner.deleteCheckpoints())).toBe('TRAINING_ELSEWHERE');
    expect(await code(second.library.remove('any'))).toBe('TRAINING_ELSEWHERE');
    expect(await first.storage.journal.read()).toMatchObject({ status: 'running' });
    expect(await first.storage.checkpoints.keys()).toEqual(expect.any(Array));
    const [listed] = await second.library.list();
    expect(listed.live).toBe('elsewhere');

    // The second tab waits; once the first is done, it may train.
    let free = false;
    const waiting = second.runner.whenFree().then(() => (free = true));
    await Promise.resolve();
    expect(free).toBe(false);
    first.runner.unpause();
    expect((await training).status).toBe('done');
    await waiting;
    expect(await second.runner.elsewhere()).toBeNull();
    expect((await second.runner.run({ ...spec, methods: ['ml'] }, study(), () => {})).status).toBe('done');
  });
});

/** Several steps in one run, so that work can wait between two of them. */
const stepsSpec = defaultSpec({
  inputSize: 32,
  students: [tiny, tiny],
  hyper: { ...defaultSpec().hyper, epochs: 1, stepsPerEpoch: 4, batchSize: 4 },
  methods: ['ml'],
  seeds: [0],
});

describe('the experiment runner', () => {
  it('work asked for while training (export, open, predict) runs between two steps, never during one', async () => {
    const runner = tab(new MemoryFileStore()).runner;
    const log: string[] = [];
    let asked: Promise<string> | null = null;
    await runner.run(stepsSpec, studyFromSample('classify', 16, 32), (e) => {
      if (e.type !== 'train' || e.event.type !== 'step') return;
      log.push(`step ${e.event.step}`);
      if (e.event.step === 0 && !asked) {
        // Asked during the first step: it must wait for that step to end and finish before the next.
        asked = runner.between(async () => {
          log.push('job start');
          await new Promise((r) => setTimeout(r, 30));
          log.push('job end');
          return 'exported';
        });
        log.push('asked');
      }
    });
    expect(await asked).toBe('exported');
    expect(log.slice(0, 5)).toEqual(['step 0', 'asked', 'job start', 'job end', 'step 1']);
    // Nothing running: the job runs at once.
    expect(await runner.between(async () => 'now')).toBe('now');
  });

  it('a paused experiment still serves queued work', async () => {
    const runner = tab(new MemoryFileStore()).runner;
    let served: Promise<string> | null = null;
    const done = runner.run(stepsSpec, studyFromSample('classify', 16, 32), (e) => {
      if (e.type === 'train' && e.event.type === 'step' && e.event.step === 0 && !served) {
        runner.pause();
        served = runner.between(async () => 'served while paused');
        void served.then(() => runner.unpause());
      }
    });
    await done;
    expect(await served).toBe('served while paused');
  });
});
