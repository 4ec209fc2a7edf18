/**
 * A `FileStore` in the Origin Private File System, for checkpoints, the experiment journal and the kept runs. `createWritable` writes to a swap file that
 * replaces the target only on `close()`, so a file is replaced whole or not at all; a tab closed
 * mid-write leaves the previous file as it was. Paths are '/'-separated under the origin's root.
 * Works in a dedicated worker (and on the main thread); no other DOM.
 */
import type { FileStore } from '../core/files';

export function opfsAvailable(): boolean {
  return typeof navigator !== 'undefined' && !!navigator.storage && typeof navigator.storage.getDirectory === 'function';
}

async function dirOf(path: string, create: boolean): Promise<{ dir: FileSystemDirectoryHandle; name: string } | null> {
  const parts = path.split('/').filter(Boolean);
  let dir = await navigator.storage.getDirectory();
  for (const p of parts.slice(0, -1)) {
    try {
      dir = await dir.getDirectoryHandle(p, { create });
    } catch {
      return null;
    }
  }
  return { dir, name: parts[parts.length - 1] };
}

export class OpfsFileStore implements FileStore {
  async write(path: string, bytes: Uint8Array): Promise<void> {
    const at = await dirOf(path, true);
    const fh = await at!.dir.getFileHandle(at!.name, { create: true });
    const w = await fh.createWritable();
    try {
      await w.write(bytes as Uint8Array<ArrayBuffer>);
      await w.close();
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
  }

  async read(path: string): Promise<Uint8Array | null> {
    const at = await dirOf(path, false);
    if (!at) return null;
    try {
      const f = await (await at.dir.getFileHandle(at.name)).getFile();
      return new Uint8Array(await f.arrayBuffer());
    } catch {
      return null;
    }
  }

  async remove(path: string): Promise<void> {
    const at = await dirOf(path, false);
    if (at) await at.dir.removeEntry(at.name, { recursive: true }).catch(() => {});
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, base: string) => {
      for await (const [name, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
        const p = base ? `${base}/${name}` : name;
        if (h.kind === 'directory') {
          if (prefix.startsWith(`${p}/`) || p.startsWith(prefix) || prefix.startsWith(p)) await walk(h as FileSystemDirectoryHandle, p);
        } else if (p.startsWith(prefix)) out.push(p);
      }
    };
    await walk(await navigator.storage.getDirectory(), '');
    return out;
  }
}
