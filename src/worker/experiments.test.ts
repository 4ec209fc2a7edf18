import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryFileStore } from '../core/files';
import { defaultSpec } from '../core/spec';
import { SessionStorage, studyFromSample } from '../experiment/session';
import { RunArchive } from './archive';
import { ExperimentRunner } from './experiments';
import type { Gpu } from './gpu';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = { arch: 'resnet18', width: 0.0625 };
const spec = defaultSpec({
  inputSize: 32,
  students: [tiny, tiny],
  hyper: { ...defaultSpec().hyper, epochs: 1, stepsPerEpoch: 4, batchSize: 4 },
  methods: ['ml'],
  seeds: [0],
});
const gpu = {
  recover: async () => true,
  fault: () => null,
  classify: () => null,
  memory: () => ({ numTensors: 0, numBytes: 0, gpuBytes: null, backend: 'cpu' }),
} as unknown as Gpu;

describe('the experiment runner', () => {
  it('work asked for while training (export, open, predict) runs between two steps, never during one', async () => {
    const runner = new ExperimentRunner(new SessionStorage(new MemoryFileStore()), gpu, new RunArchive());
    const log: string[] = [];
    let asked: Promise<string> | null = null;
    await runner.run(spec, studyFromSample('classify', 16, 32), (e) => {
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
    const runner = new ExperimentRunner(new SessionStorage(new MemoryFileStore()), gpu, new RunArchive());
    let served: Promise<string> | null = null;
    const done = runner.run(spec, studyFromSample('classify', 16, 32), (e) => {
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
