import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { modelFromFiles } from '../engine/bundle';
import { readStateDict } from '../engine/interop/readWeights';
import { writeSafetensors } from '../engine/interop/safetensors';
import { toFloat32 } from '../engine/interop/stateDict';
import { exportStateDict } from '../engine/interop/torchvision';
import { buildNetwork } from '../engine/networks/zoo';
import { main } from './convert';

const dir = mkdtempSync(join(tmpdir(), 'cohort-convert-'));
const spec = { arch: 'resnet18', task: 'classify' as const, classes: 3, inputSize: 32, width: 0.125, seed: 4 };

beforeAll(async () => {
  await tf.setBackend('cpu');
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('npm run convert', () => {
  it('state dict -> TensorFlow.js model + ONNX -> state dict again, the same weights and predictions', async () => {
    const m = buildNetwork(spec);
    const sd = await exportStateDict(m, 'resnet18');
    writeFileSync(join(dir, 'net.safetensors'), writeSafetensors(sd));
    const common = ['--arch', 'resnet18', '--classes', '3', '--width', '0.125', '--size', '32'];
    expect(await main([join(dir, 'net.safetensors'), ...common, '--out', join(dir, 'tfjs')])).toBe(0);
    expect(existsSync(join(dir, 'tfjs', 'net.onnx'))).toBe(true);
    const loaded = await modelFromFiles({
      'model.json': new Uint8Array(readFileSync(join(dir, 'tfjs', 'model.json'))),
      'weights.bin': new Uint8Array(readFileSync(join(dir, 'tfjs', 'weights.bin'))),
    });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((m.predict(x) as tf.Tensor).dataSync()));
    // And back: model.json -> safetensors with the same tensors.
    expect(await main([join(dir, 'tfjs', 'model.json'), ...common, '--out', join(dir, 'back')])).toBe(0);
    const back = readStateDict(new Uint8Array(readFileSync(join(dir, 'back', 'tfjs.safetensors'))), 'back');
    for (const [k, t] of sd) {
      if (t.dtype !== 'F32') continue;
      expect(Array.from(toFloat32(back.tensors.get(k)!, 'b', k)), k).toEqual(Array.from(toFloat32(t, 'a', k)));
    }
    expect(existsSync(join(dir, 'back', 'tfjs.onnx'))).toBe(true);
    tf.dispose([x]);
    m.dispose();
    loaded.dispose();
  });

  it('exits 2 with the reason on a bad file or bad arguments', async () => {
    writeFileSync(join(dir, 'junk.pth'), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const errors = vi.mocked(console.error);
    errors.mockClear();
    expect(await main([join(dir, 'junk.pth'), '--arch', 'resnet18', '--classes', '2', '--out', join(dir, 'x')])).toBe(2);
    expect(errors.mock.calls.flat().join(' ')).toContain('WEIGHTS_NOT_STATE_DICT');
    expect(await main([join(dir, 'junk.pth'), '--arch', 'resnet19', '--classes', '2', '--out', join(dir, 'x')])).toBe(2);
    expect(await main([join(dir, 'missing.pth'), '--arch', 'resnet18', '--classes', '2', '--out', join(dir, 'x')])).toBe(2);
    // Another width than the file's: a shape mismatch naming the key.
    writeFileSync(join(dir, 'net2.safetensors'), readFileSync(join(dir, 'net.safetensors')));
    errors.mockClear();
    expect(await main([join(dir, 'net2.safetensors'), '--arch', 'resnet18', '--classes', '3', '--size', '32', '--out', join(dir, 'y')])).toBe(2);
    expect(errors.mock.calls.flat().join(' ')).toContain('WEIGHTS_SHAPE_MISMATCH');
  });
});
