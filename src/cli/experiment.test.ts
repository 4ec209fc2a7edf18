import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { generateClassification } from '../data/synthetic';
import { encodePng } from '../data/testing/fixtures';
import { datasetPath, main } from './experiment';

const run = promisify(execFile);

/** A folder of real PNG files, ROOT/<class>/<n>.png, from the generated histology tiles. */
async function writeDataset(root: string): Promise<void> {
  const s = generateClassification({ count: 48, size: 32, seed: 3 });
  for (let i = 0; i < s.count; i++) {
    const dir = join(root, s.classNames[s.labels[i]]);
    await mkdir(dir, { recursive: true });
    const rgba = new Uint8Array(32 * 32 * 4);
    for (let p = 0; p < 32 * 32; p++) {
      rgba.set(s.images.subarray(p * 3 + i * 32 * 32 * 3, p * 3 + 3 + i * 32 * 32 * 3), p * 4);
      rgba[p * 4 + 3] = 255;
    }
    await writeFile(join(dir, `${i}.png`), encodePng({ width: 32, height: 32, data: rgba }));
  }
  await writeFile(join(root, 'README.txt'), 'generated tiles');
}

const tiny = { arch: 'resnet18', width: 0.0625 };
const spec = {
  version: 1,
  name: 'CLI check',
  task: 'classify',
  inputSize: 32,
  teacher: tiny,
  students: [tiny, tiny],
  hyper: { epochs: 1, stepsPerEpoch: 2, batchSize: 8 },
  methods: ['ml', 'independent'],
  seeds: [0, 1],
  backend: 'cpu',
};

let dir = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cohort-cli-'));
  await writeDataset(join(dir, 'tiles'));
  await writeFile(join(dir, 'spec.json'), JSON.stringify(spec));
});

describe('npm run experiment', () => {
  it('runs 2 methods x 2 seeds on the CPU backend, writes results.json, table.csv and table.md, and repeats exactly', async () => {
    const args = (out: string) => ['--spec', join(dir, 'spec.json'), '--data', join(dir, 'tiles'), '--out', join(dir, out), '--backend', 'cpu', '--quiet'];
    const log = vi.spyOn(console, 'log');
    expect(await main(args('a'))).toBe(0);
    const printed = log.mock.calls.map((c) => c.join(' ')).join('\n');
    log.mockRestore();
    // The skipped README is counted, its path not printed (not asked for with --list-skipped).
    expect(printed).toContain('skipped by code: NOT_AN_IMAGE 1');
    expect(printed).not.toContain('README.txt');
    expect(await main(args('b'))).toBe(0);
    const a = JSON.parse(await readFile(join(dir, 'a', 'results.json'), 'utf8'));
    const b = JSON.parse(await readFile(join(dir, 'b', 'results.json'), 'utf8'));
    expect(a.runs).toHaveLength(4);
    // The absolute --data path is recorded relative to the spec, never expanded.
    expect(a.dataset.name).toBe('tiles');
    expect(a.runs.map((r: { method: string; seed: number; status: string }) => `${r.method}:${r.seed}:${r.status}`)).toEqual([
      'ml:0:done',
      'independent:0:done',
      'ml:1:done',
      'independent:1:done',
    ]);
    // Same spec, same seeds: identical numbers (timings aside).
    expect(a.table).toEqual(b.table);
    expect(a.runs.map((r: { final: unknown }) => r.final)).toEqual(b.runs.map((r: { final: unknown }) => r.final));
    const csv = await readFile(join(dir, 'a', 'table.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('row,method,metric,mean,std,n,p_vs_kd,star,seed_0,seed_1');
    const md = await readFile(join(dir, 'a', 'table.md'), 'utf8');
    expect(md).toContain('| Accuracy (mean ± std over 2 seeds) | ML | Independent |');
    expect(md).toContain('| Ensemble (max) |');
  });

  it('records the dataset relative to the spec when given absolute, and as given otherwise', () => {
    expect(datasetPath('/data/sets/tiles', '/data/specs/spec.json')).toBe('../sets/tiles');
    expect(datasetPath('../tiles', 'spec.json')).toBe('../tiles');
    expect(datasetPath('/data/specs', '/data/specs/spec.json')).toBe('.');
  });

  it('exits non-zero with a clear message on bad input, through the real command', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...spec, hyper: { lr: -1 } }));
    const bad = await run('npx', [
      'tsx',
      'src/cli/experiment.ts',
      '--spec',
      join(dir, 'bad.json'),
      '--data',
      join(dir, 'tiles'),
      '--out',
      join(dir, 'c'),
    ]).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('hyper.lr: must be > 0');
    expect(await main(['--spec', join(dir, 'spec.json'), '--data', join(dir, 'nowhere'), '--out', join(dir, 'c')])).toBe(2);
    expect(await main(['--spec', join(dir, 'spec.json')])).toBe(2);
  });
});
