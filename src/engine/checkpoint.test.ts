import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureCheckpoint, CheckpointStore, restoreCheckpoint, type Checkpoint } from './checkpoint';
import { MemoryFileStore } from '../core/files';
import { buildNetwork } from './networks';
import { SgdMomentum } from './optimizer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const state = { phase: 'cohort' as const, epoch: 1, step: 2, globalStep: 7, rng: [1, 2, 3, 4], order: [3, 1, 2, 0], history: [] };

function net(seed: number) {
  return buildNetwork({ arch: 'resnet18', width: 0.0625, task: 'classify', classes: 2, inputSize: 32, seed, name: 'student1' });
}

async function fakeCheckpoint(key: string, value: number): Promise<Checkpoint> {
  const m = buildNetwork({ arch: 'mobilenet_v2', width: 0.125, task: 'box', classes: 2, inputSize: 32, seed: value, name: 'student1' });
  const cp = await captureCheckpoint(key, { ...state, globalStep: value }, [{ name: 'student1', model: m, optimizer: null }]);
  m.dispose();
  return cp;
}

describe('checkpoints', () => {
  it('capture and restore weights, BatchNorm statistics and momentum exactly', async () => {
    const a = net(1);
    const vars = a.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const opt = new SgdMomentum(vars, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
    // One real step so the momentum buffers and the BatchNorm statistics are not at their defaults.
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
    const { grads } = tf.variableGrads(() => tf.mean(tf.square(a.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
    opt.step(grads);
    tf.dispose(grads);
    x.dispose();
    const cp = await captureCheckpoint('run', state, [{ name: 'student1', model: a, optimizer: opt }]);
    const before = tf.memory().numTensors;
    const b = net(2);
    const vb = b.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const optB = new SgdMomentum(vb, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
    restoreCheckpoint(cp, [{ name: 'student1', model: b, optimizer: optB }]);
    a.weights.forEach((w, i) => expect(Array.from(b.weights[i].read().dataSync())).toEqual(Array.from(w.read().dataSync())));
    const sa = opt.getState();
    const sb = optB.getState();
    expect(sb.steps).toBe(1);
    vars.forEach((v, i) => expect(Array.from(sb.momentum[vb[i].name].dataSync())).toEqual(Array.from(sa.momentum[v.name].dataSync())));
    tf.dispose([...Object.values(sa.momentum), ...Object.values(sb.momentum)]);
    optB.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    a.dispose();
  });

  it('the store keeps two generations and switches only to a complete one', async () => {
    const files = new MemoryFileStore();
    const store = new CheckpointStore(files);
    await store.save(await fakeCheckpoint('kd:0', 1));
    await store.save(await fakeCheckpoint('kd:0', 2));
    await store.save(await fakeCheckpoint('kd:0', 3));
    expect(
      Array.from(files.files.keys())
        .filter((k) => k.endsWith('.bin'))
        .sort(),
    ).toEqual(['checkpoints/kd_0/gen-2.bin', 'checkpoints/kd_0/gen-3.bin']);
    const latest = await store.load('kd:0');
    expect(latest!.meta.globalStep).toBe(3);
    expect(latest!.fellBack).toBe(false);
  });

  it('a corrupt latest checkpoint falls back to the previous good one', async () => {
    const files = new MemoryFileStore();
    const store = new CheckpointStore(files);
    await store.save(await fakeCheckpoint('ml:1', 10));
    await store.save(await fakeCheckpoint('ml:1', 11));
    const bin = files.files.get('checkpoints/ml_1/gen-2.bin')!;
    bin[100] ^= 0xff; // one flipped byte
    const cp = await store.load('ml:1');
    expect(cp!.meta.globalStep).toBe(10);
    expect(cp!.fellBack).toBe(true);
    // A torn (truncated) latest is refused the same way.
    files.files.set('checkpoints/ml_1/gen-2.bin', bin.slice(0, 50));
    expect((await store.load('ml:1'))!.gen).toBe(1);
    // And a garbled pointer file too.
    files.files.set('checkpoints/ml_1/latest.json', new TextEncoder().encode('{"gen": 2'));
    expect((await store.load('ml:1'))!.gen).toBe(1);
  });

  it('pruning after a torn write keeps the two newest valid generations', async () => {
    const files = new MemoryFileStore();
    await new CheckpointStore(files).save(await fakeCheckpoint('kd:1', 30));
    await new CheckpointStore(files).save(await fakeCheckpoint('kd:1', 31));
    // A crash while writing generation 3: its blob is torn, its header and the pointer never land.
    const torn = await fakeCheckpoint('kd:1', 32);
    files.files.set('checkpoints/kd_1/gen-3.bin', torn.blob.slice(0, 100));
    // After a reload (a fresh store), the next save must not push out generation 2 for the torn 3.
    const store = new CheckpointStore(files);
    expect((await store.load('kd:1'))!.meta.globalStep).toBe(31);
    await store.save(await fakeCheckpoint('kd:1', 33));
    const bins = () =>
      Array.from(files.files.keys())
        .filter((k) => k.endsWith('.bin'))
        .sort();
    expect(bins()).toEqual(['checkpoints/kd_1/gen-2.bin', 'checkpoints/kd_1/gen-4.bin']);
    // The newest is damaged afterwards: the previous valid generation is still there to fall back on.
    files.files.get('checkpoints/kd_1/gen-4.bin')![200] ^= 0xff;
    const cp = await store.load('kd:1');
    expect(cp).toMatchObject({ gen: 2, fellBack: true });
    expect(cp!.meta.globalStep).toBe(31);
    // After the next reload, the damaged generation 4 (header landed, bytes disagree) is pruned the same way.
    await new CheckpointStore(files).save(await fakeCheckpoint('kd:1', 34));
    expect(bins()).toEqual(['checkpoints/kd_1/gen-2.bin', 'checkpoints/kd_1/gen-5.bin']);
  });

  it('a full disk gives STORAGE_FULL and leaves the previous checkpoint as the latest', async () => {
    const files = new MemoryFileStore();
    const store = new CheckpointStore(files);
    await store.save(await fakeCheckpoint('kd:2', 20));
    const full = new (class extends MemoryFileStore {
      override async write(path: string, bytes: Uint8Array): Promise<void> {
        if (path.endsWith('.json') && path.includes('gen-')) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return super.write(path, bytes);
      }
    })();
    for (const [k, v] of files.files) full.files.set(k, v);
    const fullStore = new CheckpointStore(full);
    await expect(fullStore.save(await fakeCheckpoint('kd:2', 21))).rejects.toMatchObject({ code: 'STORAGE_FULL', subject: 'kd:2' });
    expect(Array.from(full.files.keys()).some((k) => k.includes('gen-2'))).toBe(false);
    expect((await fullStore.load('kd:2'))!.meta.globalStep).toBe(20);
  });
});
