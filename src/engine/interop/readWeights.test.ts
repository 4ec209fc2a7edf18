import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { isEngineError } from '../../core/errors';
import { buildNetwork } from '../networks/zoo';
import { readStateDict, weightsFormat } from './readWeights';
import { readSafetensors, writeSafetensors } from './safetensors';
import { rawF32, toFloat32, type RawTensor } from './stateDict';
import { PickleBytes, pthZip, stateDictPickle, writePth } from './testing/pthWriter';
import { exportStateDict, loadTorchvisionWeights } from './torchvision';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The code and details of the typed error `f` throws. */
function failure(f: () => unknown): { code: string; subject?: string; details: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    if (!isEngineError(e)) throw e;
    return { code: e.code, subject: e.subject, details: e.details ?? {} };
  }
  throw new Error('expected a typed error');
}

const f32 = (n: number, start = 0) => Float32Array.from({ length: n }, (_, i) => start + i * 0.5);

/** A safetensors file whose header is written by hand (to lie). */
function handmade(header: Record<string, unknown>, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors and metadata, and reads by content whatever the name', () => {
    const tensors = new Map<string, RawTensor>([
      ['a.weight', rawF32(f32(6), [2, 3])],
      ['a.bias', rawF32(f32(2, 7), [2])],
    ]);
    const bytes = writeSafetensors(tensors, { arch: 'resnet18' });
    expect(weightsFormat(bytes)).toBe('safetensors');
    const sd = readStateDict(bytes, 'weights.bin');
    expect(sd.format).toBe('safetensors');
    expect(sd.metadata).toEqual({ arch: 'resnet18' });
    expect([...sd.tensors.keys()]).toEqual(['a.weight', 'a.bias']);
    expect(Array.from(toFloat32(sd.tensors.get('a.weight')!, 'f', 'a.weight'))).toEqual(Array.from(f32(6)));
    expect(sd.tensors.get('a.bias')!.shape).toEqual([2]);
  });

  it('reads F16, BF16 and F64 as float32', () => {
    const h = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]); // 1, -2 in F16
    const b = new Uint8Array([0x80, 0x3f, 0x40, 0x40]); // 1, 3 in BF16
    const d = new Uint8Array(new Float64Array([0.25]).buffer);
    const sd = readSafetensors(
      writeSafetensors(
        new Map<string, RawTensor>([
          ['h', { dtype: 'F16', shape: [2], data: h }],
          ['b', { dtype: 'BF16', shape: [2], data: b }],
          ['d', { dtype: 'F64', shape: [1], data: d }],
        ]),
      ),
      'x',
    );
    expect(Array.from(toFloat32(sd.tensors.get('h')!, 'x', 'h'))).toEqual([1, -2]);
    expect(Array.from(toFloat32(sd.tensors.get('b')!, 'x', 'b'))).toEqual([1, 3]);
    expect(Array.from(toFloat32(sd.tensors.get('d')!, 'x', 'd'))).toEqual([0.25]);
  });

  it('a header lying about offsets or sizes is WEIGHTS_CORRUPT naming the file and the key', () => {
    const before = tf.memory();
    const past = failure(() => readStateDict(handmade({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), 'past.safetensors'));
    expect(past).toMatchObject({ code: 'WEIGHTS_CORRUPT', subject: 'past.safetensors', details: { key: 'w' } });
    const size = failure(() => readStateDict(handmade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, 16), 'size.safetensors'));
    expect(size).toMatchObject({ code: 'WEIGHTS_CORRUPT', details: { key: 'w', bytes: 16, expectedBytes: 12 } });
    const overlap = failure(() =>
      readStateDict(
        handmade(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          12,
        ),
        'o.safetensors',
      ),
    );
    expect(overlap).toMatchObject({ code: 'WEIGHTS_CORRUPT', details: { key: 'b' } });
    const hole = failure(() => readStateDict(handmade({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), 'h.safetensors'));
    expect(hole).toMatchObject({ code: 'WEIGHTS_CORRUPT', details: { key: 'a' } });
    const long = new Uint8Array(16);
    new DataView(long.buffer).setUint32(0, 5000, true);
    long[8] = 0x7b;
    expect(failure(() => readSafetensors(long, 'short.safetensors')).code).toBe('WEIGHTS_CORRUPT');
    // Nothing was allocated for any of it.
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('a weight stored as integers is WEIGHTS_DTYPE naming the key; num_batches_tracked may be an integer', () => {
    const bytes = writeSafetensors(
      new Map<string, RawTensor>([
        ['bn.num_batches_tracked', { dtype: 'I64', shape: [], data: new Uint8Array(8) }],
        ['conv.weight', { dtype: 'I32', shape: [2], data: new Uint8Array(8) }],
      ]),
    );
    expect(failure(() => readStateDict(bytes, 'int.safetensors'))).toMatchObject({
      code: 'WEIGHTS_DTYPE',
      subject: 'int.safetensors',
      details: { key: 'conv.weight', dtype: 'I32' },
    });
  });
});

describe('PyTorch .pth (zip of a pickle)', () => {
  it('reads a state dict laid out as torch.save writes it', () => {
    const bytes = writePth([
      { key: 'conv1.weight', shape: [2, 1, 1, 3], values: f32(6) },
      { key: 'fc.bias', shape: [2], values: f32(2, 4) },
    ]);
    const sd = readStateDict(bytes, 'model.pth');
    expect(sd.format).toBe('pytorch');
    expect([...sd.tensors.keys()]).toEqual(['conv1.weight', 'fc.bias']);
    expect(sd.tensors.get('conv1.weight')!.shape).toEqual([2, 1, 1, 3]);
    expect(Array.from(toFloat32(sd.tensors.get('fc.bias')!, 'model.pth', 'fc.bias'))).toEqual([4, 4.5]);
  });

  it('refuses any other global without running it (os.system, a pickled model, eval)', () => {
    for (const [module, name] of [
      ['posix', 'system'],
      ['builtins', 'eval'],
      ['torchvision.models.resnet', 'ResNet'],
    ]) {
      const evil = new PickleBytes().op(0x80, 2).global(module, name).mark().str('touch /tmp/cohort-pwned').tuple().op(0x52, 0x2e).bytes();
      const r = failure(() => readStateDict(pthZip(evil, []), 'evil.pth'));
      expect(r).toMatchObject({ code: 'WEIGHTS_PICKLE_REFUSED', subject: 'evil.pth', details: { global: `${module}.${name}` } });
    }
    // The same through STACK_GLOBAL (protocol 4) and the extension registry.
    const stackGlobal = new PickleBytes().op(0x80, 4).str('os').str('system').op(0x93).bytes();
    expect(failure(() => readStateDict(pthZip(stackGlobal, []), 'evil4.pth'))).toMatchObject({
      code: 'WEIGHTS_PICKLE_REFUSED',
      details: { global: 'os.system' },
    });
    const ext = new PickleBytes().op(0x80, 2).op(0x82, 1).bytes();
    expect(failure(() => readStateDict(pthZip(ext, []), 'ext.pth')).code).toBe('WEIGHTS_PICKLE_REFUSED');
  });

  it('a truncated zip, a missing storage or a tensor past its storage is WEIGHTS_CORRUPT', () => {
    const good = writePth([{ key: 'w', shape: [4], values: f32(4) }]);
    expect(failure(() => readStateDict(good.subarray(0, good.length - 40), 'cut.pth'))).toMatchObject({ code: 'WEIGHTS_CORRUPT', subject: 'cut.pth' });
    const pickle = stateDictPickle([{ key: 'w', shape: [4], values: f32(4) }]);
    expect(failure(() => readStateDict(pthZip(pickle, []), 'nostorage.pth'))).toMatchObject({ code: 'WEIGHTS_CORRUPT', details: { key: 'w' } });
    const short = stateDictPickle([{ key: 'w', shape: [4], storage: { type: 'FloatStorage', bytes: new Uint8Array(8), numel: 2 } }]);
    expect(failure(() => readStateDict(pthZip(short, [new Uint8Array(8)]), 'past.pth'))).toMatchObject({ code: 'WEIGHTS_CORRUPT', details: { key: 'w' } });
    const cutPickle = pickle.subarray(0, pickle.length - 30);
    expect(failure(() => readStateDict(pthZip(cutPickle, [new Uint8Array(16)]), 'cutpickle.pth')).code).toBe('WEIGHTS_CORRUPT');
  });

  it('a float weight stored as a LongStorage is WEIGHTS_DTYPE naming the key', () => {
    const bytes = writePth([{ key: 'conv.weight', shape: [2], storage: { type: 'LongStorage', bytes: new Uint8Array(16), numel: 2 } }]);
    expect(failure(() => readStateDict(bytes, 'long.pth'))).toMatchObject({ code: 'WEIGHTS_DTYPE', details: { key: 'conv.weight', dtype: 'I64' } });
  });

  it('files that are not state dicts are WEIGHTS_NOT_STATE_DICT', () => {
    expect(failure(() => readStateDict(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 'x.bin')).code).toBe('WEIGHTS_NOT_STATE_DICT');
    expect(failure(() => readStateDict(new Uint8Array(), 'empty.pth')).code).toBe('WEIGHTS_NOT_STATE_DICT');
    const list = new PickleBytes().op(0x80, 2, 0x5d).int(3).op(0x61, 0x2e).bytes();
    expect(failure(() => readStateDict(pthZip(list, []), 'list.pth')).code).toBe('WEIGHTS_NOT_STATE_DICT');
    const notTensors = new PickleBytes().op(0x80, 2, 0x7d).str('epoch').int(5).op(0x73, 0x2e).bytes();
    expect(failure(() => readStateDict(pthZip(notTensors, []), 'ckpt.pth'))).toMatchObject({ code: 'WEIGHTS_NOT_STATE_DICT', details: { key: 'epoch' } });
    const script = zipSync({ 'm/constants.pkl': new Uint8Array([0x80, 2, 0x29, 0x2e]), 'm/code/x.py': new Uint8Array(1) }, { level: 0 });
    expect(failure(() => readStateDict(script, 'script.pt')).code).toBe('WEIGHTS_NOT_STATE_DICT');
    expect(failure(() => readStateDict(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]), 'legacy.pth')).code).toBe('WEIGHTS_NOT_STATE_DICT');
  });

  it("takes the state dict out of a checkpoint dict and drops DataParallel's module. prefix", () => {
    const inner = stateDictPickle([{ key: 'module.fc.bias', shape: [2], values: f32(2) }]);
    // {'epoch': 3, 'state_dict': <inner OrderedDict>}: splice the inner pickle's body into a dict.
    const body = inner.subarray(2, inner.length - 1);
    const outer = new PickleBytes()
      .op(0x80, 2, 0x7d)
      .mark()
      .str('epoch')
      .int(3)
      .str('state_dict')
      .op(...body)
      .op(0x75, 0x2e)
      .bytes();
    const sd = readStateDict(pthZip(outer, [new Uint8Array(f32(2).buffer)]), 'ckpt.pth');
    expect([...sd.tensors.keys()]).toEqual(['fc.bias']);
  });
});

