import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { datasetPath, main } from './experiment';
import { tinySpec, writeTileFolder } from './testing';

const run = promisify(execFile);

const spec = tinySpec();

let dir = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cohort-cli-'));
  await writeTileFolder(join(dir, 'tiles'));
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
