import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../experiment/journal';
import { DiskFileStore, writeFileAtomic } from './diskFileStore';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : null);

describe('the disk file store', () => {
  it('writes, reads, lists and removes files under its folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cohort-store-'));
    const store = new DiskFileStore(join(root, 'ck'));
    expect(await store.list('')).toEqual([]);
    expect(await store.read('checkpoints/kd:0/gen-1.json')).toBeNull();
    await store.write('checkpoints/kd:0/gen-1.json', bytes('one'));
    await store.write('checkpoints/kd:0/gen-1.bin', bytes('blob'));
    await store.write('experiments/active.json', bytes('{}'));
    expect(text(await store.read('checkpoints/kd:0/gen-1.json'))).toBe('one');
    expect(await store.list('checkpoints/')).toEqual(['checkpoints/kd:0/gen-1.bin', 'checkpoints/kd:0/gen-1.json']);
    expect(await store.list('checkpoints/kd:0/gen-')).toHaveLength(2);
    await store.write('checkpoints/kd:0/gen-1.json', bytes('two'));
    expect(text(await store.read('checkpoints/kd:0/gen-1.json'))).toBe('two');
    await store.remove('checkpoints/kd:0/gen-1.json');
    await store.remove('checkpoints/nothing');
    expect(await store.list('')).toEqual(['checkpoints/kd:0/gen-1.bin', 'experiments/active.json']);
    await expect(store.write('../outside', bytes('x'))).rejects.toThrow();
  });

  it('replaces a file whole: a write torn by a crash leaves the old file and a temporary file nobody lists', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cohort-store-'));
    const store = new DiskFileStore(root);
    await store.write('experiments/active.json', bytes('{"version":1,"complete":true}'));
    // What a process killed between its write and its rename leaves behind.
    await writeFile(join(root, 'experiments', 'active.json.tmp-0123456789ab'), '{"version":1,"compl');
    expect(text(await store.read('experiments/active.json'))).toBe('{"version":1,"complete":true}');
    expect(await store.list('experiments/')).toEqual(['experiments/active.json']);
    // No temporary file of its own is left after a write.
    await writeFileAtomic(join(root, 'results.json'), 'x');
    expect((await readdir(root)).filter((n) => n.startsWith('results'))).toEqual(['results.json']);
    expect(await readFile(join(root, 'results.json'), 'utf8')).toBe('x');
  });

  it('holds the studio journal as the browser does', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cohort-store-'));
    const j = new Journal(new DiskFileStore(root));
    expect(await j.read()).toBeNull();
    const entry = { version: 1, spec: {}, dataset: {}, startedAt: 'now', completed: [], planned: 2, status: 'running' } as unknown as Parameters<
      Journal['write']
    >[0];
    await j.write(entry);
    expect(await j.read()).toEqual(entry);
    expect(JSON.parse(await readFile(join(root, 'experiments', 'active.json'), 'utf8'))).toEqual(entry);
    await j.remove();
    expect(await j.read()).toBeNull();
  });
});
