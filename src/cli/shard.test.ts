/**
 * The command line at cluster size, on the CPU backend with tiny networks: an experiment run whole,
 * then as three parts merged back (in this process, and as a real one-node Slurm job array from the
 * emitted scripts), interrupted and resumed, and merges that must be refused.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseSpec } from '../core/spec';
import { main } from './experiment';
import { startLocalSlurm, SlurmUnavailable, type LocalSlurm } from './localSlurm';
import { specHash } from './provenance';
import { tinySpec, writeTileFolder } from './testing';

/** A part's results.json, as the edits below change it. */
interface Part {
  spec: { hyper: { lr: number }; seeds: number[] };
  provenance: { specHash: string; datasetHash: string };
  status: string;
  runs: unknown[];
}

// KD and ML over two seeds in three parts: seed 0 split by method (its teacher with KD), seed 1 whole.
const spec = tinySpec({ name: 'shard check', methods: ['kd', 'ml'], seeds: [0, 1], hyper: { epochs: 1, stepsPerEpoch: 4, batchSize: 8 } });

let dir = '';
let fullMs = 0;
const read = (...p: string[]) => readFile(join(dir, ...p), 'utf8');
const json = async (...p: string[]) => JSON.parse(await read(...p));
const runArgs = (out: string, ...more: string[]) => [
  '--spec',
  join(dir, 'spec.json'),
  '--data',
  join(dir, 'tiles'),
  '--out',
  join(dir, out),
  '--backend',
  'cpu',
  '--quiet',
  ...more,
];

