import { describe, expect, it } from 'vitest';
import { MemoryFileStore } from '../core/files';
import { checkSpace, fileStoreFor, storageSupport } from './storageSupport';
import { TrainerLock } from './trainerLock';

const withOpfs = (createWritable: boolean, estimate?: { usage: number; quota: number }) => ({
  navigator: { storage: { getDirectory: async () => ({}), estimate: estimate ? async () => estimate : undefined }, locks: {} },
  FileSystemFileHandle: { prototype: createWritable ? { createWritable() {} } : {} },
});

describe('what the browser gives the studio storage', () => {
  it('OPFS with createWritable keeps files; without either (Safari before 26, no OPFS) memory does, and says so', () => {
    expect(storageSupport(false, withOpfs(true))).toEqual({ opfs: true, createWritable: true, locks: true, persistent: true });
    const noWritable = storageSupport(false, withOpfs(false));
    expect(noWritable).toMatchObject({ opfs: true, createWritable: false, persistent: false });
    expect(fileStoreFor(noWritable)).toBeInstanceOf(MemoryFileStore);
    expect(storageSupport(false, { navigator: {} })).toEqual({ opfs: false, createWritable: false, locks: false, persistent: false });
    expect(storageSupport(true, withOpfs(true))).toMatchObject({ opfs: false, persistent: false });
  });

  it('refuses an experiment that will not fit with a typed error naming both sizes; lets one that fits start', async () => {
    const env = withOpfs(true, { usage: 9e9, quota: 10e9 });
    const support = storageSupport(false, env);
    await expect(checkSpace(support, 2e9, env)).rejects.toMatchObject({ code: 'STORAGE_FULL', details: { needBytes: 2e9, freeBytes: 1e9 } });
    await expect(checkSpace(support, 0.5e9, env)).resolves.toBeUndefined();
    // Memory storage takes no disk; a browser without an estimate is not second-guessed.
    await expect(checkSpace(storageSupport(false, withOpfs(false)), 2e9, env)).resolves.toBeUndefined();
    await expect(checkSpace(support, 2e9, withOpfs(true))).resolves.toBeUndefined();
  });

  it('without Web Locks every operation goes ahead (one tab assumed)', async () => {
    const lock = new TrainerLock(null);
    expect(lock.available).toBe(false);
    expect(await lock.hold('start', async () => 7)).toBe(7);
    expect(await lock.heldElsewhere()).toBe(false);
    await expect(lock.whenFree()).resolves.toBeUndefined();
  });
});
