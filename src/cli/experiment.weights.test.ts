import * as tf from '@tensorflow/tfjs';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { generateClassification } from '../data/synthetic';
import { encodePng } from '../data/testing/fixtures';
import { writeSafetensors } from '../engine/interop/safetensors';
import { exportStateDict } from '../engine/interop/torchvision';
import { buildNetwork } from '../engine/networks/zoo';
import { main } from './experiment';

const tiny = { arch: 'resnet18', width: 0.0625 };
let dir = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cohort-cli-weights-'));
  const s = generateClassification({ count: 24, size: 32, seed: 3 });
  for (let i = 0; i < s.count; i++) {
    const d = join(dir, 'tiles', s.classNames[s.labels[i]]);
    await mkdir(d, { recursive: true });
    const rgba = new Uint8Array(32 * 32 * 4).fill(255);
    for (let p = 0; p < 32 * 32; p++) rgba.set(s.images.subarray((i * 1024 + p) * 3, (i * 1024 + p) * 3 + 3), p * 4);
    await writeFile(join(d, `${i}.png`), encodePng({ width: 32, height: 32, data: rgba }));
  }
  // An "ImageNet" state dict of the student's architecture: 1000 classes.
  const m = buildNetwork({ ...tiny, task: 'classify', classes: 1000, inputSize: 32, seed: 9 });
  await mkdir(join(dir, 'specs', 'init'), { recursive: true });
  await writeFile(join(dir, 'specs', 'init', 'imagenet.safetensors'), writeSafetensors(await exportStateDict(m, 'resnet18')));
  m.dispose();
  await writeFile(join(dir, 'specs', 'init', 'broken.pth'), new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
});

const spec = (weights: string) => ({
  version: 1,
  name: 'weights',
  task: 'classify',
  inputSize: 32,
  teacher: tiny,
  students: [{ ...tiny, weights }, tiny],
  hyper: { epochs: 1, stepsPerEpoch: 1, batchSize: 8 },
  methods: ['ml'],
  seeds: [0],
  backend: 'cpu',
});

describe('npm run experiment with weights files', () => {
  it("resolves students[k].weights relative to the spec and records every network's initial weights in results.json", async () => {
    await writeFile(join(dir, 'specs', 'spec.json'), JSON.stringify(spec('init/imagenet.safetensors')));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await main([
      '--spec',
      join(dir, 'specs', 'spec.json'),
      '--data',
      join(dir, 'tiles'),
      '--out',
      join(dir, 'out'),
      '--backend',
      'cpu',
      '--quiet',
    ]);
    log.mockRestore();
    expect(code).toBe(0);
    const r = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8'));
    const nets = Object.fromEntries(r.runs[0].networks.map((n: { name: string; weights: unknown }) => [n.name, n.weights]));
    expect(nets.student1).toMatchObject({ kind: 'file', file: 'init/imagenet.safetensors', format: 'safetensors' });
    expect(nets.student1.headReinitialised).toContain('1000');
    expect(nets.student2).toEqual({ kind: 'seeded' });
  });

  it('a broken or missing weights file exits 2 before any training, naming the field and the file', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    for (const [file, code] of [
      ['init/broken.pth', 'WEIGHTS_CORRUPT'],
      ['init/none.pth', 'INVALID_CONFIG'],
    ]) {
      errors.mockClear();
      await writeFile(join(dir, 'specs', 'bad.json'), JSON.stringify(spec(file)));
      expect(await main(['--spec', join(dir, 'specs', 'bad.json'), '--data', join(dir, 'tiles'), '--out', join(dir, 'bad'), '--backend', 'cpu'])).toBe(2);
      const text = errors.mock.calls.flat().join(' ');
      expect(text).toContain(code);
      expect(text).toContain('students[0].weights');
    }
    expect(log.mock.calls.flat().join(' ')).not.toContain('run 1 done');
    errors.mockRestore();
    log.mockRestore();
  });
});
