import { describe, expect, it } from 'vitest';
import { MemoryFileStore } from '../core/files';
import { defaultSpec } from '../core/spec';
import { Journal, type JournalEntry } from './journal';

const entry = (completed = 0): JournalEntry => ({
  version: 1,
  spec: defaultSpec(),
  dataset: { id: 'sample-classify-16-32', name: 'Sample', synthetic: true, task: 'classify', total: 16, sample: { task: 'classify', count: 16, size: 32 } },
  startedAt: '2026-12-01T00:00:00.000Z',
  completed: Array.from(
    { length: completed },
    () => ({ method: 'ml', seed: 0, status: 'done', config: {}, networks: [], history: [], backend: 'cpu' }) as never,
  ),
  planned: 4,
  status: 'running',
});

describe('experiment journal', () => {
  it('keeps the entry in its file store and reads it back', async () => {
    const files = new MemoryFileStore();
    const j = new Journal(files);
    expect(await j.read()).toBeNull();
    await j.write(entry(1));
    expect(await new Journal(files).read()).toEqual(entry(1));
    expect(await files.list('experiments/')).toEqual(['experiments/active.json']);
  });

  it('keeps the NaN of a finished run (an empty calibration bin) as NaN, as results.json does', async () => {
    const files = new MemoryFileStore();
    const e = entry(1);
    (e.completed[0] as unknown as { final: unknown }).final = { ece: 0.2, reliability: [{ count: 0, accuracy: NaN, confidence: NaN }] };
    await new Journal(files).write(e);
    const back = (await new Journal(files).read())!.completed[0] as unknown as { final: { reliability: { accuracy: number }[] } };
    expect(back.final.reliability[0].accuracy).toBeNaN();
    expect((await new Journal(files).read())!.spec.name).toBe(e.spec.name);
  });

  it('a write queued before the removal never brings the entry back', async () => {
    const files = new MemoryFileStore();
    const j = new Journal(files);
    // Fire-and-forget writes (as after each finished run) followed by the final removal.
    void j.write(entry(1));
    void j.write(entry(2));
    await j.remove();
    expect(await j.read()).toBeNull();
    expect(files.files.size).toBe(0);
  });

  it('a torn or foreign file reads as no journal, not as an error', async () => {
    const files = new MemoryFileStore();
    await files.write('experiments/active.json', new TextEncoder().encode('{"version": 1, "spec": '));
    expect(await new Journal(files).read()).toBeNull();
    await files.write('experiments/active.json', new TextEncoder().encode(JSON.stringify({ ...entry(), version: 99 })));
    expect(await new Journal(files).read()).toBeNull();
  });

  it('a failing store rejects that write and later writes still run', async () => {
    let fail = true;
    const files = new (class extends MemoryFileStore {
      override async write(path: string, bytes: Uint8Array) {
        if (fail) throw new DOMException('full', 'QuotaExceededError');
        return super.write(path, bytes);
      }
    })();
    const j = new Journal(files);
    await expect(j.write(entry(1))).rejects.toMatchObject({ name: 'QuotaExceededError' });
    fail = false;
    await j.write(entry(2));
    expect((await j.read())?.completed).toHaveLength(2);
  });
});