/** Console output of `fn`, and its result. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { value: await fn(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cohort-shard-'));
  await writeTileFolder(join(dir, 'tiles'));
  await writeFile(join(dir, 'spec.json'), JSON.stringify(spec));
  const t0 = performance.now();
  expect(await main(runArgs('full'))).toBe(0);
  fullMs = performance.now() - t0;
  for (const i of [1, 2, 3]) expect(await main(runArgs(`part-${i}`, '--shard', `${i}/3`))).toBe(0);
});

describe('a sharded experiment', () => {
  it('shards 1/3, 2/3 and 3/3, merged, give the table of the unsharded run', async () => {
    const parts = await Promise.all([1, 2, 3].map((i) => json(`part-${i}`, 'results.json')));
    expect(parts.map((p) => p.runs.map((r: { method: string; seed: number }) => `${r.method}:${r.seed}`))).toEqual([['kd:0'], ['ml:0'], ['kd:1', 'ml:1']]);
    expect(parts.map((p) => p.provenance.part)).toEqual([
      { index: 1, count: 3, runs: ['kd:0'] },
      { index: 2, count: 3, runs: ['ml:0'] },
      { index: 3, count: 3, runs: ['kd:1', 'ml:1'] },
    ]);
    // The checkpoints of a finished part are gone.
    expect(existsSync(join(dir, 'part-1', 'checkpoints'))).toBe(false);

    const { value: code, out } = await captured(() =>
      main(['merge', join(dir, 'part-3'), join(dir, 'part-1'), join(dir, 'part-2'), '--out', join(dir, 'merged')]),
    );
    expect(code).toBe(0);
    expect(out).toContain('merged 3 parts');
    expect(await read('merged', 'table.csv')).toBe(await read('full', 'table.csv'));
    expect(await read('merged', 'table.md')).toBe(await read('full', 'table.md'));
    const merged = await json('merged', 'results.json');
    const full = await json('full', 'results.json');
    expect(merged.runs.map((r: { final: unknown }) => r.final)).toEqual(full.runs.map((r: { final: unknown }) => r.final));
    expect(merged.table).toEqual(full.table);
    expect(merged.provenance).toEqual(full.provenance);
    expect(merged.teacherTrainings.map((t: { seed: number }) => t.seed)).toEqual([0, 1]);
  });

  it('refuses, by name, parts of another spec or dataset, overlapping, missing or unfinished parts, and writes nothing', async () => {
    // A part made from another spec (its own hash recorded), one from another dataset, one whose task crashed.
    const edit = async (from: string, to: string, change: (r: Part) => void) => {
      await cp(join(dir, from), join(dir, to), { recursive: true });
      const r = await json(to, 'results.json');
      change(r);
      await writeFile(join(dir, to, 'results.json'), JSON.stringify(r));
    };
    await edit('part-2', 'other-spec', (r) => {
      r.spec.hyper.lr = 0.5;
      r.provenance.specHash = specHash(parseSpec(r.spec));
    });
    await edit('part-3', 'other-data', (r) => (r.provenance.datasetHash = 'f'.repeat(64)));
    await edit('part-3', 'crashed', (r) => {
      r.status = 'running';
      r.runs = r.runs.slice(0, 1);
    });
    await edit('part-1', 'tampered', (r) => (r.spec.seeds = [0, 1, 2]));
    const cases: [string[], string[]][] = [
      [['part-1', 'other-spec', 'part-3'], ['PART_MISMATCH (DIR/other-spec)']],
      [['part-1', 'part-2', 'other-data'], ['PART_MISMATCH (DIR/other-data)']],
      [['part-1', 'part-2', 'part-2', 'part-3'], ['PART_OVERLAP (DIR/part-2)']],
      [['part-1', 'part-3'], ['PART_MISSING (part 2/3)']],
      [['part-1', 'part-2', 'part-3', 'nowhere'], ['PART_MISSING (DIR/nowhere)']],
      [
        ['part-1', 'part-2', 'crashed'],
        ['PART_INCOMPLETE (DIR/crashed)', 'PART_MISSING ((runs))'],
      ],
      [['tampered', 'part-2', 'part-3'], ['PART_MISMATCH (DIR/tampered)']],
      [['full', 'part-2', 'part-3'], ['PART_MISMATCH (DIR/full)']],
    ];
    for (const [parts, expected] of cases) {
      const { value: code, err } = await captured(() => main(['merge', ...parts.map((p) => join(dir, p)), '--out', join(dir, 'refused')]));
      expect(code, parts.join(' ')).toBe(2);
      const found = err
        .split('\n')
        .map((l) => /^error: (\w+) \((.*?)\):/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[1]} (${m[2].replace(dir, 'DIR')})`);
      expect(found, parts.join(' ')).toEqual(expected);
      expect(existsSync(join(dir, 'refused', 'results.json'))).toBe(false);
    }
  });

  it('stops at --max-runs, refuses to start over the interrupted part, and --resume finishes it with the same table', async () => {
    const { value: first, out } = await captured(() => main(runArgs('resumed', '--shard', '3/3', '--max-runs', '1')));
    expect(first).toBe(130);
    expect(out).toContain('--max-runs 1: stopping here');
    const partial = await json('resumed', 'results.json');
    expect(partial.status).toBe('cancelled');
    expect(partial.runs.map((r: { method: string; status: string }) => `${r.method}:${r.status}`)).toEqual(['kd:done']);
    expect(existsSync(join(dir, 'resumed', 'table.csv'))).toBe(false);
    // The real partial part cannot be merged.
    await cp(join(dir, 'resumed'), join(dir, 'partial'), { recursive: true });
    const merge = await captured(() => main(['merge', join(dir, 'part-1'), join(dir, 'part-2'), join(dir, 'partial'), '--out', join(dir, 'refused')]));
    expect(merge.value).toBe(2);
    expect(merge.err).toContain(`PART_INCOMPLETE (${join(dir, 'partial')})`);

    expect(await main(runArgs('resumed', '--shard', '3/3'))).toBe(2);
    expect(await main(runArgs('resumed', '--shard', '2/3', '--resume'))).toBe(2);
    const { value: second, out: out2 } = await captured(() => main(runArgs('resumed', '--shard', '3/3', '--resume')));
    expect(second).toBe(0);
    expect(out2).toContain('run 3 (KD seed 1) done');
    expect(await read('resumed', 'table.csv')).toBe(await read('part-3', 'table.csv'));
    const done = await json('resumed', 'results.json');
    expect(done.runs.map((r: { final: unknown }) => r.final)).toEqual((await json('part-3', 'results.json')).runs.map((r: { final: unknown }) => r.final));
    // Run again after it finished (a requeued task): nothing to do.
    const { value: third, out: out3 } = await captured(() => main(runArgs('resumed', '--shard', '3/3', '--resume')));
    expect(third).toBe(0);
    expect(out3).toContain('nothing to resume');
  });

  it('SIGINT through the real command checkpoints the run in progress; --resume continues it to the same table', async () => {
    const child = spawn('node', ['--import', 'tsx', 'src/cli/experiment.ts', ...runArgs('sigint', '--shard', '2/3')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      out += d;
      // The run has built its networks and is about to take its first of four steps.
      if (!sent && /run 2 of 4: ML seed 0 \(1 of 1 in this part\)/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, out).toBe(130);
    expect(out).toContain('SIGINT: stopping after a checkpoint of the run in progress');
    const stopped = await json('sigint', 'results.json');
    expect(stopped.status).toBe('cancelled');
    expect(stopped.runs.map((r: { status: string }) => r.status)).toEqual(['cancelled']);

    const { value, out: resumed } = await captured(() => main(runArgs('sigint', '--shard', '2/3', '--resume')));
    expect(value).toBe(0);
    expect(resumed).toMatch(/continuing ml:0 from its checkpoint \(epoch 1, step [123]\)/);
    expect(await read('sigint', 'table.csv')).toBe(await read('part-2', 'table.csv'));
  });
});

describe('a real one-node Slurm', () => {
  let slurm: LocalSlurm | null = null;
  afterAll(async () => {
    await slurm?.stop();
  });

  it('runs the emitted job array and its merge; the merged table is the unsharded one', async (ctx) => {
    try {
      slurm = await startLocalSlurm(await mkdtemp(join(tmpdir(), 'cohort-slurm-')));
    } catch (e) {
      if (!(e instanceof SlurmUnavailable)) throw e;
      const why = `a one-node Slurm cannot run here: ${e.message}`;
      if (process.env.COHORT_REQUIRE_SLURM === '1') throw new Error(why, { cause: e });
      console.warn(`SKIPPED: ${why}`);
      ctx.skip(why);
      return;
    }
    const out = join(dir, 'slurm');
    expect(
      await main([
        '--emit',
        'slurm',
        '--spec',
        join(dir, 'spec.json'),
        '--data',
        join(dir, 'tiles'),
        '--out',
        out,
        '--parts',
        '3',
        '--backend',
        'cpu',
        '--cpus',
        '1',
      ]),
    ).toBe(0);
    const t0 = performance.now();
    const submitted = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const c = spawn('sh', [join(out, 'submit.sh')], { env: slurm!.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      c.stdout.on('data', (d) => (text += d));
      c.stderr.on('data', (d) => (text += d));
      c.on('exit', (code) => resolve({ code, text }));
    });
    expect(submitted.code, submitted.text).toBe(0);
    const [, array, merge] = /parts: job (\d+) .*merge: job (\d+)/.exec(submitted.text)!;
    const deadline = Date.now() + 15 * 60_000;
    let state: string;
    for (;;) {
      const [m] = await slurm.jobState(merge);
      state = `${m.state} ${m.reason} ${m.exitCode}`;
      if (['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL'].includes(m.state)) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const slurmMs = performance.now() - t0;
    const logs = async () =>
      (
        await Promise.all(
          ['part-1.out', 'part-2.out', 'part-3.out', 'merge.out'].map(
            async (f) => `--- ${f}\n${await readFile(join(out, 'logs', f), 'utf8').catch(() => '(none)')}`,
          ),
        )
      ).join('\n');
    const tasks = (await slurm.jobState(array)).map((t) => `${t.state} ${t.exitCode}`);
    expect(state, `${tasks.join(', ')}\n${await logs()}`).toMatch(/^COMPLETED /);
    expect(tasks).toEqual(['COMPLETED 0:0', 'COMPLETED 0:0', 'COMPLETED 0:0']);
    expect(await readFile(join(out, 'table.csv'), 'utf8')).toBe(await read('full', 'table.csv'));
    const table = await readFile(join(out, 'table.md'), 'utf8');
    expect(table).toBe(await read('full', 'table.md'));
    console.log(`Slurm: 3 parts + merge in ${(slurmMs / 1000).toFixed(1)} s; the unsharded run in this process ${(fullMs / 1000).toFixed(1)} s\n${table}`);
    await rm(join(out, 'parts'), { recursive: true, force: true });
  });
});