describe('torchvision keys', () => {
  const spec = { arch: 'resnet18', task: 'classify' as const, classes: 2, inputSize: 32, width: 0.125 };

  async function exported(seed: number, classes = 2): Promise<Map<string, RawTensor>> {
    const m = buildNetwork({ ...spec, classes, seed });
    const sd = await exportStateDict(m, 'resnet18');
    m.dispose();
    return sd;
  }

  it("export then import gives the same network, and the keys are torchvision's", async () => {
    const a = buildNetwork({ ...spec, seed: 1 });
    const sd = await exportStateDict(a, 'resnet18');
    expect([...sd.keys()]).toContain('layer2.0.downsample.0.weight');
    expect([...sd.keys()]).toContain('layer2.0.downsample.1.num_batches_tracked');
    expect(sd.get('conv1.weight')!.shape).toEqual([8, 3, 7, 7]);
    expect(sd.get('fc.weight')!.shape).toEqual([2, 64]);
    const b = buildNetwork({ ...spec, seed: 2 });
    const report = loadTorchvisionWeights(b, 'resnet18', readStateDict(writeSafetensors(sd), 'a.safetensors'));
    expect(report).toMatchObject({ loaded: a.weights.length, headReinitialised: null });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
    const ya = (a.predict(x) as tf.Tensor).dataSync();
    const yb = (b.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(yb)).toEqual(Array.from(ya));
    a.dispose();
    b.dispose();
    x.dispose();
  });

  it('missing, unexpected and wrong-shape keys are typed errors naming the file, the key and both shapes; nothing is written', async () => {
    const sd = await exported(1);
    const model = buildNetwork({ ...spec, seed: 2 });
    const before = model.weights.map((w) => w.read().dataSync().slice());
    const load = (m: Map<string, RawTensor>, file: string) => () => loadTorchvisionWeights(model, 'resnet18', readStateDict(writeSafetensors(m), file));

    const missing = new Map(sd);
    missing.delete('layer3.1.bn2.running_var');
    expect(failure(load(missing, 'missing.safetensors'))).toMatchObject({
      code: 'WEIGHTS_MISSING_KEY',
      subject: 'missing.safetensors',
      details: { key: 'layer3.1.bn2.running_var' },
    });
    const extra = new Map(sd).set('layer5.0.conv1.weight', rawF32(f32(4), [4]));
    expect(failure(load(extra, 'extra.safetensors'))).toMatchObject({ code: 'WEIGHTS_UNEXPECTED_KEY', details: { key: 'layer5.0.conv1.weight' } });
    const wrong = new Map(sd).set('layer1.0.conv1.weight', rawF32(f32(8 * 8 * 9 * 2), [8, 16, 3, 3]));
    expect(failure(load(wrong, 'wrong.safetensors'))).toMatchObject({
      code: 'WEIGHTS_SHAPE_MISMATCH',
      details: { key: 'layer1.0.conv1.weight', expected: [8, 8, 3, 3], got: [8, 16, 3, 3] },
    });
    // The model is as it was: every check runs before the first write.
    model.weights.forEach((w, i) => expect(Array.from(w.read().dataSync())).toEqual(Array.from(before[i])));
    model.dispose();
  });

  it("a head of another class count (ImageNet's 1000) keeps its seeded weights and says so", async () => {
    const imagenet = await exported(1, 1000);
    const model = buildNetwork({ ...spec, seed: 2 });
    const seededHead = model.getLayer('resnet18_head').getWeights()[0].dataSync().slice();
    const report = loadTorchvisionWeights(model, 'resnet18', readStateDict(writeSafetensors(imagenet), 'imagenet.safetensors'));
    expect(report.headReinitialised).toMatchObject({ key: 'fc', fileShape: [1000, 64], networkShape: [2, 64] });
    expect(report.loaded).toBe(model.weights.length - 2);
    expect(Array.from(model.getLayer('resnet18_head').getWeights()[0].dataSync())).toEqual(Array.from(seededHead));
    const conv = toFloat32(imagenet.get('conv1.weight')!, 'i', 'conv1.weight');
    const ours = await exportStateDict(model, 'resnet18');
    expect(Array.from(toFloat32(ours.get('conv1.weight')!, 'o', 'conv1.weight'))).toEqual(Array.from(conv));
    model.dispose();
  });

  it("a _nofc VGG takes a torchvision VGG's features and ignores its classifier", async () => {
    const vspec = { arch: 'vgg11', task: 'classify' as const, classes: 2, inputSize: 32, width: 0.0625 };
    const full = buildNetwork({ ...vspec, seed: 1 });
    const sd = await exportStateDict(full, 'vgg11');
    full.dispose();
    const nofc = buildNetwork({ ...vspec, arch: 'vgg11_nofc', seed: 2 });
    const report = loadTorchvisionWeights(nofc, 'vgg11_nofc', readStateDict(writeSafetensors(sd), 'vgg11.safetensors'));
    expect(report.headReinitialised?.key).toBe('classifier');
    expect(report.ignored).toEqual(expect.arrayContaining(['classifier.0.weight', 'classifier.6.bias']));
    nofc.dispose();
  });
});
