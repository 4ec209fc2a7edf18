/**
 * The `FileStore` of the command line: a folder on disk, holding the same checkpoints and journal
 * the studio keeps in the browser's private storage, so `--resume` continues from them.
 *
 * Every write replaces a file whole or not at all (the contract of `core/files.ts`): the bytes go
 * to a temporary file beside the target, are flushed to the disk (fsync), and the temporary file
 * is renamed over the target (rename is atomic within a file system); the folder is flushed too,
 * so the rename survives a power cut. A process killed mid-write leaves the previous file intact
 * and at most a stray temporary file, which `list` does not report and the next write of the same
 * path does not mind.
 *
 * Owns: `DiskFileStore`, `writeFileAtomic`. Node only (the command line, tests); no TensorFlow.js.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { FileStore } from '../core/files';

const TEMP = /\.tmp-[0-9a-f]{12}$/;

/** Write `bytes` to `path` atomically: a temporary file, fsync, rename, fsync of the folder. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  // The rename is only durable once the folder's entry is on disk.
  const d = await open(dir, 'r');
  try {
    await d.sync().catch(() => {});
  } finally {
    await d.close();
  }
}

export class DiskFileStore implements FileStore {
  constructor(readonly root: string) {}

  private at(path: string): string {
    const parts = path.split('/').filter(Boolean);
    if (parts.length === 0 || parts.some((p) => p === '..' || p === '.')) throw new Error(`Not a store path: "${path}"`);
    return join(this.root, ...parts);
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(this.at(path), bytes);
  }

  async read(path: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.at(path)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async remove(path: string): Promise<void> {
    await rm(this.at(path), { force: true, recursive: true });
  }

  async list(prefix: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(this.root, join(e.parentPath, e.name)).split(sep).join('/'))
      .filter((p) => !TEMP.test(p) && p.startsWith(prefix))
      .sort();
  }
}
